//! `kindling diff` and `kindling build --diff` on a change to an example
//! host, run on a copy of the repository's example fleet. Secrets appear
//! only as hashes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FLEET_PARTS: [&str; 5] = ["fleet.yaml", "hosts", "containers", "templates", "secrets"];

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read dir") {
            let entry = entry.expect("entry");
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::copy(from, to).expect("copy");
    }
}

fn example_fleet() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("fleet");
    for part in FLEET_PARTS {
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(part),
            &root.join(part),
        );
    }
    (dir, root)
}

fn kindling(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kindling"))
        .current_dir(root)
        .env(
            "KINDLING_AGE_IDENTITY",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/example-identity.txt"),
        )
        .args(args)
        .output()
        .expect("kindling runs")
}

fn change_relay(root: &Path) {
    let host = root.join("hosts/relay01.yaml");
    let text = std::fs::read_to_string(&host).expect("host");
    let changed = text.replace(
        "  - macula-relay\n",
        "  - macula-relay: { version: 1.4.1, env: { LOG_LEVEL: debug } }\n",
    );
    assert_ne!(
        text, changed,
        "the example host changed shape; update this test"
    );
    std::fs::write(&host, changed).expect("write host");
}

#[test]
fn diff_of_a_changed_example_host() {
    let (_dir, root) = example_fleet();
    let built = kindling(&root, &["build", "relay01"]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let same = kindling(&root, &["diff", "hosts/relay01.yaml", "build/relay01.ign"]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );

    change_relay(&root);
    let changed = kindling(&root, &["diff", "build/relay01.ign", "hosts/relay01.yaml"]);
    assert_eq!(
        changed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    let text = String::from_utf8_lossy(&changed.stdout);
    assert!(
        !text.contains("PRIVATE KEY"),
        "a secret leaked into the diff"
    );
    insta::assert_snapshot!("relay01_diff", text);

    let rebuilt = kindling(&root, &["build", "--diff", "relay01"]);
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    let text = String::from_utf8_lossy(&rebuilt.stdout);
    assert!(
        !text.contains("PRIVATE KEY"),
        "a secret leaked into build --diff"
    );
    insta::assert_snapshot!("relay01_build_diff", text);
}
