#!/usr/bin/env bash
# Install the real tools that judge kindling's output in the end-to-end tests.
#
# Runs as root on a Debian bookworm machine; idempotent and fast when already
# done. What it provides:
#   - Debian's `ignition` 2.14 (ignition-validate and the real Ignition binary),
#     `qemu-system-x86` (+ qemu-img), `busybox-static`, `cpio`, `xorriso`,
#     `isolinux` + `syslinux-common` (test live ISOs), `grub-efi-amd64-bin`,
#     `dosfstools`, `mtools`, `ovmf` (their UEFI boot), `ipxe-qemu` (the NIC
#     ROM of the PXE boot test) (system-wide);
#   - trixie's `podman` unpacked under $CACHE/podman (for its `quadlet` binary),
#     fetched with a private apt configuration: the system's apt setup is not
#     touched;
#   - a Debian kernel (vmlinuz, qemu_fw_cfg.ko, the virtio NIC and disk
#     drivers, modules.*) unpacked under $CACHE/kernel, for the initramfs VM
#     boot tests;
#   - coreos-installer built from crates.io under $CACHE/coreos-installer (the
#     oracle of the ISO and PXE formats; built once, minutes).
#
# CACHE is $KINDLING_E2E_CACHE, default <repo root>/target/e2e-cache.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache="${KINDLING_E2E_CACHE:-$repo/target/e2e-cache}"
mkdir -p "$cache"
cache="$(cd "$cache" && pwd)"
export DEBIAN_FRONTEND=noninteractive

log() { printf 'install-deps: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root (apt-get install, unshare)"
    exit 1
fi

apt_updated=0
apt_update_once() {
    if [ "$apt_updated" -eq 0 ]; then
        log "apt-get update"
        apt-get update -qq
        apt_updated=1
    fi
}

# --- 1. system packages ------------------------------------------------------
# python3 runs the systemd D-Bus stand-in; passwd gives useradd & co.;
# systemd gives systemctl (for the initramfs) and systemd-analyze.
# xorriso, isolinux and syslinux-common master the test live ISOs;
# grub-efi-amd64-bin (GRUB's EFI build, not installed as a boot loader),
# dosfstools and mtools make their EFI boot image, which ovmf boots;
# ipxe-qemu has the iPXE ROMs of qemu's NICs (the PXE boot test).
pkgs=(ignition qemu-system-x86 qemu-utils busybox-static cpio passwd systemd python3 util-linux
      xorriso isolinux syslinux-common grub-efi-amd64-bin dosfstools mtools ovmf
      ipxe-qemu)
# dnsmasq checks the configuration `kindling serve --dnsmasq-example` prints.
pkgs+=(dnsmasq-base)
missing_packages() {
    missing=()
    for p in "${pkgs[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$p")
        fi
    done
}
# Two passes: installing one package can remove another. A machine with a
# backported qemu-utils (10.x) loses it when bookworm's qemu-system-x86 (7.2)
# comes in, since the two cannot share qemu-system-common; the second pass
# then installs the matching qemu-utils.
for pass in 1 2; do
    missing_packages
    [ "${#missing[@]}" -eq 0 ] && break
    apt_update_once
    log "apt-get install ${missing[*]} (pass $pass)"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
done
missing_packages
if [ "${#missing[@]}" -gt 0 ]; then
    log "still not installed after two passes: ${missing[*]}"
    exit 1
fi
for tool in qemu-img qemu-system-x86_64 ignition-validate busybox cpio xorriso; do
    command -v "$tool" >/dev/null || { log "$tool is not on PATH after the install"; exit 1; }
done
test -x /usr/lib/dracut/modules.d/30ignition/ignition || {
    log "the ignition package did not provide /usr/lib/dracut/modules.d/30ignition/ignition"
    exit 1
}

# --- 2. trixie's podman, for quadlet ------------------------------------------
# A private apt configuration whose only source is the system's Debian mirror
# with the suite trixie. Nothing under /etc/apt or /var/lib/apt is changed.
podman_root="$cache/podman"
if [ ! -x "$podman_root/usr/libexec/podman/quadlet" ]; then
    apt_dir="$cache/apt-trixie"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc/preferences.d" "$apt_dir/debs"
    # Reuse the mirror the machine already uses (first Debian URI found).
    mirror="$(grep -rhoE '^(URIs:|deb)[[:space:]]+[^[:space:]]*' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)"
    mirror="${mirror:-http://deb.debian.org/debian}"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    printf 'deb [signed-by=%s] %s trixie main\n' "$keyring" "$mirror" >"$apt_dir/sources.list"
    : >"$apt_dir/status"
    apt_opts=(
        -o "Dir::Etc::SourceList=$apt_dir/sources.list"
        -o "Dir::Etc::SourceParts=/nonexistent"
        -o "Dir::Etc::Preferences=/nonexistent"
        -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
        -o "Dir::State::Lists=$apt_dir/lists"
        -o "Dir::State::status=$apt_dir/status"
        -o "Dir::Cache=$apt_dir/cache"
        -o "APT::Architecture=amd64"
        -o "Acquire::Languages=none"
        -o "APT::Sandbox::User=root"
    )
    log "fetching trixie's podman (private apt config in $apt_dir)"
    apt-get "${apt_opts[@]}" update -qq
    (cd "$apt_dir/debs" && rm -f podman_*.deb && apt-get "${apt_opts[@]}" download podman >/dev/null)
    rm -rf "$podman_root.tmp"
    mkdir -p "$podman_root.tmp"
    # Only the quadlet generator is needed (a Go binary linked against libc).
    dpkg-deb --fsys-tarfile "$apt_dir"/debs/podman_*.deb |
        tar -x -C "$podman_root.tmp" ./usr/libexec/podman/quadlet
    rm -rf "$podman_root"
    mv "$podman_root.tmp" "$podman_root"
    # Drop the downloaded lists/debs; keep only the unpacked tree.
    rm -rf "$apt_dir"
