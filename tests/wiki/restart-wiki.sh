#!/usr/bin/env bash
# Restarts the test wiki's main server on the same port, as an operator's restart would: its
# process group is stopped, a new server starts, and this returns once it answers. Sessions and
# pages survive (they are in the wiki's sqlite files). For tests run by with-wiki.sh, which
# exports this script's path as MWAUTH_TEST_RESTART_WIKI and stops the new server at its end.
set -euo pipefail
: "${MWAUTH_TEST_WIKI_DIR:?run this inside tests/wiki/with-wiki.sh}"
# PORT, LOG, MW and the PHP command line, as with-wiki.sh started the server
source "$MWAUTH_TEST_WIKI_DIR/server.env"
pidfile=$MWAUTH_TEST_WIKI_DIR/server-$PORT.pid

pgid=$(<"$pidfile")
kill -TERM -- "-$pgid" 2>/dev/null || true
for ((i = 0; i < 100; i++)); do kill -0 -- "-$pgid" 2>/dev/null || break; sleep 0.1; done
kill -KILL -- "-$pgid" 2>/dev/null || true
rm -f -- "$pidfile"

PHP_CLI_SERVER_WORKERS=4 setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
	"${PHP[@]}" -S "127.0.0.1:$PORT" -t "$MW" </dev/null >>"$LOG" 2>&1 &
url="http://127.0.0.1:$PORT/api.php?action=query&meta=siteinfo&format=json"
for ((i = 0; i < 300; i++)); do
	if "${PHP[@]}" -r '$r = @file_get_contents($argv[1]); exit($r !== false && strpos($r, "\"sitename\"") !== false ? 0 : 1);' "$url"; then
		exit 0
	fi
	sleep 0.1
done
echo "restart-wiki: the server on port $PORT did not come back (log: $LOG)" >&2
exit 1
