//! The platform's rules for fleet hosts (issue 17 §3): an image pinned
//! twice, `auto_update` enabling `podman-auto-update.timer`, `hostname:`
//! writing `/etc/hostname`, the composefs root (no new top-level
//! directories, nothing under `/usr`) and data hidden under a mount a unit
//! makes. (Port clashes are in `fleet`.)

use kindling::diag::Severity;

use crate::support::fleet::{BASE_FLEET, Fleet, findings, host, node_file, raw};

#[test]
fn an_image_with_a_tag_and_a_version_is_an_error() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "image: ghcr.io/acme/web:1.4.0\nversion: 1.4.0\n",
    );
    let build = fleet.compile();
    assert!(build.outputs.is_empty(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn a_version_given_by_the_host_on_a_tagged_image_is_located_in_the_host() {
    let fleet = Fleet::base()
        .with("containers/web.yaml", "image: ghcr.io/acme/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n")
        .with("hosts/h1.yaml", "services:\n  - web: { version: 1.4.1 }\n");
    let build = fleet.compile();
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn an_image_with_a_digest_and_a_digest_is_an_error() {
    let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        &format!("image: ghcr.io/acme/web@{digest}\ndigest: {digest}\n"),
    );
    let build = fleet.compile();
    assert_eq!(
        findings(&build, Severity::Error).len(),
        1,
        "{}",
        raw(&build)
    );
}

#[test]
fn an_image_pinned_once_passes() {
    for web in [
        "image: ghcr.io/acme/web:1.4.0\n",
        "image: ghcr.io/acme/web\nversion: 1.4.0\n",
        "image: localhost:5000/acme/web\nversion: 1.4.0\n",
        "image: ghcr.io/acme/web:1.4.0\ndigest: sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
    ] {
        let build = Fleet::base().with("containers/web.yaml", web).compile();
        assert!(!build.failed(), "{web}: {}", raw(&build));
        let image = crate::support::fleet::file_text(
            host(&build, "h1"),
            "/etc/containers/systemd/web.container",
        );
        assert!(!image.contains(":1.4.0:1.4.0"), "{image}");
    }
}

fn timer(build: &kindling::fleet::Build) -> Option<Option<bool>> {
    host(build, "h1")
        .config
        .systemd
        .units
        .iter()
        .find(|u| u.name == "podman-auto-update.timer")
        .map(|u| u.enabled)
}

#[test]
fn auto_update_enables_the_podman_auto_update_timer() {
    let updating = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nauto_update: registry\n",
    );
    assert_eq!(timer(&updating.compile_clean()), Some(Some(true)));
    let fixed = Fleet::base();
    assert_eq!(timer(&fixed.compile_clean()), None);
    let literal = Fleet::base()
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/acme/side:1.0\nAutoUpdate=registry\n",
        )
        .with("hosts/h1.yaml", "services: [side]\n");
    assert_eq!(timer(&literal.compile()), Some(Some(true)));
    // A snippet may still turn it off.
    let off = updating
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}include: [snippets/no-updates.bu]\n"),
        )
        .with(
            "snippets/no-updates.bu",
            "variant: fcos\nversion: 1.5.0\nsystemd:\n  units:\n    - name: podman-auto-update.timer\n      enabled: false\n",
        );
    assert_eq!(timer(&off.compile_clean()), Some(Some(false)));
}

#[test]
fn hostname_writes_etc_hostname() {
    let named = Fleet::base().with("hosts/h1.yaml", "hostname: node-one\nservices: [web]\n");
    let build = named.compile_clean();
    assert_eq!(
        node_file(host(&build, "h1"), "/etc/hostname").as_deref(),
        Some("node-one")
    );
    let unnamed = Fleet::base().compile_clean();
    assert_eq!(node_file(host(&unnamed, "h1"), "/etc/hostname"), None);
    // A fragment still writing it by hand replaces it, with a warning.
    let twice = Fleet::base().with(
        "hosts/h1.yaml",
        "hostname: node-one\nservices: [web]\nbutane:\n  storage:\n    files:\n      - path: /etc/hostname\n        contents:\n          inline: other\n",
    );
    let build = twice.compile();
    insta::assert_snapshot!(raw(&build));
    assert_eq!(
        node_file(host(&build, "h1"), "/etc/hostname").as_deref(),
        Some("other")
    );
}

