#!/usr/bin/env bash
# Installs the Python binding into a fresh virtual environment the way a user would
# (`pip install ./bindings/python`, which builds the Rust library into the package) and runs
# the Python tests against the test wiki, from a directory outside the repository and with no
# MWAUTH_LIBRARY, so the copy inside the installed package is the one found.
#
#   tests/wiki/with-wiki.sh tests/python/run.sh [PYTEST ARGS...]
#
# Exits with pytest's status. PYTHON picks the interpreter (default python3). Without the wiki's
# environment the tests fail (they do not skip).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mwauth-python.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT

log() { printf 'python tests: %s\n' "$*" >&2; }

log "creating a virtual environment in $WORK/venv"
"$PYTHON" -m venv "$WORK/venv"
VPY=$WORK/venv/bin/python

start=$SECONDS
log "pip install ./bindings/python (builds the Rust library)"
# From the repository root, as the README says; quiet unless it fails.
if ! (cd "$REPO" && "$VPY" -m pip install --disable-pip-version-check --quiet ./bindings/python) \
	>"$WORK/pip.log" 2>&1; then
	cat "$WORK/pip.log" >&2
	log "ERROR: pip install ./bindings/python failed"
	exit 1
fi
"$VPY" -m pip install --disable-pip-version-check --quiet pytest oauthlib >>"$WORK/pip.log" 2>&1 ||
	{ cat "$WORK/pip.log" >&2; log "ERROR: pip install pytest failed"; exit 1; }
log "installed in $((SECONDS - start)) s"

unset MWAUTH_LIBRARY PYTHONPATH
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ left in the repository's tests/python
export MWAUTH_TEST_BUNDLED=1 # test_library.py: the package must hold its own copy
mkdir "$WORK/run"
cd "$WORK/run" # outside the repository: `import mwauth` can only find the installed package
"$VPY" -c 'import mwauth, sys; print(f"python tests: mwauth {mwauth.__version__}, library {mwauth.library_path()}", file=sys.stderr)'

set +e
"$VPY" -m pytest -p no:cacheprovider --rootdir "$REPO/tests/python" "$REPO/tests/python" "$@"
status=$?
set -e
exit "$status"