fi
"$podman_root/usr/libexec/podman/quadlet" -version >/dev/null 2>&1 || {
    log "warning: $podman_root/usr/libexec/podman/quadlet does not run"
}

# --- 3. a kernel for the VM boot test -----------------------------------------
kernel_root="$cache/kernel"
# The virtio drivers came later: a cache without them is fetched again.
# So did e1000 (the NIC whose iPXE ROM the PXE boot test boots from).
if [ ! -f "$kernel_root/kver" ] || [ -z "$(find "$kernel_root/lib" -name 'virtio_net.ko*' 2>/dev/null)" ] ||
    [ -z "$(find "$kernel_root/lib" -name 'e1000.ko*' 2>/dev/null)" ]; then
    apt_update_once
    # The meta package depends on exactly one versioned image package.
    kpkg="$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
    if [ -z "$kpkg" ]; then
        log "cannot resolve linux-image-amd64's kernel package"
        exit 1
    fi
    log "fetching $kpkg"
    dl="$(mktemp -d "$cache/kdl.XXXXXX")"
    (cd "$dl" && apt-get -o APT::Sandbox::User=root download "$kpkg" >/dev/null)
    rm -rf "$kernel_root.tmp"
    mkdir -p "$kernel_root.tmp"
    # Only what the initramfs needs: the kernel, qemu_fw_cfg.ko, the virtio
    # PCI, NIC and disk drivers (the installer ISO boot test's wrong-machine
    # guard reads the NIC's MAC and looks for the target disk), e1000 (the PXE
    # boot test's NIC: Debian's iPXE ROM for virtio does not start under its
    # SeaBIOS, the e1000 one does) and modules.*.
    modules=()
    for m in qemu_fw_cfg virtio virtio_ring virtio_pci virtio_pci_modern_dev \
        virtio_pci_legacy_dev failover net_failover virtio_net virtio_blk e1000; do
        modules+=("*/$m.ko*")
    done
    dpkg-deb --fsys-tarfile "$dl"/*.deb | tar -x -C "$kernel_root.tmp" --wildcards \
        './boot/vmlinuz-*' "${modules[@]}" \
        '*/modules.order' '*/modules.builtin' '*/modules.builtin.modinfo'
    rm -rf "$dl"
    kver="$(basename "$(ls "$kernel_root.tmp"/boot/vmlinuz-*)")"
    kver="${kver#vmlinuz-}"
    printf '%s\n' "$kver" >"$kernel_root.tmp/kver"
    rm -rf "$kernel_root"
    mv "$kernel_root.tmp" "$kernel_root"
fi

# --- 4. coreos-installer, the oracle of the ISO and PXE formats ---------------
# Built from crates.io once (it takes minutes) into $CACHE/coreos-installer,
# where the tests look for it (tests/it/support/tools.rs). libssl-dev,
# libzstd-dev, liblzma-dev and pkg-config are its build dependencies (its
# zstd-sys and xz crates link the system libraries); cargo must be on PATH.
# Built without LTO at opt-level 1: it only reads and writes a few images in
# the tests, and this halves its build time on CI's 2 cores.
installer_root="$cache/coreos-installer"
if [ ! -x "$installer_root/bin/coreos-installer" ]; then
    for p in libssl-dev libzstd-dev liblzma-dev pkg-config; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            apt_update_once
            apt-get install -y -qq --no-install-recommends "$p" >/dev/null
        fi
    done
    command -v cargo >/dev/null || { log "cargo is needed to build coreos-installer"; exit 1; }
    log "building coreos-installer from crates.io into $installer_root (minutes)"
    rm -rf "$installer_root.tmp"
    CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=false \
        cargo install --locked --quiet coreos-installer --root "$installer_root.tmp"
    rm -rf "$installer_root"
    mv "$installer_root.tmp" "$installer_root"
fi

log "ok: ignition $(ignition-validate -version 2>&1 | head -n1 | awk '{print $NF}'), quadlet in $podman_root, kernel $(cat "$kernel_root/kver") in $kernel_root, $("$installer_root/bin/coreos-installer" --version)"
