//! The fleet compiler on small fleets built in temporary directories: every
//! default, every override level, every lint and Quadlet check, secrets,
//! template errors, bad host/service names, `--strict`, `check --format
//! json`, `hosts`, and that a failing build leaves an existing `build/`
//! untouched.
//!
//! Facts about outputs are checked through the library
//! (`kindling::fleet::compile`); what users see (the reports of `build`,
//! `check`, `hosts`) through the real binary, snapshot-tested with the
//! temporary paths scrubbed.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::Write as _;
use std::path::PathBuf;

use age::secrecy::ExposeSecret;
use kindling::diag::Severity;
use kindling::fleet::{self, secrets::Identities};

use crate::support::build_dir::{contents, visible_names};
use crate::support::cli::{Identity, Run};
use crate::support::fleet::{
    BASE_FLEET, BASE_HOST, Fleet, directory, file_mode, file_text, findings, host, node_file, raw,
    snapshot, the_one_error, the_one_error_at, user, values,
};

const WEB_UNIT: &str = "/etc/containers/systemd/web.container";

// ---------------------------------------------------------------------------
// Defaults.

#[test]
fn default_image_is_registry_slash_service_with_tag_and_digest() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let fleet = Fleet::base()
        .with("fleet.yaml", "registry: registry.example.com/acme/\n")
        .with(
            "containers/api.yaml",
            &format!("version: 2.0.0\ndigest: {digest}\n"),
        )
        .with(
            "containers/own.yaml",
            "image: quay.io/other/thing\nversion: 3.1.4\n",
        )
        .with("hosts/h1.yaml", "services: [web, api, own]\n");
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    assert_eq!(
        values(&file_text(h1, WEB_UNIT), "Image"),
        ["registry.example.com/acme/web:1.0.0"],
        "registry's trailing slash is dropped"
    );
    assert_eq!(
        values(
            &file_text(h1, "/etc/containers/systemd/api.container"),
            "Image"
        ),
        [format!("registry.example.com/acme/api:2.0.0@{digest}").as_str()]
    );
    assert_eq!(
        values(
            &file_text(h1, "/etc/containers/systemd/own.container"),
            "Image"
        ),
        ["quay.io/other/thing:3.1.4"],
        "an explicit image wins over the registry"
    );
}

#[test]
fn a_service_without_image_or_registry_is_an_error() {
    let fleet = Fleet::base().with("fleet.yaml", "org: acme\n");
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("no_image_no_registry", fleet, run.report());
}

#[test]
fn default_user_is_the_service_name_with_a_hashed_id() {
    let fleet = Fleet::base();
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    let id = kindling::fleet::resolve::default_service_id(20_000, "web");
    assert!((20_000..60_000).contains(&id), "{id}");
    let web = user(h1, "web");
    assert_eq!(web.uid, Some(i64::from(id)));
    assert_eq!(web.primary_group.as_deref(), Some("web"));
    assert_eq!(web.system, Some(true));
    assert_eq!(web.shell.as_deref(), Some("/sbin/nologin"));
    let group = h1
        .config
        .passwd
        .groups
        .iter()
        .find(|g| g.name == "web")
        .expect("group web");
    assert_eq!(group.gid, Some(i64::from(id)));
    let unit = file_text(h1, WEB_UNIT);
    assert_eq!(values(&unit, "User"), [id.to_string().as_str()]);
    assert_eq!(values(&unit, "Group"), [id.to_string().as_str()]);
    // The hash is stable: the same name gets the same id in another fleet.
    let again = Fleet::base().compile_clean();
    assert_eq!(user(host(&again, "h1"), "web").uid, Some(i64::from(id)));
}

#[test]
fn service_ids_moves_the_default_id_range() {
    let fleet = Fleet::base().with("fleet.yaml", &format!("{BASE_FLEET}service_ids: 70000\n"));
    let build = fleet.compile_clean();
    let id = kindling::fleet::resolve::default_service_id(70_000, "web");
    assert_eq!(
        user(host(&build, "h1"), "web").uid,
        Some(i64::from(id)),
        "{id}"
    );
}

#[test]
fn explicit_user_uid_and_gid_are_used() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nuser: www\nuid: 3100\ngroup: webgroup\ngid: 3200\n",
    );
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    let www = user(h1, "www");
    assert_eq!(www.uid, Some(3100));
    assert_eq!(www.primary_group.as_deref(), Some("webgroup"));
    assert!(h1.config.passwd.users.iter().all(|u| u.name != "web"));
    let group = h1
        .config
        .passwd
        .groups
        .iter()
        .find(|g| g.name == "webgroup")
        .expect("group");
    assert_eq!(group.gid, Some(3200));
    let unit = file_text(h1, WEB_UNIT);
    assert_eq!(values(&unit, "User"), ["3100"]);
    assert_eq!(values(&unit, "Group"), ["3200"]);
}

#[test]
fn explicit_uid_without_gid_uses_the_uid() {
    let fleet = Fleet::base().with("containers/web.yaml", "version: 1.0.0\nuid: 4100\n");
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    assert_eq!(user(h1, "web").uid, Some(4100));
    assert_eq!(values(&file_text(h1, WEB_UNIT), "Group"), ["4100"]);
}

#[test]
fn system_false_creates_no_user_on_the_node() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nuser: nobody\nuid: 65534\nsystem: false\n",
    );
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    assert!(h1.config.passwd.users.is_empty(), "{:?}", h1.config.passwd);
    assert!(h1.config.passwd.groups.is_empty());
    assert_eq!(values(&file_text(h1, WEB_UNIT), "User"), ["65534"]);
}

#[test]
fn two_service_users_hashing_to_one_id_are_an_error() {
    // Find two names whose default ids collide.
    let mut seen: BTreeMap<u32, String> = BTreeMap::new();
    let (first, second) = (0..100_000)
        .map(|i| format!("svc{i}"))
        .find_map(|name| {
            let id = kindling::fleet::resolve::default_service_id(20_000, &name);
            seen.insert(id, name.clone()).map(|other| (other, name))
        })
        .expect("a collision exists");
    let fleet = Fleet::base()
        .with(&format!("containers/{first}.yaml"), "version: 1.0.0\n")
        .with(&format!("containers/{second}.yaml"), "version: 1.0.0\n")
        .with("hosts/h1.yaml", &format!("services: [{first}, {second}]\n"));
    let build = fleet.compile();
    let errors = findings(&build, Severity::Error);
    assert_eq!(errors.len(), 1, "{}", raw(&build));
    assert!(
        errors[0].message.contains(&first) && errors[0].message.contains(&second),
        "{}",
        errors[0].message
    );
    assert!(
        errors[0].help.as_deref().unwrap_or("").contains("uid"),
        "{:?}",
        errors[0].help
    );
    // An explicit uid settles it.
    fleet.write(
        &format!("containers/{second}.yaml"),
        b"version: 1.0.0\nuid: 5555\n",
    );
    fleet.compile_clean();
}

#[test]
fn default_env_file_path_and_mode() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nenv:\n  LOG_LEVEL: info\n  B: two\n",
    );
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    let path = "/etc/acme/env/web.env";
    let env = file_text(h1, path);
    assert!(env.contains("\nB=two\nLOG_LEVEL=info\n"), "{env}");
    assert_eq!(file_mode(h1, path), Some(0o600));
    assert_eq!(values(&file_text(h1, WEB_UNIT), "EnvironmentFile"), [path]);
}

#[test]
fn no_env_means_no_env_file() {
    let build = Fleet::base().compile_clean();
    let h1 = host(&build, "h1");
    assert!(values(&file_text(h1, WEB_UNIT), "EnvironmentFile").is_empty());
    assert!(
        h1.config
            .storage
            .files
            .iter()
            .all(|f| !f.path.ends_with(".env")),
        "{:?}",
        h1.config.storage.files
    );
}

