#!/usr/bin/env bash
# mwauth's benchmarks: figures side by side with other clients, as a plain-text table.
#
#   bench/run.sh
#
# About two minutes on 2 cores (100 to 140 s). Builds the release library and the programs in
# bench/ (into target/bench/), installs the Python clients of bench/requirements.txt into
# target/bench/venv, starts tiny keep-alive servers on loopback (bench/fastserver.c: plain http on
# 127.0.0.1, TLS on 127.0.0.1 and 127.0.0.2) and, for the request counts, the asynchronous calls
# and the uploads, the throw-away test wiki (tests/wiki/with-wiki.sh). Everything it starts is
# stopped on exit. The table is also written to target/bench/results.txt; callgrind's profile of
# mwauth's loop to target/bench/callgrind-*.txt.
#
# 1. HTTP requests for a cold bot-password login + one meta=userinfo, counted in the quiet wiki
#    server's log (bench/wiki_counts.sh); and for a session resumed from a cookie file.
# 2. Per-request cost of GET meta=siteinfo on one kept-alive connection to the fast server: wall
#    time (best of BENCH_RUNS loops of BENCH_N) and instructions of the client process (callgrind,
#    the difference between a run of 2n and one of n requests, divided by n: start-up cancels out).
# 3. Memory of idle sessions (RSS growth and malloc'd bytes per session), then after one request each.
# 4. Cold start: the first session + request of a process vs later ones (median of BENCH_COLD_RUNS).
# 5. Calls in flight: mw_request_async vs the program's own threads (bench/async_bench.c).
# 6. Upload of a BENCH_UPLOAD_MIB file to the test wiki: mwauth mw_upload in one request and in
#    4 MiB chunks, and curl -F; wall time, MiB/s, and each client process's peak RSS
#    (bench/wiki_upload.sh, every process under bench/peak.c: wait4's ru_maxrss).
# 7. Requests in flight through max_concurrent_requests 2, 4 and none: 8 threads on one session
#    (bench/cap_bench.c); the most requests bench/fastserver answered at once, and calls/s, with
#    the server answering at once and after BENCH_CAP_DELAY_US.
#
# Knobs: BENCH_N (2000), BENCH_RUNS (3), BENCH_CG_N (200; Python: BENCH_CG_PY_N, 100),
# BENCH_IDLE_N (10000), BENCH_USED_N (3000), BENCH_COLD_RUNS (5), BENCH_ASYNC_N (4000),
# BENCH_ASYNC_WIKI_N (400), BENCH_UPLOAD_MIB (64), BENCH_UPLOAD_RUNS (3), BENCH_CAP_N (2000 per
# thread; with the delay BENCH_CAP_DELAY_N, 200), BENCH_CAP_DELAY_US (2000); BENCH_SKIP_WIKI=1,
# BENCH_SKIP_CALLGRIND=1 leave those parts out.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
B=$ROOT/target/bench
N=${BENCH_N:-2000}
RUNS=${BENCH_RUNS:-3}
CG_N=${BENCH_CG_N:-200}
CG_PY_N=${BENCH_CG_PY_N:-100}
IDLE_N=${BENCH_IDLE_N:-10000}
USED_N=${BENCH_USED_N:-3000}
COLD_RUNS=${BENCH_COLD_RUNS:-5}
START=$SECONDS

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- servers started here, stopped on exit ------------------------------------------------------
PIDS=()
cleanup() {
	local status=$? pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 0. build -------------------------------------------------------------------------------------
missing=()
[ -f /usr/include/x86_64-linux-gnu/curl/curl.h ] || [ -f /usr/include/curl/curl.h ] || missing+=(libcurl4-openssl-dev)
[ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
for tool in valgrind:valgrind strace:strace openssl:openssl curl:curl gcc:gcc; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing packages (install them as root): ${missing[*]}"
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
fi

log "building"
mkdir -p "$B"
(cd "$ROOT" && cargo build --release --lib --quiet)
ln -sf libmwauth.so "$ROOT/target/release/libmwauth.so.0"
CFLAGS=(-O2 -g -Wall -Wextra)
gcc "${CFLAGS[@]}" -DWITH_TLS -o "$B/fastserver" "$HERE/fastserver.c" -lssl -lcrypto -lpthread
gcc "${CFLAGS[@]}" -I"$ROOT/include" -o "$B/mwauth_bench" "$HERE/mwauth_bench.c" \
	-L"$ROOT/target/release" -Wl,-rpath,"$ROOT/target/release" -lmwauth
gcc "${CFLAGS[@]}" -o "$B/curl_bench" "$HERE/curl_bench.c" -lcurl
gcc "${CFLAGS[@]}" -I"$ROOT/include" -o "$B/async_bench" "$HERE/async_bench.c" \
	-L"$ROOT/target/release" -Wl,-rpath,"$ROOT/target/release" -lmwauth -lpthread
gcc "${CFLAGS[@]}" -I"$ROOT/include" -o "$B/cap_bench" "$HERE/cap_bench.c" \
	-L"$ROOT/target/release" -Wl,-rpath,"$ROOT/target/release" -lmwauth -lpthread
gcc "${CFLAGS[@]}" -o "$B/peak" "$HERE/peak.c"

PY=$B/venv/bin/python
if ! [ -x "$PY" ] || ! "$PY" -c 'import mwclient, mwapi, requests, pywikibot' 2>/dev/null ||
	! cmp -s "$HERE/requirements.txt" "$B/venv/requirements.txt"; then
	log "installing the Python clients into $B/venv"
	rm -rf "$B/venv"
	python3 -m venv "$B/venv"
	"$B/venv/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt" >&2
	cp "$HERE/requirements.txt" "$B/venv/requirements.txt"
fi
export MWAUTH_LIBRARY=$ROOT/target/release/libmwauth.so
export NO_PROXY='*' no_proxy='*' # loopback only: never through a proxy
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy

# Python binding: used when bindings/python is there and imports.
PYBIND=
if [ -d "$ROOT/bindings/python/mwauth" ] && "$PY" "$HERE/py_clients.py" mwauth-version >"$B/pybind.txt" 2>&1; then
	PYBIND=1
fi

# --- results -------------------------------------------------------------------------------------
declare -A R=()
# load PREFIX: reads "key value" lines from stdin into R[PREFIX.key].
load() {
	local key value
	while read -r key value; do
		[ -n "$key" ] && R["$1.$key"]=$value
	done
}
get() { printf '%s' "${R[$1]:-${2:--}}"; }
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# --- fast servers ---------------------------------------------------------------------------------
# start_server NAME ADDR [CERT KEY]: sets PORT.
start_server() {
	local name=$1 addr=$2 i
	shift 2
	rm -f "$B/$name.port"
	"$B/fastserver" "$addr" "$B/$name.port" "$@" &
	PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -s "$B/$name.port" ] && break
		sleep 0.05
	done
	[ -s "$B/$name.port" ] || die "fastserver $name did not start"
	PORT=$(cat "$B/$name.port")
}

log "certificates for the TLS servers"
mkdir -p "$B/tls"
(
	cd "$B/tls"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
		-out ca.pem -days 2 -subj /CN=mwauth-bench-ca \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key \
		-out leaf.csr -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >leaf.ext
	openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem \
		-days 2 -extfile leaf.ext 2>/dev/null
	# libcurl's CAINFO replaces its default bundle, so give it the system's roots plus ours (as
	# mwauth's ca_file adds to its built-in roots).
	cat /etc/ssl/certs/ca-certificates.crt ca.pem >bundle.pem 2>/dev/null || cp ca.pem bundle.pem
)

start_server http 127.0.0.1
HTTP_BASE=http://127.0.0.1:$PORT
API=$HTTP_BASE/api.php
start_server tls1 127.0.0.1 "$B/tls/leaf.pem" "$B/tls/leaf.key"
TLS_BASE=https://127.0.0.1:$PORT
TLS_API=$TLS_BASE/api.php
TLS_CTRL=$TLS_BASE
start_server tls2 127.0.0.2 "$B/tls/leaf.pem" "$B/tls/leaf.key"
TLS2_API=https://127.0.0.2:$PORT/api.php
QUERY='action=query&meta=siteinfo&format=json&formatversion=2'
BODY_BYTES=$(curl -s "$API?$QUERY" | wc -c)

reset_stats() { curl -s --cacert "$B/tls/ca.pem" "$1/__reset" >/dev/null; }
# stats BASE: "connections/requests" seen by that server since its last reset.
stats() {
	curl -s --cacert "$B/tls/ca.pem" "$1/__stats" |
		sed -E 's/.*"accepted":([0-9]+),"requests":([0-9]+).*/\1 \2/'
}
# max_in_flight BASE: the most requests that server answered at once since its last reset.
max_in_flight() { curl -s --cacert "$B/tls/ca.pem" "$1/__stats" | sed -E 's/.*"max_in_flight":([0-9]+).*/\1/'; }

# --- versions -------------------------------------------------------------------------------------
load mwauth < <("$B/mwauth_bench" version)
load curl < <("$B/curl_bench" version)
load py < <("$PY" "$HERE/py_clients.py" versions)

# --- 2. per-request cost --------------------------------------------------------------------------
# wall NAME BASE CMD...: best us_per_request of RUNS loops; connections/requests of the first.
wall() {
	local name=$1 base=$2 best= us run conns reqs
	shift 2
	for ((run = 1; run <= RUNS; run++)); do
		reset_stats "$base"
		us=$("$@" | awk '$1 == "us_per_request" {print $2}')
		[ -n "$us" ] || die "$name: no figure from: $*"
		if [ "$run" -eq 1 ]; then
			read -r conns reqs < <(stats "$base")
			R[$name.conns]="$conns / $reqs"
		fi
		if [ -z "$best" ] || awk -v a="$us" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$us; fi
	done
	R[$name.us]=$best
}

# instr NAME n CMD... (CMD's "@N@" is replaced by the count): instructions per request.
instr() {
	local name=$1 n=$2 k total a=() totals=()
	shift 2
	[ "${BENCH_SKIP_CALLGRIND:-}" = 1 ] && return 0
	for k in 1 2; do
		a=("${@//@N@/$((n * k))}")
		if ! valgrind --tool=callgrind --callgrind-out-file="$B/cg.$name.$k" "${a[@]}" >/dev/null 2>"$B/cg.$name.$k.log"; then
			log "WARNING: $name under callgrind failed (see $B/cg.$name.$k.log): no instruction count"
			return 0
		fi
		total=$(awk '$1 == "totals:" || $1 == "summary:" {print $2; exit}' "$B/cg.$name.$k")
		totals+=("$total")
	done
	R[$name.ir]=$(((totals[1] - totals[0]) / n))
}

# syscalls NAME n CMD...: system calls per request (strace -c, all threads), as instr() counts.
syscalls() {
	local name=$1 n=$2 k a=() totals=()
	shift 2
	for k in 1 2; do
		a=("${@//@N@/$((n * k))}")
		if ! strace -f -c -o "$B/strace.$name.$k" "${a[@]}" >/dev/null 2>"$B/strace.$name.$k.log"; then
			log "WARNING: $name under strace failed (see $B/strace.$name.$k.log): no syscall count"
			return 0
		fi
		totals+=("$(awk '$NF == "total" {print $4 + 0}' "$B/strace.$name.$k")")
	done
	R[$name.sys]=$(awk -v a="${totals[0]}" -v b="${totals[1]}" -v n="$n" 'BEGIN {printf "%.1f", (b - a) / n}')
}

# incl FILE FUNCTION: a function's inclusive instructions in a callgrind_annotate --inclusive listing.
incl() { awk -v f="???:$2 [" 'index($0, f) && !done {gsub(",", "", $1); print $1 + 0; done = 1}' "$1"; }

log "per-request cost: $N requests x $RUNS runs per client (http)"
wall c_mwauth "$HTTP_BASE" "$B/mwauth_bench" loop "$API" "$N"
wall c_curl "$HTTP_BASE" "$B/curl_bench" loop "$API?$QUERY" "$N"
if [ -n "$PYBIND" ]; then
	wall py_mwauth "$HTTP_BASE" "$PY" "$HERE/py_clients.py" loop-mwauth "$API" "$N"
fi
wall py_requests "$HTTP_BASE" "$PY" "$HERE/py_clients.py" loop-requests "$API" "$N"
wall py_mwapi "$HTTP_BASE" "$PY" "$HERE/py_clients.py" loop-mwapi "$API" "$N"
log "per-request cost (https)"
BENCH_CA_FILE=$B/tls/ca.pem wall c_mwauth_tls "$TLS_CTRL" "$B/mwauth_bench" loop "$TLS_API" "$N"
BENCH_CA_FILE=$B/tls/bundle.pem wall c_curl_tls "$TLS_CTRL" "$B/curl_bench" loop "$TLS_API?$QUERY" "$N"

if [ "${BENCH_SKIP_CALLGRIND:-}" != 1 ]; then
	log "instructions per request (callgrind: n=$CG_N and $((2 * CG_N)); Python n=$CG_PY_N and $((2 * CG_PY_N)))"
	instr c_mwauth "$CG_N" "$B/mwauth_bench" loop "$API" @N@
	instr c_curl "$CG_N" "$B/curl_bench" loop "$API?$QUERY" @N@
	BENCH_CA_FILE=$B/tls/ca.pem instr c_mwauth_tls "$CG_N" "$B/mwauth_bench" loop "$TLS_API" @N@
	BENCH_CA_FILE=$B/tls/bundle.pem instr c_curl_tls "$CG_N" "$B/curl_bench" loop "$TLS_API?$QUERY" @N@
	if [ -n "$PYBIND" ]; then
		instr py_mwauth "$CG_PY_N" "$PY" "$HERE/py_clients.py" loop-mwauth "$API" @N@
	fi
	instr py_requests "$CG_PY_N" "$PY" "$HERE/py_clients.py" loop-requests "$API" @N@
	if [ -n "${R[c_mwauth.ir]:-}" ]; then
		callgrind_annotate "$B/cg.c_mwauth.2" >"$B/callgrind-mwauth-c.txt" 2>/dev/null || true
		callgrind_annotate --inclusive=yes "$B/cg.c_mwauth.2" >"$B/callgrind-mwauth-c-inclusive.txt" 2>/dev/null || true
		callgrind_annotate --inclusive=yes "$B/cg.c_mwauth.1" >"$B/callgrind-mwauth-c-inclusive-n.txt" 2>/dev/null || true
		# Where mw_request's instructions go, per request (the same difference of two runs).
		for fn in mw_request mwauth::http::exchange mwauth::response::interpret mwauth::ffi::write_json \
			'core::ptr::drop_in_place<serde_json::value::Value>' mwauth::ffi::json_arg \
			mwauth::params::ApiRequest::from_json; do
			a=$(incl "$B/callgrind-mwauth-c-inclusive-n.txt" "$fn")
			b=$(incl "$B/callgrind-mwauth-c-inclusive.txt" "$fn")
			[ -n "$a$b" ] && R["split.$fn"]=$(((${b:-0} - ${a:-0}) / CG_N))
		done
		R[split.input]=$((${R[split.mwauth::ffi::json_arg]:-0} + ${R[split.mwauth::params::ApiRequest::from_json]:-0}))
	fi
	callgrind_annotate "$B/cg.c_mwauth_tls.2" >"$B/callgrind-mwauth-c-tls.txt" 2>/dev/null || true
fi

# --- 3. memory ------------------------------------------------------------------------------------
log "system calls per request (strace -c: n=$CG_N and $((2 * CG_N)))"
syscalls c_mwauth "$CG_N" "$B/mwauth_bench" loop "$API" @N@
syscalls c_curl "$CG_N" "$B/curl_bench" loop "$API?$QUERY" @N@
if [ -n "$PYBIND" ]; then
	syscalls py_mwauth "$CG_N" "$PY" "$HERE/py_clients.py" loop-mwauth "$API" @N@
fi
syscalls py_requests "$CG_N" "$PY" "$HERE/py_clients.py" loop-requests "$API" @N@
syscalls py_mwapi "$CG_N" "$PY" "$HERE/py_clients.py" loop-mwapi "$API" @N@
BENCH_CA_FILE=$B/tls/ca.pem syscalls c_mwauth_tls "$CG_N" "$B/mwauth_bench" loop "$TLS_API" @N@
BENCH_CA_FILE=$B/tls/bundle.pem syscalls c_curl_tls "$CG_N" "$B/curl_bench" loop "$TLS_API?$QUERY" @N@

log "memory: $IDLE_N sessions, $USED_N of them used once"
reset_stats "$HTTP_BASE"
load m_mwauth < <("$B/mwauth_bench" idle "$API" "$IDLE_N" "$USED_N")
read -r conns reqs < <(stats "$HTTP_BASE")
R[m_mwauth.conns]="$conns / $reqs"
reset_stats "$HTTP_BASE"
load m_curl < <("$B/curl_bench" idle "$API?$QUERY" "$IDLE_N" "$USED_N")
read -r conns reqs < <(stats "$HTTP_BASE")
R[m_curl.conns]="$conns / $reqs"
if [ -n "$PYBIND" ]; then
	load m_py_mwauth < <("$PY" "$HERE/py_clients.py" idle-mwauth "$API" "$IDLE_N")
fi
load m_py_requests < <("$PY" "$HERE/py_clients.py" idle-requests "$API" "$IDLE_N")

# --- 4. cold start --------------------------------------------------------------------------------
log "cold start: $COLD_RUNS processes per client"
# cold NAME CMD...: median of each figure over COLD_RUNS processes.
cold() {
	local name=$1 run key value
	shift
	local tmp=$B/cold.$name
	: >"$tmp"
	for ((run = 1; run <= COLD_RUNS; run++)); do "$@" >>"$tmp"; done
	for key in $(awk '{print $1}' "$tmp" | sort -u); do
		R[$name.$key]=$(awk -v k="$key" '$1 == k {print $2}' "$tmp" | median)
	done
}
cold k_mwauth "$B/mwauth_bench" cold "$API"
cold k_curl "$B/curl_bench" cold "$API?$QUERY"
BENCH_CA_FILE=$B/tls/ca.pem cold k_mwauth_tls "$B/mwauth_bench" cold "$TLS_API" "$TLS2_API"
BENCH_CA_FILE=$B/tls/bundle.pem cold k_curl_tls "$B/curl_bench" cold "$TLS_API?$QUERY" "$TLS2_API?$QUERY"

# --- 5. asynchronous calls ------------------------------------------------------------------------
ASYNC_N=${BENCH_ASYNC_N:-4000}
ASYNC_WIKI_N=${BENCH_ASYNC_WIKI_N:-400}
log "asynchronous calls: $ASYNC_N requests with 1, 16 and 256 in flight (fast server)"
for k in 1 16 256; do
	load "a_async_$k" < <("$B/async_bench" "$API" "$ASYNC_N" "$k")
	load "a_sync_$k" < <("$B/async_bench" "$API" "$ASYNC_N" "$k" sync)
done
if [ "${BENCH_SKIP_WIKI:-}" != 1 ]; then
	log "asynchronous calls: $ASYNC_WIKI_N requests with 1, 16 and 256 in flight (test wiki)"
	# shellcheck disable=SC2016 # expanded by the inner shell, inside the wiki's environment
	if timeout 600 "$ROOT/tests/wiki/with-wiki.sh" bash -c 'for k in 1 16 256; do
			"$0" "$MWAUTH_TEST_QUIET_API_URL" "$1" "$k" | sed "s/^/async_$k./"
			"$0" "$MWAUTH_TEST_QUIET_API_URL" "$1" "$k" sync | sed "s/^/sync_$k./"
		done' "$B/async_bench" "$ASYNC_WIKI_N" >"$B/async-wiki.txt" 2>"$B/async-wiki.log"; then
		load aw <"$B/async-wiki.txt"
	fi
fi

# --- 7. requests in flight through max_concurrent_requests ------------------------------------------
CAP_N=${BENCH_CAP_N:-2000}
CAP_DELAY_N=${BENCH_CAP_DELAY_N:-200}
CAP_DELAY_US=${BENCH_CAP_DELAY_US:-2000}
log "max_concurrent_requests 2, 4, none: 8 threads x $CAP_N requests (and x $CAP_DELAY_N, answered after $CAP_DELAY_US us)"
for cap in 2 4 none; do
	for d in 0 "$CAP_DELAY_US"; do
		reset_stats "$HTTP_BASE"
		load "c_${cap}_$d" < <("$B/cap_bench" "$API" 8 "$([ "$d" = 0 ] && echo "$CAP_N" || echo "$CAP_DELAY_N")" "$cap" "$d")
		R[c_${cap}_$d.max]=$(max_in_flight "$HTTP_BASE")
		read -r conns reqs < <(stats "$HTTP_BASE")
		R[c_${cap}_$d.conns]=$conns
	done
done

# --- 6. upload of a large file to the real wiki -----------------------------------------------------
UPLOAD_MIB=${BENCH_UPLOAD_MIB:-64}
UPLOAD_RUNS=${BENCH_UPLOAD_RUNS:-3}
UPLOAD_NOTE=
if [ "${BENCH_SKIP_WIKI:-}" = 1 ]; then
	UPLOAD_NOTE="skipped (BENCH_SKIP_WIKI=1)"
else
	log "upload of a $UPLOAD_MIB MiB file to the test wiki: mwauth (one request, 4 MiB chunks), curl -F"
	UPLOAD_FILE=$B/upload-${UPLOAD_MIB}MiB.bin
	head -c $((UPLOAD_MIB << 20)) /dev/urandom >"$UPLOAD_FILE" # new bytes each run
	if timeout 600 "$ROOT/tests/wiki/with-wiki.sh" "$HERE/wiki_upload.sh" "$B" "$UPLOAD_FILE" $((4 << 20)) "$UPLOAD_RUNS" >"$B/upload.txt" 2>"$B/upload.log"; then
		load u <"$B/upload.txt"
	else
		UPLOAD_NOTE="failed: see $B/upload.log"
		load u <"$B/upload.txt" || true
	fi
	rm -f "$UPLOAD_FILE"
fi

# --- 1. requests against the real wiki ------------------------------------------------------------
WIKI_NOTE=
if [ "${BENCH_SKIP_WIKI:-}" = 1 ]; then
	WIKI_NOTE="skipped (BENCH_SKIP_WIKI=1)"
else
	log "request counts against the test wiki (tests/wiki/with-wiki.sh)"
	if timeout 600 "$ROOT/tests/wiki/with-wiki.sh" "$HERE/wiki_counts.sh" "$B" >"$B/wiki.txt" 2>"$B/wiki.log"; then
		load w <"$B/wiki.txt"
	else
		WIKI_NOTE="failed: see $B/wiki.log"
		load w <"$B/wiki.txt" || true
	fi
fi

# --- the table ------------------------------------------------------------------------------------
us() { # microseconds, one decimal; "-" when missing
	local v=${R[$1]:-}
	if [ -z "$v" ] || [ "$v" = - ]; then printf -- '-'; else printf '%.1f' "$v"; fi
}
thousands() { # 98765 -> 98,765
	local v=${R[$1]:-}
	if [ -z "$v" ]; then printf -- '-'; else printf '%s' "$v" | sed -E ':a; s/^(-?[0-9]+)([0-9]{3})/\1,\2/; ta'; fi
}
bytes() { # bytes per session; "-" when missing
	local v=${R[$1]:-}
	if [ -z "$v" ]; then printf -- '-'; else printf '%s' "$v"; fi
}
wiki_row() { # LABEL KEY
	local label=$1 key=$2
	if [ -n "${R[w.${key}_requests]:-}" ]; then
		printf '  %-52s %8s   %-40s %6s\n' "$label" "${R[w.${key}_requests]}" "${R[w.${key}_methods]}" "${R[w.${key}_seconds]}"
	elif [ -n "${R[w.${key}_skipped]:-}" ]; then
		printf '  %-52s %8s   %s\n' "$label" "-" "${R[w.${key}_skipped]}"
	else
		printf '  %-52s %8s   %s\n' "$label" "-" "${WIKI_NOTE:-not run}"
	fi
}

mib() { # KiB -> MiB, one decimal; "-" when missing
	local v=${R[$1]:-}
	if [ -z "$v" ]; then printf -- '-'; else awk -v k="$v" 'BEGIN {printf "%.1f", k / 1024}'; fi
}
upload_row() { # LABEL KEY BASE
	local label=$1 key=$2 s=${R[u.${2}_s]:-}
	if [ -n "$s" ]; then
		printf '  %-46s %9.2f %8.1f %13s %17s\n' "$label" "$s" \
			"$(awk -v b="${R[u.bytes]}" -v s="$s" 'BEGIN {print b / 1048576 / s}')" \
			"$(mib "u.${key}_rss_kib")" "$(mib "u.${3}_base_rss_kib")"
	elif [ -n "${R[u.${key}_skipped]:-}" ]; then
		printf '  %-46s %9s   %s\n' "$label" "-" "${R[u.${key}_skipped]}"
	else
		printf '  %-46s %9s   %s\n' "$label" "-" "${UPLOAD_NOTE:-not run}"
	fi
}

table() {
	local cores
	cores=$(nproc)
	echo "mwauth benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'), $cores cores, $(uname -m), loopback only)"
	echo "  mwauth $(get mwauth.version) (ureq + rustls), $(rustc --version 2>/dev/null | cut -d' ' -f1-2)"
	echo "  $(get curl.version | cut -d' ' -f1-2)"
	echo "  Python $(get py.python): requests $(get py.requests), urllib3 $(get py.urllib3), mwclient $(get py.mwclient), mwapi $(get py.mwapi), pywikibot $(get py.pywikibot)"
	[ -n "$PYBIND" ] && echo "  Python binding: bindings/python over the same library (ctypes)"
	echo
	echo "1. HTTP requests: cold bot-password login, then one authenticated meta=userinfo"
	echo "   (counted in the quiet test wiki's log: MediaWiki 1.39 on php -S)"
	printf '  %-52s %8s   %-40s %6s\n' "client" "requests" "methods, in order" "wall s"
	wiki_row "mwauth (C ABI: mw_login + mw_request)" mwauth
	wiki_row "mwclient: Site(...) + login() + api(userinfo)" mwclient
	wiki_row "mwapi: action=login by hand + get(userinfo)" mwapi_bot
	wiki_row "pywikibot: Site + login() + userinfo request" pywikibot
	wiki_row "mwauth, session resumed from cookie_file" mwauth_resume
	wiki_row "  (the login that wrote that cookie_file)" mwauth_cookiefile_login
	wiki_row "mwauth clientlogin, main-account password" mwauth_clientlogin
	wiki_row "mwapi login() (clientlogin), main-account pw" mwapi_clientlogin
	echo "   Resumed from cookie_file: the one GET is the caller's userinfo; mwauth makes none of its own."
	echo "   mwapi's Session.login() is action=clientlogin, which refuses bot passwords; the"
	echo "   clientlogin rows use the wiki's MwHuman account instead. pywikibot POSTs everything."
	echo "   wall s: the whole client process against PHP (~15 ms a request), Python start-up included."
	echo
	echo "2. Per-request cost: GET meta=siteinfo (answer: $BODY_BYTES B of JSON), one session,"
	echo "   kept-alive connection, bench/fastserver on loopback. Wall: best of $RUNS x $N requests."
	echo "   Instructions (callgrind) and system calls (strace -c), whole client process, all threads:"
	echo "   (count(2n) - count(n)) / n, so start-up cancels out."
	printf '  %-40s %11s %14s %13s %17s\n' "client" "us/request" "instr/request" "syscalls/req" "conns / requests"
	local row
	for row in "c_mwauth|C    mwauth mw_request (JSON in, JSON out)" "c_curl|C    libcurl, one easy handle (raw bytes)" \
		"py_mwauth|Py   mwauth binding Session.request" "py_requests|Py   requests.Session get + .json()" \
		"py_mwapi|Py   mwapi Session.get" \
		"c_mwauth_tls|C    mwauth, https (rustls)" "c_curl_tls|C    libcurl, https (OpenSSL)"; do
		local k=${row%%|*} label=${row#*|}
		if [ "$k" = py_mwauth ] && [ -z "$PYBIND" ]; then
			printf '  %-40s %s\n' "$label" "skipped: bindings/python missing or not importable"
			continue
		fi
		printf '  %-40s %11s %14s %13s %17s\n' "$label" "$(us "$k.us")" "$(thousands "$k.ir")" "$(get "$k.sys")" "$(get "$k.conns")"
	done
	echo
	echo "3. Memory per session (C: RSS growth from /proc/self/statm, and malloc'd bytes; Python: RSS)"
	printf '  %-40s %14s %14s %22s %16s\n' "client" "idle RSS B" "idle heap B" "+1 request RSS/heap B" "conns / requests"
	printf '  %-40s %14s %14s %22s %16s\n' "C    mwauth: $(get m_mwauth.sessions) x mw_session_new" \
		"$(bytes m_mwauth.rss_per_session)" "$(bytes m_mwauth.heap_per_session)" \
		"$(bytes m_mwauth.rss_per_used_session) / $(bytes m_mwauth.heap_per_used_session)" "$(get m_mwauth.conns)"
	printf '  %-40s %14s %14s %22s %16s\n' "C    libcurl: $(get m_curl.sessions) x curl_easy_init" \
		"$(bytes m_curl.rss_per_session)" "$(bytes m_curl.heap_per_session)" \
		"$(bytes m_curl.rss_per_used_session) / $(bytes m_curl.heap_per_used_session)" "$(get m_curl.conns)"
	if [ -n "$PYBIND" ]; then
		printf '  %-40s %14s %14s %22s\n' "Py   mwauth.Session x $(get m_py_mwauth.sessions)" "$(bytes m_py_mwauth.rss_per_session)" "-" "-"
	fi
	printf '  %-40s %14s %14s %22s\n' "Py   requests.Session x $(get m_py_requests.sessions)" "$(bytes m_py_requests.rss_per_session)" "-" "-"
	echo "   \"+1 request\": after one request on each of the first $USED_N sessions (per used session)."
	echo "   mwauth's sessions share one connection pool; each libcurl easy handle keeps its own."
	echo
	echo "4. Cold start, microseconds (median of $COLD_RUNS processes)"
	printf '  %-44s %10s %10s %12s %12s\n' "" "mwauth" "libcurl" "mwauth TLS" "libcurl TLS"
	local kr
	for kr in "global_init_us|curl_global_init" "first_new_us|first session (handle) created" \
		"first_request_us|its first request" "same_session_next_request_us|its second request" \
		"second_new_us|second session created" "second_session_first_request_us|its first request" \
		"other_host_new_us|session for another host (127.0.0.2)" "other_host_first_request_us|its first request (new TLS connection)"; do
		local k=${kr%%|*} label=${kr#*|}
		printf '  %-44s %10s %10s %12s %12s\n' "$label" "$(us "k_mwauth.$k")" "$(us "k_curl.$k")" \
			"$(us "k_mwauth_tls.$k")" "$(us "k_curl_tls.$k")"
	done
	echo "   mwauth: one agent (connection pool, TLS config) per process, shared by its sessions."
	echo "   libcurl: plain easy handles, no share handle: each handle connects (and loads CAs) itself."
	echo "   So a second mwauth session's first request reuses the pooled connection; libcurl's connects."
	echo
	echo "5. Calls in flight (GET meta=siteinfo, one session): mw_request_async with K in flight,"
	echo "   against K threads of the program's own each calling mw_request; threads: the most the"
	echo "   library (async) or the program (sync) used. Fast server: $ASYNC_N calls; test wiki"
	echo "   (php -S, 4 workers): $ASYNC_WIKI_N calls."
	printf '  %-10s %16s %9s %16s %9s %16s %9s %16s %9s\n' "in flight" "async calls/s" "threads" \
		"sync calls/s" "threads" "wiki async/s" "threads" "wiki sync/s" "threads"
	for k in 1 16 256; do
		printf '  %-10s %16s %9s %16s %9s %16s %9s %16s %9s\n' "$k" \
			"$(get "a_async_$k.calls_per_s")" "$(get "a_async_$k.threads")" \
			"$(get "a_sync_$k.calls_per_s")" "$(get "a_sync_$k.threads")" \
			"$(get "aw.async_$k.calls_per_s")" "$(get "aw.async_$k.threads")" \
			"$(get "aw.sync_$k.calls_per_s")" "$(get "aw.sync_$k.threads")"
	done
	echo "   The library's pool is 8 threads (MWAUTH_ASYNC_THREADS): calls beyond them wait in its queue."
	echo
	echo "6. Upload of a $UPLOAD_MIB MiB file (random bytes, .bin) to the test wiki's main server (php -S,"
	echo "   4 workers), action=upload with ignorewarnings; the clients take turns, $UPLOAD_RUNS runs each: the"
	echo "   fastest run's time, the highest peak. Each client is its own process, run by bench/peak"
	echo "   (fork + exec; peak RSS: the child's ru_maxrss from wait4, i.e. its VmHWM at exit)."
	printf '  %-46s %9s %8s %13s %17s\n' "client" "upload s" "MiB/s" "peak RSS MiB" "no upload: MiB"
	upload_row "mwauth mw_upload, one request" one mwauth
	upload_row "mwauth mw_upload, 4 MiB chunks (stash+publish)" chunked mwauth
	upload_row "curl -F file=@..., one request" curl curl
	upload_row "curl -F, one request, -H 'Expect:'" curlnx curl
	echo "   upload s: mwauth, the mw_upload call (after login and a csrf token: action=checktoken);"
	echo "   curl, its time_total (login, cookie jar and token by earlier curl processes). \"no upload\":"
	echo "   the same client's peak when it only logs in (mwauth_bench) or makes one GET (curl)."
	echo "   curl sends a large body with \"Expect: 100-continue\" and waits up to 1 s for a 100, which"
	echo "   php -S never sends; -H 'Expect:' drops that wait. mwauth (ureq) does not wait."
	echo "   The file is streamed from disk by both; PHP's side (temp file, SHA-1, store) sets the pace."
	echo
	echo "7. Requests in flight through max_concurrent_requests: 8 threads of the program's own share one"
	echo "   session, each calling mw_request (GET meta=siteinfo) against bench/fastserver; \"at once\":"
	echo "   the most requests the server was answering at the same time; conns: connections it accepted."
	echo "   Answered at once: 8 x $CAP_N calls; answered after $CAP_DELAY_US us (bench_delay_us): 8 x $CAP_DELAY_N."
	printf '  %-28s %10s %8s %6s   %10s %8s %6s\n' "" "calls/s" "at once" "conns" "delayed/s" "at once" "conns"
	local cap
	for cap in 2 4 none; do
		printf '  %-28s %10s %8s %6s   %10s %8s %6s\n' "max_concurrent_requests $cap" \
			"$(get "c_${cap}_0.calls_per_s")" "$(get "c_${cap}_0.max")" "$(get "c_${cap}_0.conns")" \
			"$(get "c_${cap}_$CAP_DELAY_US.calls_per_s")" "$(get "c_${cap}_$CAP_DELAY_US.max")" \
			"$(get "c_${cap}_$CAP_DELAY_US.conns")"
	done
	echo "   Answered at once, a request is in the server for microseconds: few overlap, on 2 cores."
	if [ -n "${R[split.mw_request]:-}" ]; then
		echo
		echo "mwauth C, instructions per mw_request (callgrind, inclusive):"
		printf '  %-58s %9s\n' "mw_request, all of it" "$(thousands split.mw_request)" \
			"  HTTP exchange (ureq: write, read, pool; headers; body)" "$(thousands split.mwauth::http::exchange)" \
			"  parse the answer into a serde_json Value (preserve_order)" "$(thousands split.mwauth::response::interpret)" \
			"  write the output JSON text (Value -> String -> C string)" "$(thousands split.mwauth::ffi::write_json)" \
			"  drop the Value trees" "$(thousands 'split.core::ptr::drop_in_place<serde_json::value::Value>')" \
			"  parse the caller's request JSON + read its fields" "$(thousands split.input)"
	fi
	if [ "${BENCH_SKIP_CALLGRIND:-}" != 1 ] && [ -f "$B/callgrind-mwauth-c.txt" ]; then
		echo
		echo "mwauth C loop ($((2 * CG_N)) requests): top functions by own instructions (callgrind)"
		awk 'f && /^ *[0-9,]+ \(/ && n++ < 12 {print} /file:function/ {f = 1}' "$B/callgrind-mwauth-c.txt" |
			sed -E 's/ \[[^]]*\]$//; s/\?\?\?://; s#\./[^:]*/##; s/^/  /' | cut -c1-110
	fi
	echo
	echo "(bench/run.sh: $((SECONDS - START)) s; files in $B)"
}

table | tee "$B/results.txt"
exit 0
