#!/usr/bin/env bash
# bench/report_time.sh: how long `vocfed report` takes on a store, process
# start to exit, as a user runs it (see bench/README.md).
#
#   report_time.sh DIR [--runs N] [--vocfed PATH] [-- REPORT-ARGS...]
#
# Runs `vocfed --dir DIR report --format json REPORT-ARGS` N times (default
# 15; the first run is counted too: it may find the pages cold) with its
# output to /dev/null, and prints the median, the least and the most in
# ms. DIR is a node's folder: a coordinator kept by `bench_province
# --keep` is the store of the issue-11 target (500 members, 10M records).
# Exit: 0, 1 a run failed, 2 usage.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VOCFED="$ROOT/build-bench/vocfed"
RUNS=15
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h | --help) usage ;; esac
DIR=$1
shift
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --vocfed) VOCFED=$2; shift 2 ;;
    --) shift; break ;;
    -h | --help) usage ;;
    *) echo "report_time: unknown argument $1" >&2; usage ;;
    esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || usage
[ -d "$DIR" ] || { echo "report_time: no folder $DIR" >&2; exit 2; }
times=()
for _ in $(seq "$RUNS"); do
    s=$EPOCHREALTIME
    "$VOCFED" --dir "$DIR" report --format json "$@" >/dev/null ||
        { echo "report_time: vocfed report failed" >&2; exit 1; }
    e=$EPOCHREALTIME
    times+=("$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.1f", (b - a) * 1000 }')")
done
printf '%s\n' "${times[@]}" | sort -g | awk -v n="$RUNS" '{ v[NR] = $1 }
    END { m = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
          printf "vocfed report --format json: median %.1f ms, least %.1f, most %.1f (%d runs)\n", m, v[1], v[n], n }'
