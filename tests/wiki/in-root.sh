#!/usr/bin/env bash
# Runs CMD inside the Debian root ROOT (chroot), with /dev, /proc and the folder DIR seen at the
# same paths as outside, in a private mount namespace: the mounts exist only for CMD and die with
# it, whatever way it ends. CMD keeps this process's PID (every step execs), so a caller that
# started it in its own process group stops it as it would stop any other process.
#
#   tests/wiki/in-root.sh ROOT DIR CMD [ARGS...]
set -euo pipefail

if [ "${MWAUTH_IN_ROOT_NAMESPACE:-}" != 1 ]; then
	MWAUTH_IN_ROOT_NAMESPACE=1 exec unshare --mount --propagation private -- "$0" "$@"
fi
unset MWAUTH_IN_ROOT_NAMESPACE
[ $# -ge 3 ] || { echo "usage: $0 ROOT DIR CMD [ARGS...]" >&2; exit 2; }
root=$1 dir=$2
shift 2

mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mkdir -p "$root$dir"
mount --bind "$dir" "$root$dir"
exec chroot "$root" "$@"
