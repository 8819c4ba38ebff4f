//! Booting an Ignition config in qemu: the launcher behind `kindling vm`.
//!
//! The config reaches the guest the way Fedora CoreOS and uCore disk images
//! read it under qemu: the fw_cfg key `opt/com.coreos/config` ([`FW_CFG_KEY`]).
//! Two ways to boot:
//! - [`Boot::Disk`]: a CoreOS-family qcow2 (or raw) image. The image is never
//!   written: every run boots a throwaway copy-on-write qcow2 overlay created
//!   with `qemu-img` in a temporary directory that is removed afterwards.
//! - [`Boot::Kernel`]: a kernel and an initrd, e.g. the tiny initramfs of the
//!   end-to-end tests that runs the real Ignition and prints what it wrote.
//! - [`Boot::Iso`]: a live ISO from a virtual CD drive (its config is
//!   embedded, so no fw_cfg), once, with a target disk attached: a blank
//!   throwaway one, or the caller's. Later reboots (an installer's) boot the
//!   target disk.
//!
//! Acceleration: KVM only when a time-bounded probe ([`kvm_usable`], in
//! `vm/kvm_probe.rs` with its assembly source) shows that KVM really runs a
//! guest into 64-bit long mode; otherwise TCG. A `/dev/kvm` that exists is
//! not enough: on some hosts it opens fine and then hangs the guest as soon
//! as it enables paging.
//!
//! Depends on std, `thiserror` and `tempfile` only.

use std::fs;
use std::io;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use thiserror::Error;

mod kvm_probe;

pub use kvm_probe::{KVM_PROBE_TIMEOUT, kvm_usable, probe_accel, probe_bios};

/// The fw_cfg name under which CoreOS-family images look for their config.
pub const FW_CFG_KEY: &str = "opt/com.coreos/config";
/// The qemu system emulator that [`run`] launches.
pub const QEMU: &str = "qemu-system-x86_64";
/// The image tool used for overlays.
pub const QEMU_IMG: &str = "qemu-img";

/// How to get a disk image when none is given or found.
pub const IMAGE_HINT: &str = "get a Fedora CoreOS qemu image with \
`coreos-installer download -s stable -p qemu -f qcow2.xz --decompress`; \
uCore ships no disk image of its own: boot Fedora CoreOS with a config that \
rebases to uCore (see uCore's README and its examples/ucore-autorebase.butane)";

/// What the VM boots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boot {
    /// A disk image (qcow2 or raw), booted through a throwaway overlay.
    Disk { image: PathBuf },
    /// A kernel and initrd booted directly, with this kernel command line.
    Kernel {
        kernel: PathBuf,
        initrd: PathBuf,
        append: String,
    },
    /// A live ISO booted once from a CD drive, with a target disk.
    Iso {
        iso: PathBuf,
        /// The target disk (qcow2 or raw, written in place); `None`: a
        /// blank [`BLANK_DISK_SIZE`] qcow2 that is removed afterwards.
        target: Option<PathBuf>,
        /// The NIC's MAC address (qemu picks one when `None`).
        mac: Option<String>,
        /// UEFI firmware to boot with ([`uefi_firmware`]) instead of the
        /// BIOS: the ISO's EFI boot image and GRUB, not isolinux.
        uefi: Option<PathBuf>,
        /// The DMI product UUID the machine reports (qemu's `-uuid`), which
        /// an installer ISO checks against the host's `install.uuid`.
        uuid: Option<String>,
    },
}

/// Where distributions put OVMF's combined image, which qemu's `-bios`
/// takes (Debian's `ovmf`: the first; qemu's own share directory: the last).
pub const UEFI_FIRMWARE: [&str; 3] = [
    "/usr/share/ovmf/OVMF.fd",
    "/usr/share/OVMF/OVMF.fd",
    "/usr/share/qemu/OVMF.fd",
];

