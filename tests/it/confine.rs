//! The fleet as a trust boundary (issue 16, items 6-9, 13 and 17): every
//! input is read through one rule (`kindling::confine`). Each test builds
//! the hostile input (symlinks out of the fleet, FIFOs, `/dev/zero`, sparse
//! oversized files, earlier outputs, the identity), checks that nothing
//! from outside reaches an output or a message, and snapshots the refusal.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use age::secrecy::ExposeSecret;

use crate::support::cli::{Identity, Run, kindling_with};
use crate::support::fleet::{BASE_FLEET, BASE_HOST, Fleet, snapshot};

/// What the files outside the fleet hold; never seen in any output.
const MARKER: &str = "CONFINE-OUTSIDE-SECRET";

/// A directory outside the fleet with what a hostile fleet points at.
fn outside() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).expect("write");
    write("shadow", &format!("root:{MARKER}:19000:0:99999:7:::\n"));
    write(
        "x.bu",
        &format!(
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/x\n      contents: {{ inline: {MARKER} }}\n"
        ),
    );
    write("evil.conf", &format!("[Service]\nEnvironment={MARKER}\n"));
    write("web.yaml", &format!("version: 1.0.0\n# {MARKER}\n"));
    write(
        "web.container",
        &format!("[Container]\nImage=registry.example.com/acme/web:1.0\n# {MARKER}\n"),
    );
    dir
}

fn symlink(target: impl AsRef<Path>, link: &Path) {
    fs::create_dir_all(link.parent().expect("parent")).expect("mkdir");
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

fn mkfifo(path: &Path) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Runs `command`, failing the test if it does not finish in 30 s (a read
/// of a FIFO would block forever).
fn run_bounded(command: &mut Command) -> Run {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kindling runs");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("kindling hung (blocked on a FIFO or an endless device?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Run::from(child.wait_with_output().expect("output"))
}

/// `kindling <command> --fleet ROOT ARGS...`, bounded in time.
fn run_fleet(fleet: &Fleet, command: &str, args: &[&str]) -> Run {
    run_bounded(
        kindling_with(Identity::None)
            .arg(command)
            .arg("--fleet")
            .arg(fleet.root())
            .args(args),
    )
}

/// Nothing from outside in what was printed or written.
fn assert_no_leak(fleet: &Fleet, run: &Run) {
    assert!(!run.stdout.contains(MARKER), "stdout leaks: {}", run.stdout);
    assert!(!run.stderr.contains(MARKER), "stderr leaks: {}", run.stderr);
    let build = fleet.root().join("build");
    if let Ok(entries) = fs::read_dir(&build) {
        for entry in entries.flatten() {
            let bytes = fs::read(entry.path()).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(MARKER),
                "{} embeds an outside file",
                entry.path().display()
            );
        }
    }
}

/// Snapshots a refused run with the outside directory's path scrubbed.
macro_rules! refused {
    ($name:expr, $fleet:expr, $run:expr, $outside:expr) => {{
        let run = $run;
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert_no_leak(&$fleet, &run);
        let outside: &Path = $outside.path();
        let name = Path::new(outside.file_name().expect("name"));
        snapshot!(
            $name,
            $fleet,
            run.report(),
            &[(outside, "[OUTSIDE]"), (name, "[OUTSIDE-NAME]")]
        );
    }};
}

// ---------------------------------------------------------------------------
// Item 6: `secrets/` (or a file in it) symlinked out of the fleet.

#[test]
fn secrets_dir_symlinked_outside_is_refused() {
    let outside = outside();
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\ntrust:\n  - file: shadow\n    from: shadow\n",
    );
    symlink(outside.path(), &fleet.root().join("secrets"));
    refused!(
        "secrets_dir_symlinked_outside",
        fleet,
        run_fleet(&fleet, "build", &[]),
        outside
    );
}

#[test]
fn secret_file_symlinked_outside_is_refused() {
    let outside = outside();
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nsecrets:\n  - file: shadow\n    from: shadow\n",
    );
    symlink(
        outside.path().join("shadow"),
        &fleet.root().join("secrets/shadow"),
    );
    refused!(
        "secret_file_symlinked_outside",
        fleet,
        run_fleet(&fleet, "build", &[]),
        outside
    );
}

// ---------------------------------------------------------------------------
// Item 7: `include:` of an absolute path or one that climbs out.

#[test]
fn includes_outside_the_fleet_are_refused_without_echoing_them() {
    let outside = outside();
    let name = outside
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name");
    let absolute = outside.path().join("shadow");
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}include: [\"{}\"]\n", absolute.display()),
        )
        .with(
            "hosts/h1.yaml",
            &format!("{BASE_HOST}include: [../{name}/x.bu]\n"),
        );
    refused!(
        "includes_outside_the_fleet",
        fleet,
        run_fleet(&fleet, "build", &[]),
        outside
    );
    assert!(!fleet.root().join("build/manifest.json").exists());
}

// ---------------------------------------------------------------------------
// Item 8: `containers/`, drop-in directories and Quadlet files symlinked out.

