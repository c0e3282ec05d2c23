#!/usr/bin/env bash
# Runs every fuzz target (or those named) for SECONDS each, one after the other: first every
# input of its seeds (corpus/TARGET), of its regressions (regressions/TARGET, inputs that once
# crashed it) and of what earlier runs found (target/corpus/TARGET), then new ones. Stops at the
# first crash and names the input that caused it; exits non-zero.
#
#   fuzz/run.sh [SECONDS_PER_TARGET [TARGET...]]     # default: 3 s each, every target
#
# 0 seconds replays the seeds, the regressions and earlier finds, and stops there.
#
# Installs cargo-fuzz if it is missing (once, about 40 s). cargo fuzz builds with nightly-only
# flags (-Zsanitizer=address); RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-3}
shift || true
# cargo-fuzz, pinned, in the repository's own .tools (git ignores it): the run never depends on
# whatever cargo-fuzz a machine happens to have, and installs nothing outside the tree.
CARGO_FUZZ_VERSION=0.13.2
TOOLS=$(cd .. && pwd)/.tools
export PATH="$TOOLS/bin:$HOME/.cargo/bin:$PATH" RUSTC_BOOTSTRAP=1

if [ "$("$TOOLS/bin/cargo-fuzz" --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
	echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION into $TOOLS (once, about 40 s)" >&2
	install_log=$(mktemp "${TMPDIR:-/tmp}/mwauth-cargo-fuzz.XXXXXX")
	if ! cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --root "$TOOLS" >"$install_log" 2>&1; then
		tail -n 40 "$install_log" >&2
		rm -f -- "$install_log"
		echo "fuzz: cargo install cargo-fuzz failed" >&2
		exit 1
	fi
	rm -f -- "$install_log"
fi
cargo fuzz build
bin=target/$(rustc -vV | sed -n 's/^host: //p')/release

targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
for t in "${targets[@]}"; do
	mkdir -p "target/corpus/$t" "artifacts/$t"
	dirs=("target/corpus/$t" "corpus/$t")
	[ -d "regressions/$t" ] && dirs+=("regressions/$t")
	log=target/$t.log
	# FUZZ_SEED (make test sets 1) makes a run explore the same inputs on every machine, a slower
	# one a prefix of them: a clean clone that passed here passes in CI. 0: libFuzzer picks one.
	options=(-max_total_time="$seconds" -seed="${FUZZ_SEED:-0}")
	[ "$seconds" = 0 ] && options=(-runs=0)
	# Its sessions keep connections and threads beyond one input, so libFuzzer would look for a
	# leak after nearly every input, which triples its time; the other targets check for leaks.
	[ "$t" = wiki_answers ] && options+=(-detect_leaks=0)
	# New inputs go to the first folder only: the committed seeds stay as they are.
	if "$bin/$t" "${dirs[@]}" "${options[@]}" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="artifacts/$t/" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz: $t: $runs inputs in $seconds s, no crash (found so far: $(ls "target/corpus/$t" | wc -l) inputs)"
	else
		tail -n 60 "$log" >&2
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		echo "fuzz: $t CRASHED; the input: ${crash:+$PWD/$crash} (log: $PWD/$log)" >&2
		echo "fuzz: replay it with: $PWD/$bin/$t ${crash:+$PWD/$crash}" >&2
		exit 1
	fi
done
