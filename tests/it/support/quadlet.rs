//! The real Quadlet generator (Debian trixie's podman 5.4.2, unpacked by
//! install-deps.sh) and `systemd-analyze verify`, as judges of Quadlet files
//! and of the units Quadlet generates from them.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use super::say;
use super::tools::{self, Tool};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
}

/// `QUADLET_UNIT_DIRS=DIR quadlet -dryrun`: the units Quadlet would generate
/// from the Quadlet files in `dir` (stdout, `---NAME---` headers), or its
/// complaint (stderr + stdout) when it exits non-zero.
pub fn quadlet_dryrun(dir: &Path) -> Result<String, String> {
    let quadlet = Tool::Quadlet.locate()?;
    let out = Command::new(quadlet)
        .arg("-dryrun")
        .env("QUADLET_UNIT_DIRS", dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running quadlet: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(text(&out))
    }
}

/// `QUADLET_UNIT_DIRS=DIR quadlet -no-kmsg-log OUT OUT OUT`: writes the
/// generated units (and their `.wants` links) into `out`. Returns Quadlet's
/// log.
pub fn quadlet_generate(dir: &Path, out_dir: &Path) -> Result<String, String> {
    let quadlet = Tool::Quadlet.locate()?;
    fs::create_dir_all(out_dir).map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    let out = Command::new(quadlet)
        .arg("-no-kmsg-log")
        .args([out_dir, out_dir, out_dir])
        .env("QUADLET_UNIT_DIRS", dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running quadlet: {e}"))?;
    if out.status.success() {
        Ok(text(&out))
    } else {
        Err(text(&out))
    }
}

/// Mounts each `STUB_DIR=TARGET_DIR` pair (until `--`) as a read-only
/// overlay adding the stubs to TARGET_DIR, then runs systemd-analyze verify.
const VERIFY_WITH_STUBS: &str = r#"set -e
while [ "$1" != "--" ]; do
    mount -t overlay kindling-stubs -o "lowerdir=${1%%=*}:${1#*=}" "${1#*=}"
    shift
done
shift
exec systemd-analyze verify --man=no "$@"
"#;

/// The `Exec*=` keys whose binaries systemd-analyze checks.
const EXEC_KEYS: &[&str] = &[
    "ExecStart",
    "ExecStartPre",
    "ExecStartPost",
    "ExecStop",
    "ExecStopPost",
    "ExecReload",
    "ExecCondition",
];

/// The absolute binaries the `Exec*=` lines of `unit` and of its
/// `UNIT.d/*.conf` dropins (in `unit_dir`) run.
pub fn exec_binaries(unit_dir: &Path, unit: &str) -> Vec<String> {
    let mut texts = vec![fs::read_to_string(unit_dir.join(unit)).unwrap_or_default()];
    if let Ok(entries) = fs::read_dir(unit_dir.join(format!("{unit}.d"))) {
        for e in entries.flatten() {
            texts.push(fs::read_to_string(e.path()).unwrap_or_default());
        }
    }
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if !EXEC_KEYS.contains(&key.trim()) {
                continue;
            }
            let value = value.trim().trim_start_matches(['@', '-', ':', '+', '!']);
            if let Some(bin) = value.split_whitespace().next()
                && bin.starts_with('/')
                && !out.iter().any(|b| b == bin)
            {
                out.push(bin.to_string());
            }
        }
    }
    out
}

/// What [`systemd_analyze_verify_stubbing`] found.
#[derive(Debug, Clone, Default)]
pub struct Verified {
    /// Every line systemd-analyze printed (its warnings); empty when clean.
    pub lines: Vec<String>,
    /// Binaries the unit runs that this machine lacks, stubbed for the check.
    pub stubbed: Vec<String>,
}

