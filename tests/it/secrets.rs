//! Secrets and identities through the real binary (issue 16 items 1-5): an
//! identity is never echoed, `trust:` refuses what would be decrypted,
//! diffs show no fingerprint of a secret, the identity file's mode is
//! checked, and a damaged `.age` file is called damaged. (Item 4, extract
//! modes, is a unit test of `inspect::extract`.)

use std::ffi::OsStr;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;

use crate::support::cli::{Identity, Run, kindling_with};
use crate::support::fleet::{Fleet, snapshot};

/// A new identity: its text (with the comment lines `age-keygen` writes,
/// as `$(cat key.txt)` gives it) and the bare key.
fn new_identity() -> (age::x25519::Identity, String, String) {
    let key = age::x25519::Identity::generate();
    let bare = key.to_string().expose_secret().to_owned();
    let text = format!(
        "# created: 2026-12-06T19:00:00Z\n# public key: {}\n{bare}",
        key.to_public()
    );
    (key, text, bare)
}

fn encrypt(plain: &[u8], key: &age::x25519::Identity) -> Vec<u8> {
    let recipient = key.to_public();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .expect("encryptor");
    let mut encrypted = Vec::new();
    let mut writer = encryptor.wrap_output(&mut encrypted).expect("wrap");
    writer.write_all(plain).expect("encrypt");
    writer.finish().expect("finish");
    encrypted
}

/// Host h1's service `web` places `secrets/web/key.pem.age`.
fn secret_fleet(encrypted: &[u8]) -> Fleet {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nsecrets:\n  - file: key.pem\n    from: web/key.pem.age\n",
    );
    fleet.write("secrets/web/key.pem.age", encrypted);
    fleet
}

/// An identity file with `mode`, in its own directory.
fn identity_file(text: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("key.txt");
    fs::write(&path, format!("{text}\n")).expect("write identity");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod identity");
    }
    #[cfg(not(unix))]
    let _ = mode;
    (dir, path)
}

fn assert_not_echoed(run: &Run, key: &str) {
    let secret_part = key.trim_start_matches("AGE-SECRET-KEY-");
    assert!(
        !run.stderr.contains(secret_part) && !run.stdout.contains(secret_part),
        "the identity is echoed:\n{}{}",
        run.stdout,
        run.stderr
    );
}

/// Item 1: `KINDLING_AGE_IDENTITY="$(cat key.txt)"` (comment lines first)
/// is the identity itself; a malformed one and `--identity KEY` are
/// refused without printing the key.
#[test]
fn an_identity_given_as_text_is_used_or_refused_but_never_printed() {
    let (key, text, bare) = new_identity();
    let fleet = secret_fleet(&encrypt(b"private\n", &key));
    let run = fleet.run_with("check", &[], Identity::Env(OsStr::new(&text)));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_not_echoed(&run, &bare);

    let damaged = text.replace("AGE-SECRET-KEY-1", "AGE-SECRET-KEY-1X");
    let run = fleet.run_with("check", &[], Identity::Env(OsStr::new(&damaged)));
    assert_eq!(run.code, Some(1));
    assert_not_echoed(&run, &bare);
    snapshot!("identity_text_malformed", fleet, run.report());

    let run = fleet.run_with("check", &["--identity", &text], Identity::None);
    assert_eq!(run.code, Some(1));
    assert_not_echoed(&run, &bare);
    snapshot!("identity_text_as_argument", fleet, run.report());

    let run = fleet.run_with("check", &[], Identity::Env(OsStr::new("no/such/key.txt")));
    assert_eq!(run.code, Some(1));
    snapshot!("identity_variable_names_no_file", fleet, run.report());
}

/// Item 2: a trust anchor is public and placed 0444; an encrypted source
/// there is refused where it is named, never decrypted.
#[test]
fn trust_refuses_an_encrypted_source() {
    let (key, text, _) = new_identity();
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\ntrust:\n  - file: root.pem\n    from: realm/root-key.pem.age\n",
    );
    fleet.write(
        "secrets/realm/root-key.pem.age",
        &encrypt(b"-----BEGIN PRIVATE KEY-----\n", &key),
    );
    // The identity as a file, which every kindling reads (the key itself
    // in the variable would fail the old code for another reason).
    let (_keep, path) = identity_file(&text, 0o600);
    let run = fleet.run_with("build", &[], Identity::Env(path.as_os_str()));
    assert_eq!(run.code, Some(1));
    assert!(!fleet.root().join("build").exists(), "nothing is written");
    snapshot!("trust_encrypted_source", fleet, run.report());
}

