//! `kindling diff` and `kindling build --diff` on a change to an example
//! host, run on a copy of the repository's example fleet. Secrets appear
//! only as hashes.

use std::path::Path;
use std::process::Output;

use crate::support::cli::kindling;
use crate::support::example;

/// `kindling ARGS` run in `root` with the example identity.
fn run_in(root: &Path, args: &[&str]) -> Output {
    kindling()
        .current_dir(root)
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
    let (_dir, root) = example::copy();
    let built = run_in(&root, &["build", "relay01"]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let same = run_in(&root, &["diff", "hosts/relay01.yaml", "build/relay01.ign"]);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&same.stderr)
    );

    change_relay(&root);
    let changed = run_in(&root, &["diff", "build/relay01.ign", "hosts/relay01.yaml"]);
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

    let rebuilt = run_in(&root, &["build", "--diff", "relay01"]);
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
