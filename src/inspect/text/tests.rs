use super::*;
use crate::ignition::model::Config;
use crate::ignition::spec::Spec;
use crate::inspect::listing::list;

fn text_of(json: &str) -> String {
    let config: Config = serde_json::from_str(json).expect("parses");
    to_text(&list(&config, Spec::V3_4), TextOptions::default())
}

#[test]
fn lists_files_units_and_users() {
    let text = text_of(
        r#"{"ignition":{"version":"3.4.0"},
        "storage":{"files":[{"path":"/etc/motd","mode":420,"contents":{"source":"data:,hi%0Athere"}}]},
        "systemd":{"units":[{"name":"a.service","enabled":true,"contents":"[Unit]\n"}]},
        "passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAA"]}]}}"#,
    );
    assert!(
        text.contains("Files (1):\n  /etc/motd\n    mode 0644\n"),
        "{text}"
    );
    assert!(
        text.contains("      | hi\n      | there\n      (no newline at end)\n"),
        "{text}"
    );
    assert!(text.contains("  a.service  (enabled)\n"), "{text}");
    assert!(text.contains("    ssh key: ssh-ed25519 AAA\n"), "{text}");
}

#[test]
fn hostile_strings_are_escaped() {
    let text = text_of(
        r#"{"ignition":{"version":"3.4.0"},
        "storage":{"files":[{"path":"/etc/\u001b[2Jx","contents":{"source":"data:,a%1Bb"}}]}}"#,
    );
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("/etc/\\u{1b}[2Jx"), "{text}");
    assert!(text.contains("binary, 3 bytes"), "{text}");
}
