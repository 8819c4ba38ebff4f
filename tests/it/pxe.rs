//! `kindling pxe`: the iPXE scripts and kernel arguments it writes for the
//! example fleet (snapshots), that the files are deterministic and secret
//! ones private, that coreos-installer (the format's reference) unwraps
//! `<host>.ignition.img` to the live config carrying `build/<host>.ign`
//! byte for byte, and Flatcar's URL requirement.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use kindling::provision::install;

use crate::support::cli::{Run, kindling};
use crate::support::fleet::{self, Fleet};
use crate::support::paths;
use crate::support::tools::{self, Tool};

const HOSTS: [&str; 3] = ["beam00", "mouse", "relay01"];

/// `kindling pxe HOSTS --out out ARGS` on the example fleet.
fn pxe(out: &Path, args: &[&str]) -> Run {
    let run = Run::of(
        kindling()
            .arg("pxe")
            .arg("--fleet")
            .arg(paths::repo_root())
            .arg("--out")
            .arg(out)
            .args(HOSTS)
            .args(args),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run
}

/// Each host's script and kernel arguments, one after another.
fn scripts(out: &Path) -> String {
    let mut text = String::new();
    for host in HOSTS {
        for ext in ["ipxe", "kargs"] {
            let body = fs::read_to_string(out.join(format!("{host}.{ext}"))).expect(ext);
            text.push_str(&format!("== {host}.{ext}\n{body}"));
        }
    }
    text
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn scripts_and_kernel_arguments_of_the_example_fleet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let relative = dir.path().join("relative");
    let run = pxe(&relative, &[]);
    insta::assert_snapshot!("pxe_relative", scripts(&relative));
    let served = dir.path().join("served");
    pxe(&served, &["--url", "http://10.0.0.1/pxe/"]);
    insta::assert_snapshot!("pxe_url", scripts(&served));
    let live = dir.path().join("live");
    pxe(&live, &["--live"]);
    insta::assert_snapshot!("pxe_live", scripts(&live));

    // beam00 and relay01 embed secrets, mouse does not.
    for (host, private) in [("beam00", true), ("mouse", false), ("relay01", true)] {
        let image = relative.join(format!("{host}.ignition.img"));
        assert_eq!(mode(&image), if private { 0o600 } else { 0o644 }, "{host}");
        assert_eq!(
            run.stderr
                .contains(&format!("{} embeds secrets", image.display())),
            private,
            "{}",
            run.stderr
        );
        assert_eq!(mode(&relative.join(format!("{host}.ipxe"))), 0o644);
    }

    // The same inputs give the same bytes.
    let again = dir.path().join("again");
    pxe(&again, &[]);
    for host in HOSTS {
        for ext in ["ipxe", "kargs", "ignition.img"] {
            let name = format!("{host}.{ext}");
            assert_eq!(
                fs::read(relative.join(&name)).expect("first"),
                fs::read(again.join(&name)).expect("second"),
                "{name}"
            );
        }
    }
}

/// `coreos-installer pxe ignition unwrap FILE`.
fn unwrap(image: &Path) -> Vec<u8> {
    let unwrap = ["pxe", "ignition", "unwrap"].map(OsStr::new);
    tools::coreos_installer(unwrap.into_iter().chain([image.as_os_str()]))
}

/// The destination config a live config carries.
fn carried(live: &[u8]) -> Vec<u8> {
    fleet::json_config_file(live, install::DEST_PATH).expect("dest.ign")
}

#[test]
fn coreos_installer_unwraps_what_kindling_pxe_writes() {
    if !tools::require(&[Tool::CoreosInstaller]) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let build = dir.path().join("build");
    let built = Run::of(
        kindling()
            .arg("build")
            .arg("--fleet")
            .arg(paths::repo_root())
            .arg("--out")
            .arg(&build),
    );
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    pxe(&build, &[]);
    let live_out = dir.path().join("live");
    pxe(&live_out, &["--live"]);
    for host in HOSTS {
        let own = fs::read(build.join(format!("{host}.ign"))).expect("built config");
        let installer = unwrap(&build.join(format!("{host}.ignition.img")));
        assert!(
            String::from_utf8_lossy(&installer).contains(install::GUARD_PATH),
            "{host}: the installer's live config carries the guard"
        );
        assert_eq!(
            carried(&installer),
            own,
            "{host}: the installed config is build/{host}.ign, byte for byte"
        );
        assert_eq!(
            unwrap(&live_out.join(format!("{host}.ignition.img"))),
            own,
            "{host}: live, the config is build/{host}.ign, byte for byte"
        );
    }
}

const FLATCAR: &str = "os: flatcar\nservices:\n  - web\ninstall:\n  device: /dev/disk/by-id/virtio-fc\n  macs: [\"52:54:00:fc:00:01\"]\n";

#[test]
fn flatcar_fetches_its_config_by_url() {
    let fleet = Fleet::base().with("hosts/fc.yaml", FLATCAR);
    let out = fleet.root().join("build");
    let refused = fleet.run("pxe", &["fc"]);
    assert_eq!(refused.code, Some(1), "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("fc runs Flatcar, which fetches its config by URL"),
        "{}",
        refused.stderr
    );
    assert!(!out.join("fc.ipxe").exists(), "nothing written");

    let built = fleet.run("build", &["fc"]);
    assert_eq!(built.code, Some(0), "{}", built.stderr);
    let run = fleet.run("pxe", &["fc", "--url", "http://10.0.0.1/pxe"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(out.join("fc.kargs")).expect("kargs"),
        "flatcar.first_boot=1 ignition.config.url=http://10.0.0.1/pxe/fc.ign\n"
    );
    assert_eq!(
        fs::read_to_string(out.join("fc.ipxe")).expect("ipxe"),
        "#!ipxe\n# kindling pxe: fc runs Flatcar live\n\
         kernel http://10.0.0.1/pxe/flatcar_production_pxe.vmlinuz initrd=main flatcar.first_boot=1 ignition.config.url=http://10.0.0.1/pxe/fc.ign\n\
         initrd --name main http://10.0.0.1/pxe/flatcar_production_pxe_image.cpio.gz\n\
         boot\n"
    );
    assert!(!out.join("fc.ignition.img").exists());
}
