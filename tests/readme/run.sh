#!/usr/bin/env bash
# Checks that every quick-start snippet in README.md (the sections "## C quick start",
# "## C++ quick start" and "## Python quick start") works as a reader pastes it, against the test
# wiki. The snippets are read from README.md at run time, never copied here, so an edit that
# breaks one fails this test. The only changes made to them: the example wiki and credentials
# become the test wiki's (and the Python venv goes to a scratch folder); a placeholder that is
# no longer in README.md is an error, so such a change is noticed here too.
#
#   tests/wiki/with-wiki.sh tests/readme/run.sh
#
# The C and C++ programs are written where README.md says, hello.c / hello.cpp in the
# repository's folder (and built to ./hello there), and removed afterwards. The snippet that runs
# `make install PREFIX=/usr/local && ldconfig` changes the system: it runs only with
# MWAUTH_TEST_SYSTEM_INSTALL=1 (the fresh-machine check, in a throw-away root).
# Prints "ok ..." or "FAIL ..." per snippet, then "readme snippets: N passed, M failed".
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
README=$REPO/README.md
PYTHON=${PYTHON:-python3}

die() { printf 'readme snippets: ERROR: %s\n' "$*" >&2; exit 1; }

for v in MWAUTH_TEST_API_URL MWAUTH_TEST_BOT_USER MWAUTH_TEST_BOT_PASSWORD \
	MWAUTH_TEST_HUMAN_USER MWAUTH_TEST_HUMAN_PASSWORD; do
	[ -n "${!v:-}" ] || die "$v is not set: run this through tests/wiki/with-wiki.sh"
	# Pasted into C, JSON and Python string literals as they are: nothing there may need escaping.
	[[ ${!v} =~ ^[A-Za-z0-9@._:/-]+$ ]] || die "$v has a character this test does not paste into code"
done
BOT_NAME=${MWAUTH_TEST_BOT_USER%@*} # MwBot
[ -f "$README" ] || die "no $README"

