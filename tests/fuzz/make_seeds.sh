#!/usr/bin/env bash
# Rewrites the generated seed corpora (tests/fuzz/corpus/<target>/, the
# files fuzz_seeds names) and tests/fuzz/csv.dict from the golden vectors
# and the encoders. Inputs kept from fuzzing runs are left as they are.
# Usage: tests/fuzz/make_seeds.sh [BUILD_DIR]   (default build-seeds)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-build-seeds}
cmake -S . -B "$dir" >/dev/null
cmake --build "$dir" --target fuzz_seeds -j"$(nproc)" >/dev/null
"$dir/tests/fuzz/fuzz_seeds" tests/vectors tests/fuzz/corpus tests/fuzz/csv.dict
