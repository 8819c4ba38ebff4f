//! Whether KVM really runs a guest here: a tiny guest, booted under the
//! accelerator with a time limit, that must reach 64-bit code and exit.
//!
//! The guest is a 64 KiB BIOS image assembled from `kvm_probe.s` beside
//! this file (GNU as and ld; the commands are in its header). The bytes are
//! kept here so building kindling needs no assembler; the test
//! `bytes_match_the_assembly_source` assembles the source and compares.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::{Accel, QEMU, wait_timeout};

/// How long [`kvm_usable`] lets its probe guest run before calling KVM unusable.
pub const KVM_PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// The guest of [`probe_accel`]: `kvm_probe.s` assembled, a 64 KiB BIOS
/// image that switches to long mode and makes qemu exit with status 3.
pub fn probe_bios() -> Vec<u8> {
    /// `kvm_probe.s` from `_start` to the end of `gdtr`.
    const CODE: [u8; 166] = [
        0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0xb0, 0x31, 0xe6, 0xe9, 0xbf, 0x00,
        0x10, 0xb9, 0x00, 0x18, 0x31, 0xc0, 0xf3, 0xab, 0x66, 0xc7, 0x06, 0x00, 0x10, 0x03, 0x20,
        0x00, 0x00, 0x66, 0xc7, 0x06, 0x00, 0x20, 0x03, 0x30, 0x00, 0x00, 0x66, 0xc7, 0x06, 0x00,
        0x30, 0x83, 0x00, 0x00, 0x00, 0x2e, 0x66, 0x0f, 0x01, 0x16, 0xa0, 0x00, 0x0f, 0x20, 0xe0,
        0x66, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0x66, 0xb8, 0x00, 0x10, 0x00, 0x00, 0x0f, 0x22,
        0xd8, 0x66, 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x66, 0x0d, 0x00, 0x01, 0x00, 0x00,
        0x0f, 0x30, 0xb0, 0x32, 0xe6, 0xe9, 0x0f, 0x20, 0xc0, 0x66, 0x0d, 0x01, 0x00, 0x00, 0x80,
        0x0f, 0x22, 0xc0, 0x66, 0xea, 0x74, 0x00, 0x0f, 0x00, 0x08, 0x00, 0xb0, 0x33, 0xe6, 0xe9,
        0x48, 0xb8, 0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, 0x48, 0x01, 0xc0, 0xb0, 0x01,
        0xe6, 0xf4, 0xf4, 0xeb, 0xfd, 0xf4, 0xf4, 0xf4, 0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9a, 0x20, 0x00, 0x0f, 0x00, 0x90, 0x00, 0x0f,
        0x00,
    ];
    /// The reset vector at 0xFFF0: `ljmpw $0xF000, $0x0000`.
    const RESET: [u8; 5] = [0xea, 0x00, 0x00, 0x00, 0xf0];
    let mut bios = vec![0xf4u8; 0x10000]; // hlt everywhere else
    bios[..CODE.len()].copy_from_slice(&CODE);
    bios[0xfff0..0xfff0 + RESET.len()].copy_from_slice(&RESET);
    bios
}

/// Boots [`probe_bios`] under `accel` (with the same accelerator arguments as
/// a real run) and reports whether it reached 64-bit code and exited within
/// `timeout`. `Err` says why not.
pub fn probe_accel(accel: Accel, timeout: Duration) -> Result<Duration, String> {
    if accel == Accel::Kvm {
        fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .map_err(|e| format!("/dev/kvm: {e}"))?;
    }
    let dir = tempfile::Builder::new()
        .prefix("kindling-probe-")
        .tempdir()
        .map_err(|e| format!("temporary directory: {e}"))?;
    let bios = dir.path().join("probe.bin");
    fs::write(&bios, probe_bios()).map_err(|e| format!("writing {}: {e}", bios.display()))?;
    let stderr_path = dir.path().join("stderr");
    let stderr = fs::File::create(&stderr_path).map_err(|e| format!("{e}"))?;
    let start = Instant::now();
    let mut child = Command::new(QEMU)
        .args(accel.args())
        .args([
            "-machine",
            "pc",
            "-m",
            "16",
            "-nodefaults",
            "-display",
            "none",
        ])
        .args([
            "-no-reboot",
            "-device",
            "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ])
        .arg("-bios")
        .arg(&bios)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("{QEMU}: {e}"))?;
    let waited = wait_timeout(&mut child, timeout).map_err(|e| format!("waiting for {QEMU}: {e}"));
    let status = match waited {
        Ok(Some(status)) => status,
        other => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(match other {
                Err(e) => e,
                _ => format!("the probe guest did not finish within {timeout:?}"),
            });
        }
    };
    let elapsed = start.elapsed();
    if status.code() == Some(3) {
        Ok(elapsed)
    } else {
        let msg = fs::read_to_string(&stderr_path).unwrap_or_default();
        Err(format!("probe exited with {status}: {}", msg.trim()))
    }
}

