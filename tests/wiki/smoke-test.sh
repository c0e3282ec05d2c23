#!/usr/bin/env bash
# Checks the test wiki itself with curl (no mwauth code involved):
#   tests/wiki/with-wiki.sh tests/wiki/smoke-test.sh
# MWAUTH_SMOKE_VERBOSE=1 also prints each authmanagerinfo, clientlogin and createaccount answer.
# Uses the third of each kind of user (MwTwoFactor3, MwCaptcha3), so a run next to tests
# (MWAUTH_TEST_KEEP=1 ... bash) only disturbs those.
set -euo pipefail

: "${MWAUTH_TEST_API_URL:?run under tests/wiki/with-wiki.sh}"
API=$MWAUTH_TEST_API_URL
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d)
BIG= # the 64 MiB file, in the wiki's folder while it exists
trap 'rm -rf -- "$T" ${BIG:+"$BIG"}' EXIT
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

# --- action=clientlogin: two-factor, captcha, REDIRECT, RESTART ---------------------------
# MWAUTH_SMOKE_VERBOSE=1 prints each authmanagerinfo/clientlogin answer.
show() { if [ "${MWAUTH_SMOKE_VERBOSE:-}" = 1 ]; then printf '     %s\n' "$(cat "$1")"; fi; }
RETURN_URL=http://127.0.0.1/mwauth-return
prepare() { # JAR: one GET for the login token and the form (-> $T/ami.json, token -> JAR.token)
	get "$1" 'action=query&meta=tokens%7Cauthmanagerinfo&type=login&amirequestsfor=login&amimergerequestfields=1' >"$T/ami.json"
	show "$T/ami.json"
	json "$T/ami.json" 'j["query"]["tokens"]["logintoken"]' >"$1.token"
}
cl() { # JAR [curl args]: POST action=clientlogin (merged fields) with JAR's login token -> $T/cl.json
	local jar=$1; shift
	post "$jar" -d action=clientlogin -d loginmergerequestfields=1 --data-urlencode "logintoken=$(cat "$jar.token")" "$@" >"$T/cl.json"
	show "$T/cl.json"
}
# "STATUS MESSAGECODE-or-USERNAME" of the last clientlogin
st() { json "$T/cl.json" 'j["clientlogin"]["status"] + " " + j["clientlogin"].get("messagecode", j["clientlogin"].get("username", "-"))'; }
# check WHAT EXPECTED-st
expect() { local got; got=$(st); [ "$got" = "$2" ] && ok "$1 -> $2" || bad "$1: expected $2, got $(cat "$T/cl.json")"; }
# RFC 6238 code of base32 SECRET for the 30 s window now+OFFSET; "wrong" as OFFSET: a code
# that matches none of the windows the wiki accepts (now-4 .. now+4)
totp() {
	python3 - "$1" "$2" <<'EOF'
import base64, hashlib, hmac, struct, sys, time
key, now = base64.b32decode(sys.argv[1]), int(time.time()) // 30
def code(c):
    h = hmac.new(key, struct.pack(">Q", c), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)
if sys.argv[2] == "wrong":
    near = {code(now + d) for d in range(-5, 6)}
    print(next("%06d" % i for i in range(123456, 10**6) if "%06d" % i not in near))
else:
    print(code(now + int(sys.argv[2])))
EOF
}

# (a) two-factor: password -> UI OATHToken; wrong code -> UI again; right code -> PASS
TU=$MWAUTH_TEST_TOTP3_USER TP=$MWAUTH_TEST_TOTP3_PASSWORD TS=$MWAUTH_TEST_TOTP3_SECRET
J=$T/totp.jar
prepare "$J"
cl "$J" --data-urlencode "username=$TU" --data-urlencode "password=$TP" --data-urlencode "loginreturnurl=$RETURN_URL"
expect "clientlogin $TU" "UI oathauth-auth-ui"
[ "$(json "$T/cl.json" '[r["id"] for r in j["clientlogin"]["requests"]]')" = "['MediaWiki\\\\Extension\\\\OATHAuth\\\\Auth\\\\TOTPAuthenticationRequest']" ] &&
	[ "$(json "$T/cl.json" 'j["clientlogin"]["fields"]["OATHToken"]["type"]')" = string ] &&
	ok "the UI asks for OATHToken (TOTPAuthenticationRequest)" || bad "UI requests: $(cat "$T/cl.json")"
cl "$J" -d logincontinue=1 --data-urlencode "OATHToken=$(totp "$TS" wrong)"
expect "a wrong TOTP code" "UI oathauth-login-failed"
code=$(totp "$TS" 0)
cl "$J" -d logincontinue=1 --data-urlencode "OATHToken=$code"
expect "the right TOTP code" "PASS $TU"
get "$J" 'action=query&meta=userinfo&assert=user' >"$T/a.json"
[ "$(json "$T/a.json" 'j["query"]["userinfo"]["name"]')" = "$TU" ] && ok "logged in as $TU" || bad "after 2FA: $(cat "$T/a.json")"
# the same code again (new flow, new session): refused; the next window's code passes
J=$T/totp2.jar
prepare "$J"
cl "$J" --data-urlencode "username=$TU" --data-urlencode "password=$TP" --data-urlencode "loginreturnurl=$RETURN_URL"
cl "$J" -d logincontinue=1 --data-urlencode "OATHToken=$code"
expect "a TOTP code used before" "UI oathauth-login-failed"
cl "$J" -d logincontinue=1 --data-urlencode "OATHToken=$(totp "$TS" 1)"
expect "the next window's TOTP code" "PASS $TU"
r=$(login "$T/totp3.jar" "$TU" "$TP")
[ "$r" = Aborted ] && ok "action=login of a 2FA account -> Aborted" || bad "action=login $TU: $(cat "$T/login.json")"

# (b) captcha: one bad password; then the right one alone fails; the form now has the captcha
CU=$MWAUTH_TEST_CAPTCHA3_USER CP=$MWAUTH_TEST_CAPTCHA3_PASSWORD
J=$T/captcha.jar
prepare "$J"
[ "$(json "$T/ami.json" '"captchaWord" in j["query"]["authmanagerinfo"]["fields"]')" = False ] &&
	ok "no captcha in a fresh login form" || bad "captcha too early: $(cat "$T/ami.json")"
cl "$J" --data-urlencode "username=$CU" --data-urlencode "password=${CP}x" --data-urlencode "loginreturnurl=$RETURN_URL"
expect "a bad password for $CU" "FAIL wrongpassword"
prepare "$J"
[ "$(json "$T/ami.json" '"captchaWord" in j["query"]["authmanagerinfo"]["fields"]')" = False ] &&
	ok "no captcha in the form yet (nothing tells the wiki who is logging in)" || bad "captcha after one failure: $(cat "$T/ami.json")"
