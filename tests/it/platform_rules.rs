//! The platform's small rules for fleet hosts (issue 17 §3): an image
//! pinned twice, `auto_update` enabling `podman-auto-update.timer`, and
//! `hostname:` writing `/etc/hostname`. (Port clashes are in `fleet`.)

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