/// Whether KVM is usable here: `/dev/kvm` opens and a probe guest reaches
/// 64-bit code under `-accel kvm` within [`KVM_PROBE_TIMEOUT`]. Cached for the
/// life of the process.
pub fn kvm_usable() -> bool {
    static USABLE: OnceLock<bool> = OnceLock::new();
    *USABLE.get_or_init(|| {
        Path::new("/dev/kvm").exists() && probe_accel(Accel::Kvm, KVM_PROBE_TIMEOUT).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::tests::have;

    #[test]
    fn probe_bios_layout() {
        let bios = probe_bios();
        assert_eq!(bios.len(), 0x10000);
        assert_eq!(&bios[0xfff0..0xfff5], &[0xea, 0x00, 0x00, 0x00, 0xf0]);
        assert_eq!(bios[0], 0xfa); // cli
        // The GDT descriptor points at the 64-bit code descriptor at 0xF0090.
        assert_eq!(&bios[0xa0..0xa6], &[0x0f, 0x00, 0x90, 0x00, 0x0f, 0x00]);
        assert_eq!(&bios[0x98..0xa0], &0x00209A0000000000u64.to_le_bytes());
    }

    #[test]
    fn tcg_runs_the_probe_guest() {
        if !have(QEMU) {
            return;
        }
        let took = probe_accel(Accel::Tcg, Duration::from_secs(20)).expect("TCG probe");
        assert!(took < Duration::from_secs(20));
    }

    #[test]
    fn kvm_probe_is_time_bounded() {
        if !have(QEMU) {
            return;
        }
        let start = Instant::now();
        let usable = kvm_usable();
        let took = start.elapsed();
        eprintln!("kvm_usable() = {usable} in {took:?}");
        assert!(
            took < KVM_PROBE_TIMEOUT + Duration::from_secs(5),
            "{took:?}"
        );
    }

    /// Runs a binutils tool; binutils comes with every toolchain that links
    /// Rust on Linux, so its absence fails the test rather than skipping it.
    fn binutils(program: &str, args: &[&std::ffi::OsStr]) {
        let output = Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} (binutils) is needed to check kvm_probe.s: {e}"));
        assert!(
            output.status.success(),
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    #[test]
    fn bytes_match_the_assembly_source() {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/vm/kvm_probe.s");
        let dir = tempfile::tempdir().expect("tempdir");
        let object = dir.path().join("kvm_probe.o");
        let image = dir.path().join("kvm_probe.bin");
        binutils(
            "as",
            &[
                "--64".as_ref(),
                "-o".as_ref(),
                object.as_os_str(),
                source.as_os_str(),
            ],
        );
        binutils(
            "ld",
            &[
                "-Ttext=0xF0000".as_ref(),
                "--oformat".as_ref(),
                "binary".as_ref(),
                "-o".as_ref(),
                image.as_os_str(),
                object.as_os_str(),
            ],
        );
        let assembled = fs::read(&image).expect("read the assembled image");
        let bios = probe_bios();
        assert_eq!(assembled.len(), bios.len());
        if let Some(at) = assembled.iter().zip(&bios).position(|(a, b)| a != b) {
            panic!(
                "probe_bios() differs from kvm_probe.s at offset {at:#x}: {:#04x} here, {:#04x} assembled",
                bios[at], assembled[at]
            );
        }
    }
}
