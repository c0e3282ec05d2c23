#!/usr/bin/env bash
# Installs the Node package's one dependency (koffi, pinned in bindings/node/package-lock.json)
# with `npm ci` into the package, then runs the Node tests (node's built-in test runner, no
# framework) against the test wiki:
#
#   tests/wiki/with-wiki.sh tests/node/run.sh [LIBRARY]
#
# LIBRARY is the libmwauth.so to test (exported as MWAUTH_LIBRARY; default: MWAUTH_LIBRARY if
# set, else the package's own search: the checkout's target/release, then target/debug). Exits
# with the test runner's status: non-zero on any failure, and when the test wiki's environment
# is missing (the tests fail then, they never skip). NODE and NPM pick the programs.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODE=${NODE:-node}
export NPM=${NPM:-npm}
log() { printf 'node tests: %s\n' "$*" >&2; }

for v in MWAUTH_TEST_API_URL MWAUTH_TEST_BOT_USER MWAUTH_TEST_BOT_PASSWORD; do
	[ -n "${!v:-}" ] || { log "FAILED: $v is not set: run this through tests/wiki/with-wiki.sh"; exit 1; }
done
command -v "$NODE" >/dev/null 2>&1 || { log "FAILED: no $NODE (Debian: apt-get install nodejs npm)"; exit 1; }
command -v "$NPM" >/dev/null 2>&1 || { log "FAILED: no $NPM (Debian: apt-get install npm)"; exit 1; }
if [ $# -gt 0 ]; then
	[ -f "$1" ] || { log "FAILED: no library $1"; exit 1; }
	MWAUTH_LIBRARY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	export MWAUTH_LIBRARY
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mwauth-node.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT

start=$SECONDS
if ! (cd "$REPO/bindings/node" && "$NPM" ci --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1; then
	cat "$WORK/npm.log" >&2
	log "FAILED: npm ci in bindings/node"
	exit 1
fi
log "npm ci in bindings/node: $((SECONDS - start)) s; node $("$NODE" --version), npm $("$NPM" --version)"
"$NODE" -e 'const m = require(process.argv[1]); console.error(`node tests: mwauth ${m.version()}, library ${m.libraryPath()}`)' \
	"$REPO/bindings/node"

cd "$REPO"
set +e
"$NODE" --test tests/node/*.test.js
status=$?
set -e
[ "$status" -eq 0 ] || log "FAILED (status $status)"
exit "$status"
