#!/usr/bin/env bash
# Checks the test wiki itself with curl (no mwauth code involved):
#   tests/wiki/with-wiki.sh tests/wiki/smoke-test.sh
set -euo pipefail

: "${MWAUTH_TEST_API_URL:?run under tests/wiki/with-wiki.sh}"
API=$MWAUTH_TEST_API_URL
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d)
trap 'rm -rf -- "$T"' EXIT
fails=0

ok() { printf 'ok   %s\n' "$*"; }
bad() { printf 'FAIL %s\n' "$*"; fails=$((fails + 1)); }
# json FILE PYTHON-EXPR: prints eval(EXPR) with j = the parsed file
json() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
get() { curl -sS -b "$1" -c "$1" "$API?format=json&formatversion=2&$2"; }
post() { local jar=$1; shift; curl -sS -b "$jar" -c "$jar" "$API" -d format=json -d formatversion=2 "$@"; }
cookie() { awk -v n="$2" '$6 == n { print $7 }' "$1"; } # JAR NAME (curl's jar format)

login() { # JAR USER PASSWORD -> result
	get "$1" 'action=query&meta=tokens&type=login' >"$T/tok.json"
	post "$1" -d action=login --data-urlencode "lgname=$2" --data-urlencode "lgpassword=$3" \
		--data-urlencode "lgtoken=$(json "$T/tok.json" 'j["query"]["tokens"]["logintoken"]')" >"$T/login.json"
	json "$T/login.json" 'j["login"]["result"]'
}

BOT=$T/bot.jar PLAIN=$T/plain.jar
r=$(login "$BOT" "$MWAUTH_TEST_BOT_USER" "$MWAUTH_TEST_BOT_PASSWORD")
[ "$r" = Success ] && ok "bot-password login $MWAUTH_TEST_BOT_USER" || bad "login $MWAUTH_TEST_BOT_USER: $(cat "$T/login.json")"
r=$(login "$PLAIN" "$MWAUTH_TEST_PLAIN_USER" "$MWAUTH_TEST_PLAIN_PASSWORD")
[ "$r" = Success ] && ok "bot-password login $MWAUTH_TEST_PLAIN_USER" || bad "login $MWAUTH_TEST_PLAIN_USER: $(cat "$T/login.json")"
r=$(login "$T/wrong.jar" "$MWAUTH_TEST_BOT_USER" "${MWAUTH_TEST_BOT_PASSWORD%?}x")
[ "$r" = Failed ] && ok "wrong bot password -> Failed" || bad "wrong bot password gave $r"

BP=${MWAUTH_TEST_COOKIE_PREFIX}_BPsession
[ -n "$(cookie "$BOT" "$BP")" ] && ok "cookie $BP set" || bad "no $BP cookie in $(cat "$BOT")"

get "$BOT" 'action=query&meta=userinfo&uiprop=groups&assert=bot' >"$T/a.json"
[ "$(json "$T/a.json" 'j["query"]["userinfo"]["name"]')" = MwBot ] && ok "assert=bot for MwBot" || bad "assert=bot MwBot: $(cat "$T/a.json")"
get "$PLAIN" 'action=query&meta=userinfo&assert=bot' >"$T/a.json"
[ "$(json "$T/a.json" 'j["errors"][0]["code"] if "errors" in j else j["error"]["code"]')" = assertbotfailed ] &&
	ok "assert=bot for MwPlain -> assertbotfailed" || bad "assert=bot MwPlain: $(cat "$T/a.json")"

get "$BOT" 'action=query&meta=tokens&type=csrf' >"$T/csrf.json"
post "$BOT" -d action=edit -d title=Mwauth_smoke -d assert=bot -d summary=smoke --data-urlencode "text=smoke $RANDOM" \
	--data-urlencode "token=$(json "$T/csrf.json" 'j["query"]["tokens"]["csrftoken"]')" >"$T/edit.json"
[ "$(json "$T/edit.json" 'j["edit"]["result"]')" = Success ] && ok "edit as MwBot" || bad "edit: $(cat "$T/edit.json")"

