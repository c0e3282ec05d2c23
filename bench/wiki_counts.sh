#!/usr/bin/env bash
# Runs inside tests/wiki/with-wiki.sh (needs its environment): counts the HTTP requests each
# client makes against the quiet server, for a cold bot-password login followed by one
# authenticated meta=userinfo, and for mwauth resuming from a cookie file. Prints "key value"
# lines: CLIENT_requests N, CLIENT_methods "GET POST ...", CLIENT_seconds S, or CLIENT_skipped WHY.
#
#   bench/wiki_counts.sh BUILD_DIR
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
B=${1:?usage: wiki_counts.sh BUILD_DIR}
API=${MWAUTH_TEST_QUIET_API_URL:?run inside tests/wiki/with-wiki.sh}
LOG=$MWAUTH_TEST_QUIET_LOG
USER_=$MWAUTH_TEST_BOT_USER
PASS=$MWAUTH_TEST_BOT_PASSWORD
PY=$B/venv/bin/python
WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT

# Request lines of the quiet server's log so far.
lines() { grep -cE '\]: (GET|POST) ' "$LOG" || true; }

# measure NAME CMD...: runs CMD, then reports how many requests reached the quiet server.
measure() {
	local name=$1 before after start end i
	shift
	sleep 0.2 # the log is written after the answer: let the last run's lines land
	before=$(lines)
	start=$EPOCHREALTIME
	if ! "$@" >"$WORK/$name.out" 2>&1; then
		echo "${name}_skipped failed: $(tail -n 1 "$WORK/$name.out" | cut -c1-120)"
		return 0
	fi
	end=$EPOCHREALTIME
	for i in 1 2 3 4 5 6 7 8 9 10; do # wait for the log to settle
		sleep 0.1
		after=$(lines)
		[ "$after" = "$(sleep 0.1; lines)" ] && break
	done
	echo "${name}_requests $((after - before))"
	echo "${name}_methods $(grep -E '\]: (GET|POST) ' "$LOG" | tail -n +$((before + 1)) |
		sed -E 's/.*\]: (GET|POST) .*/\1/' | tr '\n' ' ' | sed 's/ $//')"
	echo "${name}_seconds $(python3 -c "print(f'{$end - $start:.2f}')")"
}

COOKIES=$WORK/mwauth-cookies.txt
measure mwauth "$B/mwauth_bench" login "$API" "$USER_" "$PASS"
measure mwauth_cookiefile_login "$B/mwauth_bench" login "$API" "$USER_" "$PASS" "$COOKIES"
measure mwauth_resume "$B/mwauth_bench" resume "$API" "$COOKIES"
measure mwclient "$PY" "$HERE/py_clients.py" login-mwclient "$API" "$USER_" "$PASS"
measure mwapi_bot "$PY" "$HERE/py_clients.py" login-mwapi-bot "$API" "$USER_" "$PASS"
# mwapi's Session.login() is action=clientlogin, which refuses bot passwords ("Incorrect username
# or password"): compare it with mwauth's clientlogin, both with a main-account password.
measure mwapi_clientlogin "$PY" "$HERE/py_clients.py" login-mwapi "$API" "$MWAUTH_TEST_HUMAN_USER" "$MWAUTH_TEST_HUMAN_PASSWORD"
measure mwauth_clientlogin "$B/mwauth_bench" clientlogin "$API" "$MWAUTH_TEST_HUMAN_USER" "$MWAUTH_TEST_HUMAN_PASSWORD"
export PYWIKIBOT_DIR=$WORK/pywikibot
if "$PY" "$HERE/py_clients.py" pywikibot-setup "$PYWIKIBOT_DIR" "$API" "$USER_" "$PASS"; then
	measure pywikibot "$PY" "$HERE/py_clients.py" login-pywikibot "$API" "$USER_" "$PASS"
else
	echo "pywikibot_skipped failed: could not write its user-config.py"
fi