/// `systemd-analyze verify --man=no UNIT_DIR/UNIT` with `SYSTEMD_UNIT_PATH`
/// set to `UNIT_DIR` (then the defaults), so sibling units and `UNIT.d/`
/// dropins are read. Unknown keys and bad values are only warnings for
/// systemd: `Ok` carries every line it printed (empty when clean); `Err` when
/// it exits non-zero (e.g. a missing `ExecStart` binary).
///
/// Units that Quadlet generates run `/usr/bin/podman`, which this machine may
/// not have: then, as root, the check runs in a private mount namespace where
/// a read-only overlay adds a stub `podman` to `/usr/bin`.
pub fn systemd_analyze_verify(unit_dir: &Path, unit: &str) -> Result<Vec<String>, String> {
    let stubs = if Path::new("/usr/bin/podman").exists() {
        Vec::new()
    } else {
        vec!["/usr/bin/podman".to_string()]
    };
    verify(unit_dir, unit, &stubs).map(|v| v.lines)
}

/// Like [`systemd_analyze_verify`], but every absolute binary of the unit's
/// `Exec*=` lines that this machine lacks (a node's `/usr/sbin/zpool`, say)
/// is stubbed in a private mount namespace, when its directory exists here;
/// [`Verified::stubbed`] lists them. Needs root when something is stubbed.
pub fn systemd_analyze_verify_stubbing(unit_dir: &Path, unit: &str) -> Result<Verified, String> {
    let stubs: Vec<String> = exec_binaries(unit_dir, unit)
        .into_iter()
        .filter(|b| {
            let p = Path::new(b);
            !p.exists() && p.parent().is_some_and(Path::is_dir)
        })
        .collect();
    verify(unit_dir, unit, &stubs)
}

