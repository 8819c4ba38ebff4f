//! Dynamic shell completion (issue 20): `kindling completions SHELL
//! --dynamic` registers a script that asks the binary at each TAB, and the
//! binary answers with the host and service names of the fleet in the
//! current directory (the example fleet here).

use std::process::Command;

use crate::support::cli::{Identity, Run, kindling_with};
use crate::support::paths;

/// What bash's completion script asks for: the words typed so far, the
/// last one being completed.
fn bash_candidates(words: &[&str]) -> Vec<String> {
    let mut command: Command = kindling_with(Identity::None);
    command
        .current_dir(paths::repo_root())
        .env("KINDLING_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words);
    let run = Run::of(&mut command);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    run.stdout.lines().map(str::to_owned).collect()
}

#[test]
fn hosts_and_services_complete_from_the_fleet() {
    let hosts = bash_candidates(&["kindling", "build", ""]);
    for host in ["beam00", "mouse", "relay01"] {
        assert!(hosts.contains(&host.to_owned()), "{hosts:?}");
    }
    assert_eq!(bash_candidates(&["kindling", "render", "re"]), ["relay01"]);
    assert_eq!(bash_candidates(&["kindling", "vm", "mou"]), ["mouse"]);
    let services = bash_candidates(&["kindling", "render", "beam00", "--service=hecate-r"]);
    assert_eq!(services, ["--service=hecate-rag"]);
    let encrypt = bash_candidates(&["kindling", "secret", "encrypt", "f", "--service", "net"]);
    assert_eq!(encrypt, ["netdata"]);
}

#[test]
fn the_dynamic_script_calls_back_and_the_static_one_stays() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = Run::of(kindling_with(Identity::None).args(["completions", shell, "--dynamic"]));
        assert_eq!(run.code, Some(0), "{shell}: {}", run.stderr);
        assert!(
            run.stdout.contains("KINDLING_COMPLETE"),
            "{shell}: {}",
            run.stdout
        );
    }
    let run = Run::of(kindling_with(Identity::None).args(["completions", "bash"]));
    assert!(run.stdout.contains("import"), "{}", run.stdout);
}
