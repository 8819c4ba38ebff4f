//! The VM side of the e2e tests: the cached kernel + initramfs that runs the
//! real Ignition inside qemu (`tests/e2e/build-initramfs.sh`, whose `/init` is
//! `tests/e2e/initramfs-init.sh`), and the parser for what `/init` prints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use kindling::ignition::spec::Spec;
use kindling::vm::{Accel, Boot, Console, VmError, VmOutcome, VmSpec};

use super::tools::{self, Tool};
use super::{checker, example, paths, say};

/// How long a boot of the e2e initramfs may take (TCG, no KVM).
pub const BOOT_TIMEOUT: Duration = Duration::from_secs(150);

/// What the e2e initramfs boot needs.
pub const VM_TOOLS: &[Tool] = &[
    Tool::Root,
    Tool::Ignition,
    Tool::Qemu,
    Tool::Busybox,
    Tool::Cpio,
    Tool::Kernel,
];

/// The kernel command line for the e2e initramfs.
pub const APPEND: &str = "console=ttyS0 panic=-1 quiet loglevel=3";

/// The kernel and the initramfs, both under the e2e cache.
#[derive(Debug, Clone)]
pub struct BootFiles {
    pub kernel: PathBuf,
    pub initrd: PathBuf,
}

/// Builds the initramfs (or reuses the cached one) and returns both paths.
pub fn initramfs() -> Result<BootFiles, String> {
    let script = paths::repo_root().join("tests/e2e/build-initramfs.sh");
    let out = Command::new("bash")
        .arg(&script)
        .env("KINDLING_E2E_CACHE", tools::cache_dir())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{} failed:\n{}{}",
            script.display(),
            String::from_utf8_lossy(&out.stderr),
            stdout
        ));
    }
    let get = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(PathBuf::from)
            .ok_or_else(|| format!("no {key} line in the output of build-initramfs.sh:\n{stdout}"))
    };
    Ok(BootFiles {
        kernel: get("kernel=")?,
        initrd: get("initrd=")?,
    })
}

/// A VM that boots `boot`'s kernel and initramfs with `config` under TCG
/// (512 MiB, one CPU), its serial console written to `console`.
pub fn kernel_spec(boot: &BootFiles, config: PathBuf, console: PathBuf, ssh: bool) -> VmSpec {
    VmSpec {
        config: Some(config),
        boot: Boot::Kernel {
            kernel: boot.kernel.clone(),
            initrd: boot.initrd.clone(),
            append: APPEND.to_string(),
        },
        memory_mib: 512,
        cpus: 1,
        console: Console::File(console),
        ssh_forward: ssh,
        accel: Some(Accel::Tcg),
        timeout: Some(BOOT_TIMEOUT),
    }
}

/// The end of a boot whose console went to `console`: the VM powered off
/// by itself and Ignition succeeded in it (else the test fails, showing the
/// console); what `/init` printed.
pub fn finished(result: Result<VmOutcome, VmError>, console: &Path) -> (VmOutcome, ConsoleReport) {
    let text = || std::fs::read_to_string(console).unwrap_or_default();
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e @ VmError::TimedOut { .. }) => panic!("{e}; console:\n{}", text()),
        Err(e) => panic!("{e}"),
    };
    assert!(
        outcome.success(),
        "qemu: {}; console:\n{}",
        outcome.status,
        text()
    );
    (outcome, booted(&text()))
}

/// What `/init` printed on `console`, Ignition having succeeded.
pub fn booted(console: &str) -> ConsoleReport {
    let report = parse_console(console).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        report.ignition_ok(),
        "Ignition failed in the VM:\n{}",
        report.log
    );
    report
}

/// Judges what the VM shows against the example host `host` compiled for
/// Ignition 3.3.0 (what the initramfs' Ignition reads).
pub fn judge_example_host(host: &str, report: &ConsoleReport) {
    let compiled = example::compile(&[host], Some(Spec::V3_3))
        .into_iter()
        .find(|o| o.name == host)
        .unwrap_or_else(|| panic!("{host} compiles"));
    let verdict = checker::check(&compiled.config, report);
    assert!(verdict.ok(), "{host} in the VM: {}", verdict.summary());
    say(&format!(
        "vm boot: {host}: {} fact(s) of the config hold in the VM",
        verdict.passed
    ));
}

