#!/usr/bin/env bash
# Installs the library the way a distribution would (`make install PREFIX=<scratch dir>`), then
# builds the C example with nothing but what pkg-config says, and runs it against the test wiki:
# proof that the installed header, library links (SONAME) and mwauth.pc work together.
#
#   tests/wiki/with-wiki.sh tests/pkgconfig/run.sh
#
# Needs pkg-config (Debian/Ubuntu package: pkg-config) and a C compiler (CC, default cc).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CC=${CC:-cc}
log() { printf 'pkg-config test: %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

command -v pkg-config >/dev/null 2>&1 ||
	fail "pkg-config is not installed; install it (apt-get install pkg-config) and run this again"
for v in MWAUTH_API_URL MWAUTH_USERNAME MWAUTH_PASSWORD; do
	[ -n "${!v:-}" ] || fail "$v is not set: run this through tests/wiki/with-wiki.sh"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mwauth-pkgconfig.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT
PREFIX=$WORK/prefix

log "make install PREFIX=$PREFIX"
make -C "$REPO" --no-print-directory install PREFIX="$PREFIX" >"$WORK/install.log" 2>&1 ||
	{ cat "$WORK/install.log" >&2; fail "make install"; }

# The installed layout: libmwauth.so -> libmwauth.so.MAJOR -> libmwauth.so.VERSION, whose
# SONAME is libmwauth.so.MAJOR.
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$REPO/Cargo.toml" | head -n 1)
major=${version%%.*}
lib=$PREFIX/lib
[ "$(readlink "$lib/libmwauth.so")" = "libmwauth.so.$major" ] || fail "libmwauth.so does not point to libmwauth.so.$major"
[ "$(readlink "$lib/libmwauth.so.$major")" = "libmwauth.so.$version" ] || fail "libmwauth.so.$major does not point to libmwauth.so.$version"
[ -f "$lib/libmwauth.so.$version" ] && [ ! -L "$lib/libmwauth.so.$version" ] || fail "no file $lib/libmwauth.so.$version"
soname=$(objdump -p "$lib/libmwauth.so.$version" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = "libmwauth.so.$major" ] || fail "SONAME is '$soname', not libmwauth.so.$major"
[ -f "$PREFIX/include/mwauth.h" ] || fail "no $PREFIX/include/mwauth.h"
[ -f "$lib/libmwauth.a" ] || fail "no $lib/libmwauth.a"

export PKG_CONFIG_PATH=$lib/pkgconfig
unset PKG_CONFIG_LIBDIR
pc_version=$(pkg-config --modversion mwauth) || fail "pkg-config does not know mwauth (PKG_CONFIG_PATH=$PKG_CONFIG_PATH)"
[ "$pc_version" = "$version" ] || fail "mwauth.pc says version $pc_version, Cargo.toml $version"
log "pkg-config --cflags --libs mwauth: $(pkg-config --cflags --libs mwauth)"

# The build a user would type, and nothing more.
cd "$REPO/bindings/c/examples"
# shellcheck disable=SC2046 # pkg-config's output is meant to be split into words
"$CC" botlogin.c -o "$WORK/botlogin" $(pkg-config --cflags --libs mwauth) || fail "cc botlogin.c \$(pkg-config --cflags --libs mwauth)"

needed=$(objdump -p "$WORK/botlogin" | awk '$1 == "NEEDED" && $2 ~ /mwauth/ {print $2}')
[ "$needed" = "libmwauth.so.$major" ] || fail "the program needs '$needed', not libmwauth.so.$major"
resolved=$(LD_LIBRARY_PATH=$lib ldd "$WORK/botlogin" | awk '$1 ~ /mwauth/ {print $3}')
[ "$resolved" = "$lib/libmwauth.so.$major" ] || fail "libmwauth resolves to '$resolved', not the installed copy"

log "running botlogin against $MWAUTH_API_URL"
out=$(LD_LIBRARY_PATH=$lib "$WORK/botlogin" 2>&1) || { printf '%s\n' "$out" >&2; fail "botlogin exited with an error"; }
printf '%s\n' "$out"
grep -q '"status":"PASS"' <<<"$out" || fail "no PASS in the login output"
grep -q '"name":"MwBot"' <<<"$out" || fail "the userinfo is not MwBot's"
grep -q '^logout: {}$' <<<"$out" || fail "no logout"
log "ok"
