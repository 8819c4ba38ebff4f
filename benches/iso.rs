//! Installer-ISO benchmark (issue 18's Performance section): `kindling iso`
//! on a 1 GiB base ISO, for one host and for 20 hosts in one call, against
//! `cp` of the base and `coreos-installer iso customize` on the same inputs,
//! in the same run, the three taking turns.
//!
//! The base: a CoreOS-style live ISO mastered with xorriso
//! (`coreos/igninfo.json`, `coreos/features.json`, `coreos/kargs.json` with
//! one area in `isolinux/isolinux.cfg`, a 256 KiB `images/ignition.img`) and
//! a 1023 MiB `images/rootfs.img` of zeros standing in for the root
//! filesystem, made sparse with `fallocate --dig-holes` (1 GiB apparent, a
//! few KiB allocated), and a dense copy of it (`cp --sparse=never`) for the
//! one-host case. The fleet: 20 hosts (`services: [web]`, an `install:`
//! block each). coreos-installer gets what kindling built, `build/<host>.ign`,
//! and the same device, consoles and kernel argument (`--dest-ignition
//! --dest-device --dest-console --dest-karg-append`); it has no many-host
//! mode, so its 20-host figure is 20 calls.
//!
//! Every time includes an fsync of the outputs (kindling syncs before it
//! renames; cp and coreos-installer do not), so all three are timed to
//! durable output. Peak RSS is GNU time's (`/usr/bin/time`). Outputs are
//! deleted after each run.
//!
//! `cargo bench --bench iso` (`--profile dev` for a debug kindling: the
//! dependencies are optimized there too). Needs xorriso, fallocate, GNU time
//! and coreos-installer (`tests/e2e/install-deps.sh` builds it into
//! `target/e2e-cache`; `KINDLING_COREOS_INSTALLER` names another). Knobs:
//! `BENCH_RUNS` (3, medians reported), `BENCH_HOSTS` (20),
//! `BENCH_SKIP_DENSE=1` (no dense base), `KINDLING_BIN`.

#[path = "common/measure.rs"]
mod measure;

use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

const MIB: u64 = 1 << 20;
/// Bytes of the karg area.
const KARG_SIZE: usize = 1139;
const DEFAULT_KARGS: &str =
    "mitigations=auto,nosmt coreos.liveiso=bench ignition.firstboot ignition.platform.id=metal";
const DEVICE: &str = "/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T000000X";
const CONSOLES: [&str; 2] = ["tty0", "ttyS0,115200n8"];
const KARG: &str = "mitigations=auto";

