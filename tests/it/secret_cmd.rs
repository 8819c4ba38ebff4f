//! `kindling secret encrypt | edit | recipients | rekey` and SSH keys as
//! identities (issue 20): secrets go where the manifests read them, the
//! plaintext an editor sees is private and always removed, a rekey writes
//! nothing unless every file decrypts, and no secret is ever printed.

use std::fs;
use std::path::{Path, PathBuf};

use kindling::fleet::secrets::Identities;

use crate::init::{Scratch, private_copy};
use crate::support::cli::{Identity, Run, kindling_with};
use crate::support::fleet::{Fleet, file_text, host, snapshot};

const PLAIN: &str = "s3cret-token-value";

/// A fleet made by `kindling init` in `scratch`, its secrets encrypted to
/// the ssh-ed25519 fixture key; returns its path and the key's.
fn ssh_fleet(scratch: &Scratch) -> (PathBuf, PathBuf) {
    let key = private_copy("ssh-ed25519-identity", scratch.path());
    let init = scratch.run(&["init", "lab", "--identity", key.to_str().expect("utf-8")]);
    assert_eq!(init.code, Some(0), "{}", init.stderr);
    (scratch.path().join("lab"), key)
}

fn run_in(scratch: &Scratch, fleet: &Path, args: &[&str]) -> Run {
    Run::of(scratch.kindling().current_dir(fleet).args(args))
}

