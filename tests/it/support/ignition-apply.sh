#!/bin/bash
# Apply an Ignition config to SCRATCH/root with the real Ignition, confined.
#
# Meant to run as PID 1 of a private mount+PID namespace:
#   unshare --mount --pid --fork --kill-child --mount-proc --propagation private \
#       bash ignition-apply.sh SCRATCH IGNITION [PYTHON]
# Inside it: a private tmpfs on /run, every other writable mount remounted
# read-only except SCRATCH (bound onto itself) and the kernel's /proc and /dev,
# so nothing Ignition or useradd does can reach the host. With PYTHON, the
# systemd D-Bus stand-in listens on /run/systemd/private during the run.
# When this script exits, the kernel kills whatever is left in the namespace.
#
# SCRATCH holds: config.ign, root/ (the target root), state/, bin/setfiles,
# tmp/, and systemd-dbus-standin.py. Exit status: 0 ok, 10 fetch-offline
# (or fetch) failed, 11 files failed, 12 a mount point could not be made, 2 setup
# failed. Everything goes to stdout.
set -uo pipefail
scratch="$1"
ignition="$2"
python="${3:-}"

die() { echo "ignition-apply: $*"; exit 2; }

mount -t tmpfs -o mode=0755 kindling-run /run || die "cannot mount a tmpfs on /run"
mount --bind "$scratch" "$scratch" || die "cannot bind $scratch"

# Remount every other writable mount read-only (in this namespace only).
while read -r mp opts; do
    mp="$(printf '%b' "$mp")"
    case "$mp" in
        "$scratch" | /run | /run/* | /proc | /proc/* | /dev | /dev/*) continue ;;
    esac
    case ",$opts," in
        *,ro,*) continue ;;
    esac
    mount -o remount,bind,ro "$mp" 2>/dev/null || die "cannot remount $mp read-only"
done < <(awk '{print $5, $6}' /proc/self/mountinfo)
# Check: the host is really read-only from here.
if touch /.kindling-rw-probe 2>/dev/null; then
    rm -f /.kindling-rw-probe
    die "/ is still writable; refusing to run Ignition"
fi

export PATH="$scratch/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export TMPDIR="$scratch/tmp"
export HOME="$scratch/tmp"
mkdir -p /run/ignition /run/systemd

if [ -n "$python" ]; then
    "$python" "$scratch/systemd-dbus-standin.py" /run/systemd/private /run/standin.ready 2>"$scratch/standin.log" &
    for _ in $(seq 1 200); do
        [ -e /run/standin.ready ] && break
        sleep 0.025
    done
    [ -e /run/standin.ready ] || die "the D-Bus stand-in did not start: $(cat "$scratch/standin.log")"
fi

root="$scratch/root"
# KINDLING_COMPOSEFS_ROOT=1: the target root is read-only except /etc and
# /var, as Fedora CoreOS's composefs root is when Ignition runs.
if [ "${KINDLING_COMPOSEFS_ROOT:-}" = 1 ]; then
    mkdir -p "$root/etc" "$root/var" || die "cannot create /etc and /var"
    mount --bind "$root" "$root" || die "cannot bind the root"
    mount --bind "$root/etc" "$root/etc" || die "cannot bind /etc"
    mount --bind "$root/var" "$root/var" || die "cannot bind /var"
    mount -o remount,bind,ro "$root" || die "cannot make the root read-only"
fi
# KINDLING_FILESYSTEMS: mount points (one a line) where Ignition's mount
# stage would mount a disk; SCRATCH/disks/N stands in for the Nth disk.
# Creating the mount point can fail as on the node (exit status 12).
n=0
while IFS= read -r point; do
    [ -n "$point" ] || continue
    mkdir -p "$scratch/disks/$n" || die "cannot create disk $n"
    mkdir -p "$root$point" || { echo "ignition-apply: cannot create mount point $point"; exit 12; }
    mount --bind "$scratch/disks/$n" "$root$point" || die "cannot mount disk $n at $point"
    n=$((n + 1))
done <<< "${KINDLING_FILESYSTEMS:-}"

state="$scratch/state"
echo "=== ignition stage fetch-offline ==="
IGNITION_CONFIG_FILE="$scratch/config.ign" "$ignition" -platform file -stage fetch-offline \
    -log-to-stdout -config-cache "$state/cache.json" -state-file "$state/state" \
    -neednet "$state/neednet" 2>&1 || exit 10
# A config that needs the network (a remote config.replace or merge): the
# fetch stage, as ignition-fetch.service runs it when fetch-offline asks.
if [ -e "$state/neednet" ]; then
    echo "=== ignition stage fetch ==="
    IGNITION_CONFIG_FILE="$scratch/config.ign" "$ignition" -platform file -stage fetch \
        -log-to-stdout -config-cache "$state/cache.json" -state-file "$state/state" 2>&1 || exit 10
fi
echo "=== ignition stage files ==="
"$ignition" -platform file -stage files -root "$scratch/root" -log-to-stdout \
    -config-cache "$state/cache.json" -state-file "$state/state" 2>&1 || exit 11
exit 0
