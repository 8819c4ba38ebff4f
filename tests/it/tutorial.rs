//! The README's tutorial, run as written (issue 20): the `sh` blocks
//! between `<!-- tutorial -->` and `<!-- /tutorial -->` run in order in one
//! shell, in an empty directory, with the built `kindling` first on `PATH`
//! and a private `HOME` and `XDG_CONFIG_HOME`. If the README changes so that
//! they no longer work, this fails.
//!
//! The `<!-- tutorial-vm -->` block boots a Fedora CoreOS disk image, which
//! no test downloads (it is ~800 MB). Where the e2e VM tools are
//! installed, its command runs as written except that `--image FILE` is
//! replaced by the e2e kernel and initramfs (`tests/e2e/build-initramfs.sh`,
//! which run the real Ignition on the config and power off) and the config
//! is emitted as spec 3.3.0 (Debian's Ignition reads no newer one): the host
//! the tutorial built boots, and its secret and files are where it says.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::paths;
use crate::support::tools;
use crate::support::vmboot::{self, VM_TOOLS};

/// The `sh` code blocks between `<!-- NAME -->` and `<!-- /NAME -->`.
fn blocks(readme: &str, name: &str) -> Vec<String> {
    let start = format!("<!-- {name} -->");
    let end = format!("<!-- /{name} -->");
    let begin = readme
        .find(&start)
        .unwrap_or_else(|| panic!("no {start} in README.md"));
    let stop = readme[begin..]
        .find(&end)
        .unwrap_or_else(|| panic!("no {end} in README.md"))
        + begin;
    let mut found = Vec::new();
    let mut current: Option<String> = None;
    for line in readme[begin..stop].lines() {
        match (&mut current, line) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                found.push(std::mem::take(block));
                current = None;
            }
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an unclosed code block in {start}");
    assert!(!found.is_empty(), "no sh blocks in {start}");
    found
}

fn readme() -> String {
    fs::read_to_string(paths::repo_root().join("README.md")).expect("README.md")
}

/// A directory holding only `kindling`, for `PATH`.
fn bin_dir(scratch: &Path) -> PathBuf {
    let bin = scratch.join("bin");
    fs::create_dir_all(&bin).expect("bin");
    #[cfg(unix)]
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kindling"), bin.join("kindling"))
        .expect("link kindling");
    bin
}

/// Runs `script` with bash (`set -eu`) in `dir`.
fn run_script(dir: &Path, script: &str) -> std::process::Output {
    let path = format!(
        "{}:{}",
        bin_dir(dir).display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let work = dir.join("work");
    fs::create_dir_all(&work).expect("work");
    Command::new("bash")
        .arg("-c")
        .arg(format!("set -eu\n{script}"))
        .current_dir(&work)
        .env("PATH", path)
        .env("HOME", dir.join("home"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("KINDLING_AGE_IDENTITY")
        .env_remove("XDG_RUNTIME_DIR")
        .output()
        .expect("bash runs")
}

#[test]
fn the_readme_tutorial_runs_as_written() {
    let readme = readme();
    let script = blocks(&readme, "tutorial").join("");
    for step in [
        "kindling init lab",
        "kindling secret encrypt",
        "kindling check --strict",
        "kindling build",
        "kindling render",
        "kindling diff",
    ] {
        assert!(script.contains(step), "the tutorial shows `{step}`");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run_script(dir.path(), &script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the tutorial failed:\n{stderr}\nstdout:\n{stdout}"
    );
    assert!(
        !stdout.contains("hunter2") && !stderr.contains("hunter2"),
        "a secret was printed"
    );
    assert!(
        stdout.contains("/etc/lab/secrets/whoami/token"),
        "render lists the secret: {stdout}"
    );
    assert!(
        stdout.contains("+Image=docker.io/traefik/whoami:v1.11.0"),
        "diff shows the change: {stdout}"
    );
    let lab = dir.path().join("work/lab");
    assert!(!lab.join("token.txt").exists());
    let inspect = Command::new(env!("CARGO_BIN_EXE_kindling"))
        .arg("inspect")
        .arg(lab.join("build/node01.ign"))
        .output()
        .expect("inspect runs");
    let listing = String::from_utf8_lossy(&inspect.stdout);
    assert!(
        listing.contains("Image=docker.io/traefik/whoami:v1.11.0") && !listing.contains("v1.10.3"),
        "the last build has the change: {listing}"
    );
}

#[test]
fn the_readme_tutorial_vm_step_boots_the_host() {
    let readme = readme();
    let vm = blocks(&readme, "tutorial-vm").join("");
    let command = vm
        .lines()
        .find(|line| line.starts_with("kindling vm "))
        .expect("a kindling vm line");
    let image_flag = "--image fedora-coreos-qemu.x86_64.qcow2";
    assert!(command.contains(image_flag), "{command}");
    if !tools::require(VM_TOOLS) {
        return;
    }
    let boot = vmboot::initramfs().unwrap_or_else(|e| panic!("{e}"));
    let dir = tools::scratch("tutorial-vm-");
    let console = dir.path().join("console.log");
    let booted = command.replace(
        image_flag,
        &format!(
            "--kernel '{}' --initrd '{}' --append '{}' --console '{}' --accel tcg --ignition-version 3.3.0",
            boot.kernel.display(),
            boot.initrd.display(),
            vmboot::APPEND,
            console.display()
        ),
    );
    let script = format!("{}{booted}\n", blocks(&readme, "tutorial").join(""));
    let output = run_script(dir.path(), &script);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let text = fs::read_to_string(&console).expect("console log");
    let report = vmboot::parse_console(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(report.ignition_ok(), "Ignition failed in the VM:\n{text}");
    assert_eq!(
        report
            .read_string("/etc/lab/secrets/whoami/token")
            .as_deref(),
        Some("hunter2"),
        "the secret is on the node"
    );
    assert!(
        report
            .nodes
            .contains_key("/etc/containers/systemd/whoami.container")
    );
}
