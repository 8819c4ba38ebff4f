//! A real PXE boot under qemu (issue 19): qemu's iPXE ROM (Debian's
//! `ipxe-qemu`, on an e1000 NIC) gets `kindling serve`'s `/boot.ipxe` as its
//! DHCP boot file from qemu's user-mode network, which turns the guest's
//! connections to 10.0.2.2 into connections to the host's loopback address
//! (no tap, no bridge, no packet to any other address). The chain goes on to
//! `/ipxe?mac=...`, whose script (computed by `kindling::provision::pxe`, as
//! `kindling pxe` does) loads the e2e kernel and initramfs with the real
//! Ignition from `--assets`. Its `/init` brings up the NIC with DHCP and
//! Ignition fetches its config by URL, as the metal platform does.
//!
//! - h1 installs: its live config is the installer's, carrying `build/h1.ign`
//!   byte for byte; the wrong-machine guard finds h1's MAC and disk and
//!   clears the installer. The server's log shows every fetch.
//! - The same MAC boots again: the server says "boot from local disk", and
//!   the test disk's boot sector prints a marker.
//! - A VM with a MAC no host has gets 404 and boots nothing.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::cli::{Identity, kindling_with};
use crate::support::fleet::Fleet;
use crate::support::tools::{self, IPXE_E1000_ROM, Tool};
use crate::support::vmboot::{self, VM_TOOLS};

const MAC: &str = "52:54:00:12:34:56";
const UNKNOWN_MAC: &str = "52:54:00:99:99:99";
/// The test disk's serial: udev's (here /init's) `/dev/disk/by-id/virtio-<serial>`.
const SERIAL: &str = "pxe-h1";
const LOCAL_MARKER: &str = "KINDLING-E2E-LOCAL-DISK";

const HOST: &str = "services:\n  - web\ninstall:\n  device: /dev/disk/by-id/virtio-pxe-h1\n  macs: [\"52:54:00:12:34:56\"]\n  console: [ttyS0]\nbutane:\n  storage:\n    files:\n      - path: /etc/kindling-pxe/hello\n        contents:\n          inline: \"booted over the network\\n\"\n";

/// A boot sector that prints [`LOCAL_MARKER`] on COM1 and ends qemu
/// through isa-debug-exit (exit status 67): what "boot from local disk"
/// boots.
fn local_disk(path: &Path) {
    let mut sector = vec![
        0xfa, // cli
        0x31, 0xc0, // xor ax, ax
        0x8e, 0xd8, // mov ds, ax
        0xfc, // cld
        0xbe, 0x1d, 0x7c, // mov si, 0x7c1d (the message)
        0xba, 0xf8, 0x03, // mov dx, 0x3f8 (COM1)
        0xac, // next: lodsb
        0x84, 0xc0, // test al, al
        0x74, 0x03, // jz done
        0xee, // out dx, al
        0xeb, 0xf8, // jmp next
        0xb0, 0x21, // done: mov al, 0x21
        0xe6, 0xf4, // out 0xf4, al (isa-debug-exit)
        0xf4, // hlt
        0xeb, 0xfd, // jmp hlt
        0x90, 0x90,
    ];
    sector.extend_from_slice(format!("{LOCAL_MARKER}\r\n\0").as_bytes());
    sector.resize(510, 0);
    sector.extend_from_slice(&[0x55, 0xaa]);
    sector.resize(1 << 20, 0);
    fs::write(path, sector).expect("disk");
}

/// `kindling serve`, stopped when dropped.
struct Server {
    child: Child,
    log: PathBuf,
    port: u16,
}

