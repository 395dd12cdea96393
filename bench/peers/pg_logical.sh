#!/usr/bin/env bash
# bench/peers/pg_logical.sh: the same N student rows through PostgreSQL 15
# logical replication, publisher to subscriber, both on 127.0.0.1 (see
# bench/README.md, "bench/peers").
#
#   pg_logical.sh [--rows N] [--csv FILE] [--dir DIR] [--pgbin DIR]
#                 [--sub-commit off|on] [--deadline S] [--poll S] [--keep]
#
# Setup (not timed): two new clusters (initdb, trust on loopback, UTF8, C
# locale, every other setting the default: fsync on, synchronous_commit on;
# the publisher with wal_level = logical) in a temporary folder under --dir,
# each on a free port, run as `nobody` when started as root; a table
# `student` (pseudo_id text primary key and the student fields, as vocfed
# stores a student) on both; CREATE PUBLICATION on the publisher, CREATE
# SUBSCRIPTION on the subscriber, and its initial table sync finished.
# --sub-commit is the subscription's synchronous_commit: off (PostgreSQL's
# default for a subscription: the apply worker commits without waiting for
# its WAL flush; the WAL writer flushes it within wal_writer_delay, 200 ms)
# or on (each applied transaction flushed before it is acknowledged, as the
# vocfed coordinator fsyncs before its receipt).
# --csv is a file of rows without a header (pseudo_id,level,major,pathway,
# intake_year,status,source_school,origin_region), by default N rows made
# by gen_students.py. Timed from the start of `\copy student FROM FILE`
# at the publisher:
#   copy        until the COPY returns (committed at the publisher);
#   replicated  until the subscriber has applied the COPY's transaction:
#               its subscription's replication origin
#               (pg_replication_origin_status.remote_lsn) has moved past
#               the publisher's WAL position before the COPY; it moves in
#               the commit that makes the rows visible, and the COPY is the
#               only transaction since. Then, not timed, the subscriber's
#               `SELECT count(*)` must be N.
# The wait is one psql process at the subscriber from the COPY's return:
# a DO block that reads the origin every 10 ms (pg_sleep), up to
# --deadline (default 900 s, whole seconds), as vocfed_e2e.sh waits with
# one `vocfed wait` process. (Until 2026-12-05 both scripts polled from
# the shell, a psql or `vocfed status | jq` process every 0.05-1 s, 50-100
# ms of CPU each: bench/README.md.)
# Both clusters are stopped and the folder removed at the end, also after
# a failure (--keep leaves the folder). Prints a summary on stderr and:
#   pg_logical rows=N copy_s=.. replicated_s=.. copy_rps=.. replicated_rps=..
#   (and sub_commit=off|on polls=.. poll_cpu_s=..: the waiting psql
#   process, 1, and its CPU; the server's side of its loop is not in it).
# --poll: between two looks at the subscription's state while it gets ready
# (not timed).
# Exit: 0, 1 a deadline passed or a check failed, 2 usage, 3 environment.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ROWS=100000
CSV=""
BASE=/tmp
PGBIN=/usr/lib/postgresql/15/bin
DEADLINE=900
POLL=0.05
KEEP=0
SUBCOMMIT=off
usage() { sed -n '2,46p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --csv) CSV=$2; shift 2 ;;
    --dir) BASE=$2; shift 2 ;;
    --pgbin) PGBIN=$2; shift 2 ;;
    --sub-commit) SUBCOMMIT=$2; shift 2 ;;
    --deadline) DEADLINE=$2; shift 2 ;;
    --poll) POLL=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h | --help) usage ;;
    *) echo "pg_logical: unknown argument $1" >&2; usage ;;
    esac
done
[[ "$ROWS" =~ ^[1-9][0-9]*$ && "$SUBCOMMIT" =~ ^(on|off)$ &&
    "$DEADLINE" =~ ^[1-9][0-9]*$ && "$POLL" =~ ^[0-9]*\.?[0-9]+$ ]] || usage
for b in initdb pg_ctl; do
    [ -x "$PGBIN/$b" ] || { echo "pg_logical: no $PGBIN/$b" >&2; exit 3; }
done
command -v psql >/dev/null || { echo "pg_logical: no psql" >&2; exit 3; }

WORK=$(mktemp -d "$BASE/pg_logical.XXXXXX")
chmod 755 "$WORK"
AS=()
if [ "$(id -u)" = 0 ]; then
    chown nobody "$WORK"
    AS=(runuser -u nobody --)
