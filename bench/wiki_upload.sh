#!/usr/bin/env bash
# Runs inside tests/wiki/with-wiki.sh (needs its environment): uploads FILE to the test wiki's
# main server three ways, RUNS times each (in turn), each client process under bench/peak (wall
# time and peak RSS, from wait4's ru_maxrss), and prints "key value" lines (the fastest run's
# times, the highest peak of all runs):
#
#   one_*     mwauth mw_upload, chunk_bytes >= the file: one multipart action=upload request
#   chunked_* mwauth mw_upload, chunk_bytes CHUNK (4 MiB): stash=1 chunks, then the publish
#   curl_*    curl -F: the same single action=upload request, after action=login (cookie jar)
#             and a csrf token fetched by earlier curl processes. curl sends a large body with
#             "Expect: 100-continue" and waits up to 1 s for a 100 that php -S never sends
#   curlnx_*  the same with -H 'Expect:' (no wait)
#   *_s       the upload itself: mwauth's mw_upload call (timed in the process); curl's
#             time_total (-w); *_wall_s the whole client process; *_rss_kib its peak RSS
#   *_base_rss_kib   the same client's peak RSS doing its login/token part only, no upload
#   or *_skipped WHY.
#
#   bench/wiki_upload.sh BUILD_DIR FILE [CHUNK_BYTES [RUNS]]
set -euo pipefail

B=${1:?usage: wiki_upload.sh BUILD_DIR FILE [CHUNK_BYTES [RUNS]]}
FILE=${2:?usage: wiki_upload.sh BUILD_DIR FILE [CHUNK_BYTES [RUNS]]}
CHUNK=${3:-$((4 << 20))}
RUNS=${4:-3}
API=${MWAUTH_TEST_API_URL:?run inside tests/wiki/with-wiki.sh}
USER_=$MWAUTH_TEST_BOT_USER
PASS=$MWAUTH_TEST_BOT_PASSWORD
SIZE=$(stat -c %s "$FILE")
TAG=$$-$(date +%s) # unique file names per run
WORK=$(mktemp -d)
trap 'rm -rf -- "$WORK"' EXIT

# field NAME FILE: a "key value" line's value.
field() { awk -v k="$1" '$1 == k {print $2; exit}' "$2"; }

# Each run's figures: "NAME upload_s wall_s rss_kib" lines, summed up at the end.
RESULTS=$WORK/results
: >"$RESULTS"
declare -A SKIPPED=()

# mwauth NAME CHUNK_BYTES RUN
mwauth() {
	local name=$1 chunk=$2 out=$WORK/$1.out
	if ! "$B/peak" "$B/mwauth_bench" upload "$API" "$USER_" "$PASS" "$FILE" "$chunk" \
		"Bench-$name-$TAG-$3.bin" >"$out" 2>&1; then
		SKIPPED[$name]="failed: $(grep -v '^peak_' "$out" | tail -n 1 | cut -c1-120)"
		return 0
	fi
	echo "$name $(field upload_s "$out") $(field peak_wall_s "$out") $(field peak_rss_kib "$out")" >>"$RESULTS"
	# The process's own VmHWM reading, to compare with wait4's.
	[ "$3" != 1 ] || echo "${name}_vmhwm_kib $(field vmhwm_kib "$out")"
}

echo "bytes $SIZE"
echo "runs $RUNS"
"$B/peak" "$B/mwauth_bench" upload "$API" "$USER_" "$PASS" "$FILE" 0 - >"$WORK/mwauth-base.out" 2>&1 &&
	echo "mwauth_base_rss_kib $(field peak_rss_kib "$WORK/mwauth-base.out")"

# --- curl: action=login with a cookie jar, a csrf token, then one -F upload -----------------------
JAR=$WORK/cookies.txt
# token TYPE: query the token; JSON-unescaped (a csrf token ends in "+\").
token() {
	curl -sS -b "$JAR" -c "$JAR" "$API?action=query&meta=tokens&type=$1&format=json" |
		python3 -c "import json, sys; print(json.load(sys.stdin)['query']['tokens']['$1token'])"
}
curl_login() {
	local login
	login=$(token login) || return 1
	curl -sS -b "$JAR" -c "$JAR" --data-urlencode action=login --data-urlencode "lgname=$USER_" \
		--data-urlencode "lgpassword=$PASS" --data-urlencode "lgtoken=$login" \
		--data-urlencode format=json "$API" >"$WORK/login.json" || return 1
	grep -q '"result":"Success"' "$WORK/login.json" || { cat "$WORK/login.json" >&2; return 1; }
	CSRF=$(token csrf) || return 1
	# The baseline: a curl process doing one authenticated GET, no upload.
	"$B/peak" curl -sS -b "$JAR" -o /dev/null "$API?action=query&meta=userinfo&format=json" \
		>"$WORK/curl-base.out" || return 1
	echo "curl_base_rss_kib $(field peak_rss_kib "$WORK/curl-base.out")"
}
# curl_upload NAME RUN [CURL_ARGS...]
curl_upload() {
	local name=$1 run=$2
	shift 2
	# --form-string: the values as they are (-F would read ";type=", "@" and "<" in them).
	"$B/peak" curl -sS -b "$JAR" --max-time 600 -o "$WORK/upload.json" -w 'time_total %{time_total}\n' "$@" \
		--form-string action=upload --form-string "filename=Bench-$name-$TAG-$run.bin" \
		--form-string ignorewarnings=1 --form-string comment="curl bench" \
		--form-string format=json --form-string "token=$CSRF" \
		-F "file=@$FILE;type=application/octet-stream" "$API" >"$WORK/curl.out" 2>"$WORK/curl.log" || return 1
	grep -q '"result":"Success"' "$WORK/upload.json" || { head -c 300 "$WORK/upload.json" >"$WORK/curl.log"; return 1; }
	echo "$name $(field time_total "$WORK/curl.out") $(field peak_wall_s "$WORK/curl.out") $(field peak_rss_kib "$WORK/curl.out")" >>"$RESULTS"
}

CURL_OK=1
curl_login >"$WORK/curl-login.out" 2>"$WORK/curl.log" || CURL_OK=
grep '^curl_base' "$WORK/curl-login.out" || true
for ((run = 1; run <= RUNS; run++)); do
	mwauth one "$((SIZE > CHUNK ? SIZE : CHUNK))" "$run"
	mwauth chunked "$CHUNK" "$run"
	if [ -n "$CURL_OK" ] && ! curl_upload curl "$run"; then CURL_OK=; fi
	if [ -n "$CURL_OK" ] && ! curl_upload curlnx "$run" -H 'Expect:'; then CURL_OK=; fi
done
if [ -z "$CURL_OK" ]; then
	SKIPPED[curl]="failed: $(tail -n 1 "$WORK/curl.log" | cut -c1-120)"
	SKIPPED[curlnx]=${SKIPPED[curl]}
fi

# The fastest run's upload_s and wall_s, the highest rss of all runs.
for name in one chunked curl curlnx; do
	if [ -n "${SKIPPED[$name]:-}" ]; then
		echo "${name}_skipped ${SKIPPED[$name]}"
		continue
	fi
	awk -v n="$name" '$1 == n {
			if (best == "" || $2 < best) {best = $2; wall = $3}
			if ($4 > rss) rss = $4
		}
		END {if (best != "") printf "%s_s %s\n%s_wall_s %s\n%s_rss_kib %d\n", n, best, n, wall, n, rss}' "$RESULTS"
done
echo "curl_version $(curl --version | head -n 1 | cut -d' ' -f1-2 | tr ' ' /)"