#[test]
fn org_defaults_to_kindling_in_default_paths() {
    let fleet = Fleet::base()
        .with("fleet.yaml", "registry: registry.example.com/acme\n")
        .with("containers/web.yaml", "version: 1.0.0\nenv: { A: b }\n");
    let build = fleet.compile_clean();
    assert!(node_file(host(&build, "h1"), "/etc/kindling/env/web.env").is_some());
}

#[test]
fn default_secrets_dir_and_trust_dir() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nuid: 3100\nsecrets:\n  - file: cert.pem\n    from: \"web/{{ host }}/cert.pem\"\ntrust:\n  - file: root.pub\n    from: root.pub\nvolumes:\n  - \"{{ secrets_dir }}:/secrets:ro\"\n",
        )
        .with("secrets/web/h1/cert.pem", "CERT\n")
        .with("secrets/root.pub", "ROOT\n");
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    let dir = directory(h1, "/etc/acme/secrets/web").expect("secrets dir");
    assert_eq!(dir.mode, Some(0o500));
    assert_eq!(dir.user.id, Some(3100));
    assert_eq!(dir.group.id, Some(3100));
    assert_eq!(file_text(h1, "/etc/acme/secrets/web/cert.pem"), "CERT\n");
    assert_eq!(file_mode(h1, "/etc/acme/secrets/web/cert.pem"), Some(0o400));
    let cert = h1
        .config
        .storage
        .files
        .iter()
        .find(|f| f.path == "/etc/acme/secrets/web/cert.pem")
        .expect("cert");
    assert_eq!(cert.user.id, Some(3100));
    assert_eq!(file_text(h1, "/etc/acme/trust/root.pub"), "ROOT\n");
    assert_eq!(file_mode(h1, "/etc/acme/trust/root.pub"), Some(0o444));
    assert_eq!(
        values(&file_text(h1, WEB_UNIT), "Volume"),
        ["/etc/acme/secrets/web:/secrets:ro"]
    );
    assert!(h1.secrets.any(), "a config with a placed secret is secret");
    assert!(h1.secrets.is_file("/etc/acme/secrets/web/cert.pem"));
}

#[test]
fn data_dir_is_created_only_when_a_volume_mounts_it() {
    let mounted = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nuid: 3100\nvolumes: [\"{{ data_dir }}/db:/var/lib/db:Z\"]\n",
    );
    let build = mounted.compile_clean();
    let h1 = host(&build, "h1");
    let dir = directory(h1, "/var/lib/acme/web").expect("data dir");
    assert_eq!(dir.mode, Some(0o750));
    assert_eq!(dir.user.id, Some(3100));
    assert_eq!(
        values(&file_text(h1, WEB_UNIT), "Volume"),
        ["/var/lib/acme/web/db:/var/lib/db:Z"]
    );

    let unmounted = Fleet::base().compile_clean();
    let h1 = host(&unmounted, "h1");
    assert!(
        h1.config.storage.directories.is_empty(),
        "{:?}",
        h1.config.storage.directories
    );
    // Service users get no home: several services may share one user.
    assert_eq!(user(h1, "web").home_dir, None);
    assert_eq!(user(h1, "web").no_create_home, Some(true));
}

#[test]
fn default_quadlet_dir_for_rendered_and_literal_units() {
    let fleet = Fleet::base()
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    assert!(node_file(h1, WEB_UNIT).is_some());
    assert_eq!(
        file_text(h1, "/etc/containers/systemd/side.container"),
        "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\n",
        "a literal Quadlet file is embedded as is"
    );
    assert_eq!(
        file_mode(h1, "/etc/containers/systemd/side.container"),
        Some(0o644)
    );
}

#[test]
fn default_wanted_by_and_restart() {
    let build = Fleet::base().compile_clean();
    let unit = file_text(host(&build, "h1"), WEB_UNIT);
    assert_eq!(values(&unit, "WantedBy"), ["multi-user.target"]);
    assert_eq!(values(&unit, "Restart"), ["on-failure"]);
    assert_eq!(values(&unit, "ContainerName"), ["web"]);
    assert_eq!(values(&unit, "Description"), ["web container"]);

    let custom = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nrestart: always\ninstall: { wanted_by: [default.target, network-online.target] }\n",
    );
    let build = custom.compile_clean();
    let unit = file_text(host(&build, "h1"), WEB_UNIT);
    assert_eq!(
        values(&unit, "WantedBy"),
        ["default.target", "network-online.target"]
    );
    assert_eq!(values(&unit, "Restart"), ["always"]);
}

#[test]
fn default_ignition_version_is_3_4_0() {
    let build = Fleet::base().compile_clean();
    assert_eq!(host(&build, "h1").config.ignition.version, "3.4.0");
}

#[test]
fn default_variant_is_fcos() {
    // fcos emits 3.2.0; flatcar cannot, so the default must be fcos.
    let fleet = Fleet::base().with(
        "fleet.yaml",
        &format!("{BASE_FLEET}ignition_version: 3.2.0\n"),
    );
    let build = fleet.compile_clean();
    assert_eq!(host(&build, "h1").config.ignition.version, "3.2.0");

    fleet.write(
        "fleet.yaml",
        format!("{BASE_FLEET}ignition_version: 3.2.0\nvariant: flatcar\n").as_bytes(),
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("flatcar_cannot_emit_3_2_0", fleet, run.report());
}

// ---------------------------------------------------------------------------
// Override levels.

#[test]
fn host_entry_deep_merges_onto_the_service_and_lists_replace() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nports: [\"127.0.0.1:8080:80\", \"127.0.0.1:8443:443\"]\nenv: { A: one, B: two }\nhealth: { cmd: \"true\", interval: 30s }\n",
        )
        .with(
            "hosts/h1.yaml",
            "services:\n  - web: { version: 1.1.0, ports: [\"127.0.0.1:9090:80\"], env: { B: three }, health: { interval: 10s } }\n",
        )
        .with("hosts/h2.yaml", "services: [web]\n");
    let build = fleet.compile_clean();

    let h1 = host(&build, "h1");
    let unit = file_text(h1, WEB_UNIT);
    assert_eq!(
        values(&unit, "Image"),
        ["registry.example.com/acme/web:1.1.0"]
    );
    assert_eq!(values(&unit, "PublishPort"), ["127.0.0.1:9090:80"]);
    assert_eq!(values(&unit, "HealthCmd"), ["true"]);
    assert_eq!(values(&unit, "HealthInterval"), ["10s"]);
    let env = file_text(h1, "/etc/acme/env/web.env");
    assert!(env.contains("\nA=one\nB=three\n"), "{env}");

    // Another host's overrides do not leak.
    let h2 = host(&build, "h2");
    let unit = file_text(h2, WEB_UNIT);
    assert_eq!(
        values(&unit, "Image"),
        ["registry.example.com/acme/web:1.0.0"]
    );
    assert_eq!(
        values(&unit, "PublishPort"),
        ["127.0.0.1:8080:80", "127.0.0.1:8443:443"]
    );
    assert_eq!(values(&unit, "HealthInterval"), ["30s"]);
    assert!(file_text(h2, "/etc/acme/env/web.env").contains("\nA=one\nB=two\n"));
}

#[test]
fn service_fields_override_fleet_defaults() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "image: quay.io/elsewhere/web\nversion: 1.0.0\nuser: www\n",
    );
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    let unit = file_text(h1, WEB_UNIT);
    assert_eq!(values(&unit, "Image"), ["quay.io/elsewhere/web:1.0.0"]);
    user(h1, "www");
}

