#!/usr/bin/env bash
# What `make test` needs besides Rust, a C compiler and what tests/wiki/with-wiki.sh installs for
# the wiki itself. `make test` runs this first; so does .ci/run.
#
#   tests/deps.sh            # as root: installs what is missing (Debian's apt-get, quietly)
#                            # as anyone else: names the missing packages and stops
#
# Each need is checked by what the tests use (a command, a header, a Python module), not by
# package name, so a python3 from elsewhere with a working venv counts as one.
set -euo pipefail

MW_VERSION=${MW_VERSION:-1.39}
missing=()
need() { # PACKAGE CHECK...: PACKAGE is missing unless the check succeeds
	local package=$1
	shift
	"$@" >/dev/null 2>&1 || missing+=("$package")
}
has() { command -v "$1"; }
header() { [ -f "/usr/include/$1" ]; }

need g++ has g++                          # the C++ binding's tests
need valgrind has valgrind                # the C and C++ tests run again under it
need pkg-config has pkg-config            # the installed library, found through mwauth.pc
need libcjson-dev header cjson/cJSON.h    # the interactive C example (bindings/c/examples/clientlogin.c)
need curl has curl                        # reads the library's cookie files in a test
need openssl has openssl                  # certificates for the TLS test server
need microsocks has microsocks            # a real SOCKS5 server for the proxy tests
need python3 has python3                  # the Python binding's tests, TOTP codes, expire_session.py
need python3-venv python3 -c 'import venv, ensurepip'
need nodejs has node                      # the Node.js package (bindings/node) and its tests
need npm has npm                          # installs the Node package's one dependency, koffi
need default-jdk-headless has javac       # docs/binding.md's Java (JNA) declarations, tested
need libjna-java test -f /usr/share/java/jna.jar
need libffi-platypus-perl perl -MFFI::Platypus -e 1  # docs/binding.md's Perl declarations
need golang-go has go                     # docs/binding.md's Go (cgo) declarations
[ "$MW_VERSION" = 1.39 ] || need debootstrap has debootstrap # the Debian 13 root of MediaWiki 1.43

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	cat >&2 <<EOF
make test: missing Debian packages: ${missing[*]}
Install them (sudo apt-get install --no-install-recommends ${missing[*]}), or run the tests as
root, as .ci/run does on a fresh machine: it installs all of them.
EOF
	exit 1
fi

printf 'make test: installing %s (once)\n' "${missing[*]}" >&2
log=$(mktemp "${TMPDIR:-/tmp}/mwauth-apt.XXXXXX")
trap 'rm -f -- "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	printf 'make test: apt-get install %s failed\n' "${missing[*]}" >&2
	exit 1
fi