impl Server {
    fn start(fleet: &Path, assets: &Path, log: &Path) -> Server {
        let child = kindling_with(Identity::None)
            .arg("serve")
            .arg("--fleet")
            .arg(fleet)
            .arg("--build")
            .arg(fleet.join("build"))
            .args(["--listen", "127.0.0.1:0", "--assets"])
            .arg(assets)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(log).expect("log"))
            .spawn()
            .expect("kindling serve starts");
        let mut server = Server {
            child,
            log: log.to_path_buf(),
            port: 0,
        };
        let until = Instant::now() + Duration::from_secs(30);
        while server.port == 0 {
            assert!(Instant::now() < until, "no port:\n{}", server.log());
            std::thread::sleep(Duration::from_millis(100));
            server.port = server
                .log()
                .split("listening on http://127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|port| port.parse().ok())
                .unwrap_or(0);
        }
        server
    }

    fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log lines of requests for `route` (`/ipxe`; `/assets/` for
    /// every asset).
    fn lines(&self, route: &str) -> Vec<String> {
        let needle = if route.ends_with('/') {
            format!(" route={route}")
        } else {
            format!(" route={route} ")
        };
        self.log()
            .lines()
            .filter(|l| l.contains(&needle))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Boots a PXE VM with `mac` (and `disk`, as the second boot device) until
/// it ends, `done` says so, or `limit` passes; returns its exit status
/// (`None`: stopped) and console.
fn pxe_boot(
    server: &Server,
    mac: &str,
    disk: Option<&Path>,
    console: &Path,
    limit: Duration,
    done: impl Fn() -> bool,
) -> (Option<i32>, String) {
    let mut qemu = Command::new("qemu-system-x86_64");
    qemu.args(["-machine", "pc", "-accel", "tcg", "-m", "512", "-smp", "1"])
        .args(["-display", "none", "-monitor", "none", "-no-reboot"])
        .arg("-serial")
        .arg(format!("file:{}", console.display()))
        .arg("-netdev")
        .arg(format!(
            "user,id=n0,bootfile=http://10.0.2.2:{}/boot.ipxe",
            server.port
        ))
        .arg("-device")
        .arg(format!(
            "e1000,netdev=n0,mac={mac},romfile={IPXE_E1000_ROM},bootindex=1"
        ))
        .args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
    if let Some(disk) = disk {
        qemu.arg("-drive")
            .arg(format!("file={},if=none,id=d0,format=raw", disk.display()))
            .arg("-device")
            .arg(format!(
                "virtio-blk-pci,drive=d0,serial={SERIAL},bootindex=2"
            ));
    }
    let mut child = qemu
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("qemu starts");
    let until = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("qemu") {
            break status.code();
        }
        if done() || Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    (status, fs::read_to_string(console).unwrap_or_default())
}

#[test]
fn a_machine_pxe_boots_from_kindling_serve_installs_once_and_an_unknown_one_gets_nothing() {
    let mut needed = VM_TOOLS.to_vec();
    needed.extend([Tool::IpxeRom, Tool::VirtioDrivers]);
    if !tools::require(&needed) {
        return;
    }
    let boot = vmboot::initramfs().unwrap_or_else(|e| panic!("{e}"));
    let dir = tools::scratch("pxe-boot-");
    let fleet = Fleet::base().with("hosts/h1.yaml", HOST);
    let built = fleet.run("build", &[]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let own = fs::read(fleet.root().join("build/h1.ign")).expect("build/h1.ign");

    // The boot files by the names serve looks for; the Debian initramfs
    // ignores coreos.live.rootfs_url, the rootfs is a stand-in.
    let assets = dir.path().join("assets");
    fs::create_dir(&assets).expect("assets");
    fs::copy(&boot.kernel, assets.join("debian-live-kernel-x86_64")).expect("kernel");
    let initramfs = File::create(assets.join("debian-live-initramfs.x86_64.img")).expect("img");
    let mut gz =
        flate2::write::GzEncoder::new(BufWriter::new(initramfs), flate2::Compression::fast());
    gz.write_all(&fs::read(&boot.initrd).expect("initrd"))
        .and_then(|()| gz.finish()?.flush())
        .expect("gzip");
    fs::write(assets.join("debian-live-rootfs.x86_64.img"), b"stand-in").expect("rootfs");
    let disk = dir.path().join("disk.img");
    local_disk(&disk);

    let server = Server::start(fleet.root(), &assets, &dir.path().join("serve.log"));

    // 1. h1 boots over the network and its installer's config is applied.
    let started = Instant::now();
    let (status, console) = pxe_boot(
        &server,
        MAC,
        Some(&disk),
        &dir.path().join("console-1.log"),
        Duration::from_secs(300),
        || false,
    );
    let first = started.elapsed();
    let log = server.log();
    assert_eq!(status, Some(0), "console:\n{console}\nserve:\n{log}");
    let report = vmboot::parse_console(&console).unwrap_or_else(|e| panic!("{e}\nserve:\n{log}"));
    assert!(
        report
            .log
            .contains("KINDLING-E2E-INIT fetched by URL: rc=0"),
        "{}",
        report.log
    );
    assert!(report.ignition_ok(), "Ignition failed:\n{}", report.log);
    assert_eq!(
        report.data.get("/etc/coreos/dest.ign"),
        Some(&own),
        "the installer's config carries build/h1.ign byte for byte"
    );
    assert!(
        report
            .log
            .contains("kindling-install-guard: this is h1 (52:54:00:12:34:56 on eth0)"),
        "{}",
        report.log
    );
    assert!(
        report.log.contains("KINDLING-E2E-INSTALLER result=cleared"),
        "{}",
        report.log
    );
    for (route, what) in [
        ("/boot.ipxe", "status=200"),
        ("/ipxe", "host=h1 mac=52:54:00:12:34:56 status=200"),
        ("/assets/debian-live-kernel-x86_64", "status=200"),
        ("/assets/debian-live-initramfs.x86_64.img", "status=200"),
        ("/ignition", "host=h1 mac=52:54:00:12:34:56 status=200"),
    ] {
        assert!(
            server.lines(route).iter().any(|l| l.contains(what)),
            "no {route} {what} in the log:\n{log}"
        );
    }

    // 2. The same machine again: its local disk.
    let started = Instant::now();
    let (status, console) = pxe_boot(
        &server,
        MAC,
        Some(&disk),
        &dir.path().join("console-2.log"),
        Duration::from_secs(120),
        || false,
    );
    let second = started.elapsed();
    let log = server.log();
    assert!(
        console.contains(LOCAL_MARKER),
        "status {status:?}, console:\n{console}\nserve:\n{log}"
    );
    assert!(
        server
            .lines("/ipxe")
            .last()
            .is_some_and(|l| l.contains("note=\"installed: boot from local disk\"")),
        "{log}"
    );
    assert_eq!(server.lines("/ignition").len(), 1, "fetched once:\n{log}");

    // 3. A machine no host has: 404, nothing booted.
    let asked_before = server.lines("/ipxe").len();
    let assets_before = server.lines("/assets/").len();
    let started = Instant::now();
    let refused = || {
        server
            .lines("/ipxe")
            .iter()
            .skip(asked_before)
            .any(|l| l.contains("status=404"))
    };
    // Stopped a little after the 404: long enough for any further request.
    let refused_at = std::cell::Cell::new(None::<Instant>);
    let (_, console) = pxe_boot(
        &server,
        UNKNOWN_MAC,
        None,
        &dir.path().join("console-3.log"),
        Duration::from_secs(120),
        || {
            if refused_at.get().is_none() && refused() {
                refused_at.set(Some(Instant::now()));
            }
            refused_at
                .get()
                .is_some_and(|at| at.elapsed() > Duration::from_secs(3))
        },
    );
    let third = started.elapsed();
    let log = server.log();
    assert!(refused(), "no 404 for the unknown MAC:\n{log}");
    assert!(!console.contains("KINDLING-E2E-INIT"), "{console}");
    assert_eq!(server.lines("/assets/").len(), assets_before, "{log}");
    assert_eq!(server.lines("/ignition").len(), 1, "{log}");

    eprintln!(
        "PXE boots (TCG): install {:.1} s, local disk {:.1} s, unknown MAC refused {:.1} s",
        first.as_secs_f64(),
        second.as_secs_f64(),
        third.as_secs_f64()
    );
}