# an expired session: delete its objectcache row
"$HERE/expire_session.py" "$(cookie "$PLAIN" "$BP")" && ok "expire_session.py found the session" || bad "expire_session.py"
get "$PLAIN" 'action=query&meta=userinfo&assert=user' >"$T/a.json"
[ "$(json "$T/a.json" 'j["error"]["code"]')" = assertuserfailed ] &&
	ok "expired session -> assertuserfailed" || bad "after expiry: $(cat "$T/a.json")"
"$HERE/expire_session.py" nosuchsession 2>/dev/null && bad "expire_session.py nosuchsession exited 0" || ok "expire_session.py nosuchsession fails"

# maxlag
code=$(curl -sS -D "$T/h" -o "$T/m.json" -w '%{http_code}' "$API?action=query&meta=siteinfo&format=json&maxlag=-2")
if [ "$(json "$T/m.json" 'j["error"]["code"]')" = maxlag ] && grep -qi '^Retry-After: 5' "$T/h"; then
	ok "maxlag=-2 -> maxlag, Retry-After: 5 (HTTP $code)"
else bad "maxlag: $(cat "$T/h" "$T/m.json")"; fi

# 8 concurrent edits as MwBot, and 8 concurrent userinfo requests as MwPlain (fresh login)
token=$(json "$T/csrf.json" 'j["query"]["tokens"]["csrftoken"]')
r=$(login "$PLAIN" "$MWAUTH_TEST_PLAIN_USER" "$MWAUTH_TEST_PLAIN_PASSWORD")
for i in 1 2 3 4 5 6 7 8; do
	curl -sS -b "$BOT" "$API" -d format=json -d formatversion=2 -d action=edit -d assert=bot \
		-d "title=Mwauth_concurrent_$((i % 3))" --data-urlencode "text=edit $i $RANDOM" \
		--data-urlencode "token=$token" >"$T/c$i.json" &
	curl -sS -b "$PLAIN" "$API?format=json&formatversion=2&action=query&meta=userinfo&assert=user" >"$T/u$i.json" &
done
wait
n=0
for i in 1 2 3 4 5 6 7 8; do
	if [ "$(json "$T/c$i.json" 'j.get("edit", {}).get("result")')" = Success ]; then n=$((n + 1)); else echo "  edit $i: $(cat "$T/c$i.json")"; fi
	if [ "$(json "$T/u$i.json" 'j.get("query", {}).get("userinfo", {}).get("name")')" = MwPlain ]; then n=$((n + 1)); else echo "  userinfo $i: $(cat "$T/u$i.json")"; fi
done
[ "$n" = 16 ] && ok "16 concurrent requests succeeded" || bad "only $n of 16 concurrent requests succeeded"
if grep -il 'database is locked' "$T"/*.json "$MWAUTH_TEST_SERVER_LOG" >/dev/null; then bad "'database is locked' seen"; fi

# the quiet server serves the same wiki and its log starts empty
[ ! -s "$MWAUTH_TEST_QUIET_LOG" ] && ok "quiet log empty" || bad "quiet log not empty: $(cat "$MWAUTH_TEST_QUIET_LOG")"
Q=$T/quiet.jar
r=$(API=$MWAUTH_TEST_QUIET_API_URL login "$Q" "$MWAUTH_TEST_BOT_USER" "$MWAUTH_TEST_BOT_PASSWORD")
[ "$r" = Success ] && ok "login on the quiet server" || bad "quiet login: $(cat "$T/login.json")"
n=$(grep -c '\]: \(GET\|POST\) /api.php' "$MWAUTH_TEST_QUIET_LOG" || true)
[ "$n" = 2 ] && ok "quiet log counts 2 requests" || bad "quiet log has $n requests: $(cat "$MWAUTH_TEST_QUIET_LOG")"

# the main account
r=$(login "$T/human.jar" "$MWAUTH_TEST_HUMAN_USER" "$MWAUTH_TEST_HUMAN_PASSWORD")
[ "$r" = Success ] && ok "action=login main account $MWAUTH_TEST_HUMAN_USER" || bad "human login: $(cat "$T/login.json")"

[ "$fails" = 0 ] && echo "smoke test: all ok" || echo "smoke test: $fails failure(s)"
exit $((fails > 0))