/// [`PLAIN`] written to `scratch/<name>` and encrypted with `kindling
/// secret encrypt` for `service`, which must succeed.
fn encrypt_new(scratch: &Scratch, fleet: &Path, name: &str, service: &str) {
    let plain = scratch.path().join(name);
    fs::write(&plain, PLAIN).expect("plain");
    let path = plain.to_str().expect("utf-8");
    let run = run_in(
        scratch,
        fleet,
        &["secret", "encrypt", path, "--service", service],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

fn no_secret_in(run: &Run) {
    assert!(
        !run.stdout.contains(PLAIN) && !run.stderr.contains(PLAIN),
        "a secret was printed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
}

/// An editor script: logs the mode and path of the file it is given, then
/// runs `action` (shell) on it.
fn editor(scratch: &Scratch, action: &str) -> (PathBuf, PathBuf) {
    let log = scratch.path().join("editor.log");
    let script = scratch.path().join("editor.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\nstat -c '%a %n' \"$1\" > '{}'\n{action}\n",
            log.display()
        ),
    )
    .expect("script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    (script, log)
}

#[test]
fn an_encrypted_secret_lands_where_the_service_reads_it_and_an_ssh_key_decrypts_it() {
    let scratch = Scratch::new();
    let (fleet, key) = ssh_fleet(&scratch);
    fs::write(fleet.join("token"), PLAIN).expect("plain");
    let encrypt = run_in(
        &scratch,
        &fleet,
        &[
            "secret",
            "encrypt",
            "token",
            "--service",
            "hello",
            "--host",
            "node01",
        ],
    );
    assert_eq!(encrypt.code, Some(0), "{}", encrypt.stderr);
    no_secret_in(&encrypt);
    insta::assert_snapshot!("secret_encrypt", encrypt.report());
    let sealed = fs::read(fleet.join("secrets/hello/node01/token.age")).expect("written");
    assert!(sealed.starts_with(b"age-encryption.org/v1\n-> ssh-ed25519 "));

    // Never overwritten.
    let again = run_in(
        &scratch,
        &fleet,
        &[
            "secret",
            "encrypt",
            "token",
            "--service",
            "hello",
            "--host",
            "node01",
        ],
    );
    assert_eq!(again.code, Some(1));
    assert!(
        again
            .stderr
            .contains("kindling secret edit secrets/hello/node01/token.age")
    );
    assert_eq!(
        fs::read(fleet.join("secrets/hello/node01/token.age")).expect("kept"),
        sealed
    );

    // Placed as the message says, it compiles with the SSH key.
    let service = fleet.join("containers/hello.yaml");
    let mut text = fs::read_to_string(&service).expect("service");
    text.push_str("secrets:\n  - file: token\n    from: \"hello/{{ host }}/token.age\"\n");
    fs::write(&service, text).expect("service");
    let identities = Identities::load(Some(&key), None).expect("an ssh-ed25519 identity loads");
    let build = kindling::fleet::compile(&kindling::fleet::Options {
        root: fleet.clone(),
        hosts: Vec::new(),
        target: None,
        identities,
        now: Some(crate::support::BUILD_TIME),
        out: None,
    });
    assert!(build.diagnostics.is_empty(), "{:?}", build.diagnostics);
    assert_eq!(
        file_text(host(&build, "node01"), "/etc/lab/secrets/hello/token"),
        PLAIN
    );
    let check = run_in(
        &scratch,
        &fleet,
        &[
            "check",
            "--strict",
            "--identity",
            key.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(check.code, Some(0), "{}", check.stderr);
    no_secret_in(&check);
}

#[test]
fn an_ssh_rsa_key_and_an_age_identity_decrypt_and_a_locked_key_is_named() {
    let scratch = Scratch::new();
    let rsa = private_copy("ssh-rsa-identity", scratch.path());
    let identities = Identities::load(Some(&rsa), None).expect("an ssh-rsa identity loads");
    let public =
        fs::read_to_string(crate::support::paths::fixture("ssh-rsa-identity.pub")).expect("pub");
    assert_eq!(
        identities.recipients(),
        [public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")]
    );

    let locked = scratch.path().join("locked");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "passphrase", "-f"])
        .arg(&locked)
        .status();
    if let Ok(status) = status {
        assert!(status.success());
        let error = Identities::load(Some(&locked), None)
            .err()
            .expect("a passphrase-protected key is refused");
        insta::assert_snapshot!(
            "ssh_key_with_passphrase",
            format!("{error}\nhelp: {}", error.help())
                .replace(&scratch.path().display().to_string(), "[SCRATCH]")
        );
    }
}

#[test]
fn edit_gives_the_editor_a_private_file_and_removes_it_on_every_path() {
    let scratch = Scratch::new();
    let (fleet, key) = ssh_fleet(&scratch);
    let key = key.to_str().expect("utf-8").to_owned();
    encrypt_new(&scratch, &fleet, "token", "hello");
    let path = "secrets/hello/token.age";
    let decrypt = || {
        let identities = Identities::load(Some(Path::new(&key)), None).expect("identity");
        let root =
            kindling::confine::FleetRoot::open(&fleet, kindling::confine::Exclusions::none())
                .expect("root");
        String::from_utf8(
            kindling::fleet::secrets::read_secret(&root, "hello/token.age", &identities)
                .expect("decrypts"),
        )
        .expect("utf-8")
    };
    let edited_file = |log: &Path| -> (String, PathBuf) {
        let line = fs::read_to_string(log).expect("the editor ran");
        let (mode, file) = line.trim_end().split_once(' ').expect("mode and path");
        (mode.to_owned(), PathBuf::from(file))
    };

    // The editor changes it: re-encrypted, the scratch file gone.
    let (script, log) = editor(&scratch, "printf 'new-value' > \"$1\"");
    let edit = Run::of(
        scratch
            .kindling()
            .current_dir(&fleet)
            .env("EDITOR", &script)
            .env_remove("VISUAL")
            .args(["secret", "edit", path, "--identity", &key]),
    );
    assert_eq!(edit.code, Some(0), "{}", edit.stderr);
    no_secret_in(&edit);
    insta::assert_snapshot!("secret_edit_updated", edit.report());
    let (mode, file) = edited_file(&log);
    assert_eq!(mode, "600");
    assert!(
        !file.exists() && !file.parent().expect("dir").exists(),
        "removed"
    );
    assert_eq!(decrypt(), "new-value");

    // The editor fails: nothing changes, the file is gone all the same.
    let before = fs::read(fleet.join(path)).expect("sealed");
    let (script, log) = editor(&scratch, "printf 'half-done' > \"$1\"; exit 3");
    let edit = Run::of(
        scratch
            .kindling()
            .current_dir(&fleet)
            .env("EDITOR", &script)
            .env_remove("VISUAL")
            .args(["secret", "edit", path, "--identity", &key]),
    );
    assert_eq!(edit.code, Some(1));
    insta::assert_snapshot!(
        "secret_edit_editor_failed",
        edit.report()
            .replace(&script.display().to_string(), "[EDITOR]")
    );
    let (_, file) = edited_file(&log);
    assert!(
        !file.exists() && !file.parent().expect("dir").exists(),
        "removed"
    );
    assert_eq!(fs::read(fleet.join(path)).expect("sealed"), before);

    // Saved unchanged: the encrypted file is left byte for byte.
    let (script, _) = editor(&scratch, "true");
    let edit = Run::of(
        scratch
            .kindling()
            .current_dir(&fleet)
            .env("EDITOR", &script)
            .env_remove("VISUAL")
            .args(["secret", "edit", path, "--identity", &key]),
    );
    assert_eq!(edit.code, Some(0), "{}", edit.stderr);
    assert!(edit.stderr.contains("unchanged"));
    assert_eq!(fs::read(fleet.join(path)).expect("sealed"), before);

    // A plain file is not edited.
    let plain = run_in(
        &scratch,
        &fleet,
        &["secret", "edit", "fleet.yaml", "--identity", &key],
    );
    assert_eq!(plain.code, Some(1));
    assert!(
        plain.stderr.contains("is not an .age file"),
        "{}",
        plain.stderr
    );
}

#[test]
fn rekey_reencrypts_to_the_current_recipients_or_writes_nothing() {
    let scratch = Scratch::new();
    let (fleet, key) = ssh_fleet(&scratch);
    let key = key.to_str().expect("utf-8").to_owned();
    for (name, service) in [("a", "hello"), ("b", "other")] {
        encrypt_new(&scratch, &fleet, name, service);
    }

    // Someone joins.
    let newcomer = age::x25519::Identity::generate();
    let fleet_yaml = fleet.join("fleet.yaml");
    let text = fs::read_to_string(&fleet_yaml).expect("fleet.yaml");
    let text = text.replace(
        "recipients:\n",
        &format!("recipients:\n  - {}\n", newcomer.to_public()),
    );
    fs::write(&fleet_yaml, text).expect("fleet.yaml");
    let listed = run_in(&scratch, &fleet, &["secret", "recipients"]);
    assert_eq!(listed.code, Some(0));
    assert_eq!(listed.stdout.lines().count(), 2, "{}", listed.stdout);
    assert!(
        listed
            .stdout
            .starts_with(&format!("{}\nssh-ed25519 ", newcomer.to_public()))
    );

    let rekey = run_in(&scratch, &fleet, &["secret", "rekey", "--identity", &key]);
    assert_eq!(rekey.code, Some(0), "{}", rekey.stderr);
    no_secret_in(&rekey);
    insta::assert_snapshot!("secret_rekey", rekey.report());
    for file in ["secrets/hello/a.age", "secrets/other/b.age"] {
        let sealed = fs::read(fleet.join(file)).expect("sealed");
        assert_eq!(
            age::decrypt(&newcomer, &sealed).expect("the newcomer decrypts"),
            PLAIN.as_bytes()
        );
    }

    // A file the identity cannot read: nothing is rewritten.
    let stranger = age::x25519::Identity::generate();
    let foreign = kindling::fleet::recipients::encrypt(
        b"x",
        &kindling::fleet::recipients::parse_all(&[stranger.to_public().to_string()])
            .expect("recipient"),
    )
    .expect("encrypt");
    fs::write(fleet.join("secrets/zz.age"), &foreign).expect("foreign");
    let before = fs::read(fleet.join("secrets/hello/a.age")).expect("sealed");
    let rekey = run_in(&scratch, &fleet, &["secret", "rekey", "--identity", &key]);
    assert_eq!(rekey.code, Some(1));
    insta::assert_snapshot!(
        "secret_rekey_refused",
        rekey.report().replace(&key, "[KEY]")
    );
    assert_eq!(
        fs::read(fleet.join("secrets/hello/a.age")).expect("kept"),
        before
    );
}

#[test]
fn a_plaintext_private_key_under_secrets_is_a_warning() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nsecrets:\n  - file: key.pem\n    from: web/key.pem\n",
        )
        .with(
            "secrets/web/key.pem",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
        );
    let run = fleet.run("check", &["--strict"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.count("warning"), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("MC4CAQAw"), "{}", run.stderr);
    snapshot!("plaintext_private_key", fleet, run.report());

    // An encrypted PKCS#8 key is not plain text.
    fleet.write(
        "secrets/web/key.pem",
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    let run = fleet.run("check", &["--strict"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn a_recipient_that_is_not_a_public_key_is_an_error_at_its_line() {
    let fleet = Fleet::base().with(
        "fleet.yaml",
        "org: acme\nregistry: registry.example.com/acme\nrecipients:\n  - age1notakey\n",
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("bad_recipient", fleet, run.report());
    let listed = Run::of(
        kindling_with(Identity::None)
            .args(["secret", "recipients", "--fleet"])
            .arg(fleet.root()),
    );
    assert_eq!(listed.code, Some(1));
    assert!(
        listed.stderr.contains("fleet-recipient-invalid"),
        "{}",
        listed.stderr
    );
}

#[test]
fn inspect_of_a_built_output_masks_its_secret_files_unless_asked() {
    let scratch = Scratch::new();
    let (fleet, key) = ssh_fleet(&scratch);
    let key = key.to_str().expect("utf-8").to_owned();
    encrypt_new(&scratch, &fleet, "token", "hello");
    let service = fleet.join("containers/hello.yaml");
    let mut text = fs::read_to_string(&service).expect("service");
    text.push_str("secrets:\n  - file: token\n    from: hello/token.age\n");
    fs::write(&service, text).expect("service");
    let build = run_in(&scratch, &fleet, &["build", "--identity", &key]);
    assert_eq!(build.code, Some(0), "{}", build.stderr);
    let manifest = fs::read_to_string(fleet.join("build/manifest.json")).expect("manifest");
    assert!(
        manifest.contains("\"secret_files\": [\n        \"/etc/lab/secrets/hello/token\"\n      ]"),
        "{manifest}"
    );

    let masked = run_in(&scratch, &fleet, &["inspect", "build/node01.ign"]);
    assert_eq!(masked.code, Some(0), "{}", masked.stderr);
    no_secret_in(&masked);
    assert!(
        masked.stdout.contains("<secret: not shown>"),
        "{}",
        masked.stdout
    );
    let json = run_in(
        &scratch,
        &fleet,
        &["inspect", "--format", "json", "build/node01.ign"],
    );
    no_secret_in(&json);
    let butane = run_in(
        &scratch,
        &fleet,
        &["inspect", "--to-butane", "build/node01.ign"],
    );
    no_secret_in(&butane);

    let shown = run_in(
        &scratch,
        &fleet,
        &["inspect", "--show-secrets", "build/node01.ign"],
    );
    assert_eq!(shown.code, Some(0), "{}", shown.stderr);
    assert!(shown.stdout.contains(PLAIN), "{}", shown.stdout);
    let host = Run::of(
        scratch
            .kindling()
            .current_dir(&fleet)
            .env("KINDLING_AGE_IDENTITY", &key)
            .args(["inspect", "--show-secrets", "hosts/node01.yaml"]),
    );
    assert_eq!(host.code, Some(0), "{}", host.stderr);
    assert!(host.stdout.contains(PLAIN), "{}", host.stdout);
}
