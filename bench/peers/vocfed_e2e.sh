#!/usr/bin/env bash
# bench/peers/vocfed_e2e.sh: N student rows imported at a vocfed member and
# carried to the coordinator, end to end, with the real commands and daemons
# on 127.0.0.1 (see bench/README.md, "bench/peers").
#
#   vocfed_e2e.sh [--rows N] [--vocfed PATH] [--dir DIR] [--csv FILE --key FILE]
#                 [--deadline S] [--keep]
#
# Setup (not timed): a linkage key; `vocfed init --coordinator`; a member
# `vocfed init --coordinator ENDPOINT --coordinator-key HEX`, admitted with
# `vocfed members add`; the key imported at the member; `vocfed coordinator`
# and `vocfed node` started and connected. Timed from the spawn of
# `vocfed import student FILE` at the member:
#   import      until the import process exits (its rows committed, fsync);
#   receipt     until `vocfed wait receipt` at the member exits: the
#               coordinator's receipt (acked in `vocfed status --json`)
#               covers the member's whole log;
#   figures     then until `vocfed wait applied` at the coordinator exits:
#               every log it holds is applied to its figures up to its last
#               seq (logs.school1.applied: the daemon's applier has counted
#               every row); wait reads that point and does no applying
#               (`vocfed report` would apply what is left itself, and time
#               its own work). Then, not timed, `vocfed report --format
#               json --no-catch-up` must count every row (hv_enrolled +
#               sv_enrolled == N) with nothing left unapplied, and the
#               member's log must hold the N rows imported.
# Both waits start at the import's exit (no receipt can cover rows not yet
# committed) and give up at --deadline (default 900 s, whole seconds). Each
# is one process reading its store every 10 ms; before `vocfed wait`
# existed this script ran `vocfed status --json | jq` in a loop, 50-100 ms
# of CPU a look (bench/README.md). The summary gives the waits' CPU.
# Prints a human summary on stderr and one line on stdout:
#   vocfed_e2e rows=N import_s=.. receipt_s=.. figures_s=.. receipt_rps=.. figures_rps=.. polls=.. poll_cpu_s=..
# (polls: the wait processes, 2; poll_cpu_s: their CPU.)
# Exit: 0, 1 a deadline passed or a check failed, 2 usage, 3 environment.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROWS=100000
VOCFED="$ROOT/build-bench/vocfed"
BASE=/tmp
CSV=""
KEY=""
DEADLINE=900
KEEP=0
usage() { sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --vocfed) VOCFED=$2; shift 2 ;;
    --dir) BASE=$2; shift 2 ;;
    --csv) CSV=$2; shift 2 ;;
    --key) KEY=$2; shift 2 ;;
    --deadline) DEADLINE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage ;;
    *) echo "vocfed_e2e: unknown argument $1" >&2; usage ;;
    esac
done
[[ "$ROWS" =~ ^[1-9][0-9]*$ && "$DEADLINE" =~ ^[1-9][0-9]*$ ]] || usage
if [ -n "$CSV" ] && [ -z "$KEY" ]; then
    echo "vocfed_e2e: --csv needs --key (the linkage key it was made with)" >&2
    exit 2
fi
[ -x "$VOCFED" ] || { echo "vocfed_e2e: no binary $VOCFED (build build-bench)" >&2; exit 3; }

