//! A host's `os:`: fleet default and host override, located errors and
//! warnings, `kindling hosts` listing it, and the uCore/image rebase units —
//! checked by `systemd-analyze verify` and by running their command lines
//! against stub `rpm-ostree`/`systemctl` over several simulated boots.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use kindling::diag::Severity;
use kindling::fleet::HostOutput;
use kindling::ignition::model::Unit;

use crate::support::fleet::{BASE_FLEET, Fleet, findings, host, raw, snapshot, the_one_error};
use crate::support::tools::{self, Tool};

const UNSIGNED: &str = "ucore-unsigned-autorebase.service";
const SIGNED: &str = "ucore-signed-autorebase.service";

fn unit<'o>(output: &'o HostOutput, name: &str) -> &'o Unit {
    output
        .config
        .systemd
        .units
        .iter()
        .find(|u| u.name == name)
        .unwrap_or_else(|| panic!("{} has unit {name}", output.name))
}

/// A fleet whose `h1` runs uCore, with a ZFS import in its fragment and
/// both that and its container held back until the rebase.
fn ucore_fleet() -> Fleet {
    Fleet::base().with(
        "hosts/h1.yaml",
        "os: ucore:stable\n\
         services: [web]\n\
         after_rebase: [zfs-import-tank.service, web.service]\n\
         butane:\n  systemd:\n    units:\n      - name: zfs-import-tank.service\n        enabled: true\n        contents: |\n          [Unit]\n          Description=Import tank\n          [Service]\n          Type=oneshot\n          ExecStart=/usr/sbin/zpool import tank\n          [Install]\n          WantedBy=local-fs.target\n",
    )
}