/// The first of [`UEFI_FIRMWARE`] that exists.
pub fn uefi_firmware() -> Result<PathBuf, VmError> {
    UEFI_FIRMWARE
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .ok_or(VmError::NoUefiFirmware)
}

/// Size of the blank target disk of an ISO boot (sparse: it takes only
/// what the guest writes). Fedora CoreOS needs 8 GiB at least.
pub const BLANK_DISK_SIZE: &str = "20G";

/// The serial number of an ISO boot's target disk, so the guest sees it as
/// `/dev/disk/by-id/virtio-kindling-target`.
pub const TARGET_SERIAL: &str = "kindling-target";

/// Where the guest's serial console goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Console {
    /// The terminal (`-serial mon:stdio`: Ctrl-a x quits qemu).
    Stdio,
    /// A file, truncated at start (`-serial file:PATH`).
    File(PathBuf),
}

/// qemu's accelerator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    /// Hardware virtualization, with the host's CPU model.
    Kvm,
    /// Emulation, with every CPU feature TCG can emulate.
    Tcg,
}

impl Accel {
    /// The qemu arguments selecting this accelerator and its CPU model.
    pub fn args(self) -> [&'static str; 4] {
        match self {
            Accel::Kvm => ["-accel", "kvm", "-cpu", "host"],
            Accel::Tcg => ["-accel", "tcg", "-cpu", "max"],
        }
    }

    /// `kvm` or `tcg`.
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// One VM to boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmSpec {
    /// The Ignition config, passed through fw_cfg (`None` for a live ISO,
    /// which embeds its own).
    pub config: Option<PathBuf>,
    pub boot: Boot,
    pub memory_mib: u32,
    pub cpus: u32,
    pub console: Console,
    /// User-mode networking with the guest's port 22 forwarded from a free
    /// port on 127.0.0.1. Without it the VM has no network at all.
    pub ssh_forward: bool,
    /// `None`: KVM when [`kvm_usable`], else TCG.
    pub accel: Option<Accel>,
    /// Kill the VM after this long ([`VmError::TimedOut`]). `None`: wait forever.
    pub timeout: Option<Duration>,
}

impl VmSpec {
    /// A spec with the defaults: 2048 MiB, 2 CPUs, console on the terminal,
    /// no network, accelerator detected, no timeout.
    pub fn new(config: impl Into<PathBuf>, boot: Boot) -> Self {
        VmSpec {
            config: Some(config.into()),
            boot,
            memory_mib: 2048,
            cpus: 2,
            console: Console::Stdio,
            ssh_forward: false,
            accel: None,
            timeout: None,
        }
    }
}

/// What a launch decided beyond the spec: the overlay it boots and the host
/// port forwarded to the guest's ssh.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Launch {
    /// The qcow2 overlay for a [`Boot::Disk`] (required for disk boots).
    pub overlay: Option<PathBuf>,
    /// The host port on 127.0.0.1 forwarded to the guest's port 22.
    pub ssh_port: Option<u16>,
    /// The target disk of a [`Boot::Iso`] (required for ISO boots).
    pub target: Option<PathBuf>,
}

/// How a VM run ended.
#[derive(Debug, Clone)]
pub struct VmOutcome {
    /// qemu's exit status (0 after the guest powers off).
    pub status: ExitStatus,
    pub accel: Accel,
    pub ssh_port: Option<u16>,
    /// From launch to qemu's exit.
    pub elapsed: Duration,
    /// The console log, for [`Console::File`].
    pub console: Option<PathBuf>,
}