fi
PUB="$WORK/pub"
SUB="$WORK/sub"
STARTED=()
cleanup() {
    local rc=$?
    for d in "${STARTED[@]}"; do
        "${AS[@]}" "$PGBIN/pg_ctl" -D "$d" -m fast -w stop >/dev/null 2>&1 ||
            "${AS[@]}" "$PGBIN/pg_ctl" -D "$d" -m immediate -w stop >/dev/null 2>&1 || true
    done
    if [ "$KEEP" = 1 ] || [ "$rc" != 0 ]; then
        echo "pg_logical: left in $WORK" >&2
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

# ---- setup (not timed) ----------------------------------------------------
if [ -z "$CSV" ]; then
    CSV="$WORK/students_pg.csv"
    echo "pg_logical: writing $ROWS rows to $CSV" >&2
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$WORK/group.key"
    python3 "$ROOT/bench/peers/gen_students.py" "$ROWS" "$WORK/group.key" \
        "$WORK/students.csv" "$CSV"
    rm -f "$WORK/students.csv"
fi
[ -r "$CSV" ] || { echo "pg_logical: cannot read $CSV" >&2; exit 3; }

# cluster DIR PORT [EXTRA CONF LINE]: made and started.
cluster() {
    local d=$1 port=$2
    "${AS[@]}" "$PGBIN/initdb" -D "$d" -U bench --auth=trust -E UTF8 \
        --locale=C >"$d.initdb.log" 2>&1 ||
        { cat "$d.initdb.log" >&2; exit 3; }
    {
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$WORK'"
        [ -z "${3:-}" ] || echo "$3"
    } >>"$d/postgresql.conf"
    STARTED+=("$d")
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$d" -l "$d.log" -w start >/dev/null ||
        { tail -20 "$d.log" >&2; exit 3; }
}
PPORT=$(free_port)
cluster "$PUB" "$PPORT" "wal_level = logical"
SPORT=$(free_port)
[ "$SPORT" != "$PPORT" ] || SPORT=$(free_port)
cluster "$SUB" "$SPORT"
pq() { local port=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U bench -d postgres "$@"; }

TABLE="CREATE TABLE student (
    pseudo_id text PRIMARY KEY, level text NOT NULL, major text,
    pathway text, intake_year integer NOT NULL, status text NOT NULL,
    source_school text, origin_region text);"
pq "$PPORT" -c "$TABLE" -c "CREATE PUBLICATION pub FOR TABLE student;"
pq "$SPORT" -c "$TABLE" -c "CREATE SUBSCRIPTION sub CONNECTION
    'host=127.0.0.1 port=$PPORT user=bench dbname=postgres' PUBLICATION pub
    WITH (synchronous_commit = '$SUBCOMMIT');"
T0=$(now)
until [ "$(pq "$SPORT" -Atc "SELECT count(*) FILTER (WHERE srsubstate <> 'r')
        + (count(*) = 0)::int FROM pg_subscription_rel")" = 0 ]; do
    past "$T0" && { echo "pg_logical: the subscription never became ready" >&2; exit 1; }
    sleep "$POLL"
done
echo "pg_logical: publisher :$PPORT, subscriber :$SPORT, subscription ready; copying $ROWS rows" >&2

# The COPY is one transaction; its commit at the subscriber moves the
# subscription's origin past P0 (the publisher's position before it).
P0=$(pq "$PPORT" -Atc "SELECT pg_current_wal_insert_lsn()")
ORIGIN="SELECT s.remote_lsn FROM pg_replication_origin_status s
    JOIN pg_subscription p ON s.external_id = 'pg_' || p.oid
    WHERE p.subname = 'sub'"
[ -n "$(pq "$SPORT" -Atc "$ORIGIN")" ] ||
    { echo "pg_logical: the subscription has no replication origin" >&2; exit 3; }

# ---- timed -----------------------------------------------------------------
T0=$(now)
pq "$PPORT" -c "\\copy student FROM '$CSV' WITH (FORMAT csv)"
T_COPY=$(now)
poll_cpu_ms CPU_BEFORE
LEFT=$((DEADLINE - (${EPOCHREALTIME/./} - ${T0/./}) / 1000000))
((LEFT > 0)) || LEFT=1
pq "$SPORT" -c "DO \$\$ DECLARE stop timestamptz := clock_timestamp()
    + interval '$LEFT s'; BEGIN
    WHILE coalesce(($ORIGIN) <= '$P0'::pg_lsn, true) LOOP
        IF clock_timestamp() > stop THEN
            RAISE EXCEPTION 'deadline of $DEADLINE s passed';
        END IF;
        PERFORM pg_sleep(0.01);
    END LOOP; END \$\$;" 2>"$WORK/wait.err" || {
    echo "pg_logical: waiting at the subscriber failed: $(tail -1 "$WORK/wait.err")" >&2
    exit 1
}
T_REP=$(now)
POLLS=1
poll_cpu_ms CPU_AFTER
N=$(pq "$SPORT" -Atc "SELECT count(*) FROM student")
[ "$N" = "$ROWS" ] || { echo "pg_logical: the subscriber holds $N rows, not $ROWS" >&2; exit 1; }
N=$(pq "$PPORT" -Atc "SELECT count(*) FROM student")
[ "$N" = "$ROWS" ] || { echo "pg_logical: the publisher holds $N rows, not $ROWS" >&2; exit 1; }

COPY_S=$(elapsed "$T0" "$T_COPY")
REP_S=$(elapsed "$T0" "$T_REP")
rps() { awk -v n="$ROWS" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
echo "pg_logical: $ROWS rows: COPY at the publisher $COPY_S s ($(rps "$COPY_S") rows/s);" \
    "all at the subscriber $REP_S s ($(rps "$REP_S") rows/s)" >&2
echo "pg_logical rows=$ROWS copy_s=$COPY_S replicated_s=$REP_S" \
    "copy_rps=$(rps "$COPY_S") replicated_rps=$(rps "$REP_S") sub_commit=$SUBCOMMIT" \
    "polls=$POLLS poll_cpu_s=$(awk -v m="$((CPU_AFTER - CPU_BEFORE))" 'BEGIN { printf "%.3f", m / 1000 }')"
