#!/usr/bin/env bash
# Configures and builds vocfed. Usage: deploy/build.sh [BUILD_DIR] [cmake args…]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DVOCFED_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