# The files the C and C++ snippets make in the repository's folder. Never clobber one, nor
# remove one that git tracks: refuse to start instead. The trap below then removes only ours.
OURS=(hello.c hello.cpp hello)
for f in "${OURS[@]}"; do
	if [ -e "$REPO/$f" ] || [ -L "$REPO/$f" ]; then
		die "$REPO/$f exists; this test writes and removes it: move it away first"
	fi
	if git -C "$REPO" ls-files --error-unmatch -- "$f" >/dev/null 2>&1; then
		die "$f is tracked by git; this test writes and removes it"
	fi
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mwauth-readme.XXXXXX")
cleanup() {
	local f
	for f in "${OURS[@]}"; do rm -f -- "${REPO:?}/$f"; done
	rm -rf -- "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# readme block TITLE LAYOUT N [OLD NEW]...: prints the Nth fenced code block of the section
# "## TITLE" with each OLD replaced by NEW, after checking that the section's blocks have the
# languages LAYOUT ("c sh sh") and that every OLD occurs in the block.
# readme checked-sh: reads a ```sh block on stdin and prints it with a status check after each
# (logical) line, so that it stops at its first failing line, as a reader would.
README_PY=$(
	cat <<'EOF'
import re, sys

def die(msg):
    sys.exit(f"README.md: {msg}")

def sections(path):
    """{title of a "## " section: [(language, text) of each fenced block in it, in order]}."""
    out, title, lang, fence = {None: []}, None, None, None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if fence is not None:            # inside a block: only its closing fence counts
                if line.rstrip() == "```":
                    out[title].append((lang, "".join(fence)))
                    fence = None
                else:
                    fence.append(line + "\n")
            elif m := re.fullmatch(r"```(\S*)\s*", line):
                lang, fence = m.group(1), []
            elif m := re.fullmatch(r"(#+) +(.*?)\s*", line):
                if len(m.group(1)) <= 2:     # "# " or "## " ends a section; "### " is inside it
                    title = m.group(2) if len(m.group(1)) == 2 else None
                    if title is not None and title in out:
                        die(f'two sections "## {title}"')
                    out.setdefault(title, [])
    if fence is not None:
        die(f"a ```{lang} block is never closed")
    return out

def block(path, title, layout, n, *pairs):
    secs = sections(path)
    if title not in secs:
        die(f'no section "## {title}"')
    langs = " ".join(lang for lang, _ in secs[title])
    if langs != layout:
        die(f'section "## {title}" has code blocks [{langs}]; tests/readme/run.sh expects [{layout}]')
    lang, text = secs[title][int(n) - 1]
    if len(pairs) % 2:
        sys.exit("readme block: OLD without NEW")
    olds, news = pairs[0::2], pairs[1::2]
    if any(old in new for old in olds for new in news):
        sys.exit("readme block: a replacement contains a placeholder")
    for old, new in zip(olds, news):
        if old not in text:
            die(f'section "## {title}", block {n} (```{lang}): the placeholder {old!r} is not there '
                "any more: update tests/readme/run.sh")
        text = text.replace(old, new)
    sys.stdout.write(text)

def checked_sh():
    lines, buf = [], ""
    for line in sys.stdin.read().splitlines():
        buf += line
        if buf.endswith("\\"):               # continued on the next line
            buf += "\n"
            continue
        lines.append(buf)
        buf = ""
    if buf:
        lines.append(buf)
    for n, line in enumerate(lines, 1):
        print(line)
        if line.strip() and not line.lstrip().startswith("#"):
            print('__readme_rc=$?; if [ "$__readme_rc" -ne 0 ]; then '
                  f'echo "README snippet: line {n} failed (exit status $__readme_rc)" >&2; '
                  'exit "$__readme_rc"; fi')

if sys.argv[1] == "block":
    block(*sys.argv[2:])
elif sys.argv[1] == "checked-sh":
    checked_sh()
else:
    sys.exit(f"readme: unknown command {sys.argv[1]}")
EOF
)
readme() { "$PYTHON" -c "$README_PY" "$@"; }

# The substitutions: the example wiki and bot password become the test wiki's.
WIKI=(https://wiki.example.org/w/api.php "$MWAUTH_TEST_API_URL")
BOT=(MyUser@mybot "$MWAUTH_TEST_BOT_USER" 0123456789abcdefghijklmnopqrstuv "$MWAUTH_TEST_BOT_PASSWORD")

# sh_block TITLE LAYOUT N [OLD NEW]...: runs that ```sh block with bash from the repository's
# folder, stopping at its first failing line.
sh_block() {
	local script=$WORK/block.sh
	readme block "$README" "$@" | readme checked-sh >"$script" || return 1
	(cd "$REPO" && bash "$script" </dev/null)
}

REASON=
PASSED=0
FAILED=0
# snippet NAME FUNCTION: runs FUNCTION with its output in a log, shown only when it fails.
snippet() {
	local name=$1 fn=$2 log=$WORK/$2.log start=$SECONDS
	REASON=
	if "$fn" "$log" >"$log" 2>&1; then
		PASSED=$((PASSED + 1))
		echo "ok $name ($((SECONDS - start)) s)"
	else
		FAILED=$((FAILED + 1))
		{
			echo "--- output of: $name (last 200 lines) ---"
			tail -n 200 "$log"
			echo "--- end of output ---"
		} >&2
		echo "FAIL $name: ${REASON:-see the output above}"
	fi
}

# --- C --------------------------------------------------------------------------------------
C_LAYOUT="c sh sh"
write_hello_c() {
	rm -f -- "$REPO/hello"
	readme block "$README" "C quick start" "$C_LAYOUT" 1 "${WIKI[@]}" "${BOT[@]}" >"$REPO/hello.c" ||
		{ REASON="cannot take the \`\`\`c block from README.md"; return 1; }
}
check_edit() { # LOG: the program printed the edit's answer, and it succeeded
	grep -Eq '"edit": ?\{.*"result": ?"Success"' "$1" ||
		{ REASON='the program did not print an edit with "result":"Success"'; return 1; }
}
c_in_tree() {
	write_hello_c || return 1
	sh_block "C quick start" "$C_LAYOUT" 2 || { REASON="the first \`\`\`sh block failed"; return 1; }
	check_edit "$1"
}
c_installed() {
	write_hello_c || return 1
	sh_block "C quick start" "$C_LAYOUT" 3 || { REASON="the second \`\`\`sh block failed"; return 1; }
	check_edit "$1"
}

# --- C++ ------------------------------------------------------------------------------------
CPP_LAYOUT="cpp sh"
cpp_in_tree() {
	rm -f -- "$REPO/hello"
	readme block "$README" "C++ quick start" "$CPP_LAYOUT" 1 "${WIKI[@]}" "${BOT[@]}" >"$REPO/hello.cpp" ||
		{ REASON="cannot take the \`\`\`cpp block from README.md"; return 1; }
	sh_block "C++ quick start" "$CPP_LAYOUT" 2 || { REASON="the \`\`\`sh block failed"; return 1; }
	grep -Eq "\"userinfo\": ?\\{[^}]*\"name\": ?\"$BOT_NAME\"" "$1" ||
		{ REASON="the program did not print $BOT_NAME's userinfo"; return 1; }
}

# --- Python ---------------------------------------------------------------------------------
PY_LAYOUT="sh python"
python_venv() {
	local venv=$WORK/venv
	sh_block "Python quick start" "$PY_LAYOUT" 1 .venv "$venv" ||
		{ REASON="the \`\`\`sh block (venv, pip install) failed"; return 1; }
	mkdir "$WORK/run" || return 1
	readme block "$README" "Python quick start" "$PY_LAYOUT" 2 "${WIKI[@]}" "${BOT[@]}" \
		'"Alice"' "\"$MWAUTH_TEST_HUMAN_USER\"" 'password="..."' "password=\"$MWAUTH_TEST_HUMAN_PASSWORD\"" \
		>"$WORK/run/quickstart.py" || { REASON="cannot take the \`\`\`python block from README.md"; return 1; }
	# The block as a script, from a folder outside the repository, with no stdin (input() would
	# fail at once instead of waiting); then its clientlogin must have logged the human in.
	(cd "$WORK/run" && env -u PYTHONPATH -u MWAUTH_LIBRARY "$venv/bin/python" -c '
import runpy, sys
g = runpy.run_path("quickstart.py", run_name="__main__")
r, s = g.get("r"), g.get("s")
if not isinstance(r, dict) or r.get("status") != "PASS":
    sys.exit(f"after the snippet, r is {r!r}, not a clientlogin PASS")
status, user = r["status"], s.info.get("username")
print(f"clientlogin: {status} as {user}")
if user != sys.argv[1]:
    sys.exit(f"the clientlogin session is {user!r}, not {sys.argv[1]!r}")
s.close()
' "$MWAUTH_TEST_HUMAN_USER" </dev/null) || { REASON="the \`\`\`python block failed"; return 1; }
	grep -Eq "'userinfo': \\{[^}]*'name': '$BOT_NAME'" "$1" ||
		{ REASON="the block did not print $BOT_NAME's userinfo"; return 1; }
}

snippet "C quick start: hello.c, make, cc -Ltarget/release, ./hello" c_in_tree
if [ "${MWAUTH_TEST_SYSTEM_INSTALL:-}" = 1 ]; then
	snippet "C quick start: make install PREFIX=/usr/local, ldconfig, cc with pkg-config, ./hello" c_installed
else
	# Still taken from README.md, so that what is left out is known to be the install block.
	install_block=$(readme block "$README" "C quick start" "$C_LAYOUT" 3) || install_block=
	if [[ $install_block == *"make install"* ]]; then
		echo "not run: C quick start: make install PREFIX=/usr/local ... (it installs into the system;" \
			"MWAUTH_TEST_SYSTEM_INSTALL=1 runs it, as the fresh-machine check does)"
	else
		FAILED=$((FAILED + 1))
		echo "FAIL C quick start: its second \`\`\`sh block is not the \`make install\` one any more"
	fi
fi
snippet "C++ quick start: hello.cpp, make, g++, ./hello" cpp_in_tree
snippet "Python quick start: venv, pip install ./bindings/python, the python block" python_venv

echo "readme snippets: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
