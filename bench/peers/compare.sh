#!/usr/bin/env bash
# bench/peers/compare.sh: vocfed end to end against PostgreSQL 15 logical
# replication and against LMDB's durable batched append, in one run, on the
# same N rows (see bench/README.md, "bench/peers").
#
#   compare.sh [--rows N] [--runs R] [--dir DIR] [--vocfed PATH]
#              [--bench-log PATH] [--pg-sub-commit off|on] [--poll S]
#              [--deadline S]
#
# Writes one set of N student rows (gen_students.py: the CSV a school would
# export for vocfed, and the same rows as pseudo_id + fields for
# PostgreSQL), then R rounds of pg_logical.sh and vocfed_e2e.sh on them
# (which goes first alternates), then `bench_log --records N --runs 3` for
# the raw LMDB append rates (MDB_APPEND: one durable transaction for all,
# and one per 1,000 values). Prints every run, the medians, and the ratios:
#   vocfed import-to-receipt / PostgreSQL copy-to-subscriber   (target >= 5)
#   vocfed import-to-figures / PostgreSQL copy-to-subscriber
#   vocfed import-to-figures / raw LMDB durable append          (target >= 0.08)
#     against both raw rates: the issue's "durable batched append" reads
#     either way, and the two differ by 2-3x
# Defaults: N = 100000, R = 3, under /tmp, build-bench's binaries, the
# subscription's synchronous_commit off (PostgreSQL's default; see
# pg_logical.sh). --poll is passed to pg_logical.sh: its time between two
# looks while the subscription gets ready (not timed). Both scripts wait
# timed in one process that looks every 10 ms.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ROWS=100000
RUNS=3
BASE=/tmp
VOCFED="$ROOT/build-bench/vocfed"
BENCH_LOG="$ROOT/build-bench/bench/bench_log"
POLL=0.05
DEADLINE=900
PGSUB=off
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --dir) BASE=$2; shift 2 ;;
    --vocfed) VOCFED=$2; shift 2 ;;
    --bench-log) BENCH_LOG=$2; shift 2 ;;
    --pg-sub-commit) PGSUB=$2; shift 2 ;;
    --poll) POLL=$2; shift 2 ;;
    --deadline) DEADLINE=$2; shift 2 ;;
    -h | --help) usage ;;
    *) echo "compare: unknown argument $1" >&2; usage ;;
    esac
done
[[ "$ROWS" =~ ^[1-9][0-9]*$ && "$RUNS" =~ ^[1-9][0-9]*$ ]] || usage
for b in "$VOCFED" "$BENCH_LOG"; do
    [ -x "$b" ] || { echo "compare: no $b (build build-bench)" >&2; exit 3; }
done

WORK=$(mktemp -d "$BASE/peers_compare.XXXXXX")
chmod 755 "$WORK"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# field NAME LINE: the value of NAME=value in a result line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

echo "compare: $ROWS rows, $RUNS runs; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "compare: vocfed $("$VOCFED" --version 2>/dev/null | head -1) (tree $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?"));" \
    "$(/usr/lib/postgresql/15/bin/postgres --version)"
"$VOCFED" linkage-key generate >"$WORK/group.key"
python3 "$HERE/gen_students.py" "$ROWS" "$WORK/group.key" \
    "$WORK/students.csv" "$WORK/students_pg.csv"
echo "compare: CSV for vocfed $(stat -c %s "$WORK/students.csv") bytes," \
    "for PostgreSQL $(stat -c %s "$WORK/students_pg.csv") bytes"

PG_REP="" PG_COPY="" VF_IMP="" VF_REC="" VF_FIG=""
run_pg() {
    local l
    l=$(bash "$HERE/pg_logical.sh" --rows "$ROWS" --csv "$WORK/students_pg.csv" \
        --dir "$BASE" --sub-commit "$PGSUB" --poll "$POLL" --deadline "$DEADLINE" \
        2>"$WORK/pg.err") ||
        { cat "$WORK/pg.err" >&2; exit 1; }
    echo "  run $1: $l"
    PG_COPY+=" $(field copy_rps "$l")"
    PG_REP+=" $(field replicated_rps "$l")"
}
run_vf() {
    local l
    l=$(bash "$HERE/vocfed_e2e.sh" --rows "$ROWS" --csv "$WORK/students.csv" \
        --key "$WORK/group.key" --vocfed "$VOCFED" --dir "$BASE" \
        --deadline "$DEADLINE" 2>"$WORK/vf.err") ||
        { cat "$WORK/vf.err" >&2; exit 1; }
    echo "  run $1: $l"
    VF_IMP+=" $(field import_rps "$l")"
    VF_REC+=" $(field receipt_rps "$l")"
    VF_FIG+=" $(field figures_rps "$l")"
}
for r in $(seq "$RUNS"); do
    if [ $((r % 2)) = 1 ]; then run_pg "$r"; run_vf "$r"; else run_vf "$r"; run_pg "$r"; fi
done

echo "  bench_log --records $ROWS --runs 3:"
"$BENCH_LOG" --records "$ROWS" --runs 3 --dir "$BASE" | tee "$WORK/bench_log.out" | awk '{ print "    " $0 }'
LMDB=$(sed -n 's|^ *raw LMDB append (1 txn, MDB_APPEND) *\([0-9][0-9]*\) values/s.*|\1|p' "$WORK/bench_log.out")
LMDB_B=$(sed -n 's|^ *raw LMDB append (1 txn per 1000) *\([0-9][0-9]*\) values/s.*|\1|p' "$WORK/bench_log.out")
[[ "$LMDB" =~ ^[0-9]+$ && "$LMDB_B" =~ ^[0-9]+$ ]] ||
    { echo "compare: no raw LMDB rates in bench_log's output" >&2; exit 1; }

M_PGC=$(median <<<"$PG_COPY")
M_PG=$(median <<<"$PG_REP")
M_IMP=$(median <<<"$VF_IMP")
M_REC=$(median <<<"$VF_REC")
M_FIG=$(median <<<"$VF_FIG")
echo
echo "medians of $RUNS runs, $ROWS rows (rows/s):"
printf '  %-58s %10.0f\n' "PostgreSQL 15: COPY at the publisher" "$M_PGC" \
    "PostgreSQL 15: COPY start -> all rows at the subscriber" "$M_PG" \
    "vocfed: import (the member's own commit)" "$M_IMP" \
    "vocfed: import start -> coordinator's receipt" "$M_REC" \
    "vocfed: import start -> coordinator's figures" "$M_FIG" \
    "raw LMDB durable append (bench_log, 1 txn)" "$LMDB" \
    "raw LMDB durable append (bench_log, 1 txn per 1000)" "$LMDB_B"
echo "ratios:"
echo "  vocfed to receipt / PostgreSQL to subscriber   $(ratio "$M_REC" "$M_PG")  (target >= 5)"
echo "  vocfed to figures / PostgreSQL to subscriber   $(ratio "$M_FIG" "$M_PG")"
echo "  vocfed to figures / raw LMDB append, 1 txn     $(ratio "$M_FIG" "$LMDB")  (target >= 0.08)"
echo "  vocfed to figures / raw LMDB append, per 1000  $(ratio "$M_FIG" "$LMDB_B")  (target >= 0.08)"
echo "compare: load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
