#!/usr/bin/env bash
# Run CMD against a throw-away MediaWiki (Debian's package, sqlite, PHP's built-in server):
# 1.39 from this Debian 12 machine, or 1.43 from a cached Debian 13 root (MW_VERSION=1.43).
# See tests/wiki/README.md.
#
#   tests/wiki/with-wiki.sh CMD [ARGS...]
#
# MW_VERSION=1.39 (default) or 1.43 picks the release. MWAUTH_TEST_KEEP=1 keeps the wiki's
# folder (the servers are always stopped).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MW=/usr/share/mediawiki
MW_VERSION=${MW_VERSION:-1.39}
DBNAME=testwiki        # also the wiki id and the cookie prefix
BOT_APP=mwauth
START=$EPOCHREALTIME

log() { printf 'test wiki: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
elapsed() { # seconds since START, one decimal
	local now=${EPOCHREALTIME/[^0-9]/} start=${START/[^0-9]/}
	local ms=$(( (10#$now - 10#$start) / 1000 ))
	printf '%d.%d' $((ms / 1000)) $(((ms % 1000) / 100))
}

if [ $# -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

# --- 1. packages -------------------------------------------------------------
PACKAGES="mediawiki php-cli php-sqlite3 php-intl php-mbstring php-xml php-apcu"
php_ok() {
	command -v php >/dev/null 2>&1 &&
		php -r 'foreach (["pdo_sqlite", "intl", "mbstring", "dom"] as $e) if (!extension_loaded($e)) exit(1);' 2>/dev/null
}
case "$MW_VERSION" in
1.39)
	# PHP and MediaWiki from this machine. (For 1.43 every PHP command, even the one that picks
	# the servers' ports, runs in the Debian 13 root: this machine needs no PHP then.)
	if [ ! -f "$MW/maintenance/install.php" ] || ! php_ok; then
		[ "$(id -u)" -eq 0 ] || die "MediaWiki or PHP is missing and this is not root; install: $PACKAGES"
		log "installing MediaWiki 1.39 and PHP (once; about a minute)"
		apt_log=$(mktemp "${TMPDIR:-/tmp}/mwauth-apt.XXXXXX")
		export DEBIAN_FRONTEND=noninteractive
		# shellcheck disable=SC2086 # the package list is meant to be split
		if ! { apt-get update -q && apt-get install -y -q --no-install-recommends $PACKAGES; } >"$apt_log" 2>&1; then
			tail -n 40 "$apt_log" >&2
			die "apt-get install $PACKAGES failed"
		fi
		rm -f -- "$apt_log"
		php_ok || die "php or one of its extensions (pdo_sqlite intl mbstring dom) still missing"
	fi
	ROOT=
	;;
1.43)
	ROOT=$("$HERE/debian13-root.sh")
	;;
*) die "MW_VERSION=$MW_VERSION: the test bed runs 1.39 or 1.43" ;;
esac

# --- cleanup (installed before anything is started) ----------------------------
WIKI_DIR=
PGIDS=()
SERVER_PIDS=()

# true if a live (non-zombie) process has process group $1
group_alive() {
	local f st rest
	for f in /proc/[0-9]*/stat; do
		{ read -r st <"$f"; } 2>/dev/null || continue
		rest=${st##*) }            # "STATE PPID PGRP ..."
		read -r -a st <<<"$rest"
		[ "${st[2]}" = "$1" ] && [ "${st[0]}" != Z ] && return 0
	done
	return 1
}

cleanup() {
	local status=$? pgid pid pidfile i
	trap - EXIT INT TERM
	# A server is its own group leader (setsid without a fork), so its pid names its group too:
	# that also covers a server that failed before its pid file was read.
	for pid in "${SERVER_PIDS[@]}"; do
		case " ${PGIDS[*]} " in *" $pid "*) ;; *) PGIDS+=("$pid") ;; esac
	done
	# A server restart-wiki.sh started in CMD's time is no child of ours: its pid file names it.
	if [ -n "$WIKI_DIR" ]; then
		for pidfile in "$WIKI_DIR"/server-*.pid; do
			[ -s "$pidfile" ] || continue
			pid=$(<"$pidfile")
			case " ${PGIDS[*]} " in *" $pid "*) ;; *) PGIDS+=("$pid") ;; esac
		done
	fi
	for pgid in "${PGIDS[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
	for pgid in "${PGIDS[@]}"; do
		for ((i = 0; i < 50; i++)); do group_alive "$pgid" || break; sleep 0.1; done
		if group_alive "$pgid"; then
			log "server group $pgid ignored SIGTERM, sending SIGKILL"
			kill -KILL -- "-$pgid" 2>/dev/null || true
		fi
	done
	for pid in "${SERVER_PIDS[@]}"; do # reap, but never wait for ever
		for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$WIKI_DIR" ] && [ -d "$WIKI_DIR" ]; then
		if [ "${MWAUTH_TEST_KEEP:-}" = 1 ]; then
			log "kept $WIKI_DIR"
		else
			rm -rf -- "$WIKI_DIR"
		fi
		# in-root.sh's mount point for the folder, in the Debian 13 root
		[ -z "$ROOT" ] || rmdir -- "$ROOT$WIKI_DIR" 2>/dev/null || true
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 2. the wiki --------------------------------------------------------------
WIKI_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mwauth-wiki.XXXXXX")
DB_DIR=$WIKI_DIR/db
CONF=$WIKI_DIR/LocalSettings.php
mkdir -p "$DB_DIR"
# The wiki's PHP sees the test bed's own files (settings, setup script, extension) in the wiki's
# folder, which is all of this machine a 1.43 server sees.
TESTBED=$WIKI_DIR/testbed
mkdir "$TESTBED"
cp -R "$HERE/LocalSettings.test.php" "$HERE/setup-wiki.php" "$HERE/extensions" "$TESTBED/"
if [ -n "$ROOT" ]; then
	PHP=("$HERE/in-root.sh" "$ROOT" "$WIKI_DIR" php)
