#!/usr/bin/env bash
# Build the tiny initramfs that applies an Ignition config inside a VM with the
# real Ignition (see initramfs-init.sh), cached under $CACHE/vm.
#
# Prints two lines on stdout:
#   kernel=/abs/path/vmlinuz-KVER
#   initrd=/abs/path/initramfs-FINGERPRINT.cpio
# Rebuilds only when an input changes (this script, the init script, the root
# skeleton, or the size/mtime of a binary, library or the kernel).
# Needs install-deps.sh to have run. CACHE is $KINDLING_E2E_CACHE, default
# <repo root>/target/e2e-cache. Root is needed for the /dev/console node.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${KINDLING_E2E_CACHE:-$repo/target/e2e-cache}"
die() { printf 'build-initramfs: %s\n' "$*" >&2; exit 1; }

kdir="$cache/kernel"
[ -f "$kdir/kver" ] || die "no kernel in $kdir: run tests/e2e/install-deps.sh"
kver="$(cat "$kdir/kver")"
kernel="$kdir/boot/vmlinuz-$kver"
[ -f "$kernel" ] || die "missing $kernel: run tests/e2e/install-deps.sh"
fwcfg="$(find "$kdir/lib/modules/$kver" -name 'qemu_fw_cfg.ko*' | head -n1)"
[ -n "$fwcfg" ] || die "no qemu_fw_cfg module under $kdir"
# Every module install-deps.sh unpacked: qemu_fw_cfg and, in caches made
# since the installer ISO boot test, the virtio NIC and disk drivers.
mapfile -t kmods < <(find "$kdir/lib/modules/$kver" -name '*.ko*' | LC_ALL=C sort)

ignition="${KINDLING_IGNITION:-/usr/lib/dracut/modules.d/30ignition/ignition}"
[ -x "$ignition" ] || die "missing $ignition: run tests/e2e/install-deps.sh"
busybox=/bin/busybox
[ -x "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 || die "need a static busybox (busybox-static)"
command -v cpio >/dev/null || die "need cpio"

bins=("$ignition")
for b in useradd groupadd usermod systemctl; do
    p="$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$b")" || die "missing $b"
    bins+=("$(readlink -f "$p")")
done
libs() { ldd "$@" 2>/dev/null | awk '/=> \// {print $3} /^[[:space:]]*\/[^ ]+ \(/ {print $1}' | sort -u; }
mapfile -t shlibs < <(libs "${bins[@]}")

fingerprint="$(
    {
        sha256sum "$here/build-initramfs.sh" "$here/initramfs-init.sh"
        find "$here/root-skeleton" -type f -print0 | sort -z | xargs -0 sha256sum
        stat -L -c '%n %s %Y' "$kernel" "${kmods[@]}" "$busybox" "${bins[@]}" "${shlibs[@]}"
    } | sha256sum | cut -c1-16
)"
outdir="$cache/vm"
out="$outdir/initramfs-$fingerprint.cpio"

mkdir -p "$outdir"
# One builder at a time (parallel test binaries may ask together).
exec 9>"$outdir/.lock"
flock 9
if [ ! -f "$out" ]; then
    work="$(mktemp -d "$outdir/build.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    t="$work/tree"
    mkdir -p "$t"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,sysroot,etc,skel}
    chmod 1777 "$t/tmp"
    install -m 0755 "$here/initramfs-init.sh" "$t/init"
    cp "$busybox" "$t/bin/busybox"
    ln -s busybox "$t/bin/sh"
    install -D -m 0755 "$ignition" "$t/usr/bin/ignition"
    for b in "${bins[@]:1}"; do
        install -D -m 0755 "$b" "$t/usr/sbin/$(basename "$b")"
    done
    for l in "${shlibs[@]}"; do
        install -D -m 0755 "$l" "$t$l"
    done
    # Debian's Ignition always relabels: a no-op setfiles.
    printf '#!/bin/sh\ncat >/dev/null\nexit 0\n' >"$t/usr/sbin/setfiles"
    chmod 0755 "$t/usr/sbin/setfiles"
    # qemu_fw_cfg, which Ignition's qemu provider modprobes itself, and the
    # virtio drivers /init loads.
    for mod in "${kmods[@]}"; do
        rel="${mod#"$kdir"/}"
        install -D -m 0644 "$mod" "$t/$rel"
    done
    for f in modules.order modules.builtin modules.builtin.modinfo; do
        [ -f "$kdir/lib/modules/$kver/$f" ] && cp "$kdir/lib/modules/$kver/$f" "$t/lib/modules/$kver/"
    done
    "$busybox" depmod -b "$t" "$kver"
    cp -a "$here/root-skeleton/." "$t/skel/"
    printf 'root:x:0:0:root:/:/bin/sh\n' >"$t/etc/passwd"
    printf 'root:x:0:\n' >"$t/etc/group"
    mknod -m 0600 "$t/dev/console" c 5 1
    mknod -m 0666 "$t/dev/null" c 1 3
    (cd "$t" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$work/initramfs.cpio"
    rm -f "$outdir"/initramfs-*.cpio
    mv "$work/initramfs.cpio" "$out"
fi

printf 'kernel=%s\ninitrd=%s\n' "$kernel" "$out"