impl VmOutcome {
    /// qemu exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

/// Why a VM could not be run.
#[derive(Debug, Error)]
pub enum VmError {
    #[error("Ignition config {} not found", .0.display())]
    ConfigMissing(PathBuf),
    #[error("disk image {} not found: {IMAGE_HINT}", .0.display())]
    ImageMissing(PathBuf),
    #[error("{what} {} not found", .path.display())]
    BootFileMissing { what: &'static str, path: PathBuf },
    #[error("{tool} not found on PATH: install Debian's {package} package")]
    ToolMissing {
        tool: &'static str,
        package: &'static str,
    },
    #[error(
        "no UEFI firmware (OVMF.fd in /usr/share/ovmf, /usr/share/OVMF or /usr/share/qemu): \
         install Debian's ovmf package (Fedora: edk2-ovmf)"
    )]
    NoUefiFirmware,
    #[error("creating an overlay of {}: {message}", .image.display())]
    Overlay { image: PathBuf, message: String },
    #[error("the VM was still running after {}s and was killed", .after.as_secs())]
    TimedOut {
        after: Duration,
        console: Option<PathBuf>,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> VmError {
    let what = what.into();
    move |source| VmError::Io { what, source }
}

/// Escapes a value for qemu's `key=value,...` option syntax (`,` → `,,`).
fn qemu_opt_escape(path: &Path) -> String {
    path.display().to_string().replace(',', ",,")
}

/// The qemu arguments (without the program name) for `spec` under `accel`.
///
/// Pure: the overlay and the ssh port come from `launch`. A disk boot without
/// `launch.overlay` boots the image itself, which [`run`] never does.
pub fn qemu_args(spec: &VmSpec, accel: Accel, launch: &Launch) -> Vec<String> {
    let mut a: Vec<String> = Vec::new();
    let mut push = |items: &[&str]| a.extend(items.iter().map(|s| s.to_string()));
    push(&["-name", "kindling"]);
    push(&accel.args());
    push(&["-m", &spec.memory_mib.to_string()]);
    push(&["-smp", &spec.cpus.to_string()]);
    push(&["-nodefaults", "-nographic"]);
    match &spec.console {
        Console::Stdio => push(&["-serial", "mon:stdio"]),
        Console::File(path) => push(&["-serial", &format!("file:{}", path.display())]),
    }
    match &spec.boot {
        Boot::Disk { image } => {
            let disk = launch.overlay.as_deref().unwrap_or(image);
            let format = if launch.overlay.is_some() {
                "qcow2"
            } else {
                image_format(image).unwrap_or("raw")
            };
            push(&[
                "-drive",
                &format!("if=virtio,file={},format={format}", qemu_opt_escape(disk)),
            ]);
            push(&["-object", "rng-random,filename=/dev/urandom,id=rng0"]);
            push(&["-device", "virtio-rng-pci,rng=rng0"]);
        }
        Boot::Kernel {
            kernel,
            initrd,
            append,
        } => {
            push(&["-no-reboot"]);
            push(&["-kernel", &kernel.display().to_string()]);
            push(&["-initrd", &initrd.display().to_string()]);
            push(&["-append", append]);
        }
        Boot::Iso {
            iso,
            target,
            uefi,
            uuid,
            ..
        } => {
            if let Some(firmware) = uefi {
                push(&["-bios", &firmware.display().to_string()]);
            }
            if let Some(uuid) = uuid {
                push(&["-uuid", uuid]);
            }
            push(&[
                "-drive",
                &format!(
                    "if=ide,media=cdrom,readonly=on,format=raw,file={}",
                    qemu_opt_escape(iso)
                ),
            ]);
            if let Some(disk) = launch.target.as_deref().or(target.as_deref()) {
                let format = image_format(disk).unwrap_or("raw");
                push(&[
                    "-drive",
                    &format!(
                        "if=none,id=target,file={},format={format}",
                        qemu_opt_escape(disk)
                    ),
                ]);
                push(&[
                    "-device",
                    &format!("virtio-blk-pci,drive=target,serial={TARGET_SERIAL}"),
                ]);
            }
            push(&["-boot", "once=d"]);
            push(&["-object", "rng-random,filename=/dev/urandom,id=rng0"]);
            push(&["-device", "virtio-rng-pci,rng=rng0"]);
        }
    }
    if let Some(config) = &spec.config {
        push(&[
            "-fw_cfg",
            &format!("name={FW_CFG_KEY},file={}", qemu_opt_escape(config)),
        ]);
    }
    let mac = match &spec.boot {
        Boot::Iso { mac: Some(mac), .. } => format!(",mac={mac}"),
        _ => String::new(),
    };
    match (spec.ssh_forward, launch.ssh_port) {
        (true, Some(port)) => push(&[
            "-nic",
            &format!("user,model=virtio-net-pci{mac},hostfwd=tcp:127.0.0.1:{port}-:22"),
        ]),
        (true, None) => push(&["-nic", &format!("user,model=virtio-net-pci{mac}")]),
        // A NIC with a given MAC (an installer checks it), cut off from
        // the host's network.
        (false, _) if !mac.is_empty() => push(&[
            "-nic",
            &format!("user,model=virtio-net-pci{mac},restrict=on"),
        ]),
        (false, _) => push(&["-nic", "none"]),
    }
    a
}

/// [`qemu_args`] as a command running [`QEMU`].
pub fn qemu_command(spec: &VmSpec, accel: Accel, launch: &Launch) -> Command {
    let mut cmd = Command::new(QEMU);
    cmd.args(qemu_args(spec, accel, launch));
    cmd
}

/// `qcow2` when the file starts with qcow2's magic, else `raw`.
pub fn image_format(image: &Path) -> io::Result<&'static str> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut f = fs::File::open(image)?;
    let n = f.read(&mut magic)?;
    Ok(if n == 4 && magic == *b"QFI\xfb" {
        "qcow2"
    } else {
        "raw"
    })
}

/// Creates `dir/overlay.qcow2`, a copy-on-write overlay whose backing file is
/// `image` (by absolute path), with `qemu-img create -f qcow2 -F FMT -b IMAGE`.
/// Writes in the guest go to the overlay; `image` is never modified.
pub fn create_overlay(image: &Path, dir: &Path) -> Result<PathBuf, VmError> {
    if !image.is_file() {
        return Err(VmError::ImageMissing(image.to_path_buf()));
    }
    let image =
        fs::canonicalize(image).map_err(io_err(format!("resolving {}", image.display())))?;
    let format = image_format(&image).map_err(io_err(format!("reading {}", image.display())))?;
    let overlay = dir.join("overlay.qcow2");
    let out = run_qemu_img(
        Command::new(QEMU_IMG)
            .args(["create", "-q", "-f", "qcow2", "-F", format, "-b"])
            .arg(&image)
            .arg(&overlay),
    )?;
    if !out.status.success() {
        return Err(VmError::Overlay {
            image,
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(overlay)
}

/// Runs a `qemu-img` command to completion; a missing binary names the
/// Debian package that has it.
fn run_qemu_img(command: &mut Command) -> Result<std::process::Output, VmError> {
    command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => VmError::ToolMissing {
                tool: QEMU_IMG,
                package: "qemu-utils",
            },
            _ => VmError::Io {
                what: format!("running {QEMU_IMG}"),
                source: e,
            },
        })
}

/// Creates `dir/target.qcow2`, a blank sparse disk of [`BLANK_DISK_SIZE`].
pub fn create_blank_disk(dir: &Path) -> Result<PathBuf, VmError> {
    let disk = dir.join("target.qcow2");
    let out = run_qemu_img(
        Command::new(QEMU_IMG)
            .args(["create", "-q", "-f", "qcow2"])
            .arg(&disk)
            .arg(BLANK_DISK_SIZE),
    )?;
    if !out.status.success() {
        return Err(VmError::Io {
            what: format!("creating a blank disk {}", disk.display()),
            source: io::Error::other(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        });
    }
    Ok(disk)
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_local_port() -> io::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    Ok(listener.local_addr()?.port())
}

/// Polls `child` until it exits or `timeout` passes (then returns `None` and
/// leaves it running).
fn wait_timeout(child: &mut Child, timeout: Duration) -> io::Result<Option<ExitStatus>> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if start.elapsed() >= timeout {
            return Ok(None);
        }
        thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Boots `spec` and waits for qemu to exit (or for `spec.timeout`):
/// [`start`] then [`RunningVm::wait`].
pub fn run(spec: &VmSpec) -> Result<VmOutcome, VmError> {
    start(spec)?.wait()
}

/// Checks `spec`'s inputs and tools, without starting anything.
pub fn preflight(spec: &VmSpec) -> Result<(), VmError> {
    if let Some(config) = &spec.config
        && !config.is_file()
    {
        return Err(VmError::ConfigMissing(config.clone()));
    }
    match &spec.boot {
        Boot::Disk { image } if !image.is_file() => {
            return Err(VmError::ImageMissing(image.clone()));
        }
        Boot::Kernel { kernel, initrd, .. } => {
            for (what, path) in [("kernel", kernel), ("initrd", initrd)] {
                if !path.is_file() {
                    return Err(VmError::BootFileMissing {
                        what,
                        path: path.clone(),
                    });
                }
            }
        }
        Boot::Iso {
            iso, target, uefi, ..
        } => {
            if !iso.is_file() {
                return Err(VmError::BootFileMissing {
                    what: "live ISO",
                    path: iso.clone(),
                });
            }
            if let Some(firmware) = uefi
                && !firmware.is_file()
            {
                return Err(VmError::BootFileMissing {
                    what: "UEFI firmware",
                    path: firmware.clone(),
                });
            }
            if let Some(target) = target
                && !target.is_file()
            {
                return Err(VmError::BootFileMissing {
                    what: "target disk",
                    path: target.clone(),
                });
            }
        }
        Boot::Disk { .. } => {}
    }
    if find_in_path(QEMU).is_none() {
        return Err(VmError::ToolMissing {
            tool: QEMU,
            package: "qemu-system-x86",
        });
    }
    Ok(())
}

/// A VM that [`start`] launched: what it decided (accelerator, ssh port,
/// overlay) is known before it ends, so a caller can print it.
#[derive(Debug)]
pub struct RunningVm {
    child: Child,
    accel: Accel,
    launch: Launch,
    console: Option<PathBuf>,
    timeout: Option<Duration>,
    started: Instant,
    /// Holds the overlay; removed when the VM is waited for or dropped.
    _workdir: tempfile::TempDir,
}

impl RunningVm {
    /// The accelerator qemu runs with.
    pub fn accel(&self) -> Accel {
        self.accel
    }

    /// The host port on 127.0.0.1 forwarded to the guest's port 22.
    pub fn ssh_port(&self) -> Option<u16> {
        self.launch.ssh_port
    }

    /// The blank target disk an ISO boot created.
    pub fn target(&self) -> Option<&Path> {
        self.launch.target.as_deref()
    }

    /// The throwaway overlay a disk boot runs on.
    pub fn overlay(&self) -> Option<&Path> {
        self.launch.overlay.as_deref()
    }

    /// qemu's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for qemu to exit, or kills it after the spec's timeout
    /// ([`VmError::TimedOut`]). The overlay is removed either way.
    pub fn wait(mut self) -> Result<VmOutcome, VmError> {
        let status = match self.timeout {
            None => self
                .child
                .wait()
                .map_err(io_err(format!("waiting for {QEMU}")))?,
            Some(timeout) => match wait_timeout(&mut self.child, timeout) {
                Ok(Some(status)) => status,
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(VmError::TimedOut {
                        after: timeout,
                        console: self.console.clone(),
                    });
                }
                Err(e) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(io_err(format!("waiting for {QEMU}"))(e));
                }
            },
        };
        Ok(VmOutcome {
            status,
            accel: self.accel,
            ssh_port: self.launch.ssh_port,
            elapsed: self.started.elapsed(),
            console: self.console.clone(),
        })
    }
}

impl Drop for RunningVm {
    /// A VM that is dropped without [`RunningVm::wait`] (a caller's panic)
    /// does not outlive it.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Starts `spec` and returns without waiting.
///
/// Checks the inputs first ([`preflight`]); picks the accelerator
/// ([`kvm_usable`] when `spec.accel` is `None`); for a disk boot creates a
/// throwaway overlay in a temporary directory (removed after the VM ends);
/// with `ssh_forward` picks a free local port. With [`Console::Stdio`] qemu
/// owns the terminal (Ctrl-a x quits); with [`Console::File`] stdin is closed
/// and the console is written to the file.
pub fn start(spec: &VmSpec) -> Result<RunningVm, VmError> {
    preflight(spec)?;
    let accel = spec
        .accel
        .unwrap_or_else(|| if kvm_usable() { Accel::Kvm } else { Accel::Tcg });

    let workdir = tempfile::Builder::new()
        .prefix("kindling-vm-")
        .tempdir()
        .map_err(io_err("creating a temporary directory"))?;
    let mut launch = Launch::default();
    match &spec.boot {
        Boot::Disk { image } => launch.overlay = Some(create_overlay(image, workdir.path())?),
        Boot::Iso { target: None, .. } => {
            launch.target = Some(create_blank_disk(workdir.path())?);
        }
        _ => {}
    }
    if spec.ssh_forward {
        launch.ssh_port = Some(free_local_port().map_err(io_err("finding a free local port"))?);
    }

    let mut cmd = qemu_command(spec, accel, &launch);
    let console = match &spec.console {
        Console::Stdio => None,
        Console::File(path) => {
            cmd.stdin(Stdio::null());
            Some(path.clone())
        }
    };
    let started = Instant::now();
    let child = cmd.spawn().map_err(io_err(format!("starting {QEMU}")))?;
    Ok(RunningVm {
        child,
        accel,
        launch,
        console,
        timeout: spec.timeout,
        started,
        _workdir: workdir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// Tools that these tests run: present, or a printed skip (a failure
    /// under KINDLING_E2E=1).
    pub(super) fn have(tool: &str) -> bool {
        if find_in_path(tool).is_some() {
            return true;
        }
        if std::env::var("KINDLING_E2E").is_ok_and(|v| v == "1") {
            panic!("{tool} is missing and KINDLING_E2E=1: run tests/e2e/install-deps.sh");
        }
        // Past libtest's capture, so the reason shows in a plain `cargo test`.
        use std::io::Write as _;
        let _ = writeln!(
            io::stderr(),
            "skipped: {tool} not found (run tests/e2e/install-deps.sh)"
        );
        false
    }

    #[test]
    fn kernel_boot_command_line() {
        let spec = VmSpec {
            config: Some(PathBuf::from("/w/node.ign")),
            boot: Boot::Kernel {
                kernel: PathBuf::from("/k/vmlinuz"),
                initrd: PathBuf::from("/k/initrd.cpio"),
                append: "console=ttyS0 panic=-1 quiet".into(),
            },
            memory_mib: 512,
            cpus: 1,
            console: Console::File(PathBuf::from("/w/console.log")),
            ssh_forward: false,
            accel: None,
            timeout: None,
        };
        let args = qemu_args(&spec, Accel::Tcg, &Launch::default());
        assert_eq!(
            args,
            strings(&[
                "-name",
                "kindling",
                "-accel",
                "tcg",
                "-cpu",
                "max",
                "-m",
                "512",
                "-smp",
                "1",
                "-nodefaults",
                "-nographic",
                "-serial",
                "file:/w/console.log",
                "-no-reboot",
                "-kernel",
                "/k/vmlinuz",
                "-initrd",
                "/k/initrd.cpio",
                "-append",
                "console=ttyS0 panic=-1 quiet",
                "-fw_cfg",
                "name=opt/com.coreos/config,file=/w/node.ign",
                "-nic",
                "none",
            ])
        );
        let cmd = qemu_command(&spec, Accel::Tcg, &Launch::default());
        assert_eq!(cmd.get_program(), std::ffi::OsStr::new(QEMU));
        assert_eq!(cmd.get_args().count(), args.len());
    }

    #[test]
    fn disk_boot_command_line() {
        let mut spec = VmSpec::new(
            "/w/a,b.ign",
            Boot::Disk {
                image: PathBuf::from("/img/fcos.qcow2"),
            },
        );
        spec.ssh_forward = true;
        let launch = Launch {
            overlay: Some(PathBuf::from("/tmp/x/overlay.qcow2")),
            ssh_port: Some(2222),
            target: None,
        };
        let args = qemu_args(&spec, Accel::Kvm, &launch);
        assert_eq!(
            args,
            strings(&[
                "-name",
                "kindling",
                "-accel",
                "kvm",
                "-cpu",
                "host",
                "-m",
                "2048",
                "-smp",
                "2",
                "-nodefaults",
                "-nographic",
                "-serial",
                "mon:stdio",
                "-drive",
                "if=virtio,file=/tmp/x/overlay.qcow2,format=qcow2",
                "-object",
                "rng-random,filename=/dev/urandom,id=rng0",
                "-device",
                "virtio-rng-pci,rng=rng0",
                "-fw_cfg",
                "name=opt/com.coreos/config,file=/w/a,,b.ign",
                "-nic",
                "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:2222-:22",
            ])
        );
        // Never the image itself while an overlay exists.
        assert!(!args.iter().any(|a| a.contains("fcos.qcow2")));
    }

    #[test]
    fn iso_boot_command_line() {
        let spec = VmSpec {
            config: None,
            boot: Boot::Iso {
                iso: PathBuf::from("/b/beam00.iso"),
                target: None,
                mac: Some("52:54:00:be:a0:00".to_owned()),
                uefi: None,
                uuid: None,
            },
            memory_mib: 2048,
            cpus: 2,
            console: Console::Stdio,
            ssh_forward: false,
            accel: None,
            timeout: None,
        };
        let launch = Launch {
            target: Some(PathBuf::from("/tmp/x/target.qcow2")),
            ..Launch::default()
        };
        let args = qemu_args(&spec, Accel::Tcg, &launch).join(" ");
        assert!(
            args.contains(
                "-drive if=ide,media=cdrom,readonly=on,format=raw,file=/b/beam00.iso \
                 -drive if=none,id=target,file=/tmp/x/target.qcow2,format=raw \
                 -device virtio-blk-pci,drive=target,serial=kindling-target -boot once=d"
            ),
            "{args}"
        );
        assert!(
            args.ends_with("-nic user,model=virtio-net-pci,mac=52:54:00:be:a0:00,restrict=on"),
            "{args}"
        );
        // The config is embedded in the ISO: no fw_cfg.
        assert!(!args.contains("-fw_cfg"), "{args}");
        assert!(!args.contains("-bios"), "{args}");
        let uefi = VmSpec {
            boot: Boot::Iso {
                iso: PathBuf::from("/b/beam00.iso"),
                target: None,
                mac: None,
                uefi: Some(PathBuf::from("/usr/share/ovmf/OVMF.fd")),
                uuid: Some("4c4c4544-0042-3510-8052-b4c04f4b4d32".to_owned()),
            },
            ..spec.clone()
        };
        let args = qemu_args(&uefi, Accel::Tcg, &launch).join(" ");
        assert!(
            args.contains(
                "-bios /usr/share/ovmf/OVMF.fd -uuid 4c4c4544-0042-3510-8052-b4c04f4b4d32 \
                 -drive if=ide,media=cdrom"
            ),
            "{args}"
        );
        // ssh forwarding keeps the MAC.
        let spec = VmSpec {
            ssh_forward: true,
            ..spec
        };
        let launch = Launch {
            ssh_port: Some(2200),
            ..launch
        };
        let args = qemu_args(&spec, Accel::Tcg, &launch).join(" ");
        assert!(
            args.ends_with(
                "-nic user,model=virtio-net-pci,mac=52:54:00:be:a0:00,hostfwd=tcp:127.0.0.1:2200-:22"
            ),
            "{args}"
        );
    }

    #[test]
    fn missing_image_says_how_to_get_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("c.ign");
        fs::write(&config, "{}").expect("write");
        let spec = VmSpec::new(
            &config,
            Boot::Disk {
                image: dir.path().join("nope.qcow2"),
            },
        );
        let err = run(&spec).expect_err("no image");
        assert!(matches!(err, VmError::ImageMissing(_)), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("coreos-installer download -s stable -p qemu -f qcow2.xz --decompress"),
            "{msg}"
        );
        assert!(msg.contains("uCore"), "{msg}");
        let err = create_overlay(&dir.path().join("nope.qcow2"), dir.path()).expect_err("no image");
        assert!(matches!(err, VmError::ImageMissing(_)), "{err:?}");
    }

    #[test]
    fn missing_config_and_kernel_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let boot = Boot::Kernel {
            kernel: dir.path().join("vmlinuz"),
            initrd: dir.path().join("initrd"),
            append: String::new(),
        };
        let spec = VmSpec::new(dir.path().join("missing.ign"), boot.clone());
        assert!(matches!(run(&spec), Err(VmError::ConfigMissing(_))));
        let config = dir.path().join("c.ign");
        fs::write(&config, "{}").expect("write");
        let spec = VmSpec::new(&config, boot);
        match run(&spec) {
            Err(VmError::BootFileMissing { what, .. }) => assert_eq!(what, "kernel"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_local_port().expect("port");
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("the port is free");
    }

    #[test]
    fn overlay_leaves_the_image_alone() {
        if !have(QEMU_IMG) {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let image = dir.path().join("base.qcow2");
        let st = Command::new(QEMU_IMG)
            .args(["create", "-q", "-f", "qcow2"])
            .arg(&image)
            .arg("16M")
            .status()
            .expect("qemu-img");
        assert!(st.success());
        assert_eq!(image_format(&image).expect("format"), "qcow2");
        let before = fs::read(&image).expect("read");

        let odir = tempfile::tempdir().expect("tempdir");
        let overlay = create_overlay(&image, odir.path()).expect("overlay");
        assert_eq!(overlay, odir.path().join("overlay.qcow2"));
        let info = Command::new(QEMU_IMG)
            .args(["info", "--output=json"])
            .arg(&overlay)
            .output()
            .expect("qemu-img info");
        assert!(info.status.success());
        let info: serde_json::Value = serde_json::from_slice(&info.stdout).expect("json");
        assert_eq!(info["format"], "qcow2");
        let canonical = fs::canonicalize(&image).expect("canonical");
        assert_eq!(
            info["backing-filename"].as_str(),
            Some(canonical.to_str().expect("utf-8"))
        );
        assert_eq!(info["backing-filename-format"], "qcow2");
        // Writing through the overlay leaves the base image byte-identical.
        let st = Command::new(QEMU_IMG)
            .args(["resize", "-q"])
            .arg(&overlay)
            .arg("32M")
            .status()
            .expect("qemu-img resize");
        assert!(st.success());
        assert_eq!(fs::read(&image).expect("read"), before);

        // A raw image gets a raw backing format.
        let raw = dir.path().join("base.raw");
        fs::write(&raw, vec![0u8; 1 << 20]).expect("write");
        assert_eq!(image_format(&raw).expect("format"), "raw");
        let rdir = tempfile::tempdir().expect("tempdir");
        let overlay = create_overlay(&raw, rdir.path()).expect("overlay");
        let info = Command::new(QEMU_IMG)
            .args(["info", "--output=json"])
            .arg(&overlay)
            .output()
            .expect("qemu-img info");
        let info: serde_json::Value = serde_json::from_slice(&info.stdout).expect("json");
        assert_eq!(info["backing-filename-format"], "raw");
    }
}
