#!/usr/bin/env bash
# Runs the snippets of docs/binding.md ("how to bind mwauth from any language") against the test
# wiki, as read from docs/binding.md at run time (never copied here):
#
#   tests/wiki/with-wiki.sh tests/binding/run.sh
#
# Which blocks run is said by the fenced block's info string:
#   ```LANG test    a whole program, LANG one of js, python, java, perl, go. It is written to a
#                   scratch folder and run as the guide says (node botlogin.js with koffi installed
#                   there by npm; python3 botlogin.py; java -cp JNA_JAR CLASS.java; perl botlogin.pl;
#                   go run main.go, and the Go program again linked with libmwauth.a statically).
#                   It gets MWAUTH_API_URL, MWAUTH_USERNAME and MWAUTH_PASSWORD from the test wiki's
#                   MWAUTH_TEST_API_URL, MWAUTH_TEST_BOT_USER and MWAUTH_TEST_BOT_PASSWORD, and loads
#                   the library by its SONAME, libmwauth.so.0 (LD_LIBRARY_PATH points at it;
#                   MWAUTH_LIBRARY is unset). It must exit 0 and print the line "logged in as BOT"
#                   (BOT: the bot's user name); if it calls mw_session_set_logger, its stderr must
#                   hold a "[mwauth LEVEL] ..." line; nothing it prints may hold the bot password.
#                   The Java one runs under LC_ALL=C (no JAVA_TOOL_OPTIONS & co.), must be ASCII
#                   only, and must print "title Ünïcødé came back intact".
#   ```c check      declarations, compiled after include/mwauth.h (cc -fsyntax-only -Werror): a
#                   type that differs from the header fails; together the c check blocks must
#                   declare exactly the functions the header declares.
#   anything else   prose: not run. A "test" or "check" tag on another language, an unknown tag,
#                   or a language of the five without a test block, is an error.
# Besides the snippets, a control run checks the guide's claims about JNA: under LC_ALL=C a
# String argument turns "Ünïcødé" into "?n?c?d?", -Dfile.encoding=UTF-8 does not help,
# -Djna.encoding=UTF-8 does, and a collected callback is silently never called again.
#
# The library: MWAUTH_LIBRARY if set, else target/release/libmwauth.so (built with cargo build
# --release --lib when missing); libmwauth.a must be beside it. Toolchains: node and npm (koffi
# KOFFI_VERSION, default 3.3.4, is installed into the scratch folder; npm's own cache is used),
# python3, java (JNA_JAR, default /usr/share/java/jna.jar), perl with FFI::Platypus, go, cc. A
# missing toolchain or a missing wiki variable is a failure, never a skip. Scratch files live in
# a mktemp folder, removed at the end. Prints "ok ..." or "FAIL ..." per snippet, then
# "binding snippets: N passed, M failed"; exits non-zero on any failure.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DOC=$REPO/docs/binding.md
HEADER=$REPO/include/mwauth.h
KOFFI_VERSION=${KOFFI_VERSION:-3.3.4}
JNA_JAR=${JNA_JAR:-/usr/share/java/jna.jar}
CC=${CC:-cc}
TIMEOUT=${MWAUTH_BINDING_TIMEOUT:-300} # seconds for any one command

die() { printf 'binding snippets: ERROR: %s\n' "$*" >&2; exit 1; }

for v in MWAUTH_TEST_API_URL MWAUTH_TEST_BOT_USER MWAUTH_TEST_BOT_PASSWORD; do
	[ -n "${!v:-}" ] || die "$v is not set: run this through tests/wiki/with-wiki.sh"
done
BOT_NAME=${MWAUTH_TEST_BOT_USER%@*} # MwBot
[ -f "$DOC" ] || die "no $DOC"
[ -f "$HEADER" ] || die "no $HEADER"
command -v python3 >/dev/null || die "python3 is not installed: it reads docs/binding.md (and runs the Python snippet)"

# --- the library ------------------------------------------------------------------------------
if [ -n "${MWAUTH_LIBRARY:-}" ]; then
	[ -f "$MWAUTH_LIBRARY" ] || die "MWAUTH_LIBRARY=$MWAUTH_LIBRARY: no such file"
	LIB=$MWAUTH_LIBRARY
