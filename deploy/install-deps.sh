#!/usr/bin/env bash
# Installs the Debian 12 packages vocfed needs to build, test and run, and
# only those that are missing. Runs apt-get as root (or through sudo).
set -euo pipefail

pkgs=(build-essential cmake pkg-config
      libzmq3-dev libczmq-dev liblmdb-dev libsodium-dev libmsgpack-dev
      libcmocka-dev libjansson-dev libcsv-dev libxlsxwriter-dev
      libzip-dev libexpat1-dev libfreexl-dev lmdb-utils clang-format
      libmicrohttpd-dev   # vocfed serve
      chromium prometheus # tests/tools/test_serve: headless browser, promtool
      man-db systemd)   # man -l and systemd-analyze verify: tests/install.sh
if [ "${1:-}" = "--fuzz" ]; then
    pkgs+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "vocfed: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "vocfed: run as root or install sudo" >&2; exit 3; }
    sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
