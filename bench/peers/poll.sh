# shellcheck shell=bash
# bench/peers/poll.sh: sourced by vocfed_e2e.sh and pg_logical.sh. When to
# look again at a phase that moves a count DONE towards TARGET (rows at the
# subscriber, entries acknowledged, entries applied), so that the polls
# neither miss the end by much nor take the cores the work needs.
#
# A poll is a process or two: `vocfed status --json | jq` takes ~45 ms of a
# core, `psql -c "SELECT count(*)"` about as much on 1M rows. Polling every
# 50 ms took most of one of the machine's two cores from the daemons being
# timed (bench/README.md, "The benchmark's own polls"). So the wait is a
# quarter of the time the rate since the phase began says is left, at
# least POLL s (the resolution near the end) and at most POLL_MAX s; before
# anything moved, a quarter of the time waited so far. Times are in
# microseconds from $EPOCHREALTIME: no process is started to reckon them.
#
#   poll_phase DONE            the phase begins, DONE done
#   poll_sleep DONE TARGET     sleeps until the next poll
#   POLLS                      polls slept for, over all phases
#   poll_cpu_ms VAR            VAR gets the CPU (ms, user + system) of the
#                              children the shell has waited for: taken
#                              before and after the polls, their processes'
#                              (not $(...): a subshell has its own)
# POLL and POLL_MAX (seconds, decimals allowed) and the folder WORK are the
# caller's.

POLLS=0

# poll_us_of VAR S: VAR gets S seconds ("0.05", up to 6 decimals) in
# microseconds.
poll_us_of() {
    local s=$2 i f=
    i=${s%%.*}
    [[ "$s" == *.* ]] && f=${s#*.}
    f=${f}000000
    printf -v "$1" '%d' $((10#${i:-0} * 1000000 + 10#${f:0:6}))
}

poll_phase() {
    PH_T=${EPOCHREALTIME/./}
    PH_D=$1
    poll_us_of PH_LO "${POLL:?}"
    poll_us_of PH_HI "${POLL_MAX:?}"
}

poll_sleep() {
    local done=$1 target=$2 now dt wait s
    now=${EPOCHREALTIME/./}
    dt=$((now - PH_T))
    if ((done > PH_D && dt > 0)); then
        wait=$(((target - done) * dt / (done - PH_D) / 4))
    else
        wait=$((dt / 4))
    fi
    ((wait >= PH_LO)) || wait=$PH_LO
    ((wait <= PH_HI)) || wait=$PH_HI
    POLLS=$((POLLS + 1))
    printf -v s '%d.%06d' $((wait / 1000000)) $((wait % 1000000))
    sleep "$s"
}

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
