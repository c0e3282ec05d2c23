#!/usr/bin/env bash
# Checks that the README's two commands work for a newcomer on a fresh Debian 12 machine: unpacks
# a clean bookworm root that has only what a new machine of this kind has (gcc, make, git and the
# host's Rust toolchain), clones the committed HEAD into it, and runs the steps as root inside,
# each in its own private mount and PID namespace, timed and logged. See README.md beside it.
#
#   tests/fresh-machine/run.sh              # make demo, then make test
#   tests/fresh-machine/run.sh demo test ci # ci: CI=true bash .ci/run
set -euo pipefail

IMAGE=${MWAUTH_FRESH_IMAGE:-/var/cache/mwauth/fresh-bookworm.tar}
RUNS=${MWAUTH_FRESH_RUNS:-/var/tmp/mwauth-fresh}
REPO=${MWAUTH_FRESH_REPO:-$(git -C "$(dirname "$0")" rev-parse --show-toplevel)}
REV=${MWAUTH_FRESH_REV:-HEAD}
STEP_TIMEOUT=${MWAUTH_FRESH_TIMEOUT:-60m}
KEEP=${MWAUTH_FRESH_KEEP:-}
# What a new machine has besides Rust (/work/.library/env/machines/rust.md); nothing the
# project's own scripts are meant to install (python3, php, valgrind, pkg-config, curl, cJSON).
BASE_PACKAGES="gcc libc6-dev make git ca-certificates"
# The PATH a root shell has once rustup's installer has added ~/.cargo/bin.
INNER_PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { printf 'fresh-machine: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, mount, chroot)"
[ $# -gt 0 ] || set -- demo test
for step; do
	case $step in demo | test | ci) ;; *) die "unknown step '$step' (demo, test, ci)" ;; esac
done

# The host's toolchain, shown read-only at the same paths inside; the root's own /root/.cargo
# (empty but for the bin mount point) is the fresh CARGO_HOME that the registry goes to.
RUSTUP_DIR=$(rustup show home)
CARGO_BIN=$(dirname "$(readlink -f "$(command -v cargo)")")
[ -d "$RUSTUP_DIR" ] && [ -x "$CARGO_BIN/cargo" ] || die "no rustup toolchain on this machine"