cl "$J" --data-urlencode "username=$CU" --data-urlencode "password=$CP" --data-urlencode "loginreturnurl=$RETURN_URL"
expect "then the right password without a captcha" "FAIL wrongpassword"
prepare "$J"
captcha_id=$(json "$T/ami.json" 'j["query"]["authmanagerinfo"]["fields"]["captchaId"]["value"]')
if [ "$(json "$T/ami.json" '[r["id"] for r in j["query"]["authmanagerinfo"]["requests"] if "Captcha" in r["id"]]')" = "['CaptchaAuthenticationRequest']" ] &&
	[ "$(json "$T/ami.json" 'j["query"]["authmanagerinfo"]["fields"]["captchaId"]["type"]')" = hidden ] &&
	[ "$(json "$T/ami.json" 'j["query"]["authmanagerinfo"]["fields"]["captchaInfo"]["value"]')" = "$MWAUTH_TEST_CAPTCHA_QUESTION" ] &&
	[ "$(json "$T/ami.json" 'j["query"]["authmanagerinfo"]["fields"]["captchaWord"]["type"]')" = string ]; then
	ok "authmanagerinfo now has CaptchaAuthenticationRequest (captchaId, captchaInfo = the question, captchaWord)"
else bad "no captcha in the form: $(cat "$T/ami.json")"; fi
cl "$J" --data-urlencode "username=$CU" --data-urlencode "password=$CP" --data-urlencode "loginreturnurl=$RETURN_URL" \
	--data-urlencode "captchaId=$captcha_id" --data-urlencode "captchaWord=$MWAUTH_TEST_CAPTCHA_ANSWER"
expect "the right password and captcha answer" "PASS $CU"
prepare "$T/captcha2.jar"
cl "$T/captcha2.jar" --data-urlencode "username=$CU" --data-urlencode "password=$CP" --data-urlencode "loginreturnurl=$RETURN_URL"
# 1.39 resets the user's bad-login counter on that PASS; 1.43 does not (the request that solved
# the captcha no longer "triggers" one), so there the captcha stays for 600 s.
if [ "${MWAUTH_TEST_MW_VERSION:-1.39}" = 1.39 ]; then
	expect "1.39: after that PASS, the password alone (new session)" "PASS $CU"
else
	expect "1.43: after that PASS, the password alone (new session) still needs a captcha" "FAIL wrongpassword"
fi
# only the MwCaptcha users count: a bad password for MwHuman leaves its logins alone
HU=$MWAUTH_TEST_HUMAN_USER
prepare "$T/human2.jar"
cl "$T/human2.jar" --data-urlencode "username=$HU" --data-urlencode "password=nope" --data-urlencode "loginreturnurl=$RETURN_URL"
expect "a bad password for $HU" "FAIL wrongpassword"
cl "$T/human2.jar" --data-urlencode "username=$HU" --data-urlencode "password=$MWAUTH_TEST_HUMAN_PASSWORD" --data-urlencode "loginreturnurl=$RETURN_URL"
expect "then its right password (no captcha for $HU)" "PASS $HU"

# (c) REDIRECT to the test identity provider; continue with its code -> PASS; wrong code -> FAIL
redirect() { # JAR: first step with the button -> REDIRECT; sets $state
	prepare "$1"
	cl "$1" -d mwauthtestLogin=1 --data-urlencode "loginreturnurl=$RETURN_URL"
	state=$(json "$T/cl.json" 'j["clientlogin"]["fields"]["mwauthtestState"]["value"]')
}
J=$T/redirect.jar
redirect "$J"
target=$(json "$T/cl.json" 'j["clientlogin"]["redirecttarget"]')
expect "mwauthtestLogin=1 (no username, no password)" "REDIRECT -"
python3 - "$target" "$MWAUTH_TEST_IDP_URL" "$state" "$RETURN_URL" "$(json "$T/cl.json" 'j["clientlogin"]["redirectdata"]["state"]')" <<'EOF' &&
import sys, urllib.parse as u
target, idp, state, ret, data_state = sys.argv[1:]
base, _, query = target.partition("?")
q = u.parse_qs(query)
sys.exit(0 if base == idp and q["state"] == [state] and q["redirect_uri"] == [ret] and data_state == state else 1)
EOF
	ok "redirecttarget $MWAUTH_TEST_IDP_URL?state=STATE&redirect_uri=RETURNURL, STATE = hidden mwauthtestState = redirectdata.state" ||
	bad "redirect target $target, state $state: $(cat "$T/cl.json")"
cl "$J" -d logincontinue=1 --data-urlencode "mwauthtestCode=$MWAUTH_TEST_REDIRECT_CODE" --data-urlencode "mwauthtestState=$state"
expect "continue with the code" "PASS $MWAUTH_TEST_REDIRECT_USER"
get "$J" 'action=query&meta=userinfo&assert=user' >"$T/a.json"
[ "$(json "$T/a.json" 'j["query"]["userinfo"]["name"]')" = "$MWAUTH_TEST_REDIRECT_USER" ] &&
	ok "logged in as $MWAUTH_TEST_REDIRECT_USER" || bad "after REDIRECT: $(cat "$T/a.json")"
J=$T/redirect2.jar
redirect "$J"
cl "$J" -d logincontinue=1 --data-urlencode "mwauthtestCode=wrong$MWAUTH_TEST_REDIRECT_CODE" --data-urlencode "mwauthtestState=$state"
expect "continue with a wrong code" "FAIL mwauthtestauth-wrong-code"
redirect "$J"
cl "$J" -d logincontinue=1 --data-urlencode "mwauthtestCode=$MWAUTH_TEST_REDIRECT_CODE" --data-urlencode "mwauthtestState=x$state"
expect "continue with a wrong state" "FAIL mwauthtestauth-bad-state"

# (d) RESTART: the third party knows the account, the wiki has no user for it
redirect "$J"
cl "$J" -d logincontinue=1 --data-urlencode "mwauthtestCode=$MWAUTH_TEST_RESTART_CODE" --data-urlencode "mwauthtestState=$state"
expect "continue with the unlinked account's code" "RESTART authmanager-authn-no-local-user"
[ "$(json "$T/cl.json" 'j["clientlogin"]["canpreservestate"]')" = False ] &&
	ok "that RESTART preserves nothing (canpreservestate false)" || bad "RESTART: $(cat "$T/cl.json")"
[ "$(json "$T/cl.json" '"password" in j["clientlogin"]["fields"] and "mwauthtestLogin" in j["clientlogin"]["fields"]')" = True ] &&
	ok "RESTART offers the full login form again" || bad "RESTART form: $(cat "$T/cl.json")"
# ... which can be continued like a UI, here with a password
cl "$J" -d logincontinue=1 --data-urlencode "username=$HU" --data-urlencode "password=$MWAUTH_TEST_HUMAN_PASSWORD"
expect "RESTART continued with a password" "PASS $HU"