#[test]
fn host_paths_override_fleet_paths_one_by_one() {
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!(
                "{BASE_FLEET}paths:\n  env_file: /srv/{{{{ org }}}}/{{{{ service }}}}.env\n  data_dir: /srv/{{{{ org }}}}/data/{{{{ service }}}}\n"
            ),
        )
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nenv: { A: b }\nvolumes: [\"{{ data_dir }}:/data\"]\n",
        )
        .with(
            "hosts/h1.yaml",
            "services: [web]\npaths:\n  data_dir: /var/mnt/bulk0/{{ host }}/{{ service }}\n",
        )
        .with("hosts/h2.yaml", "services: [web]\n");
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    assert_eq!(
        values(&file_text(h1, WEB_UNIT), "Volume"),
        ["/var/mnt/bulk0/h1/web:/data"]
    );
    assert!(directory(h1, "/var/mnt/bulk0/h1/web").is_some());
    assert!(
        node_file(h1, "/srv/acme/web.env").is_some(),
        "env_file still from fleet.yaml"
    );
    let h2 = host(&build, "h2");
    assert_eq!(
        values(&file_text(h2, WEB_UNIT), "Volume"),
        ["/srv/acme/data/web:/data"]
    );
}

#[test]
fn quadlet_dir_from_paths_applies_to_literal_quadlets_too() {
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}paths:\n  quadlet_dir: /etc/{{{{ org }}}}/quadlets\n"),
        )
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n")
        .with(
            "hosts/h2.yaml",
            "services: [web, side]\npaths:\n  quadlet_dir: /etc/containers/systemd/users/1000\n",
        );
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    assert!(node_file(h1, "/etc/acme/quadlets/web.container").is_some());
    assert!(
        node_file(h1, "/etc/acme/quadlets/side.container").is_some(),
        "the fleet's quadlet_dir is expanded for literal files: {:?}",
        h1.config.storage.files
    );
    let h2 = host(&build, "h2");
    assert!(node_file(h2, "/etc/containers/systemd/users/1000/web.container").is_some());
    assert!(
        node_file(h2, "/etc/containers/systemd/users/1000/side.container").is_some(),
        "a host's quadlet_dir applies to literal files: {:?}",
        h2.config.storage.files
    );
}

#[test]
fn templated_literal_gets_the_service_paths() {
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}paths:\n  data_dir: /srv/{{{{ org }}}}/{{{{ service }}}}\n"),
        )
        .with(
            "containers/side.container.j2",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nVolume={{ data_dir }}:/data:Z\nVolume={{ secrets_dir }}:/secrets:ro\nEnvironmentFile={{ env_file }}\n# {{ quadlet_dir }} {{ trust_dir }}\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let build = fleet.compile_clean();
    let unit = file_text(host(&build, "h1"), "/etc/containers/systemd/side.container");
    assert_eq!(
        values(&unit, "Volume"),
        [
            "/srv/acme/side:/data:Z",
            "/etc/acme/secrets/side:/secrets:ro"
        ]
    );
    assert_eq!(values(&unit, "EnvironmentFile"), ["/etc/acme/env/side.env"]);
    assert!(
        unit.contains("# /etc/containers/systemd /etc/acme/trust\n"),
        "{unit}"
    );
}

#[test]
fn host_path_pattern_errors_point_at_the_host() {
    let fleet = Fleet::base().with(
        "hosts/h1.yaml",
        "services: [web]\npaths:\n  data_dir: /bulk/{{ hostname }}\n",
    );
    let build = fleet.compile();
    the_one_error(&build, "hosts/h1.yaml", 3);
    assert!(
        build.outputs.is_empty(),
        "a host with errors gets no output"
    );
}

#[test]
fn host_ignition_version_overrides_the_fleet_and_the_flag_overrides_both() {
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}ignition_version: 3.3.0\n"),
        )
        .with(
            "hosts/h2.yaml",
            "ignition_version: 3.5.0\nservices: [web]\n",
        );
    let build = fleet.compile_clean();
    assert_eq!(host(&build, "h1").config.ignition.version, "3.3.0");
    assert_eq!(host(&build, "h2").config.ignition.version, "3.5.0");

    let targeted = fleet::compile(&fleet::Options {
        root: fleet.root().to_path_buf(),
        hosts: Vec::new(),
        target: kindling::ignition::spec::Spec::parse("3.4.0"),
        identities: Identities::none(),
        now: Some(crate::support::BUILD_TIME),
        out: None,
    });
    assert!(!targeted.failed(), "{}", raw(&targeted));
    for output in &targeted.outputs {
        assert_eq!(output.config.ignition.version, "3.4.0", "{}", output.name);
    }
}

#[test]
fn fleet_and_host_users_and_snippets_merge_in_order() {
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!(
                "{BASE_FLEET}users:\n  - name: core\n    ssh_authorized_keys: [\"ssh-ed25519 AAAA fleet\"]\ninclude: [snippets/a.bu]\n"
            ),
        )
        .with(
            "hosts/h1.yaml",
            "services: [web]\nusers:\n  - name: core\n    ssh_authorized_keys: [\"ssh-ed25519 BBBB host\"]\n  - name: ops\ninclude: [snippets/b.bu]\nbutane:\n  storage:\n    files:\n      - path: /etc/c\n        contents: { inline: fragment }\n",
        )
        .with(
            "snippets/a.bu",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/a\n      contents: { inline: a }\n",
        )
        .with(
            "snippets/b.bu",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/b\n      contents: { inline: b }\n",
        );
    let build = fleet.compile_clean();
    let h1 = host(&build, "h1");
    let core = user(h1, "core");
    assert_eq!(
        core.ssh_authorized_keys,
        ["ssh-ed25519 AAAA fleet", "ssh-ed25519 BBBB host"],
        "SSH keys accumulate, fleet's first"
    );
    user(h1, "ops");
    let order: Vec<&str> = h1
        .config
        .storage
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| ["/etc/a", "/etc/b", "/etc/c"].contains(p))
        .collect();
    assert_eq!(order, ["/etc/a", "/etc/b", "/etc/c"]);
    assert!(h1.inputs.contains(&"snippets/a.bu".to_owned()));
    assert!(h1.inputs.contains(&"snippets/b.bu".to_owned()));
}

/// Compile workers keep the snippets they read (`fleet::assemble`): with
/// many hosts on each worker, every host still gets its own snippets'
/// contents, and each host including a snippet that does not parse fails
/// with the error at the snippet's line and column, wherever the host
/// includes it.
#[test]
fn hosts_sharing_snippets_each_get_their_own_and_each_fail_on_a_broken_one() {
    let mut fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}include: [snippets/fleet.bu]\n"),
        )
        .with(
            "snippets/fleet.bu",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/fleet\n      contents: { inline: fleet }\n",
        )
        .with(
            "snippets/even.bu",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/parity\n      contents: { inline: even }\n",
        )
        .with(
            "snippets/odd.bu",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/parity\n      contents: { inline: odd }\n",
        )
        .with(
            "snippets/broken.bu",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files: [\n",
        );
    for index in 0..24_usize {
        let parity = if index.is_multiple_of(2) {
            "even"
        } else {
            "odd"
        };
        let includes = match index % 3 {
            0 => format!("[snippets/{parity}.bu]"),
            1 => format!("[snippets/broken.bu, snippets/{parity}.bu]"),
            _ => format!("[snippets/{parity}.bu, snippets/broken.bu]"),
        };
        fleet = fleet.with(
            &format!("hosts/h{index:02}.yaml"),
            &format!("services: [web]\ninclude: {includes}\n"),
        );
    }
    fs::remove_file(fleet.root().join("hosts/h1.yaml")).expect("remove");
    let build = fleet.compile();
    let error = the_one_error_at(&build, "snippets/broken.bu", 5, 1);
    let failed: Vec<&str> = build.failed_hosts.keys().map(String::as_str).collect();
    let broken: Vec<String> = (0..24_usize)
        .filter(|index| !index.is_multiple_of(3))
        .map(|index| format!("h{index:02}"))
        .collect();
    assert_eq!(failed, broken, "{}", raw(&build));
    for reason in build.failed_hosts.values() {
        assert_eq!(reason, &error.raw());
    }
    let compiled: Vec<&str> = build.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(compiled.len(), 8, "{}", raw(&build));
    for output in &build.outputs {
        let index: usize = output.name[1..].parse().expect("host number");
        let parity = if index.is_multiple_of(2) {
            "even"
        } else {
            "odd"
        };
        assert_eq!(file_text(output, "/etc/parity"), parity, "{}", output.name);
        assert_eq!(file_text(output, "/etc/fleet"), "fleet", "{}", output.name);
    }
}