else
	LIB=$REPO/target/release/libmwauth.so
	if [ ! -f "$LIB" ]; then
		echo "binding snippets: no $LIB: building it (cargo build --release --lib)" >&2
		(cd "$REPO" && cargo build --release --lib && ln -sf libmwauth.so target/release/libmwauth.so.0) ||
			die "cargo build --release --lib failed"
	fi
fi
LIB=$(readlink -f -- "$LIB")
STATIC_LIB=$(dirname -- "$LIB")/libmwauth.a

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mwauth-binding.XXXXXX")
cleanup() { rm -rf -- "${WORK:?}"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The library under its SONAME (what the snippets load by default) and its link-time name.
mkdir "$WORK/lib"
ln -s "$LIB" "$WORK/lib/libmwauth.so.0"
ln -s "$LIB" "$WORK/lib/libmwauth.so"

# --- the blocks of docs/binding.md -------------------------------------------------------------
# Writes $WORK/blocks/N (the text of block N) and prints "N LANG TAG LINE" per marked block.
EXTRACT_PY=$(
	cat <<'EOF'
import os, re, sys

doc, out = sys.argv[1], sys.argv[2]
RUNNABLE = {"js", "python", "java", "perl", "go"}
blocks, fence = [], None
with open(doc, encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        line = line.rstrip("\n")
        if fence is not None:
            if line.rstrip() == "```":
                blocks.append(fence)
                fence = None
            else:
                fence[3].append(line + "\n")
        elif line.startswith("```"):
            words = line[3:].split()
            if len(words) > 2:
                sys.exit(f"{doc}:{n}: a fence info string of more than two words: {line!r}")
            lang = words[0] if words else ""
            tag = words[1] if len(words) > 1 else ""
            fence = (n, lang, tag, [])
if fence is not None:
    sys.exit(f"{doc}:{fence[0]}: a ```{fence[1]} block is never closed")
marked = []
for n, lang, tag, text in blocks:
    if tag == "test" and lang not in RUNNABLE:
        sys.exit(f"{doc}:{n}: ```{lang} test: tests/binding/run.sh runs only {sorted(RUNNABLE)}")
    if tag == "check" and lang != "c":
        sys.exit(f"{doc}:{n}: ```{lang} check: only c blocks are checked")
    if tag not in ("", "test", "check"):
        sys.exit(f"{doc}:{n}: unknown tag {tag!r} (test, check, or none)")
    if tag:
        marked.append((n, lang, tag, "".join(text)))
missing = RUNNABLE - {lang for _, lang, tag, _ in marked if tag == "test"}
if missing:
    sys.exit(f"{doc}: no ```LANG test block for {sorted(missing)}")
os.makedirs(out)
for i, (n, lang, tag, text) in enumerate(marked, 1):
    with open(os.path.join(out, str(i)), "w", encoding="utf-8") as f:
        f.write(text)
    print(i, lang, tag, n)
EOF
)
# Prints the function names declared in C files (comments stripped; typedef'd function pointer
# types are not functions): "mw_x(" outside comments, one per line, sorted.
C_FUNCTIONS_PY=$(
	cat <<'EOF'
import re, sys
names = set()
for path in sys.argv[1:]:
    code = open(path, encoding="utf-8").read()
    code = re.sub(r"/\*.*?\*/", " ", code, flags=re.S)
    code = re.sub(r"//[^\n]*", " ", code)
    code = re.sub(r"^\s*#[^\n]*", " ", code, flags=re.M)
    code = re.sub(r"_Static_assert\s*\(.*?\);", " ", code, flags=re.S)
    names.update(re.findall(r"\b(mw_\w+)\s*\(", code))
print("\n".join(sorted(names)))
EOF
)
MANIFEST=$(python3 -c "$EXTRACT_PY" "$DOC" "$WORK/blocks") || die "cannot take the blocks from $DOC"

# --- running and checking ------------------------------------------------------------------------
PASSED=0
FAILED=0
REASON=
# snippet NAME FUNCTION ARGS...: runs FUNCTION with its output in a log shown only on failure.
snippet() {
	local name=$1 fn=$2 log=$WORK/log.$((PASSED + FAILED)) start=$SECONDS
	shift 2
	REASON=
	if "$fn" "$@" >"$log" 2>&1 </dev/null; then
		PASSED=$((PASSED + 1))
		echo "ok $name ($((SECONDS - start)) s)"
	else
		FAILED=$((FAILED + 1))
		{
			echo "--- output of: $name (last 100 lines) ---"
			tail -n 100 "$log"
			echo "--- end of output ---"
		} >&2
		echo "FAIL $name: ${REASON:-see the output above}"
	fi
}

need() { # COMMAND DEBIAN-PACKAGE
	command -v "$1" >/dev/null 2>&1 || { REASON="$1 is not installed (Debian: $2)"; return 1; }
}

# The environment of a snippet: the test wiki's bot, the library by its SONAME.
SNIPPET_ENV=(env -u MWAUTH_LIBRARY "LD_LIBRARY_PATH=$WORK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
	"MWAUTH_API_URL=$MWAUTH_TEST_API_URL" "MWAUTH_USERNAME=$MWAUTH_TEST_BOT_USER"
	"MWAUTH_PASSWORD=$MWAUTH_TEST_BOT_PASSWORD")

# run_checked SOURCE DIR CMD...: runs CMD in DIR with the snippet environment and checks what it
# printed (see the top of this file). SOURCE is the snippet's text, for the logger check.
run_checked() {
	local source=$1 dir=$2 status=0
	shift 2
	(cd "$dir" && timeout "$TIMEOUT" "${SNIPPET_ENV[@]}" "$@" </dev/null >"$dir/stdout" 2>"$dir/stderr") || status=$?
	echo "--- stdout:"
	cat "$dir/stdout"
	echo "--- stderr:"
	cat "$dir/stderr"
	if [ "$status" -ne 0 ]; then
		REASON="it exited with status $status"
		return 1
	fi
	if ! grep -qxF "logged in as $BOT_NAME" "$dir/stdout"; then
		REASON="it did not print the line \"logged in as $BOT_NAME\""
		return 1
	fi
	if grep -q mw_session_set_logger "$source" && ! grep -Eq '^\[mwauth (10|20|30)\] ' "$dir/stderr"; then
		REASON="it sets a log callback, but no \"[mwauth LEVEL] ...\" line reached stderr"
		return 1
	fi
	if grep -qF -- "$MWAUTH_TEST_BOT_PASSWORD" "$dir/stdout" "$dir/stderr"; then
		REASON="its output holds the bot password"
		return 1
	fi
}

run_js() { # BLOCK
	local dir=$WORK/js.$1
	need node nodejs && need npm npm || return 1
	mkdir "$dir"
	# koffi into this folder only: no package.json, no lock file, no install scripts (koffi 3
	# takes its native code from a platform package, @koromix/koffi-linux-x64).
	if ! (cd "$dir" && timeout "$TIMEOUT" npm install --no-save --no-package-lock --no-audit --no-fund \
		--ignore-scripts --loglevel=error "koffi@$KOFFI_VERSION"); then
		REASON="npm install koffi@$KOFFI_VERSION failed"
		return 1
	fi
	cp "$WORK/blocks/$1" "$dir/botlogin.js"
	run_checked "$dir/botlogin.js" "$dir" node botlogin.js
}

run_python() {
	local dir=$WORK/python.$1
	mkdir "$dir"
	cp "$WORK/blocks/$1" "$dir/botlogin.py"
	run_checked "$dir/botlogin.py" "$dir" env -u PYTHONPATH python3 botlogin.py
}

JAVA_ENV=(env -u JAVA_TOOL_OPTIONS -u JDK_JAVA_OPTIONS -u _JAVA_OPTIONS LC_ALL=C LANG=C LANGUAGE=)
run_java() {
	local dir=$WORK/java.$1 class
	need java default-jre-headless || return 1
	[ -f "$JNA_JAR" ] || { REASON="no $JNA_JAR (Debian: libjna-java; or set JNA_JAR)"; return 1; }
	mkdir "$dir"
	class=$(sed -n 's/^public class \([A-Za-z0-9_]*\).*/\1/p' "$WORK/blocks/$1" | head -n 1)
	[ -n "$class" ] || { REASON="the Java snippet has no \"public class NAME\" line"; return 1; }
	if LC_ALL=C grep -q '[^ -~	]' "$WORK/blocks/$1"; then
		REASON="the Java snippet is not plain ASCII: under LC_ALL=C java would misread it"
		return 1
	fi
	cp "$WORK/blocks/$1" "$dir/$class.java"
	run_checked "$dir/$class.java" "$dir" "${JAVA_ENV[@]}" java -cp "$JNA_JAR" "$class.java" || return 1
	if ! LC_ALL=C grep -qxF "title Ünïcødé came back intact" "$dir/stdout"; then
		REASON="under LC_ALL=C it did not print \"title Ünïcødé came back intact\" (in UTF-8)"
		return 1
	fi
}

run_perl() {
	local dir=$WORK/perl.$1
	need perl perl || return 1
	perl -MFFI::Platypus -e 1 2>/dev/null || { REASON="perl has no FFI::Platypus (Debian: libffi-platypus-perl)"; return 1; }
	mkdir "$dir"
	cp "$WORK/blocks/$1" "$dir/botlogin.pl"
	run_checked "$dir/botlogin.pl" "$dir" env -u PERL5LIB perl botlogin.pl
}

# Go with nothing from the network: the standard library only, caches in the scratch folder.
go_env() { # LDFLAGS
	GO_ENV=(env "GOCACHE=$WORK/go-cache" "GOPATH=$WORK/go-path" GOFLAGS=-buildvcs=false GOPROXY=off
		GOTOOLCHAIN=local CGO_ENABLED=1 "CGO_CFLAGS=-I$REPO/include" "CGO_LDFLAGS=$1")
}
run_go() {
	local dir=$WORK/go.$1
	need go golang-go && need "$CC" gcc || return 1
	mkdir "$dir"
	cp "$WORK/blocks/$1" "$dir/main.go"
	go_env "-L$WORK/lib -Wl,-rpath,$WORK/lib"
	run_checked "$dir/main.go" "$dir" "${GO_ENV[@]}" go run main.go
}
run_go_static() {
	local dir=$WORK/go-static.$1
	need go golang-go && need "$CC" gcc || return 1
	[ -f "$STATIC_LIB" ] || { REASON="no $STATIC_LIB beside the library"; return 1; }
	mkdir "$dir" "$dir/lib"
	ln -s "$STATIC_LIB" "$dir/lib/libmwauth.a" # a folder with the .a but no .so, as the guide says
	cp "$WORK/blocks/$1" "$dir/main.go"
	go_env "-L$dir/lib -lpthread -ldl -lm"
	if ! (cd "$dir" && timeout "$TIMEOUT" "${GO_ENV[@]}" go build -o botlogin main.go); then
		REASON="go build with libmwauth.a failed"
		return 1
	fi
	if readelf -d "$dir/botlogin" | grep -q 'libmwauth'; then
		REASON="the program still needs libmwauth.so: it was not linked statically"
		return 1
	fi
	run_checked "$dir/main.go" "$dir" ./botlogin
}

run_c_check() { # BLOCK...
	local block files=() declared expected
	need "$CC" gcc || return 1
	for block in "$@"; do
		files+=("$WORK/check.$block.c")
		cp "$WORK/blocks/$block" "$WORK/check.$block.c"
		if ! "$CC" -std=c11 -Wall -Wextra -Werror -fsyntax-only -include "$HEADER" "$WORK/check.$block.c"; then
			REASON="a \`\`\`c check block does not match include/mwauth.h"
			return 1
		fi
	done
	expected=$(python3 -c "$C_FUNCTIONS_PY" "$HEADER")
	declared=$(python3 -c "$C_FUNCTIONS_PY" "${files[@]}")
	if [ "$declared" != "$expected" ]; then
		echo "only in include/mwauth.h:"; comm -23 <(echo "$expected") <(echo "$declared")
		echo "only in docs/binding.md:"; comm -13 <(echo "$expected") <(echo "$declared")
		REASON="the c check blocks do not declare exactly the header's functions"
		return 1
	fi
	echo "${#files[@]} block(s) match the header and declare its $(echo "$expected" | wc -l) functions"
}

# The guide's claims about JNA's String encoding and callback lifetime (see the top).
JNA_CONTROL=$(
	cat <<'EOF'
import com.sun.jna.*;
import com.sun.jna.ptr.PointerByReference;

public class Control {
  public interface Mw extends Library {
    interface LogFn extends Callback { void invoke(Pointer userdata, int level, Pointer message); }
    Pointer mw_session_new(String config, PointerByReference error);
    int mw_session_set_logger(Pointer session, LogFn log, Pointer userdata);
    int mw_request(Pointer session, String request, PointerByReference out);
    void mw_string_free(Pointer s);
    void mw_session_free(Pointer session);
  }
  static int calls = 0;

  public static void main(String[] args) throws Exception {
    Mw mw = Native.load("libmwauth.so.0", Mw.class);
    PointerByReference out = new PointerByReference();
    Pointer s = mw.mw_session_new("{\"api_url\": \"" + System.getenv("MWAUTH_API_URL") + "\"}", out);
    if (args[0].equals("title")) {   // the title the wiki got, non-ASCII as Java escapes
      mw.mw_request(s, "{\"params\": {\"action\": \"query\", \"titles\": \"\u00dcn\u00efc\u00f8d\u00e9\"}}", out);
      String answer = out.getValue().getString(0, "UTF-8");
      mw.mw_string_free(out.getValue());
      String title = answer.replaceAll(".*\"title\":\"([^\"]*)\".*", "$1");
      StringBuilder b = new StringBuilder();
      for (char c : title.toCharArray()) b.append(c < 128 ? String.valueOf(c) : String.format("\\u%04x", (int) c));
      System.out.println("title " + b);
    } else {   // "gc": a callback nothing references any more
      mw.mw_session_set_logger(s, new Mw.LogFn() {
        public void invoke(Pointer userdata, int level, Pointer message) { calls++; }
      }, null);
      mw.mw_request(s, "{\"params\": {\"action\": \"query\"}}", null);
      int before = calls;
      for (int i = 0; i < 5; i++) { System.gc(); Thread.sleep(50); }
      mw.mw_request(s, "{\"params\": {\"action\": \"query\"}}", null);
      System.out.println("calls before " + (before > 0) + " after " + (calls - before));
    }
    mw.mw_session_free(s);
  }
}
EOF
)
run_jna_control() {
	local dir=$WORK/jna-control got
	need java default-jre-headless || return 1
	[ -f "$JNA_JAR" ] || { REASON="no $JNA_JAR (Debian: libjna-java; or set JNA_JAR)"; return 1; }
	mkdir "$dir"
	printf '%s\n' "$JNA_CONTROL" >"$dir/Control.java"
	# control FLAGS... -- MODE EXPECTED
	control() {
		local flags=() expected
		while [ "$1" != -- ]; do flags+=("$1"); shift; done
		shift
		expected=$2
		got=$(cd "$dir" && timeout "$TIMEOUT" "${SNIPPET_ENV[@]}" "${JAVA_ENV[@]}" \
			java "${flags[@]}" -cp "$JNA_JAR" Control.java "$1" </dev/null) || {
			REASON="the control program failed (${flags[*]} $1)"
			return 1
		}
		echo "LC_ALL=C java ${flags[*]} ... $1: $got"
		[ "$got" = "$expected" ] || {
			REASON="LC_ALL=C java ${flags[*]}: \"$got\", where the guide says \"$expected\""
			return 1
		}
	}
	control -- title 'title ?n?c?d?' &&
		control -Dfile.encoding=UTF-8 -- title 'title ?n?c?d?' &&
		control -Djna.encoding=UTF-8 -- title 'title \u00dcn\u00efc\u00f8d\u00e9' &&
		control -- gc 'calls before true after 0'
}

# --- the run -----------------------------------------------------------------------------------------
echo "binding snippets: $DOC, library $LIB"
C_BLOCKS=()
while read -r n lang tag line; do
	case "$lang $tag" in
	"c check") C_BLOCKS+=("$n") ;;
	"js test") snippet "js (koffi $KOFFI_VERSION), docs/binding.md line $line" run_js "$n" ;;
	"python test") snippet "python (ctypes), docs/binding.md line $line" run_python "$n" ;;
	"java test") snippet "java (JNA) under LC_ALL=C, docs/binding.md line $line" run_java "$n" ;;
	"perl test") snippet "perl (FFI::Platypus), docs/binding.md line $line" run_perl "$n" ;;
	"go test")
		snippet "go (cgo, libmwauth.so), docs/binding.md line $line" run_go "$n"
		snippet "go (cgo, libmwauth.a linked statically), docs/binding.md line $line" run_go_static "$n"
		;;
	*) die "no runner for \`\`\`$lang $tag" ;;
	esac
done <<<"$MANIFEST"
if [ ${#C_BLOCKS[@]} -eq 0 ]; then
	FAILED=$((FAILED + 1))
	echo "FAIL c check: docs/binding.md has no \`\`\`c check block with the functions' declarations"
else
	snippet "c check: the guide's declarations are the header's" run_c_check "${C_BLOCKS[@]}"
fi
snippet "control: the guide's claims about JNA (String under LC_ALL=C, collected callbacks)" run_jna_control

echo "binding snippets: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