# --- the identity provider's RESTART path: create, link on login, linkaccount, unlink, remove -----
# Codes "$MWAUTH_TEST_IDP_KEY:NAME" stand for the identity NAME (no local account until linked).
# The smoke test's identities are called smoke-*; its users MwLink3 and MwChange3.
K=$MWAUTH_TEST_IDP_KEY
ID_CLASS='MediaWiki\Extension\MwauthTestAuth\IdentityAuthenticationRequest'
LU=$MWAUTH_TEST_LINK3_USER LP=$MWAUTH_TEST_LINK3_PASSWORD
# $T/ami.json's authmanagerinfo as "haspreservedstate hasprimarypreservedstate preservedusername"
preserved() { json "$T/ami.json" '" ".join(str(j["query"]["authmanagerinfo"][k]) for k in ("haspreservedstate", "hasprimarypreservedstate", "preservedusername"))'; }
idp_login() { # JAR CODE: REDIRECT, then continue with CODE (-> $T/cl.json)
	redirect "$1"
	cl "$1" -d logincontinue=1 --data-urlencode "mwauthtestCode=$2" --data-urlencode "mwauthtestState=$state"
}
cprepare() { # JAR: the create form and a createaccount token (-> $T/ami.json, JAR.ctoken, $captcha_id)
	get "$1" 'action=query&meta=tokens%7Cauthmanagerinfo&type=createaccount&amirequestsfor=create&amimergerequestfields=1' >"$T/ami.json"
	show "$T/ami.json"
	json "$T/ami.json" 'j["query"]["tokens"]["createaccounttoken"]' >"$1.ctoken"
	captcha_id=$(json "$T/ami.json" 'j["query"]["authmanagerinfo"]["fields"].get("captchaId", {}).get("value", "")')
}
ca() { # JAR [curl args]: POST action=createaccount with JAR's token -> $T/ca.json
	local jar=$1; shift
	post "$jar" -d action=createaccount --data-urlencode "createtoken=$(cat "$jar.ctoken")" \
		--data-urlencode "createreturnurl=$RETURN_URL" "$@" >"$T/ca.json"
	show "$T/ca.json"
}
# "STATUS MESSAGECODE-or-USERNAME" of the answer in FILE under KEY
st_of() { json "$1" 'j["'"$2"'"]["status"] + " " + j["'"$2"'"].get("messagecode", j["'"$2"'"].get("username", "-"))'; }
expect_ca() { local got; got=$(st_of "$T/ca.json" createaccount); [ "$got" = "$2" ] && ok "$1 -> $2" || bad "$1: expected $2, got $(cat "$T/ca.json")"; }
csrf() { get "$1" 'action=query&meta=tokens&type=csrf' >"$T/tok.json"; json "$T/tok.json" 'j["query"]["tokens"]["csrftoken"]'; }
api_error() { json "$1" 'j["error"]["code"] if "error" in j else "-"'; } # FILE
linked_to() { # IDENTITY: the local user the state file links it to, or "-"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["links"].get(sys.argv[2], {}).get("user", "-"))' \
		"$MWAUTH_TEST_IDP_STATE_FILE" "$1" 2>/dev/null || echo -
}

# (e) a new identity: RESTART ...-no-local-user-link that preserves a create and a link request
J=$T/idp-create.jar
idp_login "$J" "$K:smoke-create"
expect "an identity with no local account" "RESTART authmanager-authn-no-local-user-link"
[ "$(json "$T/cl.json" 'j["clientlogin"]["canpreservestate"]')" = True ] &&
	[ "$(json "$T/cl.json" '[r["id"] for r in j["clientlogin"]["requests"] if "CreateFromLogin" in r["id"]]')" = "[]" ] &&
	ok "RESTART: canpreservestate true, no CreateFromLoginAuthenticationRequest in the requests" || bad "RESTART: $(cat "$T/cl.json")"
get "$J" 'action=query&meta=authmanagerinfo&amirequestsfor=login' >"$T/ami.json"
[ "$(preserved)" = "True False MwIdp-smoke-create" ] && ok "authmanagerinfo login: haspreservedstate, not primary, preservedusername" ||
	bad "authmanagerinfo login after RESTART: $(cat "$T/ami.json")"
cprepare "$J"
[ "$(preserved)" = "True True MwIdp-smoke-create" ] && ok "authmanagerinfo create: haspreservedstate, hasprimarypreservedstate, preservedusername MwIdp-smoke-create" ||
	bad "authmanagerinfo create after RESTART: $(cat "$T/ami.json")"
[ -n "$captcha_id" ] && [ "$(json "$T/ami.json" '[r["required"] for r in j["query"]["authmanagerinfo"]["requests"] if r["id"] == "CaptchaAuthenticationRequest"]')" = "['required']" ] &&
	ok "the create form asks for the captcha (CaptchaAuthenticationRequest, required)" || bad "no captcha on the create form: $(cat "$T/ami.json")"
# no password: the preserved createRequest is the primary's; the name is the client's to send
ca "$J" -d createpreservestate=1 -d username=MwIdp-smoke-create \
	--data-urlencode "captchaId=$captcha_id" --data-urlencode "captchaWord=$MWAUTH_TEST_CAPTCHA_ANSWER"
expect_ca "createaccount createpreservestate=1 (username, captcha; no password)" "PASS MwIdp-smoke-create"
[ "$(linked_to smoke-create)" = MwIdp-smoke-create ] && ok "the state file links smoke-create to MwIdp-smoke-create" ||
	bad "state file: $(cat "$MWAUTH_TEST_IDP_STATE_FILE")"
get "$J" 'action=query&meta=userinfo' >"$T/a.json"
[ "$(json "$T/a.json" 'j["query"]["userinfo"].get("anon", False)')" = True ] &&
	ok "createaccount does not log the session in" || bad "after createaccount: $(cat "$T/a.json")"
idp_login "$T/idp-create2.jar" "$K:smoke-create"
expect "the identity's next login (new session)" "PASS MwIdp-smoke-create"

# (f) createaccount FAILs: a taken name, a wrong or missing captcha; a FAIL drops the preserved state
J=$T/create-fail.jar
cprepare "$J"
ca "$J" --data-urlencode "username=$LU" -d password=Smoke-create-9871 -d retype=Smoke-create-9871 \
	--data-urlencode "captchaId=$captcha_id" --data-urlencode "captchaWord=$MWAUTH_TEST_CAPTCHA_ANSWER"
expect_ca "createaccount of the existing $LU" "FAIL userexists"
cprepare "$J"
ca "$J" -d username=MwSmokeCreated -d password=Smoke-create-9871 -d retype=Smoke-create-9871 \
	--data-urlencode "captchaId=$captcha_id" -d "captchaWord=${MWAUTH_TEST_CAPTCHA_ANSWER}0"