#[test]
fn fleet_default_and_host_override_listed_by_hosts() {
    let fleet = Fleet::base()
        .with("fleet.yaml", &format!("{BASE_FLEET}os: fcos:stable\n"))
        .with(
            "hosts/h2.yaml",
            "os: ucore-hci:testing-nvidia\nservices: [web]\n",
        )
        .with("hosts/h3.yaml", "os: registry.example.com/acme/os:42\n")
        .with("hosts/h4.bu", "variant: fcos\nversion: 1.5.0\n");
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    assert!(h1.config.systemd.units.is_empty(), "fcos needs no rebase");
    let h2 = host(&build, "h2");
    let first = unit(h2, UNSIGNED).contents.as_deref().expect("contents");
    assert!(first.contains(
        "rebase --bypass-driver ostree-unverified-registry:ghcr.io/ublue-os/ucore-hci:testing-nvidia\n"
    ));
    assert!(
        h2.config
            .storage
            .directories
            .iter()
            .any(|d| d.path == "/etc/ucore-autorebase")
    );
    let h3 = host(&build, "h3");
    let signed = unit(h3, "kindling-signed-autorebase.service");
    assert_eq!(signed.enabled, Some(true));
    assert!(
        signed
            .contents
            .as_deref()
            .expect("contents")
            .contains("ostree-image-signed:docker://registry.example.com/acme/os:42\n")
    );
    let human = fleet.run("hosts", &[]);
    assert_eq!(human.code, Some(0), "{}", human.stderr);
    snapshot!("os_hosts_human", fleet, human.stdout);
    let json = fleet.run("hosts", &["--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let os: Vec<_> = value
        .as_array()
        .expect("array")
        .iter()
        .map(|h| h["os"].clone())
        .collect();
    assert_eq!(
        os,
        serde_json::json!([
            "fcos:stable",
            "ucore-hci:testing-nvidia",
            "registry.example.com/acme/os:42",
            null
        ])
        .as_array()
        .expect("array")
        .clone()
    );
}

#[test]
fn bad_os_values_are_located_errors() {
    let cases = [
        ("unknown", "os: debian\n"),
        ("zfs_tag", "os: ucore:stable-zfs\n"),
        ("no_tag", "os: ucore-minimal\n"),
        ("stream", "os: fcos:rawhide\n"),
        ("variant", "variant: flatcar\nos: ucore:stable\n"),
        (
            "after_rebase_without_rebase",
            "os: fcos\nafter_rebase: [web.service]\n",
        ),
        (
            "after_rebase_not_a_unit",
            "os: ucore:stable\nafter_rebase: [tank]\n",
        ),
    ];
    for (name, text) in cases {
        let fleet = Fleet::base().with("hosts/h1.yaml", &format!("services: [web]\n{text}"));
        let build = fleet.compile();
        let line = text.lines().count() + 1;
        let error = the_one_error(&build, "hosts/h1.yaml", line);
        assert!(error.help.is_some(), "{name}: {}", raw(&build));
        assert!(build.outputs.is_empty(), "{name}: no output on error");
        let run = fleet.run("check", &[]);
        assert_eq!(run.code, Some(1), "{name}");
        snapshot!(format!("os_error_{name}"), fleet, run.report());
    }
    let fleet = Fleet::base().with("fleet.yaml", &format!("{BASE_FLEET}os: ubuntu\n"));
    let build = fleet.compile();
    let error = the_one_error(&build, "fleet.yaml", 3);
    assert!(error.message.contains("ubuntu"));
}

#[test]
fn unknown_ucore_tag_warns_and_still_builds() {
    let fleet = Fleet::base().with("hosts/h1.yaml", "services: [web]\nos: ucore:42\n");
    let build = fleet.compile();
    let warnings = findings(&build, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{}", raw(&build));
    assert_eq!(warnings[0].position.map(|p| p.line), Some(2));
    unit(host(&build, "h1"), UNSIGNED);
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(0));
    snapshot!("os_warning_unknown_tag", fleet, run.report());
}

#[test]
fn units_needing_ucore_wait_for_the_signed_rebase() {
    let fleet = ucore_fleet();
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    for name in ["zfs-import-tank.service", "web.service"] {
        let dropins = &unit(h1, name).dropins;
        assert_eq!(dropins.len(), 1, "{name}");
        assert_eq!(dropins[0].name, "10-kindling-after-rebase.conf");
        assert!(
            dropins[0]
                .contents
                .as_deref()
                .expect("contents")
                .contains("ConditionPathExists=/etc/ucore-autorebase/signed\n")
        );
    }
    // The fragment's own unit keeps its contents alongside the drop-in.
    assert!(unit(h1, "zfs-import-tank.service").contents.is_some());
    let render = fleet.run("render", &["h1"]);
    assert_eq!(render.code, Some(0), "{}", render.stderr);
    let units = render
        .stdout
        .split_once("## units\n")
        .map(|(_, units)| units.to_owned())
        .expect("units section");
    snapshot!("os_ucore_units_rendered", fleet, units);
}

/// The units as files: `(name, contents)` for the rebase units, and the
/// gated unit with its drop-in.
fn unit_files(output: &HostOutput) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for unit in &output.config.systemd.units {
        if let Some(contents) = &unit.contents {
            files.push((unit.name.clone(), contents.clone()));
        }
        for dropin in &unit.dropins {
            files.push((
                format!("{}.d/{}", unit.name, dropin.name),
                dropin.contents.clone().unwrap_or_default(),
            ));
        }
    }
    files
}

/// Runs `systemd-analyze verify` on `names` under `root`; returns its
/// findings about them (output lines naming a file of ours).
fn verify(root: &Path, names: &[&str]) -> Vec<String> {
    let output = Command::new(Tool::SystemdAnalyze.locate().expect("located"))
        .arg("verify")
        .arg(format!("--root={}", root.display()))
        .args(names)
        .output()
        .expect("systemd-analyze runs");
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{text}");
    text.lines()
        .filter(|line| {
            names
                .iter()
                .any(|n| line.contains(n.trim_end_matches(".service")))
        })
        .map(str::to_owned)
        .collect()
}

/// A root with the system's unit files (regular files only, so absolute
/// links do not point outside) and executable stand-ins for the commands
/// the units run.
fn verify_root(files: &[(String, String)]) -> tempfile::TempDir {
    let root = tools::scratch("ucore-verify-");
    let system = root.path().join("usr/lib/systemd/system");
    fs::create_dir_all(&system).expect("mkdir");
    if let Ok(entries) = fs::read_dir("/usr/lib/systemd/system") {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                let _ = fs::copy(entry.path(), system.join(entry.file_name()));
            }
        }
    }
    let bin = root.path().join("usr/bin");
    let sbin = root.path().join("usr/sbin");
    fs::create_dir_all(&bin).expect("mkdir");
    fs::create_dir_all(&sbin).expect("mkdir");
    for path in [
        bin.join("rpm-ostree"),
        bin.join("touch"),
        bin.join("systemctl"),
        bin.join("sh"),
        sbin.join("zpool"),
    ] {
        write_script(&path, "#!/bin/sh\nexit 0\n");
    }
    let etc = root.path().join("etc/systemd/system");
    for (name, contents) in files {
        let path = etc.join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, contents).expect("write unit");
    }
    root
}