/// A host with `directories:` at `path` and an optional `butane:` fragment.
fn host_with_directory(path: &str, butane: &str) -> Fleet {
    Fleet::base().with(
        "hosts/h1.yaml",
        &format!("services: [web]\ndirectories:\n  - {{ path: {path}, mode: 0750 }}\n{butane}"),
    )
}

#[test]
fn a_new_top_level_directory_fails_on_the_composefs_root() {
    let build = host_with_directory("/data/web", "").compile();
    assert!(build.outputs.is_empty(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
    // Also a data directory, a file placed by a fragment and a mount point.
    let placed = Fleet::base()
        .with("fleet.yaml", &format!("{BASE_FLEET}paths:\n  data_dir: /srv2/{{{{ service }}}}\n"))
        .with("containers/web.yaml", "version: 1.0.0\nvolumes: ['{{ data_dir }}:/data']\n")
        .with(
            "hosts/h1.yaml",
            "services: [web]\nbutane:\n  storage:\n    files:\n      - path: /opt2/tool\n        contents: { inline: x }\n    filesystems:\n      - device: /dev/disk/by-id/virtio-bulk\n        path: /bulk0\n        format: xfs\n        with_mount_unit: true\n",
        )
        .compile();
    insta::assert_snapshot!(raw(&placed));
    // Under /var it works, also on a filesystem Ignition mounts there.
    let var = host_with_directory(
        "/var/mnt/bulk0/web",
        "butane:\n  storage:\n    filesystems:\n      - device: /dev/disk/by-id/virtio-bulk\n        path: /var/mnt/bulk0\n        format: xfs\n        with_mount_unit: true\n",
    );
    var.compile_clean();
}

#[test]
fn the_composefs_kernel_argument_turns_the_error_into_a_warning() {
    let build = host_with_directory(
        "/data/web",
        "butane:\n  kernel_arguments:\n    should_exist: [ostree.prepare-root.composefs=0]\n",
    )
    .compile();
    assert!(!build.failed(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn nothing_is_written_under_usr() {
    let build = Fleet::base()
        .with(
            "hosts/h1.yaml",
            "services: [web]\nbutane:\n  storage:\n    files:\n      - path: /usr/lib/systemd/system/x.service\n        contents: { inline: x }\n      - path: /usr/local/bin/tool\n        contents: { inline: x }\n    links:\n      - path: /bin/tool\n        target: /usr/local/bin/tool\n",
        )
        .compile();
    assert!(build.outputs.is_empty(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
}

#[test]
fn butane_hosts_follow_their_variant() {
    let bu = |variant: &str, version: &str| {
        format!(
            "variant: {variant}\nversion: {version}\nstorage:\n  directories:\n    - path: /data\n  files:\n    - path: /usr/share/x\n      contents: {{ inline: x }}\n"
        )
    };
    let fcos = Fleet::base()
        .with("hosts/b1.bu", &bu("fcos", "1.5.0"))
        .compile();
    insta::assert_snapshot!(raw(&fcos));
    // Flatcar's root is writable; its /usr is not.
    let flatcar = Fleet::base()
        .with("hosts/b1.bu", &bu("flatcar", "1.1.0"))
        .compile();
    let errors: Vec<_> = findings(&flatcar, Severity::Error)
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(errors, ["os-read-only-usr"], "{}", raw(&flatcar));
}

#[test]
fn data_under_a_mount_a_unit_makes_warns() {
    let mount = "  systemd:\n    units:\n      - name: var-tank.mount\n        enabled: true\n        contents: |\n          [Mount]\n          What=/dev/disk/by-label/tank\n          Where=/var/tank\n          [Install]\n          WantedBy=local-fs.target\n";
    let build = host_with_directory("/var/tank/web", &format!("butane:\n{mount}")).compile();
    assert!(!build.failed(), "{}", raw(&build));
    insta::assert_snapshot!(raw(&build));
    // Mounted by Ignition (a filesystem with that path) it lands on the
    // filesystem: no warning.
    let ignition = host_with_directory(
        "/var/tank/web",
        &format!(
            "butane:\n  storage:\n    filesystems:\n      - device: /dev/disk/by-label/tank\n        path: /var/tank\n        format: xfs\n{mount}"
        ),
    );
    ignition.compile_clean();
}