expect_ca "createaccount with a wrong captcha answer" "FAIL captcha-createaccount-fail"
cprepare "$J"
ca "$J" -d username=MwSmokeCreated -d password=Smoke-create-9871 -d retype=Smoke-create-9871
expect_ca "createaccount without the captcha" "FAIL captcha-createaccount-fail"
cprepare "$J"
ca "$J" -d username=MwSmokeCreated -d password=Smoke-create-9871 -d retype=Smoke-create-9871 \
	--data-urlencode "captchaId=$captcha_id" --data-urlencode "captchaWord=$MWAUTH_TEST_CAPTCHA_ANSWER"
expect_ca "createaccount with a password and the captcha" "PASS MwSmokeCreated"
J=$T/idp-lost.jar
idp_login "$J" "$K:smoke-lost"
cprepare "$J"
ca "$J" -d createpreservestate=1 -d username=MwIdp-smoke-lost --data-urlencode "captchaId=$captcha_id" -d captchaWord=nope
expect_ca "createpreservestate with a wrong captcha" "FAIL captcha-createaccount-fail"
get "$J" 'action=query&meta=authmanagerinfo&amirequestsfor=create' >"$T/ami.json"
[ "$(preserved)" = "False False " ] && ok "that FAIL dropped the preserved state (log in through the identity again to retry)" ||
	bad "preserved state after a FAIL: $(cat "$T/ami.json")"

# (g) link on login: after the RESTART, a login as an existing user with loginpreservestate=1
# stops at ConfirmLinkSecondaryAuthenticationProvider's UI; confirming links the identity
J=$T/idp-loginlink.jar
idp_login "$J" "$K:smoke-loginlink"
expect "an identity with no local account" "RESTART authmanager-authn-no-local-user-link"
cl "$J" -d loginpreservestate=1 --data-urlencode "loginreturnurl=$RETURN_URL" --data-urlencode "username=$LU" --data-urlencode "password=$LP"
expect "then a password login as $LU with loginpreservestate=1" "UI authprovider-confirmlink-message"
if [ "$(json "$T/cl.json" '" ".join(r["id"] for r in j["clientlogin"]["requests"])')" = "MediaWiki\\Auth\\ConfirmLinkAuthenticationRequest:$ID_CLASS:smoke-loginlink" ] &&
	[ "$(json "$T/cl.json" 'j["clientlogin"]["fields"]["confirmedLinkIDs"]["type"] + " " + " ".join(j["clientlogin"]["fields"]["confirmedLinkIDs"]["options"])')" = "multiselect $ID_CLASS:smoke-loginlink" ]; then
	ok "the UI: ConfirmLinkAuthenticationRequest, multiselect confirmedLinkIDs with option $ID_CLASS:smoke-loginlink"
else bad "confirm-link UI: $(cat "$T/cl.json")"; fi
cl "$J" -d logincontinue=1 --data-urlencode "confirmedLinkIDs[]=$ID_CLASS:smoke-loginlink"
expect "logincontinue with confirmedLinkIDs[]=that id" "PASS $LU"
[ "$(linked_to smoke-loginlink)" = "$LU" ] && ok "smoke-loginlink is linked to $LU" || bad "state file: $(cat "$MWAUTH_TEST_IDP_STATE_FILE")"
idp_login "$T/idp-loginlink2.jar" "$K:smoke-loginlink"
expect "the identity's next login" "PASS $LU"
# without loginpreservestate the login just passes (nothing is linked)
J=$T/idp-nolink.jar
idp_login "$J" "$K:smoke-nolink"
cl "$J" --data-urlencode "loginreturnurl=$RETURN_URL" --data-urlencode "username=$LU" --data-urlencode "password=$LP"
expect "a password login after a RESTART without loginpreservestate" "PASS $LU"

# (h) linkaccount from a logged-in session ($LU's, from (g)): REDIRECT -> linkcontinue -> PASS
J=$T/idp-loginlink.jar
get "$J" 'action=query&meta=authmanagerinfo&amirequestsfor=link' >"$T/ami.json"
[ "$(json "$T/ami.json" '[(r["id"], list(r["fields"])) for r in j["query"]["authmanagerinfo"]["requests"]]')" = "[('MediaWiki\\\\Extension\\\\MwauthTestAuth\\\\LinkAuthenticationRequest', ['mwauthtestLink'])]" ] &&
	ok "authmanagerinfo link: LinkAuthenticationRequest (button mwauthtestLink)" || bad "link form: $(cat "$T/ami.json")"
CSRF=$(csrf "$J")
link() { # JAR [curl args] -> $T/link.json
	local jar=$1; shift
	post "$jar" -d action=linkaccount --data-urlencode "linktoken=$CSRF" "$@" >"$T/link.json"
	show "$T/link.json"
}
link "$J" -d mwauthtestLink=1 --data-urlencode "linkreturnurl=$RETURN_URL"
state=$(json "$T/link.json" 'j["linkaccount"].get("redirectdata", {}).get("state", "")')
[ "$(st_of "$T/link.json" linkaccount)" = "REDIRECT -" ] &&
	[ "$(json "$T/link.json" 'j["linkaccount"]["redirecttarget"].startswith("'"$MWAUTH_TEST_IDP_URL"'?state='"$state"'&redirect_uri=")')" = True ] &&
	ok "linkaccount mwauthtestLink=1 -> REDIRECT to the identity provider" || bad "linkaccount: $(cat "$T/link.json")"
link "$J" -d linkcontinue=1 --data-urlencode "mwauthtestCode=$K:smoke-link" --data-urlencode "mwauthtestState=$state"
[ "$(st_of "$T/link.json" linkaccount)" = "PASS -" ] && ok "linkcontinue with the code -> PASS" || bad "linkcontinue: $(cat "$T/link.json")"
idp_login "$T/idp-link2.jar" "$K:smoke-link"
expect "the linked identity's login" "PASS $LU"
link "$J" -d mwauthtestLink=1 --data-urlencode "linkreturnurl=$RETURN_URL"
state=$(json "$T/link.json" 'j["linkaccount"].get("redirectdata", {}).get("state", "")')
link "$J" -d linkcontinue=1 --data-urlencode "mwauthtestCode=$K:smoke-create" --data-urlencode "mwauthtestState=$state"
[ "$(st_of "$T/link.json" linkaccount)" = "FAIL mwauthtestauth-identity-taken" ] &&
	ok "linking an identity linked to another user -> FAIL mwauthtestauth-identity-taken" || bad "linkcontinue: $(cat "$T/link.json")"
link "$J" -d mwauthtestLink=1 --data-urlencode "linkreturnurl=$RETURN_URL"
state=$(json "$T/link.json" 'j["linkaccount"].get("redirectdata", {}).get("state", "")')
link "$J" -d linkcontinue=1 --data-urlencode "mwauthtestCode=$K:smoke-loginlink" --data-urlencode "mwauthtestState=$state"
[ "$(st_of "$T/link.json" linkaccount)" = "FAIL mwauthtestauth-already-linked" ] &&
	ok "linking an identity linked to this user already -> FAIL mwauthtestauth-already-linked" || bad "linkcontinue: $(cat "$T/link.json")"
