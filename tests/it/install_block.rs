//! A host's `install:` block: fleet defaults and host overrides, plain
//! Butane hosts through `fleet.yaml`'s `butane_hosts:`, strict keys,
//! located errors and the `/dev/sda` warning, and `kindling hosts` listing
//! the device and MACs.

use kindling::diag::{Code, Severity};

use crate::support::fleet::{BASE_FLEET, Fleet, findings, raw, snapshot, the_one_error};

const DEVICE: &str = "/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T000000X";

fn hosts_json(fleet: &Fleet) -> serde_json::Value {
    let run = fleet.run("hosts", &["--format", "json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("JSON")
}

#[test]
fn fleet_defaults_host_overrides_and_butane_hosts_are_listed() {
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!(
                "{BASE_FLEET}install:\n  device: /dev/disk/by-path/pci-0000:00:1f.2-ata-1\n  console: [tty0, \"ttyS0,115200n8\"]\n  kargs: [nosmt]\n\
                 butane_hosts:\n  b1:\n    install:\n      macs: [\"52:54:00:00:00:b1\"]\n"
            ),
        )
        .with(
            "hosts/h1.yaml",
            &format!(
                "services: [web]\ninstall:\n  device: {DEVICE}\n  macs: [\"52:54:00:BE:A0:00\", 52-54-00-be-a0-01]\n  kargs: []\n"
            ),
        )
        .with("hosts/h2.yaml", "services: [web]\n")
        .with("hosts/b1.bu", "variant: fcos\nversion: 1.5.0\n");
    let build = fleet.compile_clean();
    assert!(
        findings(&build, Severity::Warning).is_empty(),
        "{}",
        raw(&build)
    );
    let value = hosts_json(&fleet);
    let install: Vec<_> = value
        .as_array()
        .expect("array")
        .iter()
        .map(|h| (h["name"].clone(), h["install"].clone()))
        .collect();
    assert_eq!(
        serde_json::json!(install),
        serde_json::json!([
            ["b1", { "device": "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", "macs": ["52:54:00:00:00:b1"] }],
            ["h1", { "device": DEVICE, "macs": ["52:54:00:be:a0:00", "52:54:00:be:a0:01"] }],
            ["h2", { "device": "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", "macs": [] }],
        ])
    );
}

#[test]
fn plans_merge_key_by_key() {
    use kindling::fleet::fleetwide::plan_hosts as resolve;
    use kindling::fleet::resolve::HostPlan;
    let fleet = Fleet::base()
        .with(
            "fleet.yaml",
            &format!("{BASE_FLEET}install:\n  console: ttyS1,9600\n  kargs: [nosmt, quiet]\n"),
        )
        .with(
            "hosts/h1.yaml",
            &format!("services: [web]\ninstall:\n  device: {DEVICE}\n  uuid: 4C4C4544-0042-3510-8052-B4C04F4B4D32\n  console: [hvc0]\n"),
        );
    let (inventory, diagnostics) = kindling::fleet::load::load(
        fleet.root(),
        kindling::fleet::exclusions(fleet.root(), None, None),
    );
    assert!(!diagnostics.has_errors());
    let (plans, findings) = resolve(&inventory, &[]);
    assert!(findings.is_empty(), "{findings:?}");
    let plan = plans.get("h1").and_then(HostPlan::install).expect("plan");
    assert_eq!(plan.device.as_deref(), Some(DEVICE));
    assert_eq!(plan.console, ["hvc0"]);
    assert_eq!(plan.kargs, ["nosmt", "quiet"]);
    assert_eq!(
        plan.uuid.as_deref(),
        Some("4c4c4544-0042-3510-8052-b4c04f4b4d32")
    );
    // Without install: anywhere, a host has no plan.
    let bare = Fleet::base();
    let (inventory, _) = kindling::fleet::load::load(
        bare.root(),
        kindling::fleet::exclusions(bare.root(), None, None),
    );
    let (plans, _) = resolve(&inventory, &[]);
    assert!(plans.get("h1").and_then(HostPlan::install).is_none());
}

#[test]
fn bad_install_values_are_located_errors() {
    let cases = [
        ("device_relative", "  device: sda\n"),
        ("device_space", "  device: /dev/disk/by-id/my disk\n"),
        ("mac_syntax", "  macs: [\"52:54:00:be:a0\"]\n"),
        ("mac_multicast", "  macs: [\"01:00:5e:00:00:01\"]\n"),
        (
            "mac_twice",
            "  macs: [\"52:54:00:be:a0:00\", \"52:54:00:BE:A0:00\"]\n",
        ),
        ("uuid", "  uuid: not-a-uuid\n"),
        ("console", "  console: [\"console=ttyS0\"]\n"),
        ("console_split", "  console: [ttyS0,115200n8]\n"),
        ("karg", "  kargs: [\"a b\"]\n"),
        ("unknown_key", "  disk: /dev/vda\n"),
    ];
    for (name, text) in cases {
        let fleet = Fleet::base().with(
            "hosts/h1.yaml",
            &format!("services: [web]\ninstall:\n{text}"),
        );
        let build = fleet.compile();
        let error = the_one_error(&build, "hosts/h1.yaml", 3);
        assert!(error.help.is_some(), "{name}: {}", raw(&build));
        assert!(build.outputs.is_empty(), "{name}: no output on error");
        let run = fleet.run("check", &[]);
        assert_eq!(run.code, Some(1), "{name}");
        snapshot!(format!("install_error_{name}"), fleet, run.report());
    }
}

#[test]
fn fleet_level_mistakes_are_located() {
    // A MAC names one machine: not a fleet default.
    let fleet = Fleet::base().with(
        "fleet.yaml",
        &format!("{BASE_FLEET}install:\n  macs: [\"52:54:00:be:a0:00\"]\n"),
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("install_error_fleet_macs", fleet, run.report());
    // butane_hosts names plain Butane hosts only.
    let fleet = Fleet::base().with(
        "fleet.yaml",
        &format!(
            "{BASE_FLEET}butane_hosts:\n  h1:\n    install: {{ device: {DEVICE} }}\n  ghost:\n    install: {{ device: {DEVICE} }}\n"
        ),
    );
    let build = fleet.compile();
    let errors = findings(&build, Severity::Error);
    assert_eq!(errors.len(), 2, "{}", raw(&build));
    assert!(
        errors
            .iter()
            .all(|e| e.code == Code::InstallButaneHostUnknown)
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("install_error_butane_hosts", fleet, run.report());
}

#[test]
fn kernel_device_names_warn() {
    let fleet = Fleet::base().with(
        "hosts/h1.yaml",
        "services: [web]\ninstall:\n  device: /dev/sda\n  macs: [\"52:54:00:be:a0:00\"]\n",
    );
    let build = fleet.compile();
    let warnings = findings(&build, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{}", raw(&build));
    assert_eq!(warnings[0].code, Code::InstallDeviceUnstable);
    assert_eq!(warnings[0].position.map(|p| p.line), Some(3));
    assert_eq!(build.outputs.len(), 1);
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(0));
    snapshot!("install_warning_kernel_name", fleet, run.report());
    // The warning from a fleet default points at fleet.yaml.
    let fleet = Fleet::base().with(
        "fleet.yaml",
        &format!("{BASE_FLEET}install:\n  device: /dev/nvme0n1\n"),
    );
    let build = fleet.compile();
    let warnings = findings(&build, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{}", raw(&build));
    assert_eq!(warnings[0].file.as_deref(), Some("fleet.yaml"));
    assert_eq!(warnings[0].position.map(|p| p.line), Some(4));
}