/// A fleet whose service `web` is a literal Quadlet file.
fn quadlet_fleet() -> Fleet {
    Fleet::empty()
        .with("fleet.yaml", BASE_FLEET)
        .with("hosts/h1.yaml", BASE_HOST)
}

#[test]
fn dropin_dir_symlinked_outside_is_refused() {
    let outside = outside();
    let fleet = quadlet_fleet().with(
        "containers/web.container",
        "[Container]\nImage=registry.example.com/acme/web:1.0\n",
    );
    symlink(
        outside.path(),
        &fleet.root().join("containers/web.container.d"),
    );
    refused!(
        "dropin_dir_symlinked_outside",
        fleet,
        run_fleet(&fleet, "build", &[]),
        outside
    );
}

#[test]
fn containers_dir_symlinked_outside_is_refused() {
    let outside = outside();
    // Only the Quadlet file: with web.yaml beside it the old code failed
    // on the service defined twice instead of building the outside file.
    fs::remove_file(outside.path().join("web.yaml")).expect("remove");
    let fleet = quadlet_fleet();
    symlink(outside.path(), &fleet.root().join("containers"));
    refused!(
        "containers_dir_symlinked_outside",
        fleet,
        run_fleet(&fleet, "build", &[]),
        outside
    );
}

#[test]
fn quadlet_file_symlinked_outside_is_reported_as_a_symlink() {
    let outside = outside();
    let fleet = quadlet_fleet();
    symlink(
        outside.path().join("web.container"),
        &fleet.root().join("containers/web.container"),
    );
    let run = run_fleet(&fleet, "build", &[]);
    assert!(!run.stderr.contains("unknown service"), "{}", run.stderr);
    refused!("quadlet_file_symlinked_outside", fleet, run, outside);
}

/// The documented exception: a relative symlink that stays inside the
/// fleet is followed (a shared definition linked under two names).
#[test]
fn symlink_that_stays_inside_the_fleet_is_followed() {
    let fleet = Fleet::base()
        .with("shared/web.yaml", "version: 1.0.0\n")
        .with("hosts/h1.yaml", "services: [web, api]\n");
    symlink(
        "../shared/web.yaml",
        &fleet.root().join("containers/api.yaml"),
    );
    let build = fleet.compile_clean();
    assert_eq!(build.outputs.len(), 1);
}

/// An absolute symlink is refused even when it names a place inside the
/// fleet: it names the build machine's filesystem, not the fleet's.
#[test]
fn absolute_symlink_is_refused_even_into_the_fleet() {
    let fleet = Fleet::base()
        .with("shared/web.yaml", "version: 1.0.0\n")
        .with("hosts/h1.yaml", "services: [web, api]\n");
    symlink(
        fleet.root().join("shared/web.yaml"),
        &fleet.root().join("containers/api.yaml"),
    );
    let run = run_fleet(&fleet, "check", &[]);
    assert_eq!(run.code, Some(1));
    // Said as what it is (it used to be "unknown service api").
    assert!(
        run.stderr
            .contains("containers/api.yaml is a symlink that points outside"),
        "{}",
        run.stderr
    );
    snapshot!("absolute_symlink_into_the_fleet", fleet, run.report());
}

// ---------------------------------------------------------------------------
// Item 9: the output directory and the identity are never inputs.

const STEAL: &str = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/stolen\n      contents:\n        local: ";