post "$T/anon.jar" -d action=linkaccount --data-urlencode 'linktoken=+\' -d mwauthtestLink=1 --data-urlencode "linkreturnurl=$RETURN_URL" >"$T/link.json"
[ "$(api_error "$T/link.json")" = notloggedin ] && ok "linkaccount when logged out -> notloggedin" || bad "anonymous linkaccount: $(cat "$T/link.json")"

# (i) unlinkaccount: request = the identity's request id, token = csrf
get "$J" 'action=query&meta=authmanagerinfo&amirequestsfor=unlink' >"$T/ami.json"
[ "$(json "$T/ami.json" '" ".join(r["id"] for r in j["query"]["authmanagerinfo"]["requests"])')" = "$ID_CLASS:smoke-link $ID_CLASS:smoke-loginlink" ] &&
	ok "authmanagerinfo unlink: $ID_CLASS:smoke-link and :smoke-loginlink" || bad "unlink form: $(cat "$T/ami.json")"
post "$J" -d action=unlinkaccount --data-urlencode "token=$CSRF" --data-urlencode "request=$ID_CLASS:smoke-link" >"$T/u.json"
[ "$(json "$T/u.json" 'j.get("unlinkaccount", {}).get("status")')" = success ] && [ "$(linked_to smoke-link)" = - ] &&
	ok "unlinkaccount request=$ID_CLASS:smoke-link -> success, link gone" || bad "unlinkaccount: $(cat "$T/u.json")"
post "$J" -d action=unlinkaccount --data-urlencode "token=$CSRF" --data-urlencode "request=$ID_CLASS:smoke-link" >"$T/u.json"
[ "$(api_error "$T/u.json")" = badrequest ] && ok "the same unlinkaccount again -> badrequest" || bad "unlinkaccount again: $(cat "$T/u.json")"
idp_login "$T/idp-link3.jar" "$K:smoke-link"
expect "the unlinked identity's login" "RESTART authmanager-authn-no-local-user-link"

# (j) removeauthenticationdata: the identity links and the (unset) temporary password are
# removable; the password is not ($wgRemoveCredentialsBlacklist)
get "$J" 'action=query&meta=authmanagerinfo&amirequestsfor=remove' >"$T/ami.json"
[ "$(json "$T/ami.json" '" ".join(r["id"] for r in j["query"]["authmanagerinfo"]["requests"])')" = "MediaWiki\\Auth\\TemporaryPasswordAuthenticationRequest $ID_CLASS:smoke-loginlink" ] &&
	ok "authmanagerinfo remove: TemporaryPasswordAuthenticationRequest and $ID_CLASS:smoke-loginlink" || bad "remove form: $(cat "$T/ami.json")"
remove() { post "$J" -d action=removeauthenticationdata --data-urlencode "token=$CSRF" --data-urlencode "request=$1" >"$T/r.json"; }
remove "$ID_CLASS:smoke-loginlink"
[ "$(json "$T/r.json" 'j.get("removeauthenticationdata", {}).get("status")')" = success ] && [ "$(linked_to smoke-loginlink)" = - ] &&
	ok "removeauthenticationdata request=$ID_CLASS:smoke-loginlink -> success, link gone" || bad "remove link: $(cat "$T/r.json")"
remove 'MediaWiki\Auth\TemporaryPasswordAuthenticationRequest'
[ "$(json "$T/r.json" 'j.get("removeauthenticationdata", {}).get("status")')" = success ] &&
	ok "removeauthenticationdata request=MediaWiki\\Auth\\TemporaryPasswordAuthenticationRequest -> success" || bad "remove temporary password: $(cat "$T/r.json")"
remove 'MediaWiki\Auth\PasswordAuthenticationRequest'
[ "$(api_error "$T/r.json")" = badrequest ] && ok "removeauthenticationdata of the password -> badrequest" || bad "remove password: $(cat "$T/r.json")"
get "$J" 'action=query&meta=userinfo&assert=user' >"$T/a.json"
[ "$(json "$T/a.json" 'j["query"]["userinfo"]["name"]')" = "$LU" ] && ok "still logged in as $LU" || bad "after the removals: $(cat "$T/a.json")"

# (k) changeauthenticationdata of the password: changeauthrequest + changeauthtoken (csrf)
CU2=$MWAUTH_TEST_CHANGE3_USER CP2=$MWAUTH_TEST_CHANGE3_PASSWORD NEWP=Smoke-new-$RANDOM$RANDOM
J=$T/change.jar
prepare "$J"
cl "$J" --data-urlencode "loginreturnurl=$RETURN_URL" --data-urlencode "username=$CU2" --data-urlencode "password=$CP2"
expect "login as $CU2" "PASS $CU2"
get "$J" 'action=query&meta=authmanagerinfo&amirequestsfor=change' >"$T/ami.json"
[ "$(json "$T/ami.json" '[(r["id"], list(r["fields"])) for r in j["query"]["authmanagerinfo"]["requests"]]')" = "[('MediaWiki\\\\Auth\\\\PasswordAuthenticationRequest', ['password', 'retype'])]" ] &&
	ok "authmanagerinfo change: PasswordAuthenticationRequest (password, retype)" || bad "change form: $(cat "$T/ami.json")"
CSRF=$(csrf "$J")
change() { post "$J" -d action=changeauthenticationdata --data-urlencode "changeauthtoken=$CSRF" \
	--data-urlencode 'changeauthrequest=MediaWiki\Auth\PasswordAuthenticationRequest' "$@" >"$T/c.json"; show "$T/c.json"; }
change --data-urlencode "password=$NEWP" --data-urlencode "retype=${NEWP}x"
[ "$(api_error "$T/c.json")" = badretype ] && ok "a change whose retype differs -> badretype" || bad "change with a bad retype: $(cat "$T/c.json")"
change --data-urlencode "password=$NEWP" --data-urlencode "retype=$NEWP"
[ "$(json "$T/c.json" 'j.get("changeauthenticationdata", {}).get("status")')" = success ] &&
	ok "changeauthenticationdata -> success" || bad "change: $(cat "$T/c.json")"
get "$J" 'action=query&meta=userinfo&assert=user' >"$T/a.json"
[ "$(json "$T/a.json" 'j["query"]["userinfo"]["name"]')" = "$CU2" ] && ok "the session stays logged in" || bad "after the change: $(cat "$T/a.json")"
prepare "$T/change2.jar"
cl "$T/change2.jar" --data-urlencode "loginreturnurl=$RETURN_URL" --data-urlencode "username=$CU2" --data-urlencode "password=$CP2"
expect "the old password" "FAIL wrongpassword"
cl "$T/change2.jar" --data-urlencode "loginreturnurl=$RETURN_URL" --data-urlencode "username=$CU2" --data-urlencode "password=$NEWP"
expect "the new password" "PASS $CU2"