/// Runs `program args`, failing with its stderr if it fails.
fn run(program: &str, args: &[&OsStr]) -> anyhow::Result<()> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {program}"))?;
    if !out.status.success() {
        bail!(
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// `dir/base.iso`: the 1 GiB sparse base.
fn master_base(dir: &Path) -> anyhow::Result<PathBuf> {
    let root = dir.join("base-root");
    for sub in ["coreos", "images", "isolinux"] {
        fs::create_dir_all(root.join(sub))?;
    }
    let mut isolinux = String::from(
        "DEFAULT live\nLABEL live\n  KERNEL /images/vmlinuz\n  APPEND initrd=/images/initrd.img,/images/ignition.img ",
    );
    let area = isolinux.len();
    isolinux.push_str(DEFAULT_KARGS);
    isolinux.push('\n');
    while isolinux.len() < area + KARG_SIZE {
        isolinux.push('#');
    }
    isolinux.push('\n');
    fs::write(root.join("isolinux/isolinux.cfg"), isolinux)?;
    fs::write(
        root.join("coreos/kargs.json"),
        format!(
            r#"{{"default": "{DEFAULT_KARGS}", "files": [{{"path": "isolinux/isolinux.cfg", "offset": {area}}}], "size": {KARG_SIZE}}}"#
        ),
    )?;
    fs::write(
        root.join("coreos/igninfo.json"),
        r#"{"file": "images/ignition.img"}"#,
    )?;
    fs::write(
        root.join("coreos/features.json"),
        r#"{"installer-config": true, "installer-config-directives": {"console": true}, "live-initrd-network": true}"#,
    )?;
    fs::write(root.join("images/ignition.img"), vec![0u8; 256 << 10])?;
    fs::File::create(root.join("images/rootfs.img"))?.set_len(1023 * MIB)?;
    let base = dir.join("base.iso");
    let mut args: Vec<OsString> = [
        "-as",
        "mkisofs",
        "-quiet",
        "-R",
        "-J",
        "-V",
        "BENCH_LIVE",
        "-o",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.push(base.clone().into());
    args.push(root.clone().into());
    let args: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
    run("xorriso", &args)?;
    fs::remove_dir_all(&root)?;
    run("fallocate", &[OsStr::new("--dig-holes"), base.as_os_str()])?;
    Ok(base)
}

/// A fleet of `hosts` hosts `h01`… with `install:` blocks, and
/// `build/<host>.ign` built by `kindling`.
fn fleet(dir: &Path, hosts: usize, kindling: &Path) -> anyhow::Result<PathBuf> {
    let root = dir.join("fleet");
    fs::create_dir_all(root.join("hosts"))?;
    fs::create_dir_all(root.join("containers"))?;
    fs::write(
        root.join("fleet.yaml"),
        "org: bench\nregistry: registry.example.com/bench\ninstall:\n  console: [tty0, \"ttyS0,115200n8\"]\n  kargs: [mitigations=auto]\n",
    )?;
    fs::write(root.join("containers/web.yaml"), "version: 1.0.0\n")?;
    for host in 1..=hosts {
        fs::write(
            root.join(format!("hosts/h{host:02}.yaml")),
            format!(
                "install:\n  device: {DEVICE}\n  macs: [\"52:54:00:be:{:02x}:00\"]\nservices:\n  - web\n",
                host
            ),
        )?;
    }
    let out = Command::new(kindling)
        .arg("build")
        .arg("--fleet")
        .arg(&root)
        .output()?;
    if !out.status.success() {
        bail!("kindling build: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(root)
}

/// One measured case: what it runs, once per run.
struct Case {
    label: String,
    /// Each step: program and arguments, and the outputs it writes.
    steps: Vec<(PathBuf, Vec<OsString>, Vec<PathBuf>)>,
    /// Per run: total seconds (steps + fsync of their outputs), peak RSS
    /// (largest of the steps), allocated bytes of the outputs.
    runs: Vec<(f64, u64, u64)>,
}

impl Case {
    fn measure(&mut self) -> anyhow::Result<()> {
        let mut total = 0.0;
        let mut peak = 0;
        let mut allocated = 0;
        for (program, args, outputs) in &self.steps {
            let args: Vec<&OsStr> = args.iter().map(OsString::as_os_str).collect();
            let usage = measure::run_with_usage(program, &args, None)
                .with_context(|| self.label.clone())?;
            let start = Instant::now();
            for output in outputs {
                fs::File::open(output)
                    .and_then(|f| f.sync_all())
                    .with_context(|| format!("{}: {}", self.label, output.display()))?;
            }
            total += usage.wall + start.elapsed().as_secs_f64();
            peak = peak.max(usage.peak_rss);
            for output in outputs {
                allocated += fs::metadata(output)?.blocks() * 512;
                fs::remove_file(output)?;
            }
        }
        self.runs.push((total, peak, allocated));
        Ok(())
    }

    fn median_seconds(&self) -> f64 {
        let times: Vec<f64> = self.runs.iter().map(|r| r.0).collect();
        measure::median(&times)
    }

    fn peak_mib(&self) -> f64 {
        self.runs.iter().map(|r| r.1).max().unwrap_or(0) as f64 / MIB as f64
    }

    fn allocated_mib(&self) -> f64 {
        self.runs.last().map_or(0, |r| r.2) as f64 / MIB as f64
    }
}

fn os(items: &[&str]) -> Vec<OsString> {
    items.iter().map(OsString::from).collect()
}

/// The cases of one base: `cp`, kindling and coreos-installer for `hosts`.
fn cases(
    tag: &str,
    base: &Path,
    root: &Path,
    hosts: &[String],
    kindling: &Path,
    coreos_installer: &Path,
    out: &Path,
) -> Vec<Case> {
    let iso = |who: &str, host: &str| out.join(format!("{who}-{host}.iso"));
    let n = hosts.len();
    let cp = Case {
        label: format!("cp of the base, x{n} ({tag})"),
        steps: hosts
            .iter()
            .map(|host| {
                let mut args = vec![base.as_os_str().to_owned()];
                args.push(iso("cp", host).into());
                (PathBuf::from("cp"), args, vec![iso("cp", host)])
            })
            .collect(),
        runs: Vec::new(),
    };
    let kindling_dir = out.join("kindling");
    let mut args = os(&["iso"]);
    args.extend(hosts.iter().map(OsString::from));
    args.extend([
        "--fleet".into(),
        root.as_os_str().to_owned(),
        "--base".into(),
        base.as_os_str().to_owned(),
        "--out".into(),
        kindling_dir.clone().into(),
    ]);
    let kindling_case = Case {
        label: format!("kindling iso, {n} host(s) in one call ({tag})"),
        steps: vec![(
            kindling.to_path_buf(),
            args,
            hosts
                .iter()
                .map(|host| kindling_dir.join(format!("{host}.iso")))
                .collect(),
        )],
        runs: Vec::new(),
    };
    let coreos = Case {
        label: format!("coreos-installer iso customize, x{n} ({tag})"),
        steps: hosts
            .iter()
            .map(|host| {
                let mut args = os(&["iso", "customize", "--dest-ignition"]);
                args.push(root.join(format!("build/{host}.ign")).into());
                args.extend(os(&["--dest-device", DEVICE]));
                for console in CONSOLES {
                    args.extend(os(&["--dest-console", console]));
                }
                args.extend(os(&["--dest-karg-append", KARG]));
                for console in CONSOLES {
                    args.extend(os(&["--live-karg-append", &format!("console={console}")]));
                }
                args.push("-o".into());
                args.push(iso("ci", host).into());
                args.push(base.as_os_str().to_owned());
                (coreos_installer.to_path_buf(), args, vec![iso("ci", host)])
            })
            .collect(),
        runs: Vec::new(),
    };
    vec![cp, kindling_case, coreos]
}

fn coreos_installer() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("KINDLING_COREOS_INSTALLER") {
        return Ok(PathBuf::from(path));
    }
    let cached = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/e2e-cache/coreos-installer/bin/coreos-installer");
    if cached.is_file() {
        return Ok(cached);
    }
    bail!(
        "no coreos-installer in {} (tests/e2e/install-deps.sh builds it) and no \
         KINDLING_COREOS_INSTALLER",
        cached.display()
    )
}

fn main() -> anyhow::Result<()> {
    let kindling = std::env::var_os("KINDLING_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kindling")));
    let coreos_installer = coreos_installer()?;
    let runs = measure::env_usize("BENCH_RUNS", 3).max(1);
    let many = measure::env_usize("BENCH_HOSTS", 20).max(1);
    let dense = std::env::var_os("BENCH_SKIP_DENSE").is_none();
    let temp = tempfile::Builder::new()
        .prefix("bench-iso-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let dir = temp.path();
    let start = Instant::now();
    let base = master_base(dir)?;
    let root = fleet(dir, many, &kindling)?;
    let hosts: Vec<String> = (1..=many).map(|h| format!("h{h:02}")).collect();
    let out = dir.join("out");
    fs::create_dir_all(&out)?;
    let meta = fs::metadata(&base)?;
    println!("kindling: {}", kindling.display());
    println!("coreos-installer: {}", coreos_installer.display());
    println!(
        "base: {} bytes apparent, {:.2} MiB allocated; fleet of {many} hosts; set up in {:.1} s",
        meta.len(),
        (meta.blocks() * 512) as f64 / MIB as f64,
        start.elapsed().as_secs_f64()
    );
    println!(
        "{runs} run(s) per case, cases taking turns, medians; load average {}; {} cores",
        measure::loadavg(),
        measure::cores()
    );

    let mut all = Vec::new();
    all.extend(cases(
        "sparse base",
        &base,
        &root,
        &hosts[..1],
        &kindling,
        &coreos_installer,
        &out,
    ));
    all.extend(cases(
        "sparse base",
        &base,
        &root,
        &hosts,
        &kindling,
        &coreos_installer,
        &out,
    ));
    let dense_base = dir.join("dense.iso");
    if dense {
        run(
            "cp",
            &[
                OsStr::new("--sparse=never"),
                base.as_os_str(),
                dense_base.as_os_str(),
            ],
        )?;
        all.extend(cases(
            "dense base",
            &dense_base,
            &root,
            &hosts[..1],
            &kindling,
            &coreos_installer,
            &out,
        ));
    }
    for _ in 0..runs {
        for case in &mut all {
            case.measure()?;
        }
    }
    println!(
        "\n| case | median time | per host | peak RSS | output allocated | runs (s) |\n|---|---|---|---|---|---|"
    );
    for case in &all {
        let hosts = case.steps.iter().map(|s| s.2.len()).sum::<usize>().max(1);
        let runs: Vec<String> = case.runs.iter().map(|r| format!("{:.3}", r.0)).collect();
        println!(
            "| {} | {:.3} s | {:.3} s | {:.1} MiB | {:.1} MiB | {} |",
            case.label,
            case.median_seconds(),
            case.median_seconds() / hosts as f64,
            case.peak_mib(),
            case.allocated_mib(),
            runs.join(", ")
        );
    }
    // The issue's ratios, per base and host count.
    println!();
    for group in all.chunks(3) {
        let [cp, kindling, coreos] = group else {
            continue;
        };
        println!(
            "{}: kindling / cp = {:.2}, kindling / coreos-installer = {:.2}",
            kindling.label,
            kindling.median_seconds() / cp.median_seconds(),
            kindling.median_seconds() / coreos.median_seconds()
        );
    }
    Ok(())
}