#[test]
fn build_output_is_never_an_input() {
    let fleet = Fleet::base()
        .with("hosts/evil.bu", &format!("{STEAL}build/h1.ign\n"))
        .with(
            "build/h1.ign",
            &format!("{{\"ignition\":{{\"version\":\"3.4.0\"}}}} {MARKER}\n"),
        );
    // Through a link inside the fleet, too: outputs are known by inode.
    symlink("build", &fleet.root().join("alias"));
    let fleet = fleet.with(
        "hosts/evil2.yaml",
        "butane:\n  storage:\n    trees:\n      - local: alias\n        path: /srv\n",
    );
    let run = run_fleet(&fleet, "build", &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(!run.stderr.contains(MARKER) && !run.stdout.contains(MARKER));
    snapshot!("build_output_is_never_an_input", fleet, run.report());
}

#[test]
fn custom_output_dir_is_never_an_input() {
    let fleet = Fleet::base()
        .with("hosts/evil.bu", &format!("{STEAL}out/h1.ign\n"))
        .with("out/h1.ign", &format!("{MARKER}\n"));
    let run = run_fleet(&fleet, "build", &["--out", "out"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(!run.stderr.contains(MARKER) && !run.stdout.contains(MARKER));
    snapshot!("custom_output_dir_is_never_an_input", fleet, run.report());
}

#[test]
fn identity_file_is_never_an_input() {
    let key = age::x25519::Identity::generate();
    let fleet = Fleet::base()
        .with(
            "keys/identity.txt",
            &format!("{}\n", key.to_string().expose_secret()),
        )
        .with("hosts/evil.bu", &format!("{STEAL}keys/identity.txt\n"));
    let identity = fleet.root().join("keys/identity.txt");
    // Kept private, as it should be: the refusal is the only finding.
    fs::set_permissions(
        &identity,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod");
    let run = run_fleet(
        &fleet,
        "build",
        &["--identity", identity.to_str().expect("utf-8")],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(!run.stderr.contains("AGE-SECRET-KEY"), "{}", run.stderr);
    snapshot!("identity_file_is_never_an_input", fleet, run.report());
}

// ---------------------------------------------------------------------------
// Item 13: FIFOs and devices are refused without blocking; sizes are capped.

#[test]
fn fifos_in_the_fleet_are_refused_without_blocking() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nsecrets:\n  - file: key.pem\n    from: key.pem\n",
    );
    mkfifo(&fleet.root().join("secrets/key.pem"));
    mkfifo(&fleet.root().join("hosts/h2.yaml"));
    let run = run_fleet(&fleet, "build", &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    snapshot!("fifos_in_the_fleet", fleet, run.report());
    // The secret FIFO alone (the host FIFO stops the load first).
    fs::remove_file(fleet.root().join("hosts/h2.yaml")).expect("rm");
    let run = run_fleet(&fleet, "build", &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    snapshot!("fifo_as_a_secret", fleet, run.report());
}

#[test]
fn fifo_identity_is_refused_without_blocking() {
    let fleet = Fleet::base();
    let pipe = fleet.root().join("identity.pipe");
    mkfifo(&pipe);
    let run = run_fleet(
        &fleet,
        "check",
        &["--identity", pipe.to_str().expect("utf-8")],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    snapshot!("fifo_identity", fleet, run.report());
    let run = run_fleet(&fleet, "check", &["--identity", "/dev/zero"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    snapshot!("dev_zero_identity", fleet, run.report());
}

/// A Butane config with `contents.local` of `name` in files directory `dir`.
fn butane_local(dir: &Path, name: &str) -> Run {
    let config = dir.join("config.bu");
    fs::write(
        &config,
        format!("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/x\n      contents:\n        local: {name}\n"),
    )
    .expect("write");
    run_bounded(kindling_with(Identity::None).current_dir(dir).args([
        "butane",
        "-d",
        "files",
        "config.bu",
    ]))
}

#[test]
fn butane_local_fifo_and_oversized_file_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    mkfifo(&dir.path().join("files/pipe"));
    let run = butane_local(dir.path(), "pipe");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    insta::assert_snapshot!("butane_local_fifo", run.report());
    // Sparse: refused from its size, before a byte is read.
    let big = fs::File::create(dir.path().join("files/big")).expect("create");
    big.set_len(kindling::confine::DATA_LIMIT + 1)
        .expect("set_len");
    let run = butane_local(dir.path(), "big");
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    insta::assert_snapshot!("butane_local_too_large", run.report());
}

#[test]
fn butane_input_fifo_device_and_oversized_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pipe = dir.path().join("config.bu");
    mkfifo(&pipe);
    let big = dir.path().join("big.bu");
    fs::File::create(&big)
        .expect("create")
        .set_len(kindling::confine::SOURCE_LIMIT + 1)
        .expect("set_len");
    let mut reports = Vec::new();
    for input in ["config.bu", "/dev/zero", "big.bu"] {
        let run = run_bounded(
            kindling_with(Identity::None)
                .current_dir(dir.path())
                .args(["butane", input]),
        );
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        reports.push(format!("$ kindling butane {input}\n{}", run.report()));
    }
    // Standard input is capped too.
    let run = run_bounded(
        kindling_with(Identity::None)
            .args(["butane"])
            .stdin(fs::File::open("/dev/zero").expect("/dev/zero")),
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    reports.push(format!("$ kindling butane < /dev/zero\n{}", run.report()));
    insta::assert_snapshot!("butane_input_not_regular", reports.join("\n"));
}

// ---------------------------------------------------------------------------
// Item 17: NUL bytes in paths, negative ids, path-like unit names.

#[test]
fn nul_paths_negative_ids_and_path_like_unit_names_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("hostile.bu");
    fs::write(
        &config,
        "variant: fcos\nversion: 1.5.0\npasswd:\n  users:\n    - name: u\n      uid: -3\n  groups:\n    - name: g\n      gid: -1\nstorage:\n  files:\n    - path: \"/etc/a\\0b\"\n      contents: { inline: x }\n    - path: /etc/c\n      user: { id: -1 }\n      group: { id: -5 }\nsystemd:\n  units:\n    - name: ../evil.service\n      contents: \"[Unit]\\n\"\n    - name: x..service\n      dropins:\n        - name: a/b.conf\n          contents: \"[Unit]\\n\"\n",
    )
    .expect("write");
    let run = run_bounded(
        kindling_with(Identity::None)
            .current_dir(dir.path())
            .args(["butane", "hostile.bu"]),
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    insta::assert_snapshot!("hostile_values", run.report());
    // A NUL byte in a fleet input path is refused with its location too.
    let fleet = Fleet::base().with(
        "hosts/h1.yaml",
        &format!("{BASE_HOST}include: [\"snippets/a\\0b.bu\"]\n"),
    );
    let run = run_fleet(&fleet, "check", &[]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    snapshot!("nul_in_include_path", fleet, run.report());
}
