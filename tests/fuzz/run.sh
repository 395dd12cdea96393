#!/usr/bin/env bash
# Fuzzes every target of tests/fuzz with libFuzzer (clang-14, ASan, UBSan).
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]
#
# SECONDS (default 60) is the whole budget, split evenly between the
# targets (each gets at least 1 s): 60 s over 14 targets is 4 s each.
# TARGETs (e.g. msg_batch import_csv) limit the run to those.
#
# Builds build-fuzz (-DVOCFED_FUZZ=ON), copies each target's committed
# corpus into a work folder ($VOCFED_FUZZ_WORK, else a new folder under
# /tmp) and fuzzes that copy: new interesting inputs land there, never in
# tests/fuzz/corpus. The regressions are read too. Prints one line per
# target: target, seconds, executions, exec/s, crashes. Exits 1 if any
# target crashed (or broke an FZ_CHECK, leaked, timed out, ran out of
# memory), after printing the path of each crash file; put it in
# tests/fuzz/regressions/<target>/ once the bug is fixed. The seconds
# printed are measured (libFuzzer stops a little after its time, and
# loading the corpus counts).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
budget=${1:-60}
shift || true
case $budget in
'' | *[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac

bash deploy/install-deps.sh --fuzz
cc=$(command -v clang-14 || true)
[ -n "$cc" ] || { echo "run.sh: clang-14 not found" >&2; exit 2; }

if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for f in tests/fuzz/fuzz_*.c; do
        t=${f#tests/fuzz/fuzz_}
        targets+=("${t%.c}")
    done
fi
for t in "${targets[@]}"; do
    [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "run.sh: no target $t" >&2; exit 2; }
done

echo "== building build-fuzz (clang-14, libFuzzer, ASan, UBSan)"
# Warnings are gcc's business (the normal build has -Werror); clang's own
# must not stop the fuzzing.
mkdir -p build-fuzz
if ! { cmake -S . -B build-fuzz -DVOCFED_FUZZ=ON -DCMAKE_C_COMPILER="$cc" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVOCFED_WERROR=OFF &&
    cmake --build build-fuzz -j"$(nproc)" \
        $(printf -- '--target fuzz_%s ' "${targets[@]}"); } \
    >build-fuzz/build.log 2>&1; then
    tail -40 build-fuzz/build.log >&2
    echo "run.sh: the build failed; see build-fuzz/build.log" >&2
    exit 2
fi

work=${VOCFED_FUZZ_WORK:-$(mktemp -d /tmp/vocfed-fuzz.XXXXXX)}
mkdir -p "$work"
each=$((budget / ${#targets[@]}))
[ "$each" -ge 1 ] || each=1
echo "== fuzzing ${#targets[@]} targets, $each s each; work folder $work"

# The dictionary a target's inputs are written in, if any.
dict_of() {
    case $1 in
    entry | checkpoint | receipt | msg_* | ingest | ingest_records)
        echo tests/fuzz/msgpack.dict ;;
    import_csv | kinds) echo tests/fuzz/csv.dict ;;
    config) echo tests/fuzz/config.dict ;;
    esac
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
summary=()
crashed=0
for t in "${targets[@]}"; do
    corpus=$work/corpus/$t
    crashes=$work/crashes/$t
    log=$work/$t.log
    mkdir -p "$corpus" "$crashes"
    cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
    # -close_fd_mask=1: the targets' stdout (zconfig prints every syntax
    # error there); libFuzzer reports on stderr.
    args=(-max_total_time="$each" -print_final_stats=1 -timeout=10
          -rss_limit_mb=2048 -close_fd_mask=1 -artifact_prefix="$crashes"/)
    dict=$(dict_of "$t")
    [ -n "$dict" ] && [ -f "$dict" ] && args+=(-dict="$dict")
    dirs=("$corpus")
    [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
    rc=0
    start=$(date +%s%N)
    "build-fuzz/tests/fuzz/fuzz_$t" "${args[@]}" "${dirs[@]}" >"$log" 2>&1 || rc=$?
    took=$((($(date +%s%N) - start) / 100000000)) # tenths of a second
    took=$((took / 10)).$((took % 10))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    found=$(find "$crashes" -type f | wc -l)
    if [ "$rc" -ne 0 ] && [ "$found" -eq 0 ]; then
        found=1 # it died without saving an input: see the log
    fi
    summary+=("$(printf '%-14s %6s s %10s runs %8s exec/s %3s crashes' \
        "$t" "$took" "${runs:-?}" "${rate:-?}" "$found")")
    if [ "$found" -gt 0 ]; then
        crashed=1
        echo "run.sh: $t crashed; log $log" >&2
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*fuzz check failed|.*runtime error)' \
            "$log" | head -5 >&2 || true
        find "$crashes" -type f -exec echo "run.sh: crash file {}" \; >&2
    fi
done

echo "== summary (work corpus: $work/corpus)"
printf '%s\n' "${summary[@]}"
if [ "$crashed" -ne 0 ]; then
    echo "run.sh: crashes found; replay one with build-fuzz/tests/fuzz/fuzz_<target> FILE" >&2
    exit 1
fi