// ---------------------------------------------------------------------------
// Lints (warnings; errors under --strict).

fn lint_report(name: &str, fleet: &Fleet) -> Run {
    let run = fleet.run("check", &[]);
    snapshot!(name, fleet, run.report());
    run
}

#[test]
fn lint_untagged_and_latest_images_under_pinned() {
    let fleet = Fleet::base()
        .with("containers/web.yaml", "uid: 3100\n")
        .with("containers/api.yaml", "version: latest\nuid: 3101\n")
        .with("hosts/h1.yaml", "services: [web, api]\n");
    let run = lint_report("lint_unpinned_images", &fleet);
    assert_eq!(run.code, Some(0), "warnings only");
    assert_eq!(run.count("warning"), 2, "{}", run.stderr);
}

#[test]
fn lint_latest_is_allowed_with_auto_update_but_untagged_is_not() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: latest\nauto_update: registry\n",
        )
        .with("containers/api.yaml", "auto_update: registry\n")
        .with("hosts/h1.yaml", "services: [web, api]\n");
    let build = fleet.compile();
    let warnings = findings(&build, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{}", raw(&build));
    assert!(
        warnings[0].message.contains("api") && warnings[0].message.contains("no tag"),
        "{}",
        warnings[0].message
    );
    assert_eq!(
        warnings[0].file.as_deref(),
        Some("containers/api.yaml"),
        "at the service definition: the image comes from its defaults"
    );
}

#[test]
fn lint_open_policy_does_not_check_images() {
    let fleet = Fleet::base()
        .with("fleet.yaml", &format!("{BASE_FLEET}image_policy: open\n"))
        .with("containers/web.yaml", "\n")
        .with("containers/api.yaml", "version: latest\n")
        .with("hosts/h1.yaml", "services: [web, api]\n");
    fleet.compile_clean();
}

#[test]
fn lint_unknown_image_policy_is_an_error() {
    let fleet = Fleet::base().with("fleet.yaml", &format!("{BASE_FLEET}image_policy: strict\n"));
    let run = lint_report("lint_unknown_image_policy", &fleet);
    assert_eq!(run.code, Some(1));
}

#[test]
fn lint_secret_looking_env_names() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nenv:\n  LOG_LEVEL: info\n  API_TOKEN: abc123\n  DB_PASSWORD_FILE: /run/secrets/db\n",
    );
    let run = lint_report("lint_secret_env", &fleet);
    assert_eq!(run.code, Some(0));
    let build = fleet.compile();
    let warnings = findings(&build, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{}", raw(&build));
    assert_eq!(warnings[0].file.as_deref(), Some("containers/web.yaml"));
    assert_eq!(warnings[0].position.map(|p| p.line), Some(4));
}

#[test]
fn lint_publish_port_on_all_interfaces() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nports: [\"8080:80\", \"127.0.0.1:8443:443\"]\n",
    );
    let run = lint_report("lint_publish_all_interfaces", &fleet);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.count("warning"), 1, "{}", run.stderr);

    fleet.write(
        "containers/web.yaml",
        b"version: 1.0.0\nports: [\"8080:80\"]\nexpose: public\n",
    );
    fleet.compile_clean();
}

#[test]
fn lint_root_container_unless_allow_root() {
    let fleet = Fleet::base().with("containers/web.yaml", "version: 1.0.0\nsystem: false\n");
    let run = lint_report("lint_runs_as_root", &fleet);
    assert_eq!(run.code, Some(0));
    assert_eq!(run.count("warning"), 1, "{}", run.stderr);

    fleet.write(
        "containers/web.yaml",
        b"version: 1.0.0\nsystem: false\nallow_root: true\n",
    );
    fleet.compile_clean();

    // uid 0 is root too.
    fleet.write("containers/web.yaml", b"version: 1.0.0\nuid: 0\n");
    let build = fleet.compile();
    assert!(
        findings(&build, Severity::Warning)
            .iter()
            .any(|d| d.message.contains("root")),
        "{}",
        raw(&build)
    );
}

#[test]
fn two_services_on_one_host_address_port_and_protocol_are_an_error() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nports: [\"127.0.0.1:8080:80\"]\n",
        )
        .with(
            "containers/api.yaml",
            "version: 1.0.0\nports: [\"127.0.0.1:8080:8080\", \"127.0.0.1:8080:8080/udp\"]\n",
        )
        .with("hosts/h1.yaml", "services: [web, api]\n");
    let run = lint_report("lint_port_clash", &fleet);
    assert_eq!(run.code, Some(1), "the second container would not start");
    assert_eq!(run.count("error"), 1, "udp is another port: {}", run.stderr);
    // On other addresses the same port is free.
    fleet.write(
        "containers/api.yaml",
        b"version: 1.0.0\nports: [\"127.0.0.2:8080:8080\"]\n",
    );
    fleet.compile_clean();
}

#[test]
fn lint_two_sources_writing_one_node_path() {
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}include: [snippets/motd.bu]\n"),
        )
        .with(
            "snippets/motd.bu",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents: { inline: fleet }\n",
        )
        .with(
            "hosts/h1.yaml",
            "services: [web]\nbutane:\n  storage:\n    files:\n      - path: /etc/motd\n        contents: { inline: host }\n      - path: /etc/containers/systemd/web.container\n        contents: { inline: \"[Container]\\nImage=x\\n\" }\n",
        );
    let run = lint_report("lint_two_sources_one_path", &fleet);
    assert_eq!(run.code, Some(0));
    let build = fleet.compile();
    let warnings = findings(&build, Severity::Warning);
    let overrides = warnings
        .iter()
        .filter(|d| d.code.as_str() == "fleet-path-override")
        .count();
    assert_eq!(overrides, 2, "{}", raw(&build));
    // The overriding web.container is what the node runs: it is validated.
    assert_eq!(warnings.len(), 5, "{}", raw(&build));
    let h1 = host(&build, "h1");
    assert_eq!(file_text(h1, "/etc/motd"), "host", "the later source wins");
}

#[test]
fn strict_turns_warnings_into_failure() {
    let fleet = Fleet::base().with("containers/web.yaml", "uid: 3100\n");
    let check = fleet.run("check", &[]);
    assert_eq!(check.code, Some(0), "{}", check.stderr);
    let strict = fleet.run("check", &["--strict"]);
    assert_eq!(strict.code, Some(1), "{}", strict.stderr);

    let out = tempfile::tempdir().expect("tempdir");
    let out_dir = out.path().join("build");
    let out_arg = out_dir.to_str().expect("utf-8");
    let build = fleet.run("build", &["--strict", "--out", out_arg]);
    assert_eq!(build.code, Some(1));
    assert!(!out_dir.exists(), "--strict failure writes nothing");
    snapshot!("strict_build", fleet, build.report());
    let lenient = fleet.run("build", &["--out", out_arg]);
    assert_eq!(lenient.code, Some(0), "{}", lenient.stderr);
    assert!(out_dir.join("h1.ign").is_file());
}

