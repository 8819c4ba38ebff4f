//! Where the end-to-end tools are, and the `KINDLING_E2E` gate.
//!
//! Every e2e test starts with `if !tools::require(&[...]) { return; }`: when a
//! tool is missing it prints `skipped: <test>: <why>` to stderr and the test
//! returns (passes); with `KINDLING_E2E=1` a missing tool fails the test.

use std::fmt;
use std::path::{Path, PathBuf};

use super::paths;

/// Where Debian's `ignition` package puts the real Ignition.
pub const IGNITION_DEFAULT: &str = "/usr/lib/dracut/modules.d/30ignition/ignition";

/// isolinux's boot files, from Debian's `isolinux` and `syslinux-common`.
pub const ISOLINUX_BIN: &str = "/usr/lib/ISOLINUX/isolinux.bin";
pub const LDLINUX_C32: &str = "/usr/lib/syslinux/modules/bios/ldlinux.c32";
pub const ISOHYBRID_MBR: &str = "/usr/lib/ISOLINUX/isohdpfx.bin";

const INSTALL_HINT: &str = "run tests/e2e/install-deps.sh as root";

/// `KINDLING_E2E=1`: a missing tool is a failure, not a skip.
pub fn e2e_required() -> bool {
    std::env::var("KINDLING_E2E").is_ok_and(|v| v == "1")
}

/// The cache of install-deps.sh and build-initramfs.sh: `$KINDLING_E2E_CACHE`,
/// default `<repo>/target/e2e-cache`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("KINDLING_E2E_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => paths::repo_root().join("target").join("e2e-cache"),
    }
}

/// Where scratch directories go: cargo's per-target temporary directory.
pub fn scratch_parent() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A scratch directory named `<prefix>XXXXXX` under [`scratch_parent`].
pub fn scratch(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(scratch_parent())
        .expect("tempdir")
}

/// Where scratch roots that other users must reach go. Ignition writes
/// some files as their owner (SSH keys as the user), which needs every
/// ancestor of the root to be searchable by that user; a clone under
/// `mktemp -d` (mode 0700) is not. Then a 0755 directory in the system's
/// temporary directory is used instead.
pub fn shared_scratch_parent() -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let preferred = scratch_parent();
    let searchable = preferred
        .ancestors()
        .all(|dir| std::fs::metadata(dir).is_ok_and(|m| m.permissions().mode() & 0o001 != 0));
    if searchable {
        return preferred;
    }
    let dir = std::env::temp_dir().join("kindling-e2e");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    dir
}

/// `KINDLING_E2E_KEEP=1`: keep scratch directories (their paths are printed).
pub fn keep_scratch() -> bool {
    std::env::var("KINDLING_E2E_KEEP").is_ok_and(|v| v == "1")
}

/// The first `name` on PATH (plus the sbin directories, which a non-login
/// root shell may lack).
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for extra in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        dirs.push(PathBuf::from(extra));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Whether this process runs as root (real uid 0, from /proc/self/status).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// The iPXE option ROM of qemu's e1000 NIC (`ipxe-qemu`; its virtio ROM
/// does not start under Debian 12's SeaBIOS).
pub const IPXE_E1000_ROM: &str = "/usr/lib/ipxe/qemu/efi-e1000.rom";

