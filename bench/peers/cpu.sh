# shellcheck shell=bash
# bench/peers/cpu.sh: sourced by vocfed_e2e.sh and pg_logical.sh.
#
#   POLLS          the waiting processes a script ran (it counts them)
#   poll_cpu_ms VAR
#                  VAR gets the CPU (ms, user + system) of the children the
#                  shell has waited for: taken before and after the waits,
#                  their processes' (not $(...): a subshell has its own)
# The folder WORK is the caller's.
#
# Until 2026-12-05 this file was poll.sh, which also paced shell polls of
# `vocfed status --json | jq` and `psql -c "SELECT count(*)"` (a quarter of
# the time the rate said was left); both scripts now wait in one process
# that looks every 10 ms (bench/README.md).

# shellcheck disable=SC2034 # the callers count it and print it
POLLS=0

poll_cpu_ms() {
    local f="${WORK:?}/times" ms=0 t m sec user sys
    times >"$f"
    { read -r _ _ && read -r user sys; } <"$f" # children: "0m1.234s 0m0.567s"
    for t in "$user" "$sys"; do
        m=${t%%m*}
        sec=${t#*m}
        sec=${sec%s}
        ms=$((ms + 10#$m * 60000 + 10#${sec%.*} * 1000 + 10#${sec#*.}))
    done
    printf -v "$1" '%d' "$ms"
}
