//! `kindling init` (issue 20): a new fleet checks strictly and builds clean
//! as it is, its identity is private and outside it, and nothing is ever
//! overwritten.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cli::{Identity, Run, kindling_with};
use crate::support::paths;

/// A scratch directory with its own config directory (where `init` puts
/// identities), so no test touches the user's.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.path().join("config")
    }

    /// `kindling ARGS` run in the scratch directory with its config
    /// directory and no identity from the caller's environment.
    pub fn kindling(&self) -> Command {
        let mut command = kindling_with(Identity::None);
        command
            .current_dir(self.path())
            .env("XDG_CONFIG_HOME", self.config())
            .env("HOME", self.path());
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(self.kindling().args(args))
    }

    /// The report with the scratch path and the random recipient replaced.
    pub fn scrub(&self, text: &str) -> String {
        let text = text.replace(&self.path().display().to_string(), "[SCRATCH]");
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("age1") {
            out.push_str(&rest[..at]);
            let key: String = rest[at..]
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            out.push_str(if key.len() == 62 { "[RECIPIENT]" } else { &key });
            rest = &rest[at + key.len()..];
        }
        out.push_str(rest);
        out
    }
}

/// A copy of a key fixture with mode 0600 (git keeps no modes).
pub fn private_copy(fixture: &str, into: &Path) -> PathBuf {
    let path = into.join(fixture);
    fs::copy(paths::fixture(fixture), &path).expect("copy key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    path
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
}

#[test]
fn a_new_fleet_checks_strictly_and_builds_clean() {
    let scratch = Scratch::new();
    let init = scratch.run(&["init", "my lab"]);
    assert_eq!(init.code, Some(0), "{}", init.stderr);
    insta::assert_snapshot!("init_report", scratch.scrub(&init.report()));

    let fleet = scratch.path().join("my lab");
    let identity = scratch.config().join("kindling/my-lab.age-identity");
    #[cfg(unix)]
    {
        assert_eq!(mode(&identity), 0o600, "the identity is private");
        assert_eq!(mode(&scratch.config().join("kindling")), 0o700);
    }
    let key = fs::read_to_string(&identity).expect("identity");
    let recipient = key
        .lines()
        .find_map(|line| line.strip_prefix("# public key: "))
        .expect("public key comment");
    let fleet_yaml = fs::read_to_string(fleet.join("fleet.yaml")).expect("fleet.yaml");
    assert!(
        fleet_yaml.contains(&format!("recipients:\n  - {recipient}\n")),
        "{fleet_yaml}"
    );
    assert!(fleet_yaml.starts_with("# yaml-language-server: $schema="));
    assert!(fleet_yaml.contains("org: my-lab\n"));
    for file in [
        ".gitignore",
        "justfile",
        "mise.toml",
        "hosts/node01.yaml",
        "containers/hello.yaml",
        "templates/schemas/fleet.schema.json",
        "templates/schemas/host.schema.json",
        "templates/schemas/service.schema.json",
    ] {
        assert!(fleet.join(file).is_file(), "{file}");
    }
    let gitignore = fs::read_to_string(fleet.join(".gitignore")).expect(".gitignore");
    assert!(gitignore.contains("/build/") && gitignore.contains("*.age-identity"));
    let justfile = fs::read_to_string(fleet.join("justfile")).expect("justfile");
    assert!(
        justfile.contains(
            "KINDLING_AGE_IDENTITY := env(\"KINDLING_AGE_IDENTITY\", env(\"HOME\") / \"config/kindling/my-lab.age-identity\")"
        ),
        "the justfile names the identity relative to $HOME: {justfile}"
    );
    for task in ["build", "check", "vm"] {
        assert!(
            justfile.contains(&format!("\n{task} ")) || justfile.contains(&format!("\n{task}:"))
        );
        let mise = fs::read_to_string(fleet.join("mise.toml")).expect("mise.toml");
        assert!(mise.contains(&format!("[tasks.{task}]")), "{mise}");
    }

    let fleet_arg = fleet.to_str().expect("utf-8 path");
    let check = scratch.run(&["check", "--strict", "--fleet", fleet_arg]);
    assert_eq!(check.code, Some(0), "{}", check.stderr);
    assert!(
        check
            .stderr
            .contains("1 host(s) compiled, 0 error(s), 0 warning(s)"),
        "{}",
        check.stderr
    );
    let build = scratch.run(&["build", "--strict", "--fleet", fleet_arg]);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    assert!(fleet.join("build/node01.ign").is_file());
}

#[test]
fn init_writes_nothing_when_any_file_exists() {
    let scratch = Scratch::new();
    let fleet = scratch.path().join("lab");
    fs::create_dir_all(&fleet).expect("mkdir");
    fs::write(fleet.join("justfile"), "mine\n").expect("justfile");
    let init = scratch.run(&["init", "lab"]);
    assert_eq!(init.code, Some(1));
    insta::assert_snapshot!("init_refuses", scratch.scrub(&init.report()));
    let left: Vec<_> = fs::read_dir(&fleet)
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["justfile"], "nothing else was written");
    assert_eq!(
        fs::read_to_string(fleet.join("justfile")).expect("read"),
        "mine\n"
    );
    assert!(!scratch.config().exists(), "no identity was made");

    // An existing identity at the default path is not replaced either.
    let identity = scratch.config().join("kindling/other.age-identity");
    fs::create_dir_all(identity.parent().expect("parent")).expect("mkdir");
    fs::write(&identity, "keep\n").expect("identity");
    let init = scratch.run(&["init", "other"]);
    assert_eq!(init.code, Some(1));
    assert!(
        init.stderr.contains("pass --identity PATH"),
        "{}",
        init.stderr
    );
    assert_eq!(fs::read_to_string(&identity).expect("read"), "keep\n");
    assert!(!scratch.path().join("other").exists());
}