/// A tool (or capability) an e2e test needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Running as root (namespaces, useradd --root, mknod).
    Root,
    Unshare,
    /// The real Ignition binary (`$KINDLING_IGNITION` overrides the path).
    Ignition,
    IgnitionValidate,
    Python3,
    /// trixie's quadlet (`$KINDLING_QUADLET` overrides the path).
    Quadlet,
    SystemdAnalyze,
    Qemu,
    QemuImg,
    /// A static busybox at /bin/busybox.
    Busybox,
    Cpio,
    /// The kernel unpacked by install-deps.sh.
    Kernel,
    /// That kernel's virtio NIC and disk drivers (install-deps.sh unpacks
    /// them since the installer ISO boot test).
    VirtioDrivers,
    /// xorriso, which masters the test live ISOs.
    Xorriso,
    /// isolinux's boot files (Debian's `isolinux` and `syslinux-common`).
    Isolinux,
    /// What a UEFI boot of a test ISO needs: GRUB's EFI build
    /// (`grub-efi-amd64-bin`), `mkfs.vfat` and mtools for its FAT image,
    /// and OVMF (`ovmf`).
    UefiBoot,
    /// coreos-installer, the oracle of the ISO format
    /// (`$KINDLING_COREOS_INSTALLER` overrides the path).
    CoreosInstaller,
    /// dnsmasq, which checks `kindling serve --dnsmasq-example`.
    Dnsmasq,
    /// qemu's iPXE ROM for e1000 NICs (Debian's `ipxe-qemu`) and the
    /// kernel's e1000 driver (install-deps.sh unpacks it since the PXE
    /// boot test).
    IpxeRom,
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Tool::Root => "root privileges",
            Tool::Unshare => "unshare",
            Tool::Ignition => "ignition",
            Tool::IgnitionValidate => "ignition-validate",
            Tool::Python3 => "python3",
            Tool::Quadlet => "quadlet (trixie's podman)",
            Tool::SystemdAnalyze => "systemd-analyze",
            Tool::Qemu => "qemu-system-x86_64",
            Tool::QemuImg => "qemu-img",
            Tool::Busybox => "static busybox",
            Tool::Cpio => "cpio",
            Tool::Kernel => "a Debian kernel",
            Tool::VirtioDrivers => "the kernel's virtio drivers",
            Tool::Xorriso => "xorriso",
            Tool::Dnsmasq => "dnsmasq",
            Tool::Isolinux => "isolinux",
            Tool::CoreosInstaller => "coreos-installer",
            Tool::UefiBoot => "UEFI boot parts (grub-efi-amd64-bin, dosfstools, mtools, ovmf)",
            Tool::IpxeRom => "qemu's iPXE ROM (ipxe-qemu)",
        };
        f.write_str(name)
    }
}

impl Tool {
    /// The tool's path, or why it is not there.
    pub fn locate(self) -> Result<PathBuf, String> {
        let on_path = |name: &str| find_in_path(name).ok_or_else(|| format!("{name} not found"));
        let at = |p: PathBuf| {
            if is_executable(&p) {
                Ok(p)
            } else {
                Err(format!("{} not found", p.display()))
            }
        };
        match self {
            Tool::Root => {
                if is_root() {
                    Ok(PathBuf::from("/"))
                } else {
                    Err("not running as root".into())
                }
            }
            Tool::Unshare => on_path("unshare"),
            Tool::Ignition => at(std::env::var_os("KINDLING_IGNITION")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(IGNITION_DEFAULT))),
            Tool::IgnitionValidate => on_path("ignition-validate"),
            Tool::Python3 => {
                // Debian's python3 first: a pyenv shim may not run in the
                // read-only namespace.
                at(PathBuf::from("/usr/bin/python3")).or_else(|_| on_path("python3"))
            }
            Tool::Quadlet => at(std::env::var_os("KINDLING_QUADLET")
                .map(PathBuf::from)
                .unwrap_or_else(|| cache_dir().join("podman/usr/libexec/podman/quadlet"))),
            Tool::SystemdAnalyze => on_path("systemd-analyze"),
            Tool::Qemu => on_path("qemu-system-x86_64"),
            Tool::QemuImg => on_path("qemu-img"),
            Tool::Busybox => at(PathBuf::from("/bin/busybox")),
            Tool::Cpio => on_path("cpio"),
            Tool::Kernel => {
                let kver = cache_dir().join("kernel/kver");
                std::fs::read_to_string(&kver)
                    .map(|v| {
                        cache_dir()
                            .join("kernel/boot")
                            .join(format!("vmlinuz-{}", v.trim()))
                    })
                    .ok()
                    .filter(|p| p.is_file())
                    .ok_or_else(|| {
                        format!("no kernel under {}", cache_dir().join("kernel").display())
                    })
            }
            Tool::VirtioDrivers => {
                let kver = std::fs::read_to_string(cache_dir().join("kernel/kver"))
                    .map_err(|e| format!("no kernel under the e2e cache: {e}"))?;
                let drivers = cache_dir()
                    .join("kernel/lib/modules")
                    .join(kver.trim())
                    .join("kernel/drivers");
                [
                    "net/virtio_net.ko",
                    "block/virtio_blk.ko",
                    "virtio/virtio_pci.ko",
                ]
                .iter()
                .map(|module| drivers.join(module))
                .find(|module| !module.is_file())
                .map_or(Ok(drivers), |module| {
                    Err(format!("{} not found", module.display()))
                })
            }
            Tool::Xorriso => on_path("xorriso"),
            Tool::Dnsmasq => on_path("dnsmasq"),
            Tool::Isolinux => {
                let files = [ISOLINUX_BIN, LDLINUX_C32, ISOHYBRID_MBR];
                match files.iter().find(|f| !Path::new(f).is_file()) {
                    Some(missing) => Err(format!("{missing} not found")),
                    None => Ok(PathBuf::from(ISOLINUX_BIN)),
                }
            }
            Tool::UefiBoot => {
                for tool in ["grub-mkstandalone", "mkfs.vfat", "mmd", "mcopy"] {
                    on_path(tool)?;
                }
                let modules = Path::new("/usr/lib/grub/x86_64-efi");
                if !modules.join("linux.mod").is_file() {
                    return Err(format!("{} not found", modules.display()));
                }
                kindling::vm::uefi_firmware().map_err(|e| e.to_string())
            }
            Tool::CoreosInstaller => match std::env::var_os("KINDLING_COREOS_INSTALLER") {
                Some(path) => at(PathBuf::from(path)),
                None => at(cache_dir().join("coreos-installer/bin/coreos-installer"))
                    .or_else(|_| on_path("coreos-installer")),
            },
            Tool::IpxeRom => {
                let rom = PathBuf::from(IPXE_E1000_ROM);
                if !rom.is_file() {
                    return Err(format!("{IPXE_E1000_ROM} not found"));
                }
                let kver = std::fs::read_to_string(cache_dir().join("kernel/kver"))
                    .map_err(|e| format!("no kernel under the e2e cache: {e}"))?;
                let driver = cache_dir()
                    .join("kernel/lib/modules")
                    .join(kver.trim())
                    .join("kernel/drivers/net/ethernet/intel/e1000/e1000.ko");
                if driver.is_file() {
                    Ok(rom)
                } else {
                    Err(format!("{} not found", driver.display()))
                }
            }
        }
    }
}

