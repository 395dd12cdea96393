#!/usr/bin/env bash
# The crash loop, long version (tests/node/test_crashloop.c; ctest runs a
# short one as node/crashloop): a coordinator and three member daemons on
# 127.0.0.1 while records are written at the members; a random node is
# killed with SIGKILL at random moments and started again; at the end
# everything must converge, pass verify and verify --figures, and hold
# every acknowledged write. Prints the seed and a summary.
#
# Usage: tests/crashloop.sh [--kills N] [--seconds S] [--seed N]
#                           [--converge S] [--build DIR]
#   --kills N     kills (default 500)
#   --seconds S   length of the kill phase; the kills are spread over it
#                 (default 0.4 s a kill, plus what each kill takes)
#   --seed N      repeat a run's kills and writes (default: from the clock)
#   --converge S  seconds allowed to converge at the end (default 600)
#   --build DIR   build folder (default build); the test is built if needed
set -euo pipefail
cd "$(dirname "$0")/.."

kills=500
seconds=
seed=
converge=600
build=build
while [ $# -gt 0 ]; do
    case "$1" in
    --kills) kills=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --converge) converge=$2; shift 2 ;;
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
[ -n "$seconds" ] && export VOCFED_CRASH_SECONDS=$seconds
[ -n "$seed" ] && export VOCFED_CRASH_SEED=$seed
start=$(date +%s)
status=0
"$build/tests/test_crashloop" || status=$?
echo "crashloop.sh: exit $status after $(($(date +%s) - start)) s"
exit $status
