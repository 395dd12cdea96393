#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job. Until `vocfed
# demo` exists (issue 4) the main job is a walk through one member's signed
# log: init -> put -> get -> log -> verify, then a tampered byte caught.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
bash deploy/build.sh build
vocfed=$PWD/build/vocfed
work=$(mktemp -d /tmp/vocfed-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
export VOCFED_DIR=$work/aqvtc
run() { printf '\n$ %s\n' "$*"; "$@"; }

run "$vocfed" init --id aqvtc --name 安庆职业技术学院 --role lead
run "$vocfed" whoami
run "$vocfed" put major 460104 name=汽车制造与试验技术 level=higher industries=auto status=active
run "$vocfed" put student 9f2c1e level=higher major=460104 pathway=regular intake_year=2025 status=enrolled origin_region=340803
run "$vocfed" put student 9f2c1e level=higher major=460104 pathway=regular intake_year=2025 status=graduated origin_region=340803
run "$vocfed" get student 9f2c1e
run "$vocfed" log
run "$vocfed" verify
echo
echo "# now flip one byte of entry 2 on disk and verify again (expect exit 1):"
# LMDB may keep stale copies of a page: change every copy of the word.
perl -0777 -pi -e 's/enrolled/enrolleD/g' "$VOCFED_DIR/data.mdb"
set +e
"$vocfed" verify
echo "(exit $?)"