fn verify(unit_dir: &Path, unit: &str, stubs: &[String]) -> Result<Verified, String> {
    let analyze = Tool::SystemdAnalyze.locate()?;
    let unit_path = unit_dir.join(unit);
    if !unit_path.exists() {
        return Err(format!("{} does not exist", unit_path.display()));
    }
    let mut search = unit_dir.as_os_str().to_owned();
    search.push(":");
    let stub_root;
    let mut stubbed = Vec::new();
    let mut cmd = if !stubs.is_empty() && tools::is_root() {
        let unshare = Tool::Unshare.locate()?;
        stub_root = tempfile::Builder::new()
            .prefix("exec-stubs-")
            .tempdir_in(tools::scratch_parent())
            .map_err(|e| format!("creating a stub directory: {e}"))?;
        // One stub directory per target directory.
        let mut pairs: Vec<(std::path::PathBuf, String)> = Vec::new();
        for bin in stubs {
            let p = Path::new(bin);
            let (Some(parent), Some(name)) = (p.parent(), p.file_name()) else {
                continue;
            };
            let parent = parent.display().to_string();
            let dir = match pairs.iter().find(|(_, t)| *t == parent) {
                Some((d, _)) => d.clone(),
                None => {
                    let d = stub_root.path().join(pairs.len().to_string());
                    fs::create_dir(&d).map_err(|e| format!("creating {}: {e}", d.display()))?;
                    pairs.push((d.clone(), parent));
                    d
                }
            };
            let stub = dir.join(name);
            fs::write(&stub, "#!/bin/sh\nexit 0\n")
                .map_err(|e| format!("writing the stub: {e}"))?;
            fs::set_permissions(&stub, fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("chmod the stub: {e}"))?;
            stubbed.push(bin.clone());
        }
        let mut cmd = Command::new(unshare);
        cmd.args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(VERIFY_WITH_STUBS)
            .arg("sh");
        for (dir, target) in &pairs {
            cmd.arg(format!("{}={target}", dir.display()));
        }
        cmd.arg("--").arg(&unit_path);
        cmd
    } else {
        let mut cmd = Command::new(analyze);
        cmd.args(["verify", "--man=no"]).arg(&unit_path);
        cmd
    };
    let out = cmd
        .env("SYSTEMD_UNIT_PATH", search)
        .env("SYSTEMD_LOG_COLOR", "0")
        .current_dir(unit_dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running systemd-analyze: {e}"))?;
    let lines: Vec<String> = text(&out)
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if out.status.success() {
        Ok(Verified { lines, stubbed })
    } else {
        Err(lines.join("\n"))
    }
}

/// The Quadlet unit kinds, and the service name Quadlet generates for each.
pub const QUADLET_KINDS: &[(&str, &str)] = &[
    ("container", ""),
    ("kube", ""),
    ("volume", "-volume"),
    ("network", "-network"),
    ("pod", "-pod"),
    ("image", "-image"),
    ("build", "-build"),
];

/// The service Quadlet generates from the Quadlet file `name`
/// (`web.container` -> `web.service`, `data.volume` -> `data-volume.service`),
/// or `None` when `name` is not a Quadlet unit (a dropin, an env file).
pub fn generated_service(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    QUADLET_KINDS
        .iter()
        .find(|(kind, _)| *kind == ext)
        .map(|(_, suffix)| format!("{stem}{suffix}.service"))
}

/// Writes every `storage.files` entry of `config` under `quadlet_dir`
/// (`/etc/containers/systemd/`, dropin directories included) into `out`,
/// keeping its path relative to `quadlet_dir`, contents decoded. Returns the
/// relative paths written.
pub fn extract_quadlet_files(
    config: &kindling::ignition::model::Config,
    quadlet_dir: &str,
    out: &Path,
) -> Result<Vec<String>, String> {
    let prefix = format!("{}/", quadlet_dir.trim_end_matches('/'));
    let mut written = Vec::new();
    for file in &config.storage.files {
        let Some(rel) = file.path.strip_prefix(&prefix) else {
            continue;
        };
        let source = file.contents.source.as_deref().unwrap_or("data:,");
        let mut bytes = kindling::dataurl::decode_resource(
            source,
            file.contents.compression.as_deref(),
            usize::MAX,
        )
        .map_err(|e| format!("{}: {e}", file.path))?;
        for append in &file.append {
            let more = kindling::dataurl::decode_resource(
                append.source.as_deref().unwrap_or("data:,"),
                append.compression.as_deref(),
                usize::MAX,
            )
            .map_err(|e| format!("{}: {e}", file.path))?;
            bytes.extend(more);
        }
        let dest = out.join(rel);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        fs::write(&dest, bytes).map_err(|e| format!("{}: {e}", dest.display()))?;
        written.push(rel.to_string());
    }
    written.sort();
    Ok(written)
}

/// Writes the plain units of `config` that have contents (and their
/// dropins) into `dir`, as systemd would find them in /etc/systemd/system.
/// Returns their names.
pub fn write_plain_units(config: &kindling::ignition::model::Config, dir: &Path) -> Vec<String> {
    let mut units = Vec::new();
    for unit in &config.systemd.units {
        if unit.mask == Some(true) {
            continue;
        }
        if let Some(contents) = &unit.contents {
            std::fs::write(dir.join(&unit.name), contents).expect("write");
            units.push(unit.name.clone());
        }
        for dropin in &unit.dropins {
            if let Some(contents) = &dropin.contents {
                let d = dir.join(format!("{}.d", unit.name));
                std::fs::create_dir_all(&d).expect("mkdir");
                std::fs::write(d.join(&dropin.name), contents).expect("write");
            }
        }
    }
    units
}

/// `systemd-analyze verify` of `unit` in `unit_dir` (host `host`'s),
/// binaries this machine lacks stubbed: its warning lines are printed, and
/// what fails the test is returned (an error, or a warning about the unit
/// itself).
pub fn judge_verified(unit_dir: &Path, host: &str, unit: &str) -> Option<String> {
    let verified = match systemd_analyze_verify_stubbing(unit_dir, unit) {
        Ok(verified) => verified,
        Err(e) => {
            return Some(format!(
                "{host}: systemd-analyze verify rejects {unit}:\n{e}"
            ));
        }
    };
    let stubbed = if verified.stubbed.is_empty() {
        String::new()
    } else {
        format!("; stubbed (not on this machine): {:?}", verified.stubbed)
    };
    say(&format!(
        "systemd-analyze {host}/{unit}: {} warning line(s){stubbed}",
        verified.lines.len()
    ));
    for line in &verified.lines {
        say(&format!("  {line}"));
    }
    let own: Vec<&String> = verified.lines.iter().filter(|l| l.contains(unit)).collect();
    (!own.is_empty())
        .then(|| format!("{host}: systemd-analyze verify warns about {unit}: {own:#?}"))
}
