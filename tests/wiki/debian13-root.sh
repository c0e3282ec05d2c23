#!/usr/bin/env bash
# Makes (once) and prints the path of a Debian 13 root holding MediaWiki 1.43 and PHP 8.4, for
# with-wiki.sh's MW_VERSION=1.43 on a Debian 12 machine. See tests/wiki/README.md.
#
#   tests/wiki/debian13-root.sh      # prints the root's path; builds it first if missing
#
# The root is cached in $MWAUTH_DEBIAN13_ROOT (default /var/cache/mwauth/debian13-mediawiki) and
# built in a temporary folder beside it, so an interrupted build never leaves a half root. Nothing
# in it ever runs as a service: policy-rc.d refuses every start, and the tests run PHP from it in
# a private mount namespace (with-wiki.sh).
set -euo pipefail

ROOT=${MWAUTH_DEBIAN13_ROOT:-/var/cache/mwauth/debian13-mediawiki}
PACKAGES="mediawiki php-cli php-sqlite3 php-intl php-mbstring php-xml php-apcu"
STAMP=$ROOT/.mwauth-complete

log() { printf 'debian 13 root: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [ -f "$STAMP" ]; then
	printf '%s\n' "$ROOT"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "$ROOT is missing and making it needs root (debootstrap, chroot)"

# Debian 12's debootstrap knows trixie. The mirror is the one this machine's apt already uses.
if ! command -v debootstrap >/dev/null 2>&1; then
	log "installing debootstrap"
	export DEBIAN_FRONTEND=noninteractive
	out=$(apt-get update -q 2>&1 && apt-get install -y -q --no-install-recommends debootstrap 2>&1) ||
		{ printf '%s\n' "$out" >&2; die "apt-get install debootstrap failed"; }
fi
mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)\/\?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\/debian\)\/\? .*/\2/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
security=${mirror%/debian}/debian-security

mkdir -p "$(dirname "$ROOT")"
BUILD=$(mktemp -d "$ROOT.build.XXXXXX")
mounted=
cleanup() {
	[ -z "$mounted" ] || umount -l "$BUILD/proc" 2>/dev/null || true
	rm -rf -- "$BUILD"
}
trap cleanup EXIT

START=$SECONDS
quietly() { # runs "$@" with its output in a log shown only on failure
	local out
	if ! out=$("$@" 2>&1); then
		printf '%s\n' "$out" | tail -n 40 >&2
		die "failed: $*"
	fi
}
log "making it in $ROOT from $mirror (once; about two minutes)"
quietly debootstrap --variant=minbase trixie "$BUILD" "$mirror"

cat >"$BUILD/etc/apt/sources.list" <<EOF
deb $mirror trixie main
deb $mirror trixie-updates main
deb $security trixie-security main
EOF
# The root shares this machine's network: no package may start a service (apache2 comes along).
printf '#!/bin/sh\nexit 101\n' >"$BUILD/usr/sbin/policy-rc.d"
chmod 0755 "$BUILD/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$BUILD/etc/resolv.conf" 2>/dev/null || true

# The apt run inside needs /proc; the mount lives in a private namespace and dies with it.
quietly unshare -m -- sh -c '
	mount -t proc proc "$1/proc" &&
	chroot "$1" env DEBIAN_FRONTEND=noninteractive sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $2 && apt-get clean"
' _ "$BUILD" "$PACKAGES"

version=$(chroot "$BUILD" dpkg-query -W -f '${Version}' mediawiki)
case "$version" in
*1.43.*) ;;
*) die "Debian 13's mediawiki is $version, not 1.43" ;;
esac
rm -rf "$BUILD/var/lib/apt/lists/"* "$BUILD/var/cache/apt/"*.bin
printf '%s\n' "$version" >"$BUILD/.mwauth-complete"

rm -rf -- "$ROOT"
mv -- "$BUILD" "$ROOT"
trap - EXIT
log "mediawiki $version in $ROOT ($((SECONDS - START)) s)"
printf '%s\n' "$ROOT"