// ---------------------------------------------------------------------------
// Quadlet checks on literal files.

#[test]
fn quadlet_unknown_key_in_a_literal_container() {
    let fleet = Fleet::base()
        .with(
            "containers/side.container",
            "[Unit]\nDescription=side\n\n[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nPublishPorts=127.0.0.1:80:80\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("quadlet_unknown_key", fleet, run.report());
    let build = fleet.compile();
    the_one_error(&build, "containers/side.container", 7);
}

#[test]
fn quadlet_reference_to_a_missing_network() {
    let fleet = Fleet::base()
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nNetwork=missing.network\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("quadlet_missing_network", fleet, run.report());

    // With the network in the host's set, the reference resolves.
    let fleet = fleet
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nNetwork=back.network\n",
        )
        .with("containers/back.network", "[Network]\n")
        .with("hosts/h1.yaml", "services: [web, side, back]\n");
    let build = fleet.compile_clean();
    assert!(node_file(host(&build, "h1"), "/etc/containers/systemd/back.network").is_some());
}

#[test]
fn quadlet_key_newer_than_the_fleets_podman_warns() {
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}podman_version: 5.0.0\n"),
        )
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nAddHost=db.lan:10.0.0.2\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(0), "a warning, not an error");
    snapshot!("quadlet_key_too_new", fleet, run.report());
    assert_eq!(fleet.run("check", &["--strict"]).code, Some(1));

    // The default Podman knows the key.
    fleet.write("fleet.yaml", BASE_FLEET.as_bytes());
    fleet.compile_clean();
}

#[test]
fn quadlet_checks_apply_to_rendered_units_and_dropins() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nquadlet:\n  Container:\n    Networks: host\ndropins:\n  10-limits.conf: \"[Service]\\nMemoryMaxx=1G\\n\"\n",
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("quadlet_rendered_and_dropin", fleet, run.report());
}

#[test]
fn quadlet_findings_in_literal_dropins_name_the_dropin_file() {
    let fleet = Fleet::base()
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\n",
        )
        .with(
            "containers/side.container.d/10-net.conf",
            "[Container]\nNetwork=missing.network\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let build = fleet.compile();
    the_one_error(&build, "containers/side.container.d/10-net.conf", 2);
    let run = fleet.run("check", &[]);
    snapshot!("quadlet_literal_dropin", fleet, run.report());
}

#[test]
fn fleet_wide_errors_are_reported_once_and_fail_every_host() {
    let fleet = Fleet::base()
        .with("fleet.yaml", &format!("{BASE_FLEET}podman_version: five\n"))
        .with("hosts/h2.yaml", BASE_HOST);
    let build = fleet.compile();
    assert_eq!(build.diagnostics.len(), 1, "{}", raw(&build));
    assert!(build.outputs.is_empty());
}

#[test]
fn a_host_with_errors_is_not_compiled_nor_rendered() {
    let fleet = Fleet::base()
        .with("hosts/h1.yaml", "services: [web, nope]\n")
        .with("hosts/h2.yaml", BASE_HOST);
    let build = fleet.compile();
    assert!(build.failed());
    assert_eq!(
        build
            .outputs
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["h2"],
        "h1 lacks a service: it must not look compiled"
    );
    let render = fleet.run("render", &["h1"]);
    assert_eq!(render.code, Some(1), "{}", render.stderr);
    assert!(render.stdout.is_empty(), "{}", render.stdout);
    let check = fleet.run("check", &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_str(&check.stdout).expect("JSON");
    assert_eq!(report["hosts"], serde_json::json!(["h2"]));
}

#[test]
fn unknown_template_name_is_an_error_at_the_service() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\ntemplate: special.container.j2\n",
        )
        .with(
            "templates/other.container.j2",
            "[Container]\nImage={{ image }}\n",
        );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("unknown_template", fleet, run.report());
    fleet.write(
        "templates/special.container.j2",
        b"[Container]\nImage={{ image }}\nUser={{ account.uid }}\n",
    );
    let build = fleet.compile_clean();
    assert_eq!(
        file_text(host(&build, "h1"), WEB_UNIT),
        format!(
            "[Container]\nImage=registry.example.com/acme/web:1.0.0\nUser={}\n",
            kindling::fleet::resolve::default_service_id(20_000, "web")
        )
    );
}

/// Hosts compiled one after another on the same worker reuse rendered
/// units only where every variable the template reads agrees: here the
/// image differs on every third host, and a template reading `host`
/// (itself, or through a template it includes) gets each host's own name.
#[test]
fn rendered_units_are_reused_only_where_every_variable_read_agrees() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\ntemplate: plain.container.j2\n",
        )
        .with(
            "containers/api.yaml",
            "version: 1.0.0\ntemplate: outer.container.j2\n",
        )
        .with(
            "templates/plain.container.j2",
            "[Container]\nImage={{ image }}\nUser={{ account.uid }}\n",
        )
        .with(
            "templates/named.container.j2",
            "[Container]\nImage={{ image }}\nUser={{ account.uid }}\nEnvironment=NODE={{ host }}\n",
        )
        .with(
            "templates/outer.container.j2",
            "{% include 'named.container.j2' %}",
        );
    let hosts: Vec<String> = (0..40).map(|i| format!("n{i:02}")).collect();
    for (i, name) in hosts.iter().enumerate() {
        fleet.write(
            &format!("hosts/{name}.yaml"),
            format!(
                "services:\n  - web: {{ version: 1.0.{} }}\n  - api\n",
                i % 3
            )
            .as_bytes(),
        );
    }
    let build = fleet.compile_clean();
    for (i, name) in hosts.iter().enumerate() {
        let output = host(&build, name);
        let web = file_text(output, WEB_UNIT);
        assert!(
            web.contains(&format!("/web:1.0.{}\n", i % 3)),
            "{name}: {web}"
        );
        let api = file_text(output, "/etc/containers/systemd/api.container");
        assert!(
            api.ends_with(&format!("Environment=NODE={name}\n")),
            "{name}: {api}"
        );
    }
}

// ---------------------------------------------------------------------------
// Secrets.

/// A fleet whose service places `secrets/web/h1/key.pem.age`, encrypted to
/// a fresh identity; returns the fleet and the identity's text.
fn secret_fleet(plain: &[u8]) -> (Fleet, String) {
    let key = age::x25519::Identity::generate();
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&key.to_public() as &dyn age::Recipient))
            .expect("encryptor");
    let mut encrypted = Vec::new();
    let mut writer = encryptor.wrap_output(&mut encrypted).expect("wrap");
    writer.write_all(plain).expect("encrypt");
    writer.finish().expect("finish");
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nsecrets:\n  - file: key.pem\n    from: \"web/{{ host }}/key.pem.age\"\n",
    );
    fleet.write("secrets/web/h1/key.pem.age", &encrypted);
    (fleet, key.to_string().expose_secret().to_owned())
}

fn identity_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("identity.txt");
    fs::write(&path, format!("# test identity\n{text}\n")).expect("write identity");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod identity");
    }
    (dir, path)
}