# (l) 1.43: a temporary account is not "logged in" for these modules
if [ "${MWAUTH_TEST_MW_VERSION:-1.39}" = 1.43 ]; then
	J=$T/temp.jar
	post "$J" -d action=edit -d title=Mwauth_smoke_temp --data-urlencode "text=temp $RANDOM" --data-urlencode 'token=+\' >"$T/edit.json"
	CSRF=$(csrf "$J")
	link "$J" -d mwauthtestLink=1 --data-urlencode "linkreturnurl=$RETURN_URL"
	[ "$(json "$T/edit.json" 'j["edit"].get("tempusercreated")')" = True ] && [ "$(api_error "$T/link.json")" = notloggedin ] &&
		ok "1.43: linkaccount as a temporary account -> notloggedin" || bad "temporary account linkaccount: $(cat "$T/edit.json" "$T/link.json")"
fi

# --- uploads (action=upload) as MwBot through its bot password ---------------------------------
# Names are new for each run (a kept wiki can be smoke-tested again).
V=${MWAUTH_TEST_MW_VERSION:-1.39}
U=$T/upload.jar SFX=$$-$RANDOM
r=$(login "$U" "$MWAUTH_TEST_BOT_USER" "$MWAUTH_TEST_BOT_PASSWORD")
[ "$r" = Success ] || bad "upload login: $(cat "$T/login.json")"
UCSRF=$(csrf "$U")
upload() { # OUT [curl -F args]: multipart action=upload with MwBot's csrf token -> OUT
	local out=$1; shift
	curl -sS -b "$U" -c "$U" "$API" -F action=upload -F format=json -F formatversion=2 --form-string "token=$UCSRF" "$@" >"$out"
	show "$out"
}
sha1() { sha1sum "$1" | cut -d' ' -f1; }
get "$U" 'action=query&meta=siteinfo&siprop=general' >"$T/si.json"
[ "$(json "$T/si.json" '" ".join(str(j["query"]["general"].get(k)) for k in ("uploadsenabled", "minuploadchunksize", "maxuploadsize"))')" = "True 1024 134217728" ] &&
	ok "siteinfo: uploadsenabled, minuploadchunksize 1024, maxuploadsize 134217728 (128 MiB)" || bad "siteinfo: $(cat "$T/si.json")"
# a small PNG (8x8 random pixels)
python3 - "$T/small.png" <<'EOF'
import os, struct, sys, zlib
w = h = 8
raw = b"".join(b"\0" + os.urandom(3 * w) for _ in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
EOF
PNG=Mwauth_smoke_$SFX.png
upload "$T/up.json" -F "filename=$PNG" -F "file=@$T/small.png" -F comment=smoke -F "text=smoke upload"
if [ "$(json "$T/up.json" 'j["upload"]["result"] + " " + j["upload"]["imageinfo"]["sha1"] + " " + j["upload"]["imageinfo"]["mime"] + " " + j["upload"]["imageinfo"]["user"]')" = "Success $(sha1 "$T/small.png") image/png MwBot" ]; then
	ok "upload of a small PNG -> Success, imageinfo sha1 = sha1sum, image/png, by MwBot"
else bad "small upload: $(cat "$T/up.json")"; fi
url=$(json "$T/up.json" 'j["upload"].get("imageinfo", {}).get("url", "")')
curl -sS -o "$T/down.png" "$url"
case $url in "${API%/api.php}/img_auth.php/"*) [ "$(sha1 "$T/down.png")" = "$(sha1 "$T/small.png")" ] ;; *) false ;; esac &&
	ok "its url (img_auth.php/...) serves the same bytes" || bad "download of '$url': $(head -c 300 "$T/down.png")"
get "$U" "action=query&prop=imageinfo&iiprop=sha1%7Csize&titles=File:$PNG" >"$T/ii.json"
[ "$(json "$T/ii.json" 'j["query"]["pages"][0]["imageinfo"][0]["sha1"]')" = "$(sha1 "$T/small.png")" ] &&
	ok "prop=imageinfo: the same sha1" || bad "imageinfo: $(cat "$T/ii.json")"
upload "$T/up.json" -F "filename=$PNG" -F "file=@$T/small.png"
[ "$(json "$T/up.json" 'j["upload"]["result"] + " " + j["upload"]["warnings"].get("exists", "-") + " " + str("nochange" in j["upload"]["warnings"]) + " " + str(bool(j["upload"].get("filekey")))')" = "Warning $PNG True True" ] &&
	ok "the same file under the same name -> Warning exists + nochange (and a filekey)" || bad "same upload again: $(cat "$T/up.json")"
upload "$T/up.json" -F "filename=Mwauth_smoke_copy_$SFX.png" -F "file=@$T/small.png"
[ "$(json "$T/up.json" 'j["upload"]["result"] + " " + str(j["upload"]["warnings"].get("duplicate"))')" = "Warning ['$PNG']" ] &&
	ok "the same file under another name -> Warning duplicate [$PNG]" || bad "duplicate upload: $(cat "$T/up.json")"
printf 'mwauth smoke %s\n' "$SFX" >"$T/small.txt"
upload "$T/up.json" -F "filename=Mwauth_smoke_text_$SFX.txt" -F "file=@$T/small.txt"
[ "$(json "$T/up.json" 'j["upload"]["result"] + " " + j["upload"]["imageinfo"]["sha1"] + " " + j["upload"]["imageinfo"]["mime"]')" = "Success $(sha1 "$T/small.txt") text/plain" ] &&
	ok "upload of a .txt -> Success, text/plain" || bad "txt upload: $(cat "$T/up.json")"
head -c 1000 /dev/urandom >"$T/random.bin"
upload "$T/up.json" -F "filename=Mwauth_smoke_$SFX.exe" -F "file=@$T/random.bin"
[ "$(api_error "$T/up.json")" = filetype-banned ] && ok "a .exe -> filetype-banned" || bad ".exe upload: $(cat "$T/up.json")"
upload "$T/up.json" -F "filename=Mwauth_smoke_notpng_$SFX.png" -F "file=@$T/random.bin"
[ "$(json "$T/up.json" 'j["error"]["code"] + " " + j["error"]["details"][0]')" = "verification-error filetype-mime-mismatch" ] &&
	ok "random bytes as .png -> verification-error filetype-mime-mismatch" || bad "random .png: $(cat "$T/up.json")"

