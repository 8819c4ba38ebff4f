//! The real Quadlet generator (trixie's podman 5.4.2) and
//! `systemd-analyze verify` judge tiny hand-written Quadlet files, then
//! every Quadlet file and every plain systemd unit the example fleet's hosts
//! get from kindling.
//!
//! Skips with a printed reason without the tools, fails under `KINDLING_E2E=1`.

use std::fs;
use std::path::Path;

use crate::support::quadlet::{
    extract_quadlet_files, generated_service, judge_verified, quadlet_dryrun, quadlet_generate,
    systemd_analyze_verify, write_plain_units,
};
use crate::support::tools::{self, Tool};
use crate::support::{example, say};

/// Where the example fleet puts Quadlet files (`paths.quadlet_dir`).
const QUADLET_DIR: &str = "/etc/containers/systemd";

const WEB: &str = "\
[Unit]
Description=A tiny web server

[Container]
Image=docker.io/library/nginx:1.27
PublishPort=127.0.0.1:8080:80
Environment=LOG_LEVEL=info
Volume=/var/lib/web:/usr/share/nginx/html:ro,Z

[Service]
Restart=on-failure

[Install]
WantedBy=multi-user.target
";

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tools::scratch("quadlet-");
    for (name, text) in files {
        fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

#[test]
fn a_valid_container_generates_a_service() {
    if !tools::require(&[Tool::Quadlet]) {
        return;
    }
    let dir = dir_with(&[("web.container", WEB)]);
    let out = quadlet_dryrun(dir.path()).expect("quadlet accepts web.container");
    assert!(out.contains("---web.service---"), "{out}");
    assert!(
        out.contains("ExecStart=/usr/bin/podman run --name systemd-%N"),
        "{out}"
    );
    assert!(out.contains("--publish 127.0.0.1:8080:80"), "{out}");
    assert!(out.contains("--env LOG_LEVEL=info"), "{out}");
    assert!(
        out.contains("-v /var/lib/web:/usr/share/nginx/html:ro,Z"),
        "{out}"
    );
    assert!(out.contains("Restart=on-failure"), "{out}");
    assert!(out.contains("WantedBy=multi-user.target"), "{out}");
}

#[test]
fn an_unknown_key_is_rejected() {
    if !tools::require(&[Tool::Quadlet]) {
        return;
    }
    let bad = WEB.replace("Environment=", "Enviroment=");
    let dir = dir_with(&[("web.container", &bad)]);
    let err = quadlet_dryrun(dir.path()).expect_err("quadlet rejects an unknown key");
    assert!(err.contains("Enviroment"), "{err}");
    eprintln!("quadlet says: {}", err.trim());
}

#[test]
fn generated_units_pass_systemd_analyze() {
    if !tools::require(&[
        Tool::Quadlet,
        Tool::SystemdAnalyze,
        Tool::Root,
        Tool::Unshare,
    ]) {
        return;
    }
    let dir = dir_with(&[("web.container", WEB)]);
    let out = tools::scratch("quadlet-out-");
    quadlet_generate(dir.path(), out.path()).expect("quadlet generates");
    assert!(out.path().join("web.service").is_file());
    assert!(
        out.path()
            .join("multi-user.target.wants/web.service")
            .symlink_metadata()
            .is_ok()
    );
    let warnings = systemd_analyze_verify(out.path(), "web.service").expect("verify");
    assert!(
        !warnings.iter().any(|w| w.contains("web.service")),
        "{warnings:#?}"
    );
}

#[test]
fn systemd_analyze_reports_warnings_and_errors() {
    if !tools::require(&[Tool::SystemdAnalyze]) {
        return;
    }
    let dir = dir_with(&[
        (
            "odd.service",
            "[Service]\nExecStart=/bin/true\nFooBar=1\nRestart=sometimes\n",
        ),
        (
            "missing.service",
            "[Service]\nExecStart=/nonexistent/kindling-binary\n",
        ),
    ]);
    fs::create_dir(dir.path().join("odd.service.d")).expect("mkdir");
    fs::write(
        dir.path().join("odd.service.d/10-x.conf"),
        "[Service]\nBogusDropinKey=1\n",
    )
    .expect("write");
    // Unknown keys and bad values are warnings (exit 0), dropins included.
    let warnings = systemd_analyze_verify(dir.path(), "odd.service").expect("warnings only");
    let all = warnings.join("\n");
    assert!(all.contains("Unknown key 'FooBar'"), "{all}");
    assert!(all.contains("restart specifier"), "{all}");
    assert!(all.contains("BogusDropinKey"), "{all}");
    // A missing ExecStart binary is an error.
    let err = systemd_analyze_verify(dir.path(), "missing.service").expect_err("missing binary");
    assert!(err.contains("/nonexistent/kindling-binary"), "{err}");
    assert!(systemd_analyze_verify(Path::new("/nonexistent"), "x.service").is_err());
}

/// Every Quadlet file of every example host (files under
/// `/etc/containers/systemd/` in the compiled configs, dropins included)
/// goes through `quadlet -dryrun` per host; each must generate its service.
/// The generated services then go through `systemd-analyze verify`, whose
/// warnings are reported (and fail the test when they are about the
/// generated unit itself).
#[test]
fn every_example_hosts_quadlet_files_pass_the_real_quadlet() {
    if !tools::require(&[
        Tool::Quadlet,
        Tool::SystemdAnalyze,
        Tool::Root,
        Tool::Unshare,
    ]) {
        return;
    }
    let outputs = example::compile(&[], None);
    let mut failures = Vec::new();
    let mut judged = 0;
    for host in &outputs {
        let dir = dir_with(&[]);
        let files = extract_quadlet_files(&host.config, QUADLET_DIR, dir.path())
            .unwrap_or_else(|e| panic!("{}: {e}", host.name));
        if files.is_empty() {
            say(&format!("quadlet: {}: no Quadlet files", host.name));
            continue;
        }
        let generated = match quadlet_dryrun(dir.path()) {
            Ok(out) => out,
            Err(e) => {
                failures.push(format!(
                    "{}: quadlet -dryrun rejects {files:?}:\n{e}",
                    host.name
                ));
                continue;
            }
        };
        let mut services = Vec::new();
        for file in &files {
            let Some(service) = generated_service(file) else {
                continue;
            };
            judged += 1;
            if !generated.contains(&format!("---{service}---")) {
                failures.push(format!(
                    "{}: quadlet generated no {service} from {file}:\n{generated}",
                    host.name
                ));
            }
            services.push(service);
        }
        say(&format!(
            "quadlet: {}: {} accepted by quadlet -dryrun: {files:?}",
            host.name,
            files.len()
        ));
        // The generated units, judged by systemd next to the host's plain
        // units (which they may require).
        let out = dir_with(&[]);
        quadlet_generate(dir.path(), out.path()).unwrap_or_else(|e| panic!("{}: {e}", host.name));
        write_plain_units(&host.config, out.path());
        for service in &services {
            failures.extend(judge_verified(out.path(), &host.name, service));
        }
    }
    say(&format!(
        "quadlet: {judged} Quadlet unit(s) of {} example host(s) judged",
        outputs.len()
    ));
    assert!(judged > 0, "the example fleet has Quadlet files");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every plain systemd unit with contents in the example hosts'
/// `systemd.units` (with its dropins) goes through `systemd-analyze verify`:
/// an error fails the test; warnings are read from stderr and reported, and
/// fail it when they are about the unit itself. Binaries the unit runs that
/// this machine lacks (a node's `/usr/sbin/zpool`) are stubbed, and said so.
#[test]
fn every_example_hosts_plain_units_pass_systemd_analyze() {
    if !tools::require(&[Tool::SystemdAnalyze, Tool::Root, Tool::Unshare]) {
        return;
    }
    let outputs = example::compile(&[], None);
    let mut failures = Vec::new();
    let mut judged = 0;
    for host in &outputs {
        let dir = dir_with(&[]);
        let units = write_plain_units(&host.config, dir.path());
        for unit in &units {
            judged += 1;
            failures.extend(judge_verified(dir.path(), &host.name, unit));
        }
    }
    say(&format!(
        "systemd-analyze: {judged} plain unit(s) with contents in {} example host(s) judged",
        outputs.len()
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Where kindling warns `quadlet-unsupported-escape`, the real generator
/// drops the value (Podman 5.5+ also logs "unsupported escape char"); with
/// valid escapes both keep it.
#[test]
fn unsupported_escapes_are_dropped_where_kindling_warns() {
    if !tools::require(&[Tool::Quadlet]) {
        return;
    }
    let version: semver::Version = "5.4.2".parse().expect("version");
    let opts = kindling::quadlet::ValidateOptions::new(version);
    let warned = |text: &str| {
        kindling::quadlet::validate_file("side.container", text, &opts)
            .iter()
            .filter(|d| d.code.as_str() == "quadlet-unsupported-escape")
            .count()
    };
    let head = "[Container]\nImage=registry.example.com/acme/side:1.0\n";
    let bad = format!("{head}Label=foo=\\q\nExec=/bin/sh -c \"echo \\d\"\n");
    let good = format!("{head}Label=foo=\\\\q\nExec=/bin/sh -c \"echo \\\\d\"\n");
    assert_eq!(warned(&bad), 2);
    assert_eq!(warned(&good), 0);
    let exec_start = |text: &str| {
        let dir = dir_with(&[("side.container", text)]);
        let out = quadlet_dryrun(dir.path()).expect("quadlet accepts side.container");
        out.lines()
            .find(|l| l.starts_with("ExecStart="))
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let dropped = exec_start(&bad);
    assert!(!dropped.contains("--label"), "{dropped}");
    assert!(!dropped.contains("/bin/sh"), "{dropped}");
    let kept = exec_start(&good);
    assert!(kept.contains(r#"--label "foo=\\q""#), "{kept}");
    assert!(kept.contains(r#"/bin/sh -c "echo \\d""#), "{kept}");
}