# IN_ROOT ROOT CMD [toolchain] runs the bash command line CMD as root in ROOT, in a clean
# environment, in new mount and PID namespaces: every mount, and every process CMD starts, ends
# with it (unshare --kill-child: if unshare is killed, so is the namespace). "toolchain" adds the
# Rust toolchain mounts.
IN_ROOT=(unshare --mount --pid --fork --kill-child --propagation private -- bash -euc '
	r=$1 cmd=$2 toolchain=${3:-}
	# The root is a mount point, so that "/" inside is one: unshare -m run inside it (the test
	# bed does, for its Debian 13 root) makes "/" private and fails with EINVAL otherwise.
	mount --bind "$r" "$r"
	mount -t proc proc "$r/proc"
	mount --rbind /dev "$r/dev"
	mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm" # a new one, not the host one
	mount -t sysfs -o ro sysfs "$r/sys" 2>/dev/null || true
	if [ -n "$toolchain" ]; then
		mkdir -p "$r$RUSTUP_DIR" "$r/root/.cargo/bin"
		mount --bind -o ro "$RUSTUP_DIR" "$r$RUSTUP_DIR"
		mount --bind -o ro "$CARGO_BIN" "$r/root/.cargo/bin"
	fi
	# Not exec: this shell stays PID 1 of the namespace, which ignores SIGTERM; CMD must not.
	# MWAUTH_TEST_SYSTEM_INSTALL=1: the root is thrown away, so tests/readme/run.sh may also run
	# the README snippet that installs into the system (make install PREFIX=/usr/local).
	chroot "$r" /usr/bin/env -i HOME=/root PATH="$INNER_PATH" TERM="$TERM" LANG=C.UTF-8 \
		MWAUTH_TEST_SYSTEM_INSTALL=1 bash -c "$cmd" </dev/null && rc=0 || rc=$?
	exit "$rc"
' _)
export RUSTUP_DIR CARGO_BIN INNER_PATH TERM=${TERM:-dumb}

# The machine image: debootstrap's bookworm plus BASE_PACKAGES, made once and cached as a tarball
# (made beside it under a temporary name, so an interrupted build leaves nothing behind).
build_image() {
	local mirror tmp start=$SECONDS
	mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)\/\?$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
	mirror=${mirror:-http://deb.debian.org/debian}
	mkdir -p "$(dirname "$IMAGE")"
	tmp=$(mktemp -d "$IMAGE.build.XXXXXX")
	trap 'rm -rf -- "$tmp"' EXIT
	log "making $IMAGE from $mirror (once; a few minutes)"
	debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -n 30 "$tmp/debootstrap.log" >&2; die "debootstrap failed"; }
	# The machine's own apt sources (bookworm, -updates, -security) instead of debootstrap's one line.
	rm -f "$tmp/root/etc/apt/sources.list"
	cp /etc/apt/sources.list.d/*.sources "$tmp/root/etc/apt/sources.list.d/"
	# The root shares this machine's network: no package may start a service.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/root/usr/sbin/policy-rc.d"
	chmod 0755 "$tmp/root/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$tmp/root/etc/resolv.conf"
	"${IN_ROOT[@]}" "$tmp/root" "export DEBIAN_FRONTEND=noninteractive
		apt-get update -q && apt-get install -y -q --no-install-recommends $BASE_PACKAGES
		apt-get clean && rm -rf /var/lib/apt/lists/*" >"$tmp/apt.log" 2>&1 ||
		{ tail -n 30 "$tmp/apt.log" >&2; die "apt-get install $BASE_PACKAGES failed"; }
	tar --numeric-owner -C "$tmp/root" -cf "$tmp/image.tar" .
	mv -- "$tmp/image.tar" "$IMAGE"
	rm -rf -- "$tmp"
	trap - EXIT
	log "made $IMAGE ($((SECONDS - start)) s)"
}
[ -f "$IMAGE" ] || build_image

# A brand-new copy of the image for this run; logs beside it, kept after the root is deleted.
mkdir -p "$RUNS"
RUN=$(mktemp -d "$RUNS/$(date +%Y%m%d-%H%M%S).XXXX")
ROOT=$RUN/root
cleanup() {
	if [ -n "$KEEP" ]; then
		log "kept the root: $ROOT"
	elif grep -q " ${ROOT}[/ ]" /proc/self/mountinfo; then # never rm -rf through a mount
		log "something is still mounted under $ROOT; not deleting it"
	else
		rm -rf -- "$ROOT"
	fi
}
trap cleanup EXIT
mkdir "$ROOT"
start=$SECONDS
tar --numeric-owner -C "$ROOT" -xpf "$IMAGE"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# This machine's extra CA roots (its HTTPS egress to the registries is re-signed with one, made
# at boot, so it is added for each run, not cached): trusted system-wide, as on the machine
# (update-ca-certificates below).
cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
git clone -q --no-hardlinks "$REPO" "$ROOT/root/mwauth"
git -C "$ROOT/root/mwauth" checkout -q --detach "$REV"
COMMIT=$(git -C "$ROOT/root/mwauth" rev-parse HEAD)
log "root ready in $((SECONDS - start)) s: $ROOT"
log "testing $REPO at $COMMIT ($(git -C "$ROOT/root/mwauth" log -1 --format=%s))"
[ -z "$(git -C "$REPO" status --porcelain)" ] || log "note: $REPO has uncommitted changes; they are not tested"
log "logs: $RUN"
if ! "${IN_ROOT[@]}" "$ROOT" 'update-ca-certificates >/dev/null 2>&1; cargo --version; rustc --version; gcc --version | head -n 1; git --version
	for c in python3 php valgrind pkg-config curl debootstrap /usr/include/cjson; do
		if command -v "$c" || [ -e "$c" ]; then echo "not a fresh machine: $c is there"; exit 1; fi
	done' toolchain 2>&1 | tee "$RUN/machine.log"; then
	die "the root is not a fresh machine with a working toolchain"
fi

# Each step runs under timeout, which on expiry sends SIGTERM to its whole process group, then
# SIGKILL 30 s later if unshare is still there: then the kernel kills the step's PID namespace,
# whatever it left running. Ctrl-C does the same.
STEP_PID=
trap '[ -z "$STEP_PID" ] || kill -TERM -- "-$STEP_PID" "$STEP_PID" 2>/dev/null; INTERRUPTED=1' INT TERM
INTERRUPTED=
summary=()
failed=0
for step; do
	case $step in
	demo) cmd='make demo' ;;
	test) cmd='make test' ;;
	ci) cmd='CI=true bash .ci/run' ;;
	esac
	log "step $step: $cmd (log: $RUN/$step.log)"
	start=$SECONDS
	: >"$RUN/$step.log"
	timeout --kill-after=30s "$STEP_TIMEOUT" "${IN_ROOT[@]}" "$ROOT" "cd /root/mwauth && $cmd" toolchain \
		>"$RUN/$step.log" 2>&1 &
	STEP_PID=$!
	tail -n +1 -f --pid="$STEP_PID" "$RUN/$step.log" &
	while :; do
		rc=0
		wait "$STEP_PID" || rc=$?
		kill -0 "$STEP_PID" 2>/dev/null || break # still there: a trapped signal interrupted wait
	done
	wait # for tail
	STEP_PID=
	secs=$((SECONDS - start))
	case $rc in
	0) result=pass ;;
	124) result="FAIL (timed out after $STEP_TIMEOUT)" ;;
	137) result="FAIL (killed: exit 137)" ;;
	*) result="FAIL (exit $rc)" ;;
	esac
	[ "$rc" -eq 0 ] || failed=1
	summary+=("$(printf '%-6s %-28s %6s s' "$step" "$result" "$secs")")
	[ -z "$INTERRUPTED" ] || { summary+=("interrupted"); break; }
done

printf '\nfresh Debian 12 machine, %s at %s\n' "$REPO" "$COMMIT"
printf '%s\n' "${summary[@]}"
printf 'logs: %s\n' "$RUN"
exit "$failed"