else
	PHP=(php)
fi

# two distinct free loopback ports (both sockets held open while choosing)
read -r PORT QUIET_PORT < <("${PHP[@]}" -r '
	$a = stream_socket_server("tcp://127.0.0.1:0"); $b = stream_socket_server("tcp://127.0.0.1:0");
	$p = fn($s) => substr(strrchr(stream_socket_get_name($s, false), ":"), 1);
	echo $p($a), " ", $p($b), "\n";')

rand32() { # N random chars of [0-9a-v] (base32hex, lower-cased; no PHP start-up per value)
	head -c $((($1 * 5 + 7) / 8 + 5)) /dev/urandom | basenc --base32hex -w0 | tr -d = | tr A-V a-v | cut -c "1-$1"
}
totp_secret() { # 20 random bytes in RFC 4648 base32: 32 chars of [A-Z2-7], no padding
	head -c 20 /dev/urandom | base32 -w0
}
ADMIN_PASSWORD=$(rand32 24)
BOT_PASSWORD=$(rand32 32)
PLAIN_PASSWORD=$(rand32 32)
HUMAN_PASSWORD=Human-$(rand32 20)
# two-factor users (index 1..3), each with its own TOTP secret
TOTP_USERS=(- MwTwoFactor MwTwoFactor2 MwTwoFactor3)
TOTP_PASSWORDS=(- "TwoFactor-$(rand32 20)" "TwoFactor-$(rand32 20)" "TwoFactor-$(rand32 20)")
TOTP_SECRETS=(- "$(totp_secret)" "$(totp_secret)" "$(totp_secret)")
# captcha users (index 1..3); the question is fixed
CAPTCHA_USERS=(- MwCaptcha1 MwCaptcha2 MwCaptcha3)
CAPTCHA_PASSWORDS=(- "Captcha-$(rand32 20)" "Captcha-$(rand32 20)" "Captcha-$(rand32 20)")
CAPTCHA_QUESTION='mwauth test captcha: what is six times seven?'
CAPTCHA_ANSWER=42
# the test identity provider (extensions/MwauthTestAuth)
REDIRECT_USER=MwRedirectUser
REDIRECT_CODE=$(rand32 24)
RESTART_CODE=$(rand32 24)
IDP_KEY=$(rand32 24)     # code "$IDP_KEY:NAME" = the identity NAME
IDP_NEW_IDENTITY=newcomer
IDP_URL=http://127.0.0.1:9/mwauth-test-idp
# users to link identities to (index 1..3) and users whose password tests change (1..3)
LINK_USERS=(- MwLink1 MwLink2 MwLink3)
LINK_PASSWORDS=(- "Link-$(rand32 20)" "Link-$(rand32 20)" "Link-$(rand32 20)")
CHANGE_USERS=(- MwChange1 MwChange2 MwChange3)
CHANGE_PASSWORDS=(- "Change-$(rand32 20)" "Change-$(rand32 20)" "Change-$(rand32 20)")

export MW_CONFIG_FILE=$CONF
export MW_INSTALL_PATH=$MW

run_php() { # run a maintenance script quietly; show its output only on failure
	local out
	if ! out=$("${PHP[@]}" "$@" 2>&1); then
		printf '%s\n' "$out" >&2
		die "failed: php $*"
	fi
}

log "creating wiki in $WIKI_DIR"
printf '%s' "$ADMIN_PASSWORD" >"$WIKI_DIR/admin.pass"
run_php "$MW/maintenance/install.php" --dbtype=sqlite --dbpath="$DB_DIR" --dbname="$DBNAME" \
	--server="http://127.0.0.1:$PORT" --scriptpath= --confpath="$WIKI_DIR" \
	--passfile="$WIKI_DIR/admin.pass" --lang=en --skins=Vector "Test Wiki" Admin
rm -f "$WIKI_DIR/admin.pass"
T_INSTALL=$(elapsed)
[ -f "$CONF" ] || die "install.php wrote no $CONF"

php_str() { # a PHP single-quoted string literal
	local s=${1//\\/\\\\}
	s=${s//\'/\\\'}
	printf "'%s'" "$s"
}
cat >>"$CONF" <<EOF

# --- added by tests/wiki/with-wiki.sh ---
\$mwauthTestWikiDir = $(php_str "$WIKI_DIR");
\$mwauthTestCaptchaQuestion = $(php_str "$CAPTCHA_QUESTION");
\$mwauthTestCaptchaAnswer = $(php_str "$CAPTCHA_ANSWER");
\$mwauthTestCaptchaUsers = [ $(php_str "${CAPTCHA_USERS[1]}"), $(php_str "${CAPTCHA_USERS[2]}"), $(php_str "${CAPTCHA_USERS[3]}") ];
\$mwauthTestRedirectCode = $(php_str "$REDIRECT_CODE");
\$mwauthTestUnlinkedCode = $(php_str "$RESTART_CODE");
\$mwauthTestIdpKey = $(php_str "$IDP_KEY");
\$mwauthTestIdpUrl = $(php_str "$IDP_URL");
require $(php_str "$TESTBED/LocalSettings.test.php");
EOF

# --- 4. servers (started now; they boot while the users are created) ----------
# PHP's limits for the servers (given after "php", so on 1.43 they reach the root's PHP 8.4):
# a 64 MiB file in one request must pass (MediaWiki's own limit, $wgMaxUploadSize, is 128 MiB;
# Debian's defaults are 2M / 8M). MediaWiki only ever raises memory_limit ($wgMemoryLimit).
SERVER_PHP=("${PHP[@]}" -d upload_max_filesize=144M -d post_max_size=152M -d memory_limit=512M)
start_server() { # PORT LOGFILE
	local pidfile=$WIKI_DIR/server-$1.pid
	PHP_CLI_SERVER_WORKERS=4 setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" \
		"${SERVER_PHP[@]}" -S "127.0.0.1:$1" -t "$MW" </dev/null >>"$2" 2>&1 &
	SERVER_PIDS+=("$!")
	local i
	for ((i = 0; i < 500; i++)); do [ -s "$pidfile" ] && break; sleep 0.02; done # 10 s on a busy machine
	[ -s "$pidfile" ] || die "server on port $1 did not start"
	PGIDS+=("$(<"$pidfile")")
}
start_server "$PORT" "$WIKI_DIR/server.log"
start_server "$QUIET_PORT" "$WIKI_DIR/quiet.log"
# What restart-wiki.sh needs to start the main server again as it was started (flags included).
{
	printf 'PORT=%q\nLOG=%q\nMW=%q\n' "$PORT" "$WIKI_DIR/server.log" "$MW"
	printf 'PHP=('
	printf '%q ' "${SERVER_PHP[@]}"
	printf ')\n'
} >"$WIKI_DIR/server.env"

# --- 3. users, bot passwords, TOTP keys (one PHP process: setup-wiki.php) ------------
# The spec goes through a file on stdin, not the command line. All the values are from
# [0-9A-Za-z-], so they need no JSON escaping.
user_json() { # NAME PASSWORD [MORE-JSON-MEMBERS]
	printf '{"name": "%s", "password": "%s"%s}' "$1" "$2" "${3:+, $3}"
}
{
	printf '{"users": [\n'
	user_json MwBot "$(rand32 24)" '"groups": ["bot"], "botpassword": {"appid": "'"$BOT_APP"'",
		"grants": ["basic", "highvolume", "editpage", "createeditmovepage", "uploadfile", "uploadeditmovefile"], "password": "'"$BOT_PASSWORD"'"}'
	printf ',\n'
	user_json MwPlain "$(rand32 24)" '"botpassword": {"appid": "'"$BOT_APP"'",
		"grants": ["basic", "editpage", "createeditmovepage", "uploadfile", "uploadeditmovefile"], "password": "'"$PLAIN_PASSWORD"'"}'
	printf ',\n'
	user_json MwHuman "$HUMAN_PASSWORD"
	for i in 1 2 3; do
		printf ',\n'
		user_json "${TOTP_USERS[i]}" "${TOTP_PASSWORDS[i]}" '"totp": "'"${TOTP_SECRETS[i]}"'"'
		printf ',\n'
		user_json "${CAPTCHA_USERS[i]}" "${CAPTCHA_PASSWORDS[i]}"
		printf ',\n'
		user_json "${LINK_USERS[i]}" "${LINK_PASSWORDS[i]}"
		printf ',\n'
		user_json "${CHANGE_USERS[i]}" "${CHANGE_PASSWORDS[i]}"
	done
	printf ',\n'
	user_json "$REDIRECT_USER" "Redirect-$(rand32 20)"
	printf '\n]}\n'
} >"$WIKI_DIR/users.json"
run_php "$TESTBED/setup-wiki.php" <"$WIKI_DIR/users.json"
rm -f "$WIKI_DIR/users.json"
T_USERS=$(elapsed)

# --- wait for both servers ------------------------------------------------------
wait_up() { # PORT LOGFILE PGID
	local url="http://127.0.0.1:$1/api.php?action=query&meta=siteinfo&format=json" deadline=$((SECONDS + 60))
	until "${PHP[@]}" -r '$r = @file_get_contents($argv[1], false, stream_context_create(["http" => ["timeout" => 10]]));
			exit($r !== false && strpos($r, "\"sitename\"") !== false ? 0 : 1);' "$url"; do
		if ! group_alive "$3"; then
			tail -n 20 "$2" >&2 || true
			die "the server for $url exited (log: $2)"
		fi
		if ((SECONDS >= deadline)); then
			tail -n 20 "$2" >&2 || true
			die "no siteinfo from $url after 60 s (log: $2)"
		fi
		sleep 0.1
	done
}
wait_up "$PORT" "$WIKI_DIR/server.log" "${PGIDS[0]}"
wait_up "$QUIET_PORT" "$WIKI_DIR/quiet.log" "${PGIDS[1]}"
: >"$WIKI_DIR/quiet.log" # the quiet server's log starts empty for CMD

# --- 5. environment for CMD ---------------------------------------------------------
export MWAUTH_TEST_API_URL="http://127.0.0.1:$PORT/api.php"
export MWAUTH_TEST_SERVER_LOG="$WIKI_DIR/server.log"
export MWAUTH_TEST_QUIET_API_URL="http://127.0.0.1:$QUIET_PORT/api.php"
export MWAUTH_TEST_QUIET_LOG="$WIKI_DIR/quiet.log"
export MWAUTH_TEST_REST_URL="http://127.0.0.1:$PORT/rest.php"
export MWAUTH_TEST_QUIET_REST_URL="http://127.0.0.1:$QUIET_PORT/rest.php"
export MWAUTH_TEST_UPLOAD_DIR="$WIKI_DIR/images"
export MWAUTH_TEST_WIKI_DIR="$WIKI_DIR"
export MWAUTH_TEST_MW_VERSION="$MW_VERSION"
export MWAUTH_TEST_CACHE_DB="$DB_DIR/wikicache.sqlite"
export MWAUTH_TEST_WIKI_ID="$DBNAME"
export MWAUTH_TEST_COOKIE_PREFIX="$DBNAME"
export MWAUTH_TEST_BOT_USER="MwBot@$BOT_APP"
export MWAUTH_TEST_BOT_PASSWORD="$BOT_PASSWORD"
export MWAUTH_TEST_PLAIN_USER="MwPlain@$BOT_APP"
export MWAUTH_TEST_PLAIN_PASSWORD="$PLAIN_PASSWORD"
export MWAUTH_TEST_HUMAN_USER=MwHuman
export MWAUTH_TEST_HUMAN_PASSWORD="$HUMAN_PASSWORD"
export MWAUTH_API_URL="${MWAUTH_API_URL:-$MWAUTH_TEST_API_URL}"
export MWAUTH_USERNAME="${MWAUTH_USERNAME:-$MWAUTH_TEST_BOT_USER}"
export MWAUTH_PASSWORD="${MWAUTH_PASSWORD:-$MWAUTH_TEST_BOT_PASSWORD}"
export MWAUTH_TEST_EXPIRE_SESSION="$HERE/expire_session.py"
export MWAUTH_TEST_RESTART_WIKI="$HERE/restart-wiki.sh"
for i in 1 2 3; do
	n=$i; [ "$i" = 1 ] && n= # MWAUTH_TEST_TOTP_USER, MWAUTH_TEST_TOTP2_USER, MWAUTH_TEST_TOTP3_USER, ...
	export "MWAUTH_TEST_TOTP${n}_USER=${TOTP_USERS[i]}" "MWAUTH_TEST_TOTP${n}_PASSWORD=${TOTP_PASSWORDS[i]}" \
		"MWAUTH_TEST_TOTP${n}_SECRET=${TOTP_SECRETS[i]}" \
		"MWAUTH_TEST_CAPTCHA${n}_USER=${CAPTCHA_USERS[i]}" "MWAUTH_TEST_CAPTCHA${n}_PASSWORD=${CAPTCHA_PASSWORDS[i]}" \
		"MWAUTH_TEST_LINK${n}_USER=${LINK_USERS[i]}" "MWAUTH_TEST_LINK${n}_PASSWORD=${LINK_PASSWORDS[i]}" \
		"MWAUTH_TEST_CHANGE${n}_USER=${CHANGE_USERS[i]}" "MWAUTH_TEST_CHANGE${n}_PASSWORD=${CHANGE_PASSWORDS[i]}"
done
export MWAUTH_TEST_CAPTCHA_QUESTION="$CAPTCHA_QUESTION"
export MWAUTH_TEST_CAPTCHA_ANSWER="$CAPTCHA_ANSWER"
export MWAUTH_TEST_REDIRECT_USER="$REDIRECT_USER"
export MWAUTH_TEST_REDIRECT_CODE="$REDIRECT_CODE"
export MWAUTH_TEST_RESTART_CODE="$RESTART_CODE"
export MWAUTH_TEST_IDP_URL="$IDP_URL"
export MWAUTH_TEST_IDP_KEY="$IDP_KEY"
export MWAUTH_TEST_IDP_NEW_IDENTITY="$IDP_NEW_IDENTITY"
export MWAUTH_TEST_IDP_NEW_CODE="$IDP_KEY:$IDP_NEW_IDENTITY"
export MWAUTH_TEST_IDP_NEW_USER="MwIdp-$IDP_NEW_IDENTITY" # the name the RESTART suggests (preservedusername)
export MWAUTH_TEST_IDP_STATE_FILE="$WIKI_DIR/mwauth-test-idp.json"

log "MediaWiki $MW_VERSION up at $MWAUTH_TEST_API_URL (quiet: $MWAUTH_TEST_QUIET_API_URL) in $(elapsed) s" \
	"(installed at $T_INSTALL s, users at $T_USERS s)"

# --- 6. run CMD (in the foreground, so Ctrl-C reaches it) --------------------------
set +e
"$@"
status=$?
set -e
exit "$status"