WORK=$(mktemp -d "$BASE/vocfed_e2e.XXXXXX")
PIDS=()
cleanup() {
    local rc=$?
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if [ "$KEEP" = 1 ] || [ "$rc" != 0 ]; then
        echo "vocfed_e2e: left in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# Whether more than DEADLINE s passed since $1 (a $EPOCHREALTIME).
past() { (( ${EPOCHREALTIME/./} - ${1/./} > DEADLINE * 1000000 )); }
# shellcheck source=bench/peers/cpu.sh
. "$ROOT/bench/peers/cpu.sh"
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
vf() { local d=$1; shift; "$VOCFED" --dir "$d" "$@"; }

C="$WORK/coord"
M="$WORK/member"
PORT=$(free_port)
EP="tcp://127.0.0.1:$PORT"

# ---- setup (not timed) ----------------------------------------------------
if [ -z "$KEY" ]; then
    KEY="$WORK/group.key"
    "$VOCFED" linkage-key generate >"$KEY"
fi
if [ -z "$CSV" ]; then
    CSV="$WORK/students.csv"
    echo "vocfed_e2e: writing $ROWS rows to $CSV" >&2
    python3 "$ROOT/bench/peers/gen_students.py" "$ROWS" "$KEY" "$CSV"
fi
vf "$C" init --coordinator --id secretariat --name 秘书处 --listen "$EP" >/dev/null
CKEY=$(vf "$C" whoami --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pubkey"])')
MKEY=$(vf "$M" init --id school1 --name 学院 --role lead --coordinator "$EP" \
    --coordinator-key "$CKEY" --coordinator-id secretariat | head -1 | cut -c1-64)
vf "$C" members add school1 "$MKEY" --name 学院 --role lead >/dev/null
vf "$M" linkage-key import "$KEY" >/dev/null
# The daemons are started directly (not through a function, whose subshell
# would be $!), so that their own PIDs are the ones stopped at the end.
"$VOCFED" --dir "$C" coordinator >"$WORK/coordinator.log" 2>&1 &
PIDS+=($!)
"$VOCFED" --dir "$M" node >"$WORK/node.log" 2>&1 &
PIDS+=($!)

# status --json at the member: "SIZE ACKED CONNECTED" of its own log, or
# "-1 -1 0" if the command failed (its errors are kept in poll.err).
member_state() {
    local out
    out=$(vf "$M" status --json 2>>"$WORK/poll.err" | jq -r '[(.logs.school1.size // 0),
        (.peers.secretariat.acked.school1 // 0),
        (if .peers.secretariat.connected then 1 else 0 end)] | map(tostring) | join(" ")' \
        2>>"$WORK/poll.err") || true
    [[ "$out" =~ ^[0-9]+\ [0-9]+\ [01]$ ]] || out="-1 -1 0"
    echo "$out"
}
# The coordinator's figures as they are (no catching up): "PEOPLE UNAPPLIED",
# people the enrolled ones, higher + secondary; or "-1 -1".
coord_people() {
    local out
    out=$(vf "$C" report --format json --no-catch-up 2>>"$WORK/poll.err" |
        jq -r '[(.figures.hv_enrolled.value // 0) + (.figures.sv_enrolled.value // 0),
            (.applied.unapplied // -1)] | map(tostring) | join(" ")' \
            2>>"$WORK/poll.err") || true
    [[ "$out" =~ ^[0-9]+\ -?[0-9]+$ ]] || out="-1 -1"
    echo "$out"
}

T0=$(now)
while read -r _ _ CONN < <(member_state); [ "$CONN" != 1 ]; do
    past "$T0" && { echo "vocfed_e2e: the member never connected" >&2; exit 1; }
    sleep 0.05
done
read -r BASE_SIZE _ _ < <(member_state)
[ "$BASE_SIZE" != -1 ] || read -r BASE_SIZE _ _ < <(member_state)
[ "$BASE_SIZE" != -1 ] || { echo "vocfed_e2e: vocfed status fails at the member" >&2; exit 1; }
TARGET=$((BASE_SIZE + ROWS))
echo "vocfed_e2e: member connected, its log at $BASE_SIZE entries; importing $ROWS rows" >&2

# ---- timed -----------------------------------------------------------------
T0=$(now)
timeout "$DEADLINE" "$VOCFED" --dir "$M" import student "$CSV" >"$WORK/import.out" 2>&1 &
IMP=$!
PIDS+=("$IMP")
# No poll while the import runs: no receipt can cover rows not yet
# committed, and the import exits right after its commit.
wait "$IMP" || {
    echo "vocfed_e2e: the import failed or passed the deadline of $DEADLINE s:" >&2
    tail -n 5 "$WORK/import.out" >&2
    exit 1
}
T_IMPORT=$(now)
poll_cpu_ms CPU_BEFORE # the import's is in it; the daemons are reaped at the end
# The seconds left of the deadline (at least 1), for a wait's --timeout.
left() { echo $((DEADLINE - (${EPOCHREALTIME/./} - ${T0/./}) / 1000000 > 0 ?
    DEADLINE - (${EPOCHREALTIME/./} - ${T0/./}) / 1000000 : 1)); }
# A wait that fails (deadline, store) ends the run with its message.
wait_for() {
    local dir=$1 what=$2
    vf "$dir" wait "$what" --quiet --timeout "$(left)" 2>>"$WORK/poll.err" || {
        echo "vocfed_e2e: 'vocfed wait $what' failed at $dir:" \
            "$(tail -1 "$WORK/poll.err"); logs in $WORK" >&2
        tail -n 5 "$WORK/coordinator.log" "$WORK/node.log" >&2
        exit 1
    }
    POLLS=$((POLLS + 1))
}
wait_for "$M" receipt
T_RECEIPT=$(now)
wait_for "$C" applied
T_FIGURES=$(now)
poll_cpu_ms CPU_AFTER
POLL_CPU_MS=$((CPU_AFTER - CPU_BEFORE))
# Checked here, not between the import and the waits, where its
# `vocfed status --json | jq` (50-100 ms of CPU) took a core from the
# coordinator: the receipt the wait saw covered the log as it was after
# the import, and that log must be the rows imported.
SIZE=-1
for _ in 1 2 3; do
    read -r SIZE _ _ < <(member_state)
    [ "$SIZE" = -1 ] || break
done
if [ "$SIZE" != "$TARGET" ]; then
    echo "vocfed_e2e: after the import the member's log has $SIZE entries, not $TARGET" >&2
    exit 1
fi
read -r PEOPLE UNAPPLIED < <(coord_people)
[ "$PEOPLE" = "$ROWS" ] || { echo "vocfed_e2e: the coordinator counts $PEOPLE people, not $ROWS" >&2; exit 1; }
[ "$UNAPPLIED" = 0 ] || { echo "vocfed_e2e: the coordinator's report leaves $UNAPPLIED entries out" >&2; exit 1; }

IMP_S=$(elapsed "$T0" "$T_IMPORT")
REC_S=$(elapsed "$T0" "$T_RECEIPT")
FIG_S=$(elapsed "$T0" "$T_FIGURES")
rps() { awk -v n="$ROWS" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
if [ -s "$WORK/poll.err" ]; then
    echo "vocfed_e2e: some status reads failed (retried), the last message:" >&2
    tail -1 "$WORK/poll.err" >&2
fi
echo "vocfed_e2e: $ROWS rows: import $IMP_S s ($(rps "$IMP_S") rows/s);" \
    "to the coordinator's receipt $REC_S s ($(rps "$REC_S") rows/s);" \
    "to its figures $FIG_S s ($(rps "$FIG_S") rows/s); $POLLS waits," \
    "$POLL_CPU_MS ms of CPU" >&2
echo "vocfed_e2e rows=$ROWS import_s=$IMP_S receipt_s=$REC_S figures_s=$FIG_S" \
    "import_rps=$(rps "$IMP_S") receipt_rps=$(rps "$REC_S") figures_rps=$(rps "$FIG_S")" \
    "polls=$POLLS poll_cpu_s=$(awk -v m="$POLL_CPU_MS" 'BEGIN { printf "%.3f", m / 1000 }')"
