//! `kindling import` (issue 20) on the real Butane layouts of the corpus
//! (laid out as in their repositories) and on the example fleet's own
//! `hosts/mouse.bu`: each converts, the new fleet builds, and every host
//! that converts compares equal with its original as compiled by kindling's
//! Butane compiler (the command diffs them; `check` builds the fleet again
//! here). What does not convert is listed with the reason.

use std::fs;
use std::path::Path;

use crate::support::cli::{Identity, Run, kindling_with};
use crate::support::paths;

/// A layout: `.bu` files under `bu/` and their files directory `files/`.
struct Layout {
    dir: tempfile::TempDir,
}

impl Layout {
    fn new() -> Layout {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("bu")).expect("bu dir");
        fs::create_dir_all(dir.path().join("files")).expect("files dir");
        Layout { dir }
    }

    /// Corpus file `name` (without `.bu`) at `bu/<at>`.
    fn corpus(self, name: &str, at: &str) -> Layout {
        let text =
            fs::read(paths::butane_corpus().join(format!("{name}.bu"))).expect("corpus file");
        self.write(&format!("bu/{at}"), &text)
    }

    /// The corpus files directory of `name`, merged into `files/`.
    fn corpus_files(self, name: &str) -> Layout {
        copy_tree(
            &paths::butane_corpus().join("files").join(name),
            &self.dir.path().join("files"),
        );
        self
    }

    fn write(self, relative: &str, bytes: &[u8]) -> Layout {
        let path = self.dir.path().join(relative);
        fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
        fs::write(path, bytes).expect("write");
        self
    }

    fn import(&self, extra: &[&str]) -> Run {
        Run::of(
            kindling_with(Identity::None)
                .current_dir(self.dir.path())
                .args([
                    "import", "--butane", "bu", "-d", "files", "--fleet", "fleet",
                ])
                .args(extra),
        )
    }

    fn fleet(&self) -> std::path::PathBuf {
        self.dir.path().join("fleet")
    }

    /// `kindling check` of the new fleet passes.
    fn checks(&self) {
        let run = Run::of(
            kindling_with(Identity::None)
                .current_dir(self.fleet())
                .args(["check"]),
        );
        assert_eq!(run.code, Some(0), "{}", run.stderr);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            fs::create_dir_all(&target).expect("dir");
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The summary line's counts: identical, semantically equal, different,
/// not converted.
fn counts(run: &Run) -> [usize; 4] {
    let line = run.stdout.lines().next().unwrap_or_default();
    let tail = line.rsplit(": ").next().unwrap_or_default();
    let numbers: Vec<usize> = tail
        .split(", ")
        .filter_map(|part| part.split(' ').next()?.parse().ok())
        .collect();
    numbers.try_into().unwrap_or([usize::MAX; 4])
}

/// The example fleet's `hosts/mouse.bu` at `at` in a layout, with the two
/// Quadlet files it names in `files/containers/`.
fn mouse_layout(at: &str) -> Layout {
    let repo = paths::repo_root();
    Layout::new()
        .write(at, &fs::read(repo.join("hosts/mouse.bu")).expect("mouse"))
        .write(
            "files/containers/rustfs.container",
            &fs::read(repo.join("containers/rustfs.container")).expect("rustfs"),
        )
        .write(
            "files/containers/netdata.container",
            &fs::read(repo.join("containers/netdata.container")).expect("netdata"),
        )
}

#[test]
fn the_example_fleets_mouse_moves_its_quadlets_to_services() {
    let layout = mouse_layout("bu/hosts/mouse.bu");
    let run = layout.import(&["--auto-update-timer"]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(counts(&run), [0, 1, 0, 0], "{}", run.stdout);
    let host = fs::read_to_string(layout.fleet().join("hosts/mouse.yaml")).expect("host");
    assert!(
        host.contains("services:\n  - netdata\n  - rustfs\n"),
        "{host}"
    );
    assert!(!host.contains("/etc/containers/systemd/"), "{host}");
    assert_eq!(
        fs::read(layout.fleet().join("containers/rustfs.container")).expect("service"),
        fs::read(paths::repo_root().join("containers/rustfs.container")).expect("original")
    );
    layout.checks();
}

#[test]
fn without_the_flag_auto_updating_quadlets_stay_and_the_config_is_identical() {
    let layout = mouse_layout("bu/mouse.bu");
    let run = layout.import(&[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(counts(&run), [1, 0, 0, 0], "{}", run.stdout);
    assert!(
        run.stdout
            .contains("kept in butane: rustfs.container (it sets AutoUpdate=")
    );
    assert!(
        layout
            .fleet()
            .join("files/containers/rustfs.container")
            .is_file()
    );
    layout.checks();
}

#[test]
fn rwaltr_ucore_merges_its_generated_base_as_a_snippet() {
    let layout = Layout::new()
        .corpus("rwaltr__home-ops__infra__ucore__butane__base", "base.bu")
        .corpus(
            "rwaltr__home-ops__infra__ucore__butane__hosts__mouse",
            "hosts/mouse.bu",
        )
        .corpus(
            "rwaltr__home-ops__infra__ucore__butane__hosts__template",
            "hosts/template.bu",
        );
    let run = layout.import(&[]);
    // template.bu also merges storage.ign, whose storage.bu is not in the corpus.
    assert_eq!(run.code, Some(1));
    assert_eq!(counts(&run), [0, 1, 0, 1], "{}", run.stdout);
    assert!(
        run.stdout.contains("  include: snippets/base.bu\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("storage.ign"), "{}", run.stdout);
    assert!(
        layout
            .fleet()
            .join("unconverted/hosts/template.bu")
            .is_file()
    );
    layout.checks();
}

#[test]
fn rwaltr_flatcar_converts_the_host_whose_parts_are_there() {
    let layout = Layout::new()
        .corpus(
            "rwaltr__home-ops__infra__flatcar__butane__hosts__mouse",
            "hosts/mouse.bu",
        )
        .corpus("rwaltr__home-ops__infra__flatcar__butane__test", "test.bu");
    let run = layout.import(&[]);
    assert_eq!(counts(&run), [1, 0, 0, 1], "{}", run.stdout);
    let fleet = fs::read_to_string(layout.fleet().join("fleet.yaml")).expect("fleet");
    assert!(fleet.contains("variant: flatcar\n"), "{fleet}");
    layout.checks();
}

#[test]
fn deuill_home_server_layers_convert_with_their_trees() {
    let mut layout = Layout::new();
    for (name, at) in [
        (
            "deuill__coreos-home-server__host__base__spec",
            "host/base/spec.bu",
        ),
        (
            "deuill__coreos-home-server__host__base__logging",
            "host/base/logging.bu",
        ),
        (
            "deuill__coreos-home-server__service__gitea__spec",
            "service/gitea/spec.bu",
        ),
        (
            "deuill__coreos-home-server__service__letsencrypt__spec",
            "service/letsencrypt/spec.bu",
        ),
    ] {
        layout = layout.corpus(name, at);
        if paths::butane_corpus().join("files").join(name).is_dir() {
            layout = layout.corpus_files(name);
        }
    }
    // An executable script in a tree (Butane gives it 0755) stays one.
    let script = "files/service/gitea/container/run-gitea";
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = layout.dir.path().join(script);
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let run = layout.import(&["--auto-update-timer"]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(counts(&run), [3, 1, 0, 0], "{}", run.stdout);
    // The Quadlet tree became two services.
    assert!(
        run.stdout.contains("  services: gitea, gitea-actions\n"),
        "{}",
        run.stdout
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(layout.fleet().join(script))
            .expect("script")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
    }
    layout.checks();
}

#[test]
fn podman_quadlet_cookbook_converts_what_does_not_merge_build_outputs() {
    let layout = Layout::new()
        .corpus(
            "nmasse-itix__podman-quadlet-cookbook__local.bu.template",
            "local.bu.template.bu",
        )
        .corpus(
            "nmasse-itix__podman-quadlet-cookbook__nextcloud__fcos",
            "nextcloud/fcos.bu",
        )
        .corpus(
            "nmasse-itix__podman-quadlet-cookbook__virtiofs__fcos",
            "virtiofs/fcos.bu",
        );
    let run = layout.import(&[]);
    assert_eq!(counts(&run), [1, 0, 0, 2], "{}", run.stdout);
    layout.checks();
}

#[test]
fn single_host_ucore_and_fcos_home_labs_convert() {
    for name in [
        "ublue-os__ucore__examples__ucore-autorebase.butane",
        "zoro11031__homelab-coreos-minipc__ignition__config.bu.template",
        "hirnidrin__butane-configs__ucore-pulpo__pulpo-autorebase.butane.template",
        "quickvm__bupy__examples__autologin",
    ] {
        let layout = Layout::new().corpus(name, "host.bu");
        let run = layout.import(&[]);
        assert_eq!(run.code, Some(0), "{name}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(counts(&run), [1, 0, 0, 0], "{name}: {}", run.stdout);
        layout.checks();
    }
}

#[test]
fn a_layout_that_does_not_compile_is_kept_not_dropped() {
    let name = "travier__fedora-coreos-matrix__config";
    let layout = Layout::new().corpus(name, "config.bu").corpus_files(name);
    let run = layout.import(&[]);
    assert_eq!(run.code, Some(1));
    assert_eq!(counts(&run), [0, 0, 0, 1], "{}", run.stdout);
    assert!(
        run.stdout.contains("config.bu: NOT CONVERTED"),
        "{}",
        run.stdout
    );
    assert_eq!(
        fs::read(layout.fleet().join("unconverted/config.bu")).expect("kept"),
        fs::read(paths::butane_corpus().join(format!("{name}.bu"))).expect("original")
    );
}

const SHARED_A: &str = "variant: fcos
version: 1.5.0
passwd:
  users:
    - name: core
      ssh_authorized_keys: [ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleOnly ops]
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      contents: { inline: a }
    - path: /etc/containers/systemd/web.container
      mode: 0644
      contents: { local: web.container }
systemd:
  units:
    - name: smartd.service
      enabled: true
";

const WEB: &str =
    "[Container]\nImage=docker.io/library/nginx:1.27\n\n[Install]\nWantedBy=multi-user.target\n";

#[test]
fn entries_hosts_share_move_to_a_snippet_and_one_service_serves_both() {
    let layout = Layout::new()
        .write("bu/a.bu", SHARED_A.as_bytes())
        .write(
            "bu/b.bu",
            SHARED_A.replace("inline: a", "inline: b").as_bytes(),
        )
        .write("files/web.container", WEB.as_bytes());
    let run = layout.import(&[]);
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    insta::assert_snapshot!("import_shared", run.stdout);
    let fleet = layout.fleet();
    insta::assert_snapshot!(
        "import_shared_files",
        [
            "fleet.yaml",
            "hosts/a.yaml",
            "snippets/common.bu",
            "containers/web.container"
        ]
        .iter()
        .map(|path| format!(
            "--- {path}\n{}",
            fs::read_to_string(fleet.join(path)).expect("written")
        ))
        .collect::<String>()
    );
    layout.checks();
}

#[test]
fn nothing_is_overwritten() {
    let layout = Layout::new()
        .write("bu/a.bu", SHARED_A.as_bytes())
        .write("files/web.container", WEB.as_bytes())
        .write("fleet/hosts/a.yaml", b"mine\n");
    let run = layout.import(&[]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("already has hosts/a.yaml; nothing was written"),
        "{}",
        run.stderr
    );
    assert!(!layout.fleet().join("fleet.yaml").exists());
    assert_eq!(
        fs::read(layout.fleet().join("hosts/a.yaml")).expect("kept"),
        b"mine\n"
    );

    let layout = Layout::new()
        .write("bu/a.bu", SHARED_A.as_bytes())
        .write("files/web.container", WEB.as_bytes())
        .write("fleet/fleet.yaml", b"org: x\n");
    let run = layout.import(&[]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("already holds a fleet"),
        "{}",
        run.stderr
    );
}

/// A `.bu` in the layout that is a symlink out of it, or a FIFO, is refused
/// by name: never read, and never skipped as if it were not there.
#[test]
fn a_bu_linking_out_of_the_layout_or_a_fifo_is_refused_by_name() {
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = outside.path().join("secret.bu");
    fs::write(
        &secret,
        "variant: fcos\nversion: 1.5.0\n# TOP-SECRET-LINE\n",
    )
    .expect("write");
    let layout = Layout::new();
    std::os::unix::fs::symlink(&secret, layout.dir.path().join("bu/host.bu")).expect("symlink");
    let run = layout.import(&[]);
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("host.bu"), "{}", run.stderr);
    assert!(run.stderr.contains("outside"), "{}", run.stderr);
    assert!(!run.stderr.contains("holds no .bu file"), "{}", run.stderr);
    assert!(!run.stderr.contains("TOP-SECRET-LINE"), "{}", run.stderr);
    assert!(!layout.fleet().exists(), "a fleet was written");

    let layout = Layout::new();
    let fifo = layout.dir.path().join("bu/pipe.bu");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let run = layout.import(&[]);
    assert_ne!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.contains("pipe.bu"), "{}", run.stderr);
    assert!(run.stderr.contains("FIFO"), "{}", run.stderr);
    assert!(!layout.fleet().exists(), "a fleet was written");
}
