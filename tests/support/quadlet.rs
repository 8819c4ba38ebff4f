//! The real Quadlet generator (Debian trixie's podman 5.4.2, unpacked by
//! install-deps.sh) and `systemd-analyze verify`, as judges of Quadlet files
//! and of the units Quadlet generates from them.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

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

const VERIFY_WITH_STUBS: &str = r#"set -e
mount -t overlay kindling-stubs -o "lowerdir=$1:/usr/bin" /usr/bin
shift
exec systemd-analyze verify --man=no "$@"
"#;

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
    let analyze = Tool::SystemdAnalyze.locate()?;
    let unit_path = unit_dir.join(unit);
    if !unit_path.exists() {
        return Err(format!("{} does not exist", unit_path.display()));
    }
    let mut search = unit_dir.as_os_str().to_owned();
    search.push(":");
    let stub_dir;
    let mut cmd = if !Path::new("/usr/bin/podman").exists() && tools::is_root() {
        let unshare = Tool::Unshare.locate()?;
        stub_dir = tempfile::Builder::new()
            .prefix("podman-stub-")
            .tempdir_in(tools::scratch_parent())
            .map_err(|e| format!("creating a stub directory: {e}"))?;
        let stub = stub_dir.path().join("podman");
        fs::write(&stub, "#!/bin/sh\nexit 0\n").map_err(|e| format!("writing the stub: {e}"))?;
        fs::set_permissions(&stub, fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("chmod the stub: {e}"))?;
        let mut cmd = Command::new(unshare);
        cmd.args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(VERIFY_WITH_STUBS)
            .arg("sh")
            .arg(stub_dir.path())
            .arg(&unit_path);
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
        Ok(lines)
    } else {
        Err(lines.join("\n"))
    }
}
