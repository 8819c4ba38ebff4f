//! `kindling vm HOST`: which config each kind of HOST boots. No qemu is
//! needed: a kernel that does not exist stops the run right after the
//! config is compiled and announced.

use std::path::Path;

use crate::support::cli::{Run, kindling};
use crate::support::paths;

/// `kindling vm HOST ARGS...` with a kernel that is not there.
fn vm(host: &Path, args: &[&str]) -> Run {
    Run::of(
        kindling()
            .current_dir(paths::repo_root())
            .arg("vm")
            .arg(host)
            .args([
                "--kernel",
                "/nonexistent/vmlinuz",
                "--initrd",
                "/nonexistent/initrd",
            ])
            .args(args),
    )
}

/// The `kindling vm: HOST → CONFIG (Ignition ...)` line.
fn announced(run: &Run) -> &str {
    run.stderr
        .lines()
        .find(|line| line.starts_with("kindling vm: "))
        .unwrap_or_else(|| panic!("no announcement:\n{}", run.stderr))
}

#[test]
fn an_ignition_file_boots_as_it_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Any extension: the content says it is Ignition.
    let config = dir.path().join("node.json");
    std::fs::write(&config, r#"{"ignition":{"version":"3.3.0"},"x":1}"#).expect("write");
    let run = vm(&config, &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let shown = config.display();
    assert_eq!(
        announced(&run),
        format!("kindling vm: {shown} → {shown} (Ignition 3.3.0)")
    );
    assert!(
        run.stderr
            .ends_with("kindling: kernel /nonexistent/vmlinuz not found\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_butane_file_compiles_for_the_target_spec() {
    let dir = tempfile::tempdir().expect("tempdir");
    let butane = dir.path().join("node.bu");
    std::fs::write(&butane, "variant: fcos\nversion: 1.5.0\n").expect("write");
    let run = vm(&butane, &["--ignition-version", "3.3.0"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let line = announced(&run);
    assert!(line.ends_with("/node.ign (Ignition 3.3.0)"), "{line}");

    std::fs::write(
        &butane,
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      contents:\n        local: missing\n",
    )
    .expect("write");
    let run = vm(&butane, &["--raw-errors"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read local file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with(&format!(
            "kindling: cannot boot {}: the config has errors (see above)\n",
            butane.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn a_fleet_host_compiles_by_name_or_by_manifest_path() {
    let manifest = paths::repo_root().join("hosts/beam00.yaml");
    for host in [manifest.as_path(), Path::new("beam00")] {
        let run = vm(host, &[]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        let line = announced(&run);
        assert!(
            line.ends_with("/beam00.ign (Ignition 3.4.0, mode 0600: it holds secrets)"),
            "{line}"
        );
    }
    let run = vm(Path::new("nohost"), &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("kindling: cannot boot nohost: no such host compiled in ."),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unknown_ignition_version_is_a_usage_error() {
    let run = vm(Path::new("beam00"), &["--ignition-version", "3.9.0"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "invalid value '3.9.0' for '--ignition-version <X.Y.Z>': unknown Ignition spec version; use one of 3.0.0,"
        ),
        "{}",
        run.stderr
    );
}
