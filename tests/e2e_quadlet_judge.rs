//! The real Quadlet generator (trixie's podman 5.4.2) and
//! `systemd-analyze verify` judge tiny hand-written Quadlet files.
//!
//! Skips with a printed reason without the tools, fails under `KINDLING_E2E=1`.

mod support;

use std::fs;
use std::path::Path;

use support::quadlet::{quadlet_dryrun, quadlet_generate, systemd_analyze_verify};
use support::tools::{self, Tool};

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
    let dir = tempfile::Builder::new()
        .prefix("quadlet-")
        .tempdir_in(tools::scratch_parent())
        .expect("tempdir");
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
    let out = tempfile::Builder::new()
        .prefix("quadlet-out-")
        .tempdir_in(tools::scratch_parent())
        .expect("tempdir");
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
