#!/usr/bin/env bash
# Drives the interactive C example through its standard input against the test wiki (run by
# `make test` inside tests/wiki/with-wiki.sh): a password login, a two-factor login, and an
# account creation (--create) with the captcha the form asks, then a login with the new account.
set -euo pipefail
cd "$(dirname "$0")/../.."
example=tests/c/bin/clientlogin
passed=0 failed=0

check() { # NAME EXPECTED-TEXT INPUT [OPTION...]
	local out
	out=$(printf '%b' "$3" | "$example" "${@:4}" "$MWAUTH_TEST_API_URL" 2>&1) || true
	if grep -qF -- "$2" <<<"$out"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		printf 'FAIL %s: no "%s" in:\n%s\n' "$1" "$2" "$out" >&2
	fi
}

totp() { # BASE32-SECRET -> the current RFC 6238 code
	python3 -c 'import base64, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1] + "=" * (-len(sys.argv[1]) % 8))
mac = hmac.digest(key, struct.pack(">Q", int(time.time()) // 30), "sha1")
at = mac[19] & 15
print("%06d" % ((struct.unpack(">I", mac[at:at + 4])[0] & 0x7fffffff) % 1000000))' "$1"
}

# The form asks, in the wiki's order: username, password, the test provider's button, remember me.
check "password login" "Logged in as $MWAUTH_TEST_HUMAN_USER." \
	"$MWAUTH_TEST_HUMAN_USER\n$MWAUTH_TEST_HUMAN_PASSWORD\nn\nn\n"
check "wrong password" "Incorrect username or password" \
	"$MWAUTH_TEST_HUMAN_USER\nnot-the-password\nn\nn\n"
# Two-factor: the same, then the code the wiki asks for in a UI step.
check "two-factor prompt" "Please enter a code" \
	"$MWAUTH_TEST_TOTP3_USER\n$MWAUTH_TEST_TOTP3_PASSWORD\nn\nn\n"
check "two-factor login" "Logged in as $MWAUTH_TEST_TOTP3_USER." \
	"$MWAUTH_TEST_TOTP3_USER\n$MWAUTH_TEST_TOTP3_PASSWORD\nn\nn\n$(totp "$MWAUTH_TEST_TOTP3_SECRET")\n"

# Account creation. The form asks, in the wiki's order: the captcha (its question shown from
# captchaInfo, its hidden id left to the library), username, password, retype, then the optional
# email and real name (left empty).
NEW_USER=MwCExample$$ NEW_PASSWORD="c example password $$"
create_input="$MWAUTH_TEST_CAPTCHA_ANSWER\n$NEW_USER\n$NEW_PASSWORD\n$NEW_PASSWORD\n\n\n"
check "create: the captcha question" "$MWAUTH_TEST_CAPTCHA_QUESTION" "" --create # (no answer: ends there)
check "create: the account" "Created the account $NEW_USER." "$create_input" --create
check "create: the new account logs in" "Logged in as $NEW_USER." "$NEW_USER\n$NEW_PASSWORD\nn\nn\n"
check "create: a taken name" "Username entered already in use." "$create_input" --create
check "create: a wrong captcha" "Incorrect or missing CAPTCHA." \
	"${MWAUTH_TEST_CAPTCHA_ANSWER}0\n${NEW_USER}x\n$NEW_PASSWORD\n$NEW_PASSWORD\n\n\n" --create
check "usage" "usage:" "" --no-such-flag

echo "clientlogin example: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
