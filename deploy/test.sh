#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (cmocka unit tests
# and the integration tests that start real processes on 127.0.0.1).
# Usage: deploy/test.sh [--asan | --tsan]
#   --asan  every test, built with AddressSanitizer + UBSan (build-asan)
#   --tsan  the tests of the code that runs on two threads (the ingest's
#           and the append's helper, verify's second core, the import's
#           check in two halves) and four tests of the daemons (member and
#           coordinator processes on 127.0.0.1, built the same way), with
#           clang-14 and ThreadSanitizer (build-tsan); what libzmq does
#           out of TSan's sight is suppressed (tests/tsan.supp)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
--asan)
    bash deploy/install-deps.sh
    bash deploy/build.sh build-asan -DVOCFED_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    cd build-asan
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ctest --output-on-failure --timeout 600 -j2
    ;;
--tsan)
    bash deploy/install-deps.sh --fuzz # clang-14
    tests=(storage/store storage/verify storage/replica storage/apply
        storage/ingest storage/keys node/log node/import
        node/member node/conns node/certify_net node/roster_race)
    targets=(--target vocfed)
    for t in "${tests[@]}"; do targets+=(--target "test_${t#*/}"); done
    cmake -S . -B build-tsan -DVOCFED_WERROR=ON -DVOCFED_TSAN=ON \
        -DCMAKE_C_COMPILER=clang-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build-tsan -j"$(nproc)" "${targets[@]}"
    cd build-tsan
    # die_after_fork=0: test_kill9 forks a writer after czmq started threads
    # The daemons the tests start inherit it.
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:die_after_fork=0:suppressions=$PWD/../tests/tsan.supp"
    regex=$(printf '^%s$|' "${tests[@]}")
    # setarch -R: TSan runtimes of clang-14's age are known to fail
    # ("unexpected memory mapping") under the address randomisation of
    # kernels with vm.mmap_rnd_bits above 28; without it they map their
    # shadow memory (not seen here: this machine has 28).
    setarch "$(uname -m)" -R ctest --output-on-failure --timeout 900 -j2 \
        -R "${regex%|}"
    ;;
"")
    bash deploy/install-deps.sh
    bash deploy/build.sh build
    cd build
    ctest --output-on-failure --timeout 600 -j2
    ;;
*)
    echo "usage: deploy/test.sh [--asan | --tsan]" >&2
    exit 2
    ;;
esac