# chunked: ~3 MiB in 1 MiB chunks through the stash, then one request to publish
CH=$T/chunked.bin CHUNK=$((1024 * 1024))
head -c $((3 * CHUNK + 54321)) /dev/urandom >"$CH"
size=$(stat -c %s "$CH")
split -b "$CHUNK" -d -a 3 "$CH" "$T/part."
off=0 key= firstkey= chunks_ok=1 n=0
for part in "$T"/part.*; do
	n=$((n + 1))
	args=(-F stash=1 -F "filename=Mwauth_smoke_chunked_$SFX.bin" -F "filesize=$size" -F "offset=$off" -F "chunk=@$part;filename=chunk.bin")
	[ -z "$key" ] || args+=(-F "filekey=$key")
	upload "$T/chunk.json" "${args[@]}"
	off=$((off + $(stat -c %s "$part")))
	res=$(json "$T/chunk.json" 'j.get("upload", {}).get("result", "-")')
	key=$(json "$T/chunk.json" 'j.get("upload", {}).get("filekey", "")')
	[ -n "$firstkey" ] || firstkey=$key
	if [ "$off" -lt "$size" ]; then # not the last: Continue, the next offset, the same filekey
		[ "$res $(json "$T/chunk.json" 'j["upload"].get("offset")') $key" = "Continue $off $firstkey" ] || { chunks_ok=0; echo "  chunk $n: $(cat "$T/chunk.json")"; }
	fi
done
if [ "$chunks_ok" = 1 ] && [ "$n" = 4 ] && [ "$res" = Success ] && [ -n "$key" ] && [ "$key" != "$firstkey" ] &&
	[ "$(json "$T/chunk.json" 'j["upload"]["imageinfo"]["sha1"]')" = "$(sha1 "$CH")" ]; then
	ok "chunked upload: 3 x Continue (offset, one filekey), the 4th chunk -> Success with a new filekey, stashed sha1 = sha1sum"
else bad "chunked upload (n=$n): $(cat "$T/chunk.json")"; fi
get "$U" "action=query&prop=stashimageinfo&siiprop=size%7Csha1&siifilekey=$key" >"$T/sii.json"
[ "$(json "$T/sii.json" 'str(j["query"]["stashimageinfo"][0]["size"]) + " " + j["query"]["stashimageinfo"][0]["sha1"]')" = "$size $(sha1 "$CH")" ] &&
	ok "prop=stashimageinfo of that filekey: size and sha1" || bad "stashimageinfo: $(cat "$T/sii.json")"
upload "$T/up.json" -F "filename=Mwauth_smoke_chunked_$SFX.bin" -F "filekey=$firstkey" -F comment=smoke
[ "$(api_error "$T/up.json")" = uploadstash-file-not-found ] && ok "publishing with the chunks' filekey -> uploadstash-file-not-found" ||
	bad "publish with the first filekey: $(cat "$T/up.json")"
upload "$T/up.json" -F "filename=Mwauth_smoke_chunked_$SFX.bin" -F "filekey=$key" -F comment=smoke -F "text=chunked smoke upload"
[ "$(json "$T/up.json" 'j["upload"]["result"] + " " + j["upload"]["imageinfo"]["sha1"] + " " + str(j["upload"]["imageinfo"]["size"])')" = "Success $(sha1 "$CH") $size" ] &&
	ok "publishing with the last answer's filekey -> Success, sha1 = sha1sum, size $size" || bad "publish: $(cat "$T/up.json")"
head -c 3000 /dev/urandom >"$T/s.bin"; head -c 1024 "$T/s.bin" >"$T/s1"; head -c 500 "$T/s.bin" >"$T/s0"
upload "$T/c.json" -F stash=1 -F "filename=Mwauth_smoke_small_$SFX.bin" -F filesize=3000 -F offset=0 -F "chunk=@$T/s0;filename=chunk.bin"
[ "$(api_error "$T/c.json")" = chunk-too-small ] && ok "a 500-byte chunk that is not the last -> chunk-too-small" || bad "small chunk: $(cat "$T/c.json")"
upload "$T/c.json" -F stash=1 -F "filename=Mwauth_smoke_small_$SFX.bin" -F filesize=3000 -F offset=0 -F "chunk=@$T/s1;filename=chunk.bin"
k=$(json "$T/c.json" 'j.get("upload", {}).get("filekey", "")')
upload "$T/c.json" -F stash=1 -F "filename=Mwauth_smoke_small_$SFX.bin" -F filesize=3000 -F offset=1500 -F "filekey=$k" -F "chunk=@$T/s1;filename=chunk.bin"
[ "$(json "$T/c.json" 'j["error"]["code"] + " " + str(j["error"].get("offset"))')" = "stashfailed 1024" ] &&
	ok "a chunk at the wrong offset -> stashfailed, error.offset 1024 (the expected one)" || bad "wrong offset: $(cat "$T/c.json")"
upload "$T/c.json" -F stash=1 -F "filename=Mwauth_smoke_small_$SFX.bin" -F filesize=3000 -F offset=1024 -F "chunk=@$T/s1;filename=chunk.bin"
[ "$(api_error "$T/c.json")" = filekeyneeded ] && ok "offset > 0 without filekey -> filekeyneeded" || bad "no filekey: $(cat "$T/c.json")"

# 64 MiB in one request (PHP's limits are the servers' -d flags)
BIG=$MWAUTH_TEST_WIKI_DIR/smoke-64m-$SFX.bin
head -c $((64 * 1024 * 1024)) /dev/urandom >"$BIG"
t0=$SECONDS
upload "$T/big.json" -F "filename=Mwauth_smoke_64m_$SFX.bin" -F "file=@$BIG"
[ "$(json "$T/big.json" 'j["upload"]["result"] + " " + j["upload"]["imageinfo"]["sha1"] + " " + str(j["upload"]["imageinfo"]["size"])')" = "Success $(sha1 "$BIG") 67108864" ] &&
	ok "a 64 MiB .bin of random bytes in one request -> Success, sha1 = sha1sum ($((SECONDS - t0)) s)" || bad "64 MiB upload: $(head -c 2000 "$T/big.json")"
rm -f -- "$BIG"; BIG=