/// One `KINDLING-E2E-NODE` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestNode {
    /// `f`, `d`, `l` or `o`.
    pub kind: char,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u64,
    pub ino: u64,
    pub size: u64,
    /// For symlinks.
    pub target: Option<String>,
}

/// What the initramfs printed between its markers.
#[derive(Debug, Clone, Default)]
pub struct ConsoleReport {
    /// Exit status of the fetch-offline stage (as printed).
    pub fetch_offline: String,
    /// Exit status of the files stage, or `skipped`.
    pub files: String,
    pub nodes: BTreeMap<String, GuestNode>,
    /// Contents of regular files up to 64 KiB.
    pub data: BTreeMap<String, Vec<u8>>,
    /// Everything before `KINDLING-E2E-BEGIN` (Ignition's log, kernel lines).
    pub log: String,
}

impl ConsoleReport {
    /// Both stages exited 0.
    pub fn ignition_ok(&self) -> bool {
        self.fetch_offline == "0" && self.files == "0"
    }

    pub fn read_string(&self, path: &str) -> Option<String> {
        self.data
            .get(path)
            .and_then(|d| String::from_utf8(d.clone()).ok())
    }
}

/// Parses the console log of an e2e initramfs boot. `Err` when a marker is
/// missing (the text then tells what the console showed).
pub fn parse_console(console: &str) -> Result<ConsoleReport, String> {
    let mut report = ConsoleReport::default();
    let (mut begun, mut ended) = (false, false);
    for raw in console.lines() {
        let line = raw.trim_end_matches('\r');
        if !begun {
            if line.trim_start().starts_with("KINDLING-E2E-BEGIN") {
                begun = true;
            } else {
                report.log.push_str(line);
                report.log.push('\n');
            }
            continue;
        }
        if line.starts_with("KINDLING-E2E-END") {
            ended = true;
            break;
        }
        if let Some(rest) = line.strip_prefix("KINDLING-E2E-RESULT ") {
            for kv in rest.split_whitespace() {
                match kv.split_once('=') {
                    Some(("fetch-offline", v)) => report.fetch_offline = v.to_string(),
                    Some(("files", v)) => report.files = v.to_string(),
                    _ => {}
                }
            }
        } else if let Some(rest) = line.strip_prefix("KINDLING-E2E-NODE ") {
            let mut f = rest.splitn(8, ' ');
            let mut next = || f.next().ok_or_else(|| format!("short NODE line: {line}"));
            let kind = next()?.chars().next().unwrap_or('?');
            let mode = u32::from_str_radix(next()?, 8).map_err(|e| format!("{line}: {e}"))?;
            let num = |s: &str| s.parse::<u64>().map_err(|e| format!("{line}: {e}"));
            let uid = num(next()?)? as u32;
            let gid = num(next()?)? as u32;
            let nlink = num(next()?)?;
            let ino = num(next()?)?;
            let size = num(next()?)?;
            let rest = next()?;
            let (path, target) = match (kind, rest.split_once(" -> ")) {
                ('l', Some((p, t))) => (p.to_string(), Some(t.to_string())),
                _ => (rest.to_string(), None),
            };
            report.nodes.insert(
                path,
                GuestNode {
                    kind,
                    mode,
                    uid,
                    gid,
                    nlink,
                    ino,
                    size,
                    target,
                },
            );
        } else if let Some(rest) = line.strip_prefix("KINDLING-E2E-DATA ") {
            let (path, b64) = rest.rsplit_once(' ').unwrap_or((rest, ""));
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| format!("{path}: bad base64: {e}"))?;
            report.data.insert(path.to_string(), bytes);
        }
    }
    if !begun || !ended {
        let tail: Vec<&str> = console.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "the console has no complete KINDLING-E2E-BEGIN/END block (begin: {begun}, end: {ended}); its last lines:\n{}",
            tail.join("\n")
        ));
    }
    Ok(report)
}
