#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (cmocka unit tests
# and the integration tests that start real processes on 127.0.0.1).
# Usage: deploy/test.sh [--asan]   (--asan: AddressSanitizer + UBSan build)
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
if [ "${1:-}" = "--asan" ]; then
    bash deploy/build.sh build-asan -DVOCFED_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    cd build-asan
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
    bash deploy/build.sh build
    cd build
fi
ctest --output-on-failure --timeout 600 -j2