# --- REST API (rest.php) with the bot's cookie session ---------------------------------------
: "${MWAUTH_TEST_REST_URL:?}"
REST=$MWAUTH_TEST_REST_URL
rest() { # JAR METHOD PATH OUT [BODY-FILE]: prints the HTTP status
	local args=(-sS -b "$1" -c "$1" -o "$4" -w '%{http_code}' -X "$2")
	[ -z "${5:-}" ] || args+=(-H 'Content-Type: application/json' --data-binary "@$5")
	curl "${args[@]}" "$REST$3"
}
# body SOURCE COMMENT TOKEN-or-"" LATEST-or-"" > file
body() { python3 -c 'import json,sys; b={"source": sys.argv[1], "comment": sys.argv[2]}
if sys.argv[3]: b["token"] = sys.argv[3]
if sys.argv[4]: b["latest"] = {"id": int(sys.argv[4])}
print(json.dumps(b))' "$@"; }
# an error answer: "STATUS|httpCode httpReason errorKey-or-- has-messageTranslations.en" of FILE
rest_err() { printf '%s|%s' "$1" "$(json "$2" 'str(j["httpCode"]) + " " + j["httpReason"] + " " + j.get("errorKey", "-") + " " + str(bool(j["messageTranslations"]["en"]))')"; }
# WANT = "CODE REASON ERRORKEY-or--": what rest_err prints for it
want_err() { printf '%s|%s True' "${1%% *}" "$1"; }
code=$(rest "$U" GET /v1/page/Main_Page "$T/rp.json")
[ "$code $(json "$T/rp.json" 'j["key"] + " " + j["content_model"] + " " + str(j["latest"]["id"] > 0)')" = "200 Main_Page wikitext True" ] &&
	ok "REST GET /v1/page/Main_Page -> 200, key, latest.id, source" || bad "REST GET page ($code): $(cat "$T/rp.json")"
code=$(rest "$U" GET /v1/page/Main_Page/history "$T/rh.json")
[ "$code $(json "$T/rh.json" 'str(len(j["revisions"]) > 0) + " " + str(j["revisions"][0]["id"] > 0)')" = "200 True True" ] &&
	ok "REST GET /v1/page/Main_Page/history -> 200, revisions" || bad "REST GET history ($code): $(cat "$T/rh.json")"
code=$(rest "$U" GET /v1/page/Mwauth_no_such_page_$SFX "$T/r404.json")
if [ "$V" = 1.43 ]; then want="404 Not Found rest-nonexistent-title"; else want="404 Not Found -"; fi
[ "$(rest_err "$code" "$T/r404.json")" = "$(want_err "$want")" ] &&
	ok "REST GET of a missing page -> $want (httpCode httpReason errorKey messageTranslations.en)" ||
	bad "REST 404 ($code): $(cat "$T/r404.json")"
# PUT /v1/page/Sandbox: token in the body (a cookie session is not safe against CSRF);
# "latest" when the page exists (without it the PUT only creates)
latest=
[ "$(rest "$U" GET /v1/page/Sandbox "$T/rs.json")" = 200 ] && latest=$(json "$T/rs.json" 'j["latest"]["id"]')
SRC="mwauth smoke REST edit $SFX"
body "$SRC" "smoke REST $SFX" "$UCSRF" "$latest" >"$T/b.json"
code=$(rest "$U" PUT /v1/page/Sandbox "$T/rput.json" "$T/b.json")
if [ -n "$latest" ]; then want=200; else want=201; fi
[ "$code $(json "$T/rput.json" 'j["source"] + "|" + str(j["latest"]["id"] > 0)')" = "$want $SRC|True" ] &&
	ok "REST PUT /v1/page/Sandbox with the csrf token in the body -> $want" || bad "REST PUT ($code): $(cat "$T/rput.json")"
newrev=$(json "$T/rput.json" 'j.get("latest", {}).get("id", 0)')
code=$(rest "$U" GET /v1/page/Sandbox/history "$T/rh.json")
[ "$code $(json "$T/rh.json" 'str(j["revisions"][0]["id"]) + " " + j["revisions"][0]["user"]["name"] + " " + j["revisions"][0]["comment"]')" = "200 $newrev MwBot smoke REST $SFX" ] &&
	ok "REST history of Sandbox: the newest revision is MwBot's" || bad "REST history ($code): $(cat "$T/rh.json")"
body "$SRC again" "smoke REST 2" "$UCSRF" "$newrev" >"$T/b.json"
code=$(rest "$U" PUT /v1/page/Sandbox "$T/rput.json" "$T/b.json")
[ "$code" = 200 ] && ok "REST PUT with latest.id = that revision -> 200" || bad "REST PUT 2 ($code): $(cat "$T/rput.json")"
body "$SRC stale" "smoke REST 3" "$UCSRF" "$newrev" >"$T/b.json"
code=$(rest "$U" PUT /v1/page/Sandbox "$T/rerr.json" "$T/b.json")
if [ "$V" = 1.43 ]; then want="409 Conflict edit-conflict"; else want="409 Conflict -"; fi
[ "$(rest_err "$code" "$T/rerr.json")" = "$(want_err "$want")" ] && ok "REST PUT with a stale latest.id -> $want" || bad "REST stale PUT ($code): $(cat "$T/rerr.json")"
body "$SRC notoken" "smoke REST 4" "" "$newrev" >"$T/b.json"
code=$(rest "$U" PUT /v1/page/Sandbox "$T/rerr.json" "$T/b.json")
# 1.39: the action API's error (token missing); 1.43: the REST handler's own token check
if [ "$V" = 1.43 ]; then
	[ "$(rest_err "$code" "$T/rerr.json")" = "$(want_err "403 Forbidden rest-badtoken")" ] &&
		ok "1.43: REST PUT from the cookie session without a token -> 403 errorKey rest-badtoken" || bad "REST PUT without token ($code): $(cat "$T/rerr.json")"
else
	[ "$(rest_err "$code" "$T/rerr.json") $(json "$T/rerr.json" 'j.get("actionModuleErrorCode")')" = "$(want_err "400 Bad Request -") missingparam" ] &&
		ok "1.39: REST PUT from the cookie session without a token -> 400 actionModuleErrorCode missingparam" || bad "REST PUT without token ($code): $(cat "$T/rerr.json")"
fi
body "$SRC badtoken" "smoke REST 5" "0123456789abcdef0123456789abcdef+\\" "$newrev" >"$T/b.json"
code=$(rest "$U" PUT /v1/page/Sandbox "$T/rerr.json" "$T/b.json")
if [ "$V" = 1.43 ]; then want="403 Forbidden rest-badtoken"; else want="403 Forbidden -"; fi
[ "$(rest_err "$code" "$T/rerr.json")" = "$(want_err "$want")" ] && ok "REST PUT with a wrong token -> $want" || bad "REST PUT bad token ($code): $(cat "$T/rerr.json")"
code=$(rest "$U" GET /v1/page/Sandbox/history "$T/rh.json")
[ "$(json "$T/rh.json" 'j["revisions"][0]["user"]["name"] + " " + j["revisions"][0]["comment"]')" = "MwBot smoke REST 2" ] &&
	ok "the refused PUTs left no revision" || bad "history after refused PUTs: $(cat "$T/rh.json")"

# bot passwords are untouched by all this
r=$(login "$T/bot2.jar" "$MWAUTH_TEST_BOT_USER" "$MWAUTH_TEST_BOT_PASSWORD")
[ "$r" = Success ] && ok "bot-password login still works" || bad "login $MWAUTH_TEST_BOT_USER: $(cat "$T/login.json")"

[ "$fails" = 0 ] && echo "smoke test: all ok" || echo "smoke test: $fails failure(s)"
exit $((fails > 0))
