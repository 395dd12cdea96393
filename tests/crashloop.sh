#!/usr/bin/env bash
# The crash loop, long version (tests/node/test_crashloop.c; ctest runs a
# short one as node/crashloop): a coordinator and three member daemons on
# 127.0.0.1 while records are written at the members; a random node is
# killed with SIGKILL at random moments and started again; at the end
# everything must converge, pass verify and verify --figures, and hold
# every acknowledged write. Then the kills in the applier: a member's bulk
# of students applied behind the log at the member and at the coordinator,
# both SIGKILLed while applied is short of the log, in rounds; after each,
# applied reaches the log, verify --figures passes at both and every
# student is counted once. Prints the seed and a summary.
#
# Usage: tests/crashloop.sh [--kills N] [--seconds S] [--seed N]
#                           [--converge S] [--apply-rounds N]
#                           [--apply-first N] [--apply-more N] [--build DIR]
#   --kills N     kills (default 500)
#   --seconds S   length of the kill phase; the kills are spread over it
#                 (default 0.4 s a kill, plus what each kill takes)
#   --seed N      repeat a run's kills and writes (default: from the clock)
#   --converge S  seconds allowed to converge at the end (default 600)
#   --apply-rounds N  rounds of kills in the applier (default 20; 0: none)
#   --apply-first N   students of the first bulk (default 50000)
#   --apply-more N    of each later bulk (default 20000)
#   --build DIR   build folder (default build); the test is built if needed
set -euo pipefail
cd "$(dirname "$0")/.."

kills=500
seconds=
seed=
converge=600
apply_rounds=20
apply_first=
apply_more=
build=build
while [ $# -gt 0 ]; do
    case "$1" in
    --kills) kills=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --converge) converge=$2; shift 2 ;;
    --apply-rounds) apply_rounds=$2; shift 2 ;;
    --apply-first) apply_first=$2; shift 2 ;;
    --apply-more) apply_more=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "crashloop.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done

if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S . -B "$build" >/dev/null
fi
cmake --build "$build" -j2 --target vocfed test_crashloop >/dev/null

export VOCFED_CRASH_KILLS=$kills
export VOCFED_CRASH_CONVERGE=$converge
export VOCFED_CRASH_APPLY_ROUNDS=$apply_rounds
[ -n "$apply_first" ] && export VOCFED_CRASH_APPLY_FIRST=$apply_first
[ -n "$apply_more" ] && export VOCFED_CRASH_APPLY_MORE=$apply_more
[ -n "$seconds" ] && export VOCFED_CRASH_SECONDS=$seconds
[ -n "$seed" ] && export VOCFED_CRASH_SEED=$seed
start=$(date +%s)
status=0
"$build/tests/test_crashloop" || status=$?
echo "crashloop.sh: exit $status after $(($(date +%s) - start)) s"
exit $status
