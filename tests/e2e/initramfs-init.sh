#!/bin/sh
# /init of kindling's e2e initramfs (built by build-initramfs.sh).
#
# Applies the Ignition config that qemu passes as fw_cfg opt/com.coreos/config
# to a tmpfs scratch root with the real Ignition (stages fetch-offline, files),
# prints the result on the console between markers, and powers off. Booted
# from a live ISO, the config is the one the kernel unpacked from the ISO's
# Ignition embed area into /config.ign: it is handed to Ignition as CoreOS's
# live initrd does (as /usr/lib/ignition/user.ign), and the platform is the
# one on the kernel command line (ignition.platform.id=, default qemu).
#
#   KINDLING-E2E-BEGIN
#   KINDLING-E2E-RESULT fetch-offline=RC files=RC
#   KINDLING-E2E-NODE TYPE MODE UID GID NLINK INODE SIZE PATH[ -> TARGET]
#   KINDLING-E2E-DATA PATH BASE64        (regular files up to 64 KiB)
#   KINDLING-E2E-END
#
# TYPE is f (file), d (directory), l (symlink) or o (other); MODE is octal;
# PATH is absolute inside the scratch root. Ignition's own log comes before
# the markers. A config by URL (ignition.platform.id=metal with
# ignition.config.url=, a PXE boot) is fetched after DHCP on the first NIC
# that gets a lease: RESULT's fetch-offline then is the fetch stage's.
#
# When the applied config makes this an installer (a non-empty
# /etc/coreos/installer.d), it also runs what coreos-installer.service's
# drop-ins require, as systemd would before the installer, and says whether
# the installer would start, before the markers:
#
#   KINDLING-E2E-INSTALLER run UNIT: EXECSTART
#   KINDLING-E2E-INSTALLER result=cleared|blocked[ unit=UNIT rc=RC]
/bin/busybox mkdir -p /proc /sys /dev /run /tmp /sysroot /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs -o mode=0755 run /run
exec </dev/console >/dev/console 2>&1

echo "KINDLING-E2E-INIT kernel $(uname -r)"
echo "KINDLING-E2E-INIT cmdline $(cat /proc/cmdline)"
if [ -d /sys/firmware/efi ]; then
    echo "KINDLING-E2E-INIT firmware uefi"
else
    echo "KINDLING-E2E-INIT firmware bios"
fi

# The virtio NIC and disk drivers, where the cache has them: an installer's
# wrong-machine guard reads the NIC's MAC and looks for the target disk.
# e1000 is the PXE boot test's NIC.
for mod in virtio_pci virtio_net virtio_blk e1000; do
    modprobe "$mod" 2>/dev/null
done

# The scratch root: the same account files as the no-VM harness.
mount -t tmpfs -o mode=0755 sysroot /sysroot
cp -a /skel/. /sysroot/
chmod 0600 /sysroot/etc/shadow /sysroot/etc/gshadow
ln -s var/home /sysroot/home
mkdir -p /sysroot/var/home/core /sysroot/root
chown 1000:1000 /sysroot/var/home/core
chmod 0700 /sysroot/var/home/core /sysroot/root
mkdir -p /run/ignition /run/systemd

platform=qemu
for arg in $(cat /proc/cmdline); do
    case "$arg" in ignition.platform.id=*) platform="${arg#ignition.platform.id=}" ;; esac
done
if [ -f /config.ign ]; then
    echo "KINDLING-E2E-INIT embedded config /config.ign ($(wc -c < /config.ign) bytes)"
    mkdir -p /usr/lib/ignition
    cp /config.ign /usr/lib/ignition/user.ign
fi

ignition -platform "$platform" -stage fetch-offline -log-to-stdout \
    -config-cache /run/ignition.json -state-file /run/ignition/state \
    -neednet /run/ignition/neednet