fn write_script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs::write(path, text).expect("write script");
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn e2e_rebase_units_pass_systemd_analyze_verify() {
    if !tools::require(&[Tool::SystemdAnalyze]) {
        return;
    }
    let build = ucore_fleet().compile_clean();
    let files = unit_files(host(&build, "h1"));
    let root = verify_root(&files);
    let names = [UNSIGNED, SIGNED, "zfs-import-tank.service"];
    assert_eq!(verify(root.path(), &names), Vec::<String>::new());
    // The check can fail: a misspelt key in one of the units is reported.
    let broken: Vec<_> = files
        .iter()
        .map(|(name, text)| {
            (
                name.clone(),
                text.replace("Type=oneshot", "Type=oneshot\nExecStrat=x"),
            )
        })
        .collect();
    let root = verify_root(&broken);
    let found = verify(root.path(), &names);
    assert!(
        found
            .iter()
            .any(|l| l.contains(UNSIGNED) && l.contains("ExecStrat")),
        "{found:?}"
    );
}

/// A simulated node: a root for `/etc`, stub commands, and the enabled
/// units (what `systemctl disable` removes).
struct Node {
    root: tempfile::TempDir,
    units: Vec<(String, String)>,
}

impl Node {
    fn new(units: Vec<(String, String)>) -> Self {
        let root = tools::scratch("ucore-boot-");
        let stubs = root.path().join("stubs");
        fs::create_dir_all(&stubs).expect("mkdir");
        fs::create_dir_all(root.path().join("enabled")).expect("mkdir");
        // What the units run, logged; `rpm-ostree` fails while `fail-rebase` exists.
        write_script(
            &stubs.join("rpm-ostree"),
            "#!/bin/sh\necho \"rpm-ostree $*\" >> \"$NODE/log\"\n[ ! -e \"$NODE/fail-rebase\" ]\n",
        );
        write_script(
            &stubs.join("systemctl"),
            "#!/bin/sh\necho \"systemctl $*\" >> \"$NODE/log\"\n\
             if [ \"$1\" = disable ]; then rm -f \"$NODE/enabled/$2\"; fi\n",
        );
        for (name, _) in &units {
            fs::write(root.path().join("enabled").join(name), "").expect("enable");
        }
        Node { root, units }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.root.path().join(relative)
    }

    /// A command line of a unit, pointed at the node: `/etc` under the
    /// root, the stubs in place of the real commands.
    fn localize(&self, line: &str) -> String {
        let root = self.root.path().display().to_string();
        line.replace("/usr/bin/", "")
            .replace("/etc/", &format!("{root}/etc/"))
    }