#[test]
fn secret_decrypts_with_the_right_key() {
    let (fleet, key) = secret_fleet(b"-----BEGIN PRIVATE KEY-----\nsecret\n");
    let identities = Identities::load(None, Some(&key)).expect("identity");
    let build = fleet.compile_with(identities);
    assert!(build.diagnostics.is_empty(), "{}", raw(&build));
    let h1 = host(&build, "h1");
    assert_eq!(
        file_text(h1, "/etc/acme/secrets/web/key.pem"),
        "-----BEGIN PRIVATE KEY-----\nsecret\n"
    );
    assert!(h1.secrets.any());
    assert!(h1.inputs.contains(&"secrets/web/h1/key.pem.age".to_owned()));

    // Through the binary, with --identity FILE and with the variable.
    let (_keep, path) = identity_file(&key);
    let out = tempfile::tempdir().expect("tempdir");
    let out_arg = out.path().to_str().expect("utf-8");
    let run = fleet.run(
        "build",
        &[
            "--identity",
            path.to_str().expect("utf-8"),
            "--out",
            out_arg,
        ],
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(out.path().join("h1.ign"))
            .expect("written")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "a secret-bearing output is 0600");
    }
    let run = fleet.run_with("check", &[], Identity::Env(OsStr::new(&key)));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let run = fleet.run_with("check", &[], Identity::Env(path.as_os_str()));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn secret_with_the_wrong_key_is_a_clear_error() {
    let (fleet, _right) = secret_fleet(b"secret");
    let other = age::x25519::Identity::generate();
    let (keep, path) = identity_file(other.to_string().expose_secret());
    let run = fleet.run("check", &["--identity", path.to_str().expect("utf-8")]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("cannot decrypt secrets/web/h1/key.pem.age: no identity from"),
        "{}",
        run.stderr
    );
    snapshot!(
        "secret_wrong_key",
        fleet,
        run.report(),
        &[(keep.path(), "[IDENTITY_DIR]")]
    );
}

#[test]
fn secret_without_a_key_is_a_clear_error() {
    let (fleet, _key) = secret_fleet(b"secret");
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("secrets/web/h1/key.pem.age is age-encrypted but no identity was given"),
        "{}",
        run.stderr
    );
    snapshot!("secret_no_key", fleet, run.report());
}

#[test]
fn secret_identity_that_is_not_one_is_a_clear_error() {
    let (fleet, _key) = secret_fleet(b"secret");
    let (keep, path) = identity_file("not an identity");
    let run = fleet.run("check", &["--identity", path.to_str().expect("utf-8")]);
    assert_eq!(run.code, Some(1));
    snapshot!(
        "secret_bad_identity_file",
        fleet,
        run.report(),
        &[(keep.path(), "[IDENTITY_DIR]")]
    );
}

#[test]
fn secrets_read_through_contents_local_make_the_output_secret() {
    let fleet = Fleet::base()
        .with(
            "hosts/h2.bu",
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/ssl/private/node.key\n      mode: 0600\n      contents: { local: secrets/node.key }\n    - path: /etc/motd\n      contents: { local: motd }\n",
        )
        .with("secrets/node.key", "PRIVATE\n")
        .with("motd", "hello\n");
    let build = fleet.compile_clean();
    let h2 = host(&build, "h2");
    assert!(h2.secrets.any());
    assert_eq!(
        h2.secrets.files().collect::<Vec<_>>(),
        ["/etc/ssl/private/node.key"]
    );
    assert!(!host(&build, "h1").secrets.any());
    let render = fleet.run("render", &["h2"]);
    assert_eq!(render.code, Some(0), "{}", render.stderr);
    assert!(!render.stdout.contains("PRIVATE"), "{}", render.stdout);
    assert!(render.stdout.contains("hello"), "{}", render.stdout);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let out = tempfile::tempdir().expect("tempdir");
        let run = fleet.run("build", &["--out", out.path().to_str().expect("utf-8")]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        let mode = |name: &str| {
            fs::metadata(out.path().join(name))
                .expect("written")
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("h2.ign"), 0o600);
        assert_eq!(mode("h1.ign"), 0o644);
    }
}

#[test]
fn secret_missing_or_outside_secrets_dir_is_an_error() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nsecrets:\n  - file: a.pem\n    from: nothing/here.pem\n  - file: b.pem\n    from: ../fleet.yaml\n",
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("secret_missing_and_escaping", fleet, run.report());
}

// ---------------------------------------------------------------------------
// Template errors.