rc_fetch=$?
# A config by URL (the metal platform's ignition.config.url, as a PXE boot
# gives it): fetch-offline asks for the network, as in CoreOS' initramfs;
# bring up the NICs with DHCP and run the fetch stage.
if [ "$rc_fetch" -eq 0 ] && [ -e /run/ignition/neednet ]; then
    printf '%s\n' '#!/bin/sh' \
        'case "$1" in bound|renew)' \
        '    ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up' \
        '    [ -n "$router" ] && route add default gw "${router%% *}" dev "$interface"' \
        '    echo "KINDLING-E2E-INIT dhcp $interface $ip" ;;' \
        'esac' >/run/udhcpc.sh
    chmod 0755 /run/udhcpc.sh
    ifconfig lo 127.0.0.1 up
    for nic in /sys/class/net/*; do
        name="${nic##*/}"
        [ "$name" = lo ] && continue
        ip link set "$name" up
        timeout 30 udhcpc -i "$name" -s /run/udhcpc.sh -n -q -t 5 -T 2 && break
    done
    echo "KINDLING-E2E-INIT network: $(ip -o -4 addr show | awk '{print $2, $4}' | tr '\n' ' ')"
    ignition -platform "$platform" -stage fetch -log-to-stdout \
        -config-cache /run/ignition.json -state-file /run/ignition/state
    rc_fetch=$?
    echo "KINDLING-E2E-INIT fetched by URL: rc=$rc_fetch"
fi
rc_files=skipped
if [ "$rc_fetch" -eq 0 ]; then
    ignition -platform "$platform" -stage files -root /sysroot -log-to-stdout \
        -config-cache /run/ignition.json -state-file /run/ignition/state
    rc_files=$?
fi

# An installer: a CoreOS live image's generator starts coreos-installer when
# /etc/coreos/installer.d is not empty, and systemd first runs the units the
# installer's drop-ins require. This image has neither systemd nor a CoreOS
# image to install, so it runs those units' ExecStart= from the applied root
# itself, in order, and reports whether the installer would start.
if [ "$rc_files" = 0 ] && [ -n "$(ls -A /sysroot/etc/coreos/installer.d 2>/dev/null)" ]; then
    # udev's /dev/disk/by-id/virtio-<serial> links.
    mkdir -p /dev/disk/by-id
    for serial in /sys/block/vd*/serial; do
        [ -s "$serial" ] || continue
        dev="${serial%/serial}"
        ln -sf "../../${dev##*/}" "/dev/disk/by-id/virtio-$(cat "$serial")"
    done
    result=cleared
    for dropin in /sysroot/etc/systemd/system/coreos-installer.service.d/*.conf; do
        [ -f "$dropin" ] || continue
        for unit in $(sed -n 's/^Requires=//p' "$dropin"); do
            [ "$result" = cleared ] || break
            start="$(sed -n 's/^ExecStart=//p' "/sysroot/etc/systemd/system/$unit")"
            echo "KINDLING-E2E-INSTALLER run $unit: $start"
            sh -c "/sysroot$start"
            rc=$?
            [ "$rc" -eq 0 ] || result="blocked unit=$unit rc=$rc"
        done
    done
    echo "KINDLING-E2E-INSTALLER result=$result"
fi

echo "KINDLING-E2E-BEGIN"
echo "KINDLING-E2E-RESULT fetch-offline=$rc_fetch files=$rc_files"
find /sysroot -mindepth 1 | sort | while read -r p; do
    rel="${p#/sysroot}"
    if [ -L "$p" ]; then
        echo "KINDLING-E2E-NODE l $(stat -c '%a %u %g %h %i %s' "$p") $rel -> $(readlink "$p")"
    elif [ -d "$p" ]; then
        echo "KINDLING-E2E-NODE d $(stat -c '%a %u %g %h %i %s' "$p") $rel"
    elif [ -f "$p" ]; then
        echo "KINDLING-E2E-NODE f $(stat -c '%a %u %g %h %i %s' "$p") $rel"
    else
        echo "KINDLING-E2E-NODE o $(stat -c '%a %u %g %h %i %s' "$p") $rel"
    fi
done
find /sysroot -type f -size -65k | sort | while read -r p; do
    echo "KINDLING-E2E-DATA ${p#/sysroot} $(base64 -w 0 "$p")"
done
echo "KINDLING-E2E-END"
sync
poweroff -f
