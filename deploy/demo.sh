#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job: `vocfed demo`,
# a whole 1+2+2+N group on 127.0.0.1 (a coordinator and ten members, each
# its own process), replicated, verified, and reported. The HTML report is
# written to ./report.html. Extra arguments go to `vocfed demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
bash deploy/build.sh build
exec build/vocfed demo "$@"