#[test]
fn template_override_with_an_undefined_variable() {
    let fleet = Fleet::base()
        .with(
            "templates/quadlet.container.j2",
            "[Unit]\nDescription={{ description }}\n\n[Container]\nImage={{ imgae }}\n",
        )
        .with("hosts/h2.yaml", "services: [web]\n");
    let build = fleet.compile();
    let error = the_one_error(&build, "templates/quadlet.container.j2", 5);
    assert_eq!(
        error.message,
        "template error: unknown variable `imgae`, did you mean `image`?"
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("template_override_undefined", fleet, run.report());
    let json = fleet.run("check", &["--format", "json"]);
    snapshot!("template_override_undefined_json", fleet, json.stdout);
}

/// An unknown attribute of an object the context offers is told with the
/// object's closest attribute, the caret on the attribute; with none close,
/// the message lists a few of them.
#[test]
fn template_override_with_an_unknown_attribute() {
    let fleet = Fleet::base().with(
        "templates/quadlet.container.j2",
        "[Container]\nImage={{ image }}\nUser={{ account.uuid }}:{{ account.gid }}\n",
    );
    let build = fleet.compile();
    let error = the_one_error(&build, "templates/quadlet.container.j2", 3);
    assert_eq!(
        error.message,
        "template error: `account` has no attribute `uuid`, did you mean `uid`?"
    );
    assert_eq!(error.position.map(|p| p.column), Some(17));
    let run = fleet.run("check", &[]);
    snapshot!("template_override_unknown_attribute", fleet, run.report());

    fleet.write(
        "templates/quadlet.container.j2",
        b"[Container]\nImage={{ image }}\nUser={{ account.shell }}\n",
    );
    let build = fleet.compile();
    let error = the_one_error(&build, "templates/quadlet.container.j2", 3);
    assert!(
        error
            .message
            .starts_with("template error: `account` has no attribute `shell` (it has "),
        "{}",
        error.message
    );
}

#[test]
fn template_override_is_used_for_every_service() {
    let fleet = Fleet::base().with(
        "templates/quadlet.container.j2",
        "# custom for {{ host }}\n[Container]\nImage={{ image }}\nUser={{ account.uid }}\n",
    );
    let build = fleet.compile_clean();
    let unit = file_text(host(&build, "h1"), WEB_UNIT);
    assert!(unit.starts_with("# custom for h1\n"), "{unit}");
    assert!(
        build.outputs[0]
            .inputs
            .contains(&"templates/quadlet.container.j2".to_owned())
    );
}

#[test]
fn templated_literal_with_an_undefined_variable() {
    let fleet = Fleet::base()
        .with(
            "containers/side.container.j2",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nEnvironment=NODE={{ hostname }}\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let build = fleet.compile();
    let error = the_one_error(&build, "containers/side.container.j2", 4);
    // No variable is close to `hostname`: the help lists them.
    assert_eq!(error.message, "template error: unknown variable `hostname`");
    let run = fleet.run("check", &[]);
    snapshot!("template_literal_undefined", fleet, run.report());
    let json = fleet.run("check", &["--format", "json"]);
    snapshot!("template_literal_undefined_json", fleet, json.stdout);

    // A close name is suggested, the caret on the name wherever it stands.
    fleet.write(
        "containers/side.container.j2",
        b"[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nEnvironment=A={{ host }} B={{ hosst | upper }}\n",
    );
    let build = fleet.compile();
    let error = the_one_error(&build, "containers/side.container.j2", 4);
    assert_eq!(
        error.message,
        "template error: unknown variable `hosst`, did you mean `host`?"
    );
    let run = fleet.run("check", &[]);
    snapshot!("template_literal_close_name", fleet, run.report());

    // With the right name it renders.
    fleet.write(
        "containers/side.container.j2",
        b"[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nEnvironment=NODE={{ host }}\n",
    );
    let build = fleet.compile_clean();
    assert_eq!(
        values(
            &file_text(host(&build, "h1"), "/etc/containers/systemd/side.container"),
            "Environment"
        ),
        ["NODE=h1"]
    );
}

#[test]
fn template_syntax_error_in_an_override() {
    let fleet = Fleet::base()
        .with(
            "templates/quadlet.container.j2",
            "[Container]\nImage={{ image }}\n{% if account %}\nUser={{ account.uid }\n{% endif %}\n",
        )
        .with("hosts/h2.yaml", "services: [web]\n");
    let build = fleet.compile();
    let error = the_one_error(&build, "templates/quadlet.container.j2", 4);
    assert!(error.message.contains("syntax error"), "{}", error.message);
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("template_override_syntax", fleet, run.report());
}

#[test]
fn template_syntax_error_in_a_templated_literal() {
    let fleet = Fleet::base()
        .with(
            "containers/side.container.j2",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\n{% for x in %}\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let build = fleet.compile();
    the_one_error(&build, "containers/side.container.j2", 4);
    let run = fleet.run("check", &[]);
    snapshot!("template_literal_syntax", fleet, run.report());
}

#[test]
fn undefined_name_in_a_path_pattern() {
    let fleet = Fleet::base().with(
        "fleet.yaml",
        &format!("{BASE_FLEET}paths:\n  data_dir: /srv/{{{{ hostname }}}}/{{{{ service }}}}\n"),
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("path_pattern_undefined", fleet, run.report());
}

// ---------------------------------------------------------------------------
// Names.

#[test]
fn unknown_service_suggests_the_closest() {
    let fleet = Fleet::base().with("hosts/h1.yaml", "services:\n  - webb\n");
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("did you mean web?"), "{}", run.stderr);
    snapshot!("unknown_service", fleet, run.report());
}

#[test]
fn unknown_host_lists_the_known_ones() {
    let fleet = Fleet::base().with("hosts/h2.yaml", BASE_HOST);
    let out = tempfile::tempdir().expect("tempdir");
    let out_dir = out.path().join("build");
    let run = fleet.run("build", &["--out", out_dir.to_str().expect("utf-8"), "h3"]);
    assert_eq!(run.code, Some(1));
    assert!(!out_dir.exists());
    snapshot!("unknown_host", fleet, run.report());
    let render = fleet.run("render", &["h3"]);
    assert_eq!(render.code, Some(1));
    assert!(render.stdout.is_empty());
}

#[test]
fn duplicate_host_yaml_and_bu() {
    let fleet = Fleet::base().with("hosts/h1.bu", "variant: fcos\nversion: 1.5.0\n");
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("duplicate_host", fleet, run.report());
}

#[test]
fn missing_fleet_yaml() {
    let fleet = Fleet::empty().with("hosts/h1.yaml", BASE_HOST);
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("missing_fleet_yaml", fleet, run.report());
}

#[test]
fn literal_quadlet_service_takes_no_overrides() {
    let fleet = Fleet::base()
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\n",
        )
        .with("hosts/h1.yaml", "services:\n  - side: { version: 2 }\n");
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("literal_with_overrides", fleet, run.report());
}

// ---------------------------------------------------------------------------
// check --format json, hosts, render.

#[test]
fn check_json_report_shape() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nenv: { API_TOKEN: x }\n",
        )
        .with("hosts/h2.bu", "variant: fcos\nversion: 1.5.0\n");
    let run = fleet.run("check", &["--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.stderr.is_empty(), "json mode prints to stdout only");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["ok"], true);
    assert_eq!(report["hosts"], serde_json::json!(["h1", "h2"]));
    let diagnostics = report["diagnostics"].as_array().expect("array");
    assert_eq!(diagnostics.len(), 1);
    let finding = &diagnostics[0];
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["file"], "containers/web.yaml");
    assert_eq!(finding["position"]["line"], 2);
    assert!(
        finding["message"]
            .as_str()
            .is_some_and(|m| m.contains("API_TOKEN"))
    );
    assert!(finding["help"].is_string());
    snapshot!("check_json_ok", fleet, run.stdout);

    let strict = fleet.run("check", &["--format", "json", "--strict"]);
    assert_eq!(strict.code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&strict.stdout).expect("JSON");
    assert_eq!(report["ok"], false);

    fleet.write("hosts/h1.yaml", b"services: [nope]\n");
    let failed = fleet.run("check", &["--format", "json"]);
    assert_eq!(failed.code, Some(1));
    snapshot!("check_json_error", fleet, failed.stdout);
}

#[test]
fn hosts_lists_every_host_with_its_services() {
    let fleet = Fleet::base()
        .with(
            "containers/side.container",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\n",
        )
        .with("containers/side.volume", "[Volume]\n")
        .with(
            "hosts/h1.yaml",
            "ignition_version: 3.5.0\nservices: [web, side]\n",
        )
        .with("hosts/h2.bu", "variant: fcos\nversion: 1.5.0\n")
        .with("hosts/h3.yaml", "\n");
    let human = fleet.run("hosts", &[]);
    assert_eq!(human.code, Some(0), "{}", human.stderr);
    snapshot!("hosts_human", fleet, human.stdout);
    let json = fleet.run("hosts", &["--format", "json"]);
    assert_eq!(json.code, Some(0));
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value.as_array().map(Vec::len), Some(3));
    snapshot!("hosts_json", fleet, json.stdout);
}

#[test]
fn render_masks_secrets_and_filters_by_service() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nuid: 3100\nenv: { A: b }\nsecrets:\n  - file: key.pem\n    from: key.pem\n",
        )
        .with("secrets/key.pem", "TOPSECRET\n")
        .with("containers/api.yaml", "version: 1.0.0\nuid: 3101\n")
        .with("hosts/h1.yaml", "services: [web, api]\n");
    let all = fleet.run("render", &["h1"]);
    assert_eq!(all.code, Some(0), "{}", all.stderr);
    assert!(!all.stdout.contains("TOPSECRET"));
    snapshot!("render_h1", fleet, all.stdout);
    let web = fleet.run("render", &["h1", "--service", "web"]);
    assert_eq!(web.code, Some(0));
    assert!(!web.stdout.contains("api.container"), "{}", web.stdout);
    snapshot!("render_h1_web", fleet, web.stdout);
}

// ---------------------------------------------------------------------------
// A failing build leaves an existing build/ untouched.

