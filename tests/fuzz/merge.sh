#!/usr/bin/env bash
# Refreshes the committed corpora from a long run (tests/fuzz/README.md).
#
#   nice -n 19 tests/fuzz/merge.sh SECONDS TARGET...
#
# For each TARGET, one after the other: fuzzes it SECONDS with run.sh
# (its committed corpus and regressions as the start, in a work folder:
# $VOCFED_FUZZ_WORK, else a new folder under /tmp), then minimises with
# libFuzzer's -merge=1: the inputs that add coverage to the generated
# seeds (the named files that make_seeds.sh writes) become the fuzz-found
# part of tests/fuzz/corpus/TARGET (files named by the SHA-1 of their
# bytes), replacing the one before. So an input the code no longer reads
# (after a change of a format) leaves the corpus, and the seeds stay.
# Stops at a crash (run.sh prints the file) and merges nothing for that
# target. Prints per target the files and bytes kept; commit them.
# SECONDS 0 fuzzes nothing: it merges what the work folder's
# corpus/TARGET already holds (a long run made by hand, with run.sh or
# libFuzzer directly), with build-fuzz as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-}
shift || true
case $secs in
'' | *[!0-9]*) echo "usage: tests/fuzz/merge.sh SECONDS TARGET..." >&2; exit 2 ;;
esac
[ $# -gt 0 ] || { echo "usage: tests/fuzz/merge.sh SECONDS TARGET..." >&2; exit 2; }
work=${VOCFED_FUZZ_WORK:-$(mktemp -d /tmp/vocfed-merge.XXXXXX)}
export VOCFED_FUZZ_WORK=$work
sha1='^[0-9a-f]{40}$'

for t in "$@"; do
    [ "$secs" -eq 0 ] || bash tests/fuzz/run.sh "$secs" "$t"
    [ -x "build-fuzz/tests/fuzz/fuzz_$t" ] && [ -d "$work/corpus/$t" ] ||
        { echo "merge.sh: no build-fuzz/tests/fuzz/fuzz_$t or $work/corpus/$t" >&2; exit 2; }
    corpus=tests/fuzz/corpus/$t
    new=$work/merged/$t
    rm -rf "$new"
    mkdir -p "$new" "$corpus"
    # The generated seeds first: what they cover is not kept twice.
    for f in "$corpus"/*; do
        [ -f "$f" ] || continue
        basename "$f" | grep -Eq "$sha1" || cp "$f" "$new/"
    done
    seeds=$(find "$new" -type f | wc -l)
    "build-fuzz/tests/fuzz/fuzz_$t" -merge=1 -close_fd_mask=1 -timeout=10 \
        -rss_limit_mb=2048 "$new" "$work/corpus/$t" >"$work/$t.merge.log" 2>&1 ||
        { tail -20 "$work/$t.merge.log" >&2; exit 1; }
    find "$corpus" -maxdepth 1 -type f -regextype posix-extended \
        -regex ".*/[0-9a-f]{40}" -delete
    for f in "$new"/*; do
        basename "$f" | grep -Eq "$sha1" && cp "$f" "$corpus/"
    done
    files=$(find "$corpus" -type f | wc -l)
    bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    printf '%-14s %4d files (%d seeds) %8d bytes\n' "$t" "$files" "$seeds" "$bytes"
done
