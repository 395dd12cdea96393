#!/usr/bin/env bash
# `cmake --install` into a staging root (DESTDIR), then checks what it
# put there (issue 12 item 5): the binary runs; the man page vocfed(1)
# renders with `man -l` without a warning and has a section per command;
# the bash completion parses and completes a command, a subcommand and an
# option; the systemd units pass `systemd-analyze verify` (which needs
# no running systemd, only the unit files of the systemd package); the
# sysusers.d file is there. A tool missing is a failure, never a skip.
# Usage: tests/install.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
fail() { echo "install test: $*" >&2; exit 1; }
for tool in cmake man bash systemd-analyze; do
    command -v "$tool" >/dev/null ||
        fail "'$tool' is missing: run deploy/install-deps.sh (packages" \
             "cmake, man-db, systemd)"
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/vocfed-install.XXXXXX")
trap 'rm -rf "$stage"' EXIT
DESTDIR=$stage cmake --install "$build" >"$stage.log" 2>&1 ||
    { cat "$stage.log"; rm -f "$stage.log"; fail "cmake --install failed"; }
rm -f "$stage.log"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
root=$stage$prefix
echo "installed under $root:"
(cd "$stage" && find . -type f | sort)

# The binary.
bin=$root/bin/vocfed
[ -x "$bin" ] || fail "no executable $bin"
"$bin" --version | grep -q '^vocfed ' || fail "$bin --version"

# The man page: renders, no warning, every command of --help in it.
page=$root/share/man/man1/vocfed.1
[ -f "$page" ] || fail "no man page $page"
text=$(MANWIDTH=80 MANPAGER=cat PAGER=cat man -l "$page" 2>"$stage/man.err") ||
    fail "man -l $page failed: $(cat "$stage/man.err")"
[ ! -s "$stage/man.err" ] || fail "man -l said: $(cat "$stage/man.err")"
MANWIDTH=80 man --warnings -l "$page" 2>"$stage/man.err" >/dev/null
[ ! -s "$stage/man.err" ] || fail "man --warnings said: $(cat "$stage/man.err")"
grep -q 'VOCFED(1)' <<<"$text" || fail "no VOCFED(1) header in the page"
cmds=$("$bin" --help | awk '/^Commands:/{on=1;next} on&&/^$/{exit} on{print $1}')
for c in $cmds; do
    [ "$c" = help ] && continue
    grep -q "^   $c\$" <<<"$text" || fail "no section for '$c' in the man page"
done
# An option copies as typed: an ASCII hyphen-minus, not U+2010.
grep -q -- '--coordinator-key HEX' <<<"$text" ||
    fail "options in the man page do not read as typed"

# The completion: parses, completes a command, a subcommand, an option.
comp=$root/share/bash-completion/completions/vocfed
[ -f "$comp" ] || fail "no completion $comp"
bash -n "$comp" || fail "bash -n $comp"
complete_words() { # WORDS...: what completing the last word offers
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
             _vocfed; echo "${COMPREPLY[*]}"' _ "$comp" "$@"
}
[ "$(complete_words vocfed memb)" = members ] || fail "vocfed memb<TAB>"
[ "$(complete_words vocfed --dir /tmp con)" = "config" ] ||
    fail "vocfed --dir /tmp con<TAB>: $(complete_words vocfed --dir /tmp con)"
[ "$(complete_words vocfed members a)" = "activate add" ] ||
    fail "vocfed members a<TAB>: $(complete_words vocfed members a)"
[ "$(complete_words vocfed config s)" = "set" ] || fail "vocfed config s<TAB>"
[ "$(complete_words vocfed node --coordinator-)" = "--coordinator-key" ] ||
    fail "vocfed node --coordinator-<TAB>: $(complete_words vocfed node --coordinator-)"

# The units: ExecStart is the installed binary; systemd-analyze verify
# checks that ExecStart exists on this machine, so it verifies copies
# whose ExecStart is the staged binary, and prints nothing when all is
# well (an unknown key is only a warning: any output fails).
units=$(sed -n 's/^VOCFED_SYSTEMD_UNITDIR:STRING=//p' "$build/CMakeCache.txt")
case $units in /*) udir=$stage$units ;; *) udir=$root/$units ;; esac
sysusers=$(sed -n 's/^VOCFED_SYSUSERSDIR:STRING=//p' "$build/CMakeCache.txt")
case $sysusers in /*) sdir=$stage$sysusers ;; *) sdir=$root/$sysusers ;; esac
[ -f "$sdir/vocfed.conf" ] || fail "no $sdir/vocfed.conf"
grep -q '^u vocfed ' "$sdir/vocfed.conf" || fail "no user in vocfed.conf"
mkdir "$stage/verify"
for u in vocfed-coordinator.service vocfed-node@.service \
         vocfed-serve@.service; do
    [ -f "$udir/$u" ] || fail "no unit $udir/$u"
    grep -q "^ExecStart=$prefix/bin/vocfed " "$udir/$u" ||
        fail "$u: ExecStart is not $prefix/bin/vocfed"
    for key in StateDirectory= ProtectSystem=strict NoNewPrivileges=yes \
               Restart=on-failure User=vocfed; do
        grep -q "^$key" "$udir/$u" || fail "$u: no $key"
    done
    sed "s|^ExecStart=$prefix/bin/vocfed|ExecStart=$bin|" "$udir/$u" \
        >"$stage/verify/$u"
done
cd "$stage/verify"
for u in vocfed-coordinator.service vocfed-node@test.service \
         vocfed-serve@test.service; do
    out=$(SYSTEMD_UNIT_PATH=$stage/verify: systemd-analyze verify --man=no \
          "$u" 2>&1) || fail "systemd-analyze verify $u failed: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $u said: $out"
    echo "systemd-analyze verify $u: ok"
done
# The check can fail: a unit with an unknown key is caught.
cp vocfed-coordinator.service broken.service
echo 'ProtectSystem=sideways' >>broken.service
out=$(systemd-analyze verify --man=no broken.service 2>&1) || true
[ -n "$out" ] || fail "systemd-analyze verify let a broken unit pass"
echo "install test: ok"