/// The missing tools among `tools`, with reasons.
pub fn missing(tools: &[Tool]) -> Vec<String> {
    tools
        .iter()
        .filter_map(|t| t.locate().err().map(|why| format!("{t}: {why}")))
        .collect()
}

/// The gate: true when every tool is there. Otherwise, under `KINDLING_E2E=1`
/// it panics (the test fails); without it, it prints `skipped: <test>: <why>`
/// to stderr and returns false, and the test should return.
pub fn require(tools: &[Tool]) -> bool {
    let missing = missing(tools);
    if missing.is_empty() {
        return true;
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("e2e test")
        .to_string();
    let why = missing.join("; ");
    if e2e_required() {
        panic!("{test}: KINDLING_E2E=1 but {why} ({INSTALL_HINT})");
    }
    // Straight to the process's stderr, past libtest's output capture, so the
    // reason shows in a normal `cargo test` run.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {test}: {why} ({INSTALL_HINT}; KINDLING_E2E=1 makes this a failure)"
    );
    false
}

/// What validating a config with `ignition-validate` and then applying it
/// needs.
pub const VALIDATE_AND_APPLY_TOOLS: &[Tool] = &[
    Tool::Root,
    Tool::Unshare,
    Tool::Ignition,
    Tool::Python3,
    Tool::IgnitionValidate,
];

/// Runs coreos-installer (the reference of the ISO and PXE formats) with
/// `args`, whatever its exit status; see [`coreos_installer`] for a run
/// that must succeed.
pub fn coreos_installer_output<I, S>(args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let bin = Tool::CoreosInstaller.locate().expect("coreos-installer");
    std::process::Command::new(bin)
        .args(args)
        .output()
        .expect("coreos-installer runs")
}

/// Runs coreos-installer with `args`, which must succeed; its stdout.
pub fn coreos_installer<I, S>(args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args
        .into_iter()
        .map(|a| a.as_ref().to_os_string())
        .collect();
    let out = coreos_installer_output(&args);
    assert!(
        out.status.success(),
        "coreos-installer {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