#[test]
fn init_takes_an_existing_ssh_key_as_the_identity() {
    let scratch = Scratch::new();
    let key = private_copy("ssh-ed25519-identity", scratch.path());
    let init = scratch.run(&["init", "lab", "--identity", key.to_str().expect("utf-8")]);
    assert_eq!(init.code, Some(0), "{}", init.stderr);
    let public = fs::read_to_string(paths::fixture("ssh-ed25519-identity.pub")).expect("pub");
    let public: Vec<&str> = public.split_whitespace().take(2).collect();
    let fleet_yaml = fs::read_to_string(scratch.path().join("lab/fleet.yaml")).expect("fleet.yaml");
    assert!(
        fleet_yaml.contains(&format!("  - {}\n", public.join(" "))),
        "{fleet_yaml}"
    );
    assert!(!scratch.config().exists(), "no new identity");
    let justfile = fs::read_to_string(scratch.path().join("lab/justfile")).expect("justfile");
    assert!(
        justfile.contains("env(\"HOME\") / \"ssh-ed25519-identity\""),
        "{justfile}"
    );
}

#[test]
fn init_and_secret_are_in_the_man_page_and_the_completions() {
    let man = Run::of(kindling_with(Identity::None).arg("man"));
    assert_eq!(man.code, Some(0));
    for command in ["kindling\\-init(1)", "kindling\\-secret(1)"] {
        assert!(man.stdout.contains(command), "{command} in kindling man");
    }
    for shell in ["bash", "zsh", "fish"] {
        let script = Run::of(kindling_with(Identity::None).args(["completions", shell]));
        assert_eq!(script.code, Some(0));
        for word in [
            "init",
            "secret",
            "encrypt",
            "edit",
            "recipients",
            "rekey",
            "show-secrets",
        ] {
            assert!(script.stdout.contains(word), "{shell} completes {word}");
        }
    }
}