    fn run(&self, line: &str) -> bool {
        Command::new("sh")
            .arg("-c")
            .arg(self.localize(line))
            .env("NODE", self.root.path())
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path("stubs").display()),
            )
            .status()
            .expect("sh runs")
            .success()
    }

    fn condition_holds(&self, condition: &str) -> bool {
        match condition.strip_prefix('!') {
            Some(path) => !Path::new(&self.localize(path)).exists(),
            None => Path::new(&self.localize(condition)).exists(),
        }
    }

    /// One boot: every enabled unit whose conditions hold when the boot
    /// starts runs its `ExecStart=` lines until one fails or the node
    /// reboots, then its `ExecStopPost=` lines. Returns the commands logged.
    fn boot(&self) -> Vec<String> {
        let _ = fs::remove_file(self.path("log"));
        let started: Vec<_> = self
            .units
            .iter()
            .filter(|(name, _)| self.path("enabled").join(name).exists())
            .filter(|(_, text)| {
                values(text, "ConditionPathExists").all(|c| self.condition_holds(c))
            })
            .collect();
        for (_, text) in started {
            for line in values(text, "ExecStart") {
                if !self.run(line) {
                    break;
                }
            }
            for line in values(text, "ExecStopPost") {
                assert!(self.run(line), "{line}");
            }
            if self.log().iter().any(|l| l == "systemctl reboot") {
                break;
            }
        }
        self.log()
    }

    fn log(&self) -> Vec<String> {
        fs::read_to_string(self.path("log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn marker(&self, name: &str) -> bool {
        self.path("etc/ucore-autorebase").join(name).exists()
    }
}

fn values<'t>(text: &'t str, key: &'t str) -> impl Iterator<Item = &'t str> {
    text.lines()
        .filter_map(move |line| line.strip_prefix(key)?.strip_prefix('='))
}

fn simulated_node() -> Node {
    let build = ucore_fleet().compile_clean();
    let h1 = host(&build, "h1");
    let units = [UNSIGNED, SIGNED]
        .map(|name| {
            let contents = unit(h1, name).contents.clone().expect("contents");
            (name.to_owned(), contents)
        })
        .to_vec();
    let node = Node::new(units);
    fs::create_dir_all(node.path("etc/ucore-autorebase")).expect("marker dir");
    node
}

#[test]
fn rebase_runs_once_in_order_then_never_again() {
    let node = simulated_node();
    let image = "ghcr.io/ublue-os/ucore:stable";
    assert_eq!(
        node.boot(),
        [
            format!("rpm-ostree rebase --bypass-driver ostree-unverified-registry:{image}"),
            format!("systemctl disable {UNSIGNED}"),
            "systemctl reboot".to_owned(),
        ]
    );
    assert!(node.marker("unverified") && !node.marker("signed"));
    assert_eq!(
        node.boot(),
        [
            format!("rpm-ostree rebase --bypass-driver ostree-image-signed:docker://{image}"),
            format!("systemctl disable {SIGNED}"),
            "systemctl reboot".to_owned(),
        ]
    );
    assert!(node.marker("signed"));
    // Both steps done: later boots run nothing, even with the units enabled again.
    assert_eq!(node.boot(), Vec::<String>::new());
    for name in [UNSIGNED, SIGNED] {
        fs::write(node.path("enabled").join(name), "").expect("re-enable");
    }
    assert_eq!(node.boot(), Vec::<String>::new());
    assert!(!node.marker("unverified.failed") && !node.marker("signed.failed"));
}

#[test]
fn a_failed_rebase_stops_without_reboot_and_is_not_retried() {
    let node = simulated_node();
    fs::write(node.path("fail-rebase"), "").expect("fail");
    let first = node.boot();
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0].starts_with("rpm-ostree rebase"));
    assert!(!node.marker("unverified") && node.marker("unverified.failed"));
    // No loop: the next boots do nothing, even once the registry is back.
    assert_eq!(node.boot(), Vec::<String>::new());
    fs::remove_file(node.path("fail-rebase")).expect("unfail");
    assert_eq!(node.boot(), Vec::<String>::new());
    // The operator's retry: remove the failure marker.
    fs::remove_file(node.path("etc/ucore-autorebase/unverified.failed")).expect("retry");
    assert_eq!(
        node.boot().last().map(String::as_str),
        Some("systemctl reboot")
    );
    // The signed step failing leaves the node on the unverified image, once.
    fs::write(node.path("fail-rebase"), "").expect("fail");
    assert_eq!(node.boot().len(), 1);
    assert!(node.marker("signed.failed") && !node.marker("signed"));
    assert_eq!(node.boot(), Vec::<String>::new());
}