#[test]
fn failing_build_leaves_existing_build_untouched() {
    let fleet = Fleet::base()
        .with("hosts/h2.yaml", "services: [web]\n")
        .with("hosts/h3.bu", "variant: fcos\nversion: 1.5.0\n");
    let out = tempfile::tempdir().expect("tempdir");
    let out_arg = out.path().to_str().expect("utf-8");
    let good = fleet.run("build", &["--out", out_arg]);
    assert_eq!(good.code, Some(0), "{}", good.stderr);
    let before = contents(out.path());
    assert_eq!(
        visible_names(&before),
        ["h1.ign", "h2.ign", "h3.ign", "manifest.json"]
    );
    // Make the clock tick so any rewrite would show in the mtimes.
    std::thread::sleep(std::time::Duration::from_millis(20));

    let breakages: [(&str, &str); 5] = [
        // YAML syntax error in one host only: the others compile but
        // nothing is written.
        ("hosts/h2.yaml", "services: [web\n"),
        // An error in a service every host uses.
        (
            "containers/web.yaml",
            "version: 1.0.0\nsecrets: [{ file: a, from: none }]\n",
        ),
        // An error in a plain Butane host.
        (
            "hosts/h3.bu",
            "variant: fcos\nversion: 1.5.0\nstorage: { files: [{ path: relative }] }\n",
        ),
        // A template error.
        ("templates/quadlet.container.j2", "{{ nope }}\n"),
        // A changed fleet.yaml that no longer parses.
        ("fleet.yaml", "org: [acme\n"),
    ];
    for (file, text) in breakages {
        let original = fs::read(fleet.root().join(file)).ok();
        fleet.write(file, text.as_bytes());
        let run = fleet.run("build", &["--out", out_arg]);
        assert_eq!(run.code, Some(1), "{file}: {}", run.stderr);
        assert!(
            run.stderr.contains("nothing written"),
            "{file}: {}",
            run.stderr
        );
        assert_eq!(
            contents(out.path()),
            before,
            "{file}: the out dir is untouched and holds no temporary files"
        );
        match original {
            Some(bytes) => fleet.write(file, &bytes),
            None => fs::remove_file(fleet.root().join(file)).expect("remove"),
        }
    }
    // And a single-host build that fails touches nothing either.
    fleet.write("hosts/h2.yaml", b"services: [wbe]\n");
    let run = fleet.run("build", &["--out", out_arg, "h2"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(contents(out.path()), before);

    // Sanity: the restored fleet builds again, rewriting the outputs.
    fleet.write("hosts/h2.yaml", b"services: [web]\n");
    let again = fleet.run("build", &["--out", out_arg]);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    let after = contents(out.path());
    assert_eq!(visible_names(&after), visible_names(&before));
    for name in visible_names(&after) {
        assert_eq!(
            after[name].bytes, before[name].bytes,
            "{name}: same content"
        );
    }
}

#[test]
fn rebuild_rewrites_only_changed_outputs() {
    let fleet = Fleet::base().with("hosts/h2.yaml", "services: [web]\n");
    let out = tempfile::tempdir().expect("tempdir");
    let out_arg = out.path().to_str().expect("utf-8");
    assert_eq!(fleet.run("build", &["--out", out_arg]).code, Some(0));
    let before = contents(out.path());
    std::thread::sleep(std::time::Duration::from_millis(20));

    // Nothing changed: no file is rewritten (same inode, same mtime).
    assert_eq!(fleet.run("build", &["--out", out_arg]).code, Some(0));
    assert_eq!(contents(out.path()), before);

    // A wrong mode on disk is repaired even though the bytes match.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let h1 = out.path().join("h1.ign");
        fs::set_permissions(&h1, fs::Permissions::from_mode(0o666)).expect("chmod");
        assert_eq!(fleet.run("build", &["--out", out_arg]).code, Some(0));
        let mode = fs::metadata(&h1).expect("metadata").permissions().mode();
        assert_eq!(mode & 0o7777, 0o644);
    }

    // One host changes: only it and the manifest are rewritten.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let settled = contents(out.path());
    fleet.write(
        "hosts/h2.yaml",
        b"services: [web]\nbutane:\n  storage:\n    files:\n      - path: /etc/h2\n        contents: { inline: changed }\n",
    );
    let run = fleet.run("build", &["--out", out_arg]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let after = contents(out.path());
    assert_eq!(after["h1.ign"], settled["h1.ign"]);
    assert_ne!(after["h2.ign"].bytes, settled["h2.ign"].bytes);
    assert_ne!(after["h2.ign"].modified, settled["h2.ign"].modified);
    assert_ne!(after["manifest.json"].bytes, settled["manifest.json"].bytes);
}

#[test]
fn removed_hosts_outputs_are_removed_on_a_full_build() {
    let fleet = Fleet::base().with("hosts/h2.yaml", "services: [web]\n");
    let out = tempfile::tempdir().expect("tempdir");
    let out_arg = out.path().to_str().expect("utf-8");
    assert_eq!(fleet.run("build", &["--out", out_arg]).code, Some(0));
    fs::write(out.path().join("notes.txt"), "mine").expect("write");
    fs::remove_file(fleet.root().join("hosts/h2.yaml")).expect("remove");
    assert_eq!(fleet.run("build", &["--out", out_arg]).code, Some(0));
    assert_eq!(
        visible_names(&contents(out.path())),
        ["h1.ign", "manifest.json", "notes.txt"]
    );
}

/// Values under `quadlet:` are templated like every other value: the
/// service's paths and names expand, in a scalar and in a list.
#[test]
fn quadlet_values_are_templated() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nquadlet:\n  Container:\n    Environment: CERTS={{ secrets_dir }}\n    Label:\n      - host={{ host }}\n      - plain=1\n",
    );
    let build = fleet.compile_clean();
    let text = file_text(host(&build, "h1"), "/etc/containers/systemd/web.container");
    assert_eq!(
        values(&text, "Environment"),
        ["CERTS=/etc/acme/secrets/web"]
    );
    assert_eq!(values(&text, "Label"), ["host=h1", "plain=1"]);
}

/// A name that does not exist is an error at the value's own line, not
/// passed through literally.
#[test]
fn quadlet_value_with_an_unknown_name_is_an_error_at_its_line() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nquadlet:\n  Container:\n    Label:\n      - ok=1\n      - dir={{ secrets_dri }}\n",
    );
    let build = fleet.compile();
    let error = the_one_error(&build, "containers/web.yaml", 6);
    assert_eq!(error.code, kindling::diag::Code::FleetPathPattern);
    assert_eq!(
        error.message,
        "cannot expand `dir={{ secrets_dri }}`: unknown variable `secrets_dri`, did you mean `secrets_dir`?"
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("quadlet_value_unknown_name", fleet, run.report());
    let json = fleet.run("check", &["--format", "json"]);
    snapshot!("quadlet_value_unknown_name_json", fleet, json.stdout);
}

/// A service definition that does not parse fails only the hosts that list
/// it (issue 17 §3): the others compile and check clean, the syntax error is
/// reported once at its line, the failed hosts name it, and `build` still
/// writes nothing. One no host lists fails the check too, without a host.
#[test]
fn a_broken_service_definition_fails_only_the_hosts_that_use_it() {
    let fleet = Fleet::base()
        .with(
            "containers/api.yaml",
            "version: 1.0.0\nports: [\"8080:80\"\n",
        )
        .with("hosts/h2.yaml", "services: [web, api]\n")
        .with("hosts/h3.yaml", "services: [api]\n");
    let build = fleet.compile();
    let compiled: Vec<&str> = build.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(compiled, ["h1"], "{}", raw(&build));
    assert_eq!(
        build.failed_hosts.keys().collect::<Vec<_>>(),
        ["h2", "h3"],
        "{}",
        raw(&build)
    );
    assert_eq!(
        findings(&build, Severity::Error).len(),
        1,
        "{}",
        raw(&build)
    );
    let check = fleet.run("check", &["--raw-errors"]);
    assert_eq!(check.code, Some(1));
    snapshot!("broken_service_fails_its_hosts", fleet, check.report());
    let out = tempfile::tempdir().expect("tempdir");
    let run = fleet.run("build", &["--out", out.path().to_str().expect("utf-8")]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(!out.path().join("h1.ign").exists(), "all or nothing");

    // Listed by no host: every host compiles, the file still fails check.
    fleet.write("hosts/h2.yaml", b"services: [web]\n");
    fs::remove_file(fleet.root().join("hosts/h3.yaml")).expect("remove");
    let build = fleet.compile();
    assert_eq!(build.outputs.len(), 2, "{}", raw(&build));
    assert!(build.failed_hosts.is_empty());
    assert_eq!(
        findings(&build, Severity::Error).len(),
        1,
        "{}",
        raw(&build)
    );
}