/// Item 3: `build --diff` and `diff` say whether a secret changed and
/// nothing else: no digest of the plaintext (a short password's sha256 is
/// brute-forced from a CI log).
#[test]
fn diffs_show_whether_a_secret_changed_and_no_fingerprint() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nsecrets:\n  - file: password\n    from: web/password\n",
        )
        .with("secrets/web/password", "hunter2\n");
    let run = fleet.run("build", &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let built = fleet.root().join("build/h1.ign");
    let host = fleet.root().join("hosts/h1.yaml");

    let unchanged = diff(&built, &host);
    fleet.write("secrets/web/password", b"hunter3\n");
    let changed = diff(&built, &host);
    let rebuilt = fleet.run("build", &["--diff"]);
    assert_eq!(rebuilt.code, Some(0), "{}", rebuilt.stderr);
    let inspected = Run::of(kindling_with(Identity::None).arg("inspect").arg(&host));
    assert_eq!(inspected.code, Some(0), "{}", inspected.stderr);
    assert!(
        inspected.stdout.contains("<secret: not shown>"),
        "{}",
        inspected.stdout
    );
    assert!(!inspected.stdout.contains("hunter"), "{}", inspected.stdout);
    for output in [&unchanged.stdout, &changed.stdout, &rebuilt.stdout] {
        assert!(
            !output.contains("sha256") && !output.contains("hunter"),
            "{output}"
        );
    }
    snapshot!(
        "diff_secret_changed",
        fleet,
        format!(
            "## diff, unchanged (exit {:?}):\n{}## diff, changed (exit {:?}):\n{}## build --diff:\n{}",
            unchanged.code, unchanged.stdout, changed.code, changed.stdout, rebuilt.stdout
        )
    );
}

fn diff(old: &Path, new: &Path) -> Run {
    Run::of(kindling_with(Identity::None).arg("diff").arg(old).arg(new))
}

/// Item 5: an identity file anyone can write is refused (anyone could
/// swap the key); one others can read is used with a warning.
#[cfg(unix)]
#[test]
fn identity_file_modes_are_checked() {
    let (key, text, _) = new_identity();
    let fleet = secret_fleet(&encrypt(b"private\n", &key));
    let (keep, path) = identity_file(&text, 0o666);
    let path_text = path.to_str().expect("utf-8");
    let run = fleet.run_with("check", &["--identity", path_text], Identity::None);
    assert_eq!(run.code, Some(1));
    snapshot!(
        "identity_world_writable",
        fleet,
        run.report(),
        &[(keep.path(), "[IDENTITY_DIR]")]
    );

    let (keep, path) = identity_file(&text, 0o644);
    let run = fleet.run_with("check", &[], Identity::Env(path.as_os_str()));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    snapshot!(
        "identity_readable_by_others",
        fleet,
        run.report(),
        &[(keep.path(), "[IDENTITY_DIR]")]
    );
    // Every fleet command reports it the same way, as a coded finding.
    for command in ["hosts", "render"] {
        let args: &[&str] = if command == "render" { &["h1"] } else { &[] };
        let run = fleet.run_with(command, args, Identity::Env(path.as_os_str()));
        assert_eq!(run.code, Some(0), "{command}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("warning[fleet-identity-readable]: the age identity file"),
            "{command}: {}",
            run.stderr
        );
    }

    let (_keep, path) = identity_file(&text, 0o600);
    let run = fleet.run_with("check", &[], Identity::Env(path.as_os_str()));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        !run.stderr.contains("fleet-identity-readable"),
        "{}",
        run.stderr
    );
}

/// Item 5: a truncated `.age` file is damaged, not encrypted to someone
/// else; a file for another recipient keeps that hint.
#[test]
fn a_damaged_age_file_is_called_damaged() {
    let (key, text, _) = new_identity();
    let encrypted = encrypt(b"private key material\n", &key);
    let truncated = &encrypted[..encrypted.len() - 10];
    let fleet = secret_fleet(truncated);
    let run = fleet.run_with("check", &[], Identity::Env(OsStr::new(&text)));
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("is damaged"), "{}", run.stderr);
    snapshot!("age_file_truncated", fleet, run.report());

    fleet.write("secrets/web/key.pem.age", b"not an age file\n");
    let run = fleet.run_with("check", &[], Identity::Env(OsStr::new(&text)));
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("is damaged"), "{}", run.stderr);
    snapshot!("age_file_not_age", fleet, run.report());

    let (other, _, _) = new_identity();
    fleet.write("secrets/web/key.pem.age", &encrypt(b"x", &other));
    let run = fleet.run_with("check", &[], Identity::Env(OsStr::new(&text)));
    assert_eq!(run.code, Some(1));
    snapshot!("age_file_for_another_recipient", fleet, run.report());
}

/// Issue 15: the secret flag goes with the contents it describes. A host
/// fragment that replaces a placed secret leaves a config without it (not
/// 0600, nothing masked); one that places a file from `secrets/` with
/// `contents.local` makes that file secret.
#[test]
fn the_secret_flag_follows_the_contents() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nsecrets:\n  - file: password\n    from: web/password\n",
        )
        .with("secrets/web/password", "hunter2\n")
        .with("secrets/tls.key", "KEY\n")
        .with(
            "hosts/h1.yaml",
            "services: [web]\nbutane:\n  storage:\n    files:\n      - path: /etc/acme/secrets/web/password\n        contents: { inline: replaced }\n",
        )
        .with(
            "hosts/h2.yaml",
            "services: [web]\nbutane:\n  storage:\n    files:\n      - path: /etc/tls.key\n        contents: { local: secrets/tls.key }\n",
        );
    let build = fleet.compile();
    let output = |name: &str| {
        build
            .outputs
            .iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("{name} compiles"))
    };
    assert!(!output("h1").secrets.any(), "the secret was replaced");
    assert_eq!(
        output("h2").secrets.files().collect::<Vec<_>>(),
        ["/etc/acme/secrets/web/password", "/etc/tls.key"]
    );
}
