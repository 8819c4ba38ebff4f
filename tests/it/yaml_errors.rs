//! YAML syntax errors in fleet manifests (issue 20): the parser's words,
//! located, and under them what is likely wrong in plain words.

use std::fs;

use crate::support::cli::{Identity, Run, kindling_with};

fn check(host: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("hosts")).expect("hosts");
    fs::write(dir.path().join("fleet.yaml"), "org: lab\n").expect("fleet");
    fs::write(dir.path().join("hosts/a.yaml"), host).expect("host");
    let run = Run::of(
        kindling_with(Identity::None)
            .current_dir(dir.path())
            .args(["check", "--color=never"]),
    );
    assert_eq!(run.code, Some(1));
    run.stderr
}

#[test]
fn syntax_errors_say_what_is_likely_wrong() {
    let report = [
        "hostname: a\nservices:\n\t- web\n",
        "hostname: a\nservices:\n  - web\n - db\n",
        "hostname: a\n  services: []\n",
        "hostname: \"a\nservices: []\n",
    ]
    .iter()
    .map(|host| check(host))
    .collect::<Vec<_>>()
    .join("----\n");
    insta::assert_snapshot!("yaml_errors_in_plain_words", report);
}
