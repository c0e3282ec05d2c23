#!/usr/bin/env bash
# Compiles the C++ wrapper's tests (tests/cpp/session_test.cpp: logins, errors, AuthManager;
# tests/cpp/transport_test.cpp: uploads, REST, continuation, the concurrency cap) and example
# (bindings/cpp/examples/botlogin.cpp) strictly, then runs them against the test wiki.
#
#   tests/wiki/with-wiki.sh tests/cpp/run.sh [LIBDIR]
#
# LIBDIR holds libmwauth.so (default: target/release; build it first with `make release` or
# `cargo build --release --lib`). VALGRIND=1 also runs the tests under valgrind; ASAN=1 also
# builds them with AddressSanitizer and UndefinedBehaviorSanitizer and runs those. CXX picks the
# compiler (default g++).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
LIBDIR=$(cd "${1:-target/release}" && pwd)
CXX=${CXX:-g++}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mwauth-cpp.XXXXXX")
trap 'rm -rf -- "$WORK"' EXIT

for v in MWAUTH_TEST_API_URL MWAUTH_TEST_REST_URL MWAUTH_TEST_BOT_USER MWAUTH_TEST_BOT_PASSWORD; do
	[ -n "${!v:-}" ] || { echo "cpp tests: $v is not set: run this through tests/wiki/with-wiki.sh" >&2; exit 1; }
done
[ -f "$LIBDIR/libmwauth.so" ] || { echo "cpp tests: no $LIBDIR/libmwauth.so (run make release)" >&2; exit 1; }
# Linked programs look for the SONAME, libmwauth.so.0; `make release` puts that link beside the
# library, a bare `cargo build` does not: then a link in the scratch directory serves.
RPATH=$LIBDIR
if ! ls "$LIBDIR"/libmwauth.so.[0-9]* >/dev/null 2>&1; then
	soname=$(objdump -p "$LIBDIR/libmwauth.so" 2>/dev/null | awk '$1 == "SONAME" {print $2}')
	ln -s "$LIBDIR/libmwauth.so" "$WORK/${soname:-libmwauth.so.0}"
	RPATH=$WORK:$LIBDIR
fi

FLAGS=(-std=c++17 -Wall -Wextra -Werror -g -Iinclude -Ibindings/cpp)
LINK=(-L"$LIBDIR" -Wl,-rpath,"$RPATH" -lmwauth -pthread)
TESTS=(session_test transport_test)
for t in "${TESTS[@]}"; do
	"$CXX" "${FLAGS[@]}" -o "$WORK/$t" "tests/cpp/$t.cpp" "${LINK[@]}"
done
"$CXX" "${FLAGS[@]}" -o "$WORK/botlogin" bindings/cpp/examples/botlogin.cpp "${LINK[@]}"

status=0
for t in "${TESTS[@]}"; do
	"$WORK/$t" || status=1
done
if [ "${ASAN:-0}" = 1 ]; then
	for t in "${TESTS[@]}"; do
		"$CXX" "${FLAGS[@]}" -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
			-o "$WORK/${t}_asan" "tests/cpp/$t.cpp" "${LINK[@]}"
		"$WORK/${t}_asan" || status=1
	done
fi
if [ "${VALGRIND:-0}" = 1 ]; then
	for t in "${TESTS[@]}"; do
		valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
			--show-leak-kinds=definite,indirect "$WORK/$t" || status=1
	done
fi
# The example, with the bot's credentials from the wiki's environment.
if out=$(MWAUTH_API_URL=${MWAUTH_TEST_API_URL:-} MWAUTH_USERNAME=${MWAUTH_TEST_BOT_USER:-} \
	MWAUTH_PASSWORD=${MWAUTH_TEST_BOT_PASSWORD:-} "$WORK/botlogin" 2>&1) &&
	grep -q '"name":"MwBot"' <<<"$out" && grep -q '^logout: {}$' <<<"$out"; then
	echo "botlogin (C++): ok"
else
	printf '%s\n' "$out" >&2
	echo "botlogin (C++): FAILED" >&2
	status=1
fi
exit "$status"
