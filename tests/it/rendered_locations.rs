//! Findings about the Quadlet files kindling renders point at the fleet
//! file a person edits (#17 §2): the YAML value that produced the line (a
//! service definition, a host's override of it), the line of a template
//! in `templates/` or of a literal `.j2` file, or the line of a drop-in in
//! the YAML. Never at a rendered pseudo-file, in human and JSON output.

use crate::support::fleet::{
    BASE_FLEET, Fleet, findings, raw, snapshot, the_one_error, the_one_error_at,
};
use kindling::diag::Severity;
use kindling::fleet::Build;

/// The file, line and column of the one finding of a JSON report.
fn json_place(stdout: &str) -> (String, u64, u64) {
    let report: serde_json::Value = serde_json::from_str(stdout).expect("JSON report");
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 1, "{stdout}");
    let finding = &diagnostics[0];
    (
        finding["file"].as_str().unwrap_or_default().to_owned(),
        finding["position"]["line"].as_u64().unwrap_or_default(),
        finding["position"]["column"].as_u64().unwrap_or_default(),
    )
}

/// The build's one warning, at `file`, `line`, `column`.
fn assert_one_warning_at(build: &Build, file: &str, line: usize, column: usize) {
    let warnings = findings(build, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{}", raw(build));
    assert_eq!(
        (
            warnings[0].file.as_deref(),
            warnings[0].position.map(|p| (p.line, p.column))
        ),
        (Some(file), Some((line, column))),
        "{}",
        raw(build)
    );
}

#[test]
fn a_misspelled_quadlet_key_in_a_service_definition() {
    let fleet = Fleet::base()
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nquadlet:\n  Container:\n    Networks: host\n",
        )
        .with("hosts/h2.yaml", "services: [web]\n");
    let build = fleet.compile();
    the_one_error_at(&build, "containers/web.yaml", 4, 5);
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(1));
    snapshot!("service_definition_key", fleet, run.report());
    let json = fleet.run("check", &["--format", "json"]);
    assert_eq!(json.code, Some(1));
    assert_eq!(
        json_place(&json.stdout),
        ("containers/web.yaml".to_owned(), 4, 5),
        "both hosts' finding is one, at the definition"
    );
    snapshot!("service_definition_key_json", fleet, json.stdout);
}

#[test]
fn a_misspelled_quadlet_key_in_a_host_override() {
    let host = "\
services:
  - web:
      quadlet:
        Container:
          Imagee: quay.io/acme/web:1
";
    let fleet = Fleet::base().with("hosts/h1.yaml", host);
    let build = fleet.compile();
    the_one_error_at(&build, "hosts/h1.yaml", 5, 11);
    let run = fleet.run("check", &[]);
    snapshot!("host_override_key", fleet, run.report());
    let json = fleet.run("check", &["--format", "json"]);
    assert_eq!(
        json_place(&json.stdout),
        ("hosts/h1.yaml".to_owned(), 5, 11)
    );
}

#[test]
fn a_misspelled_key_in_a_template_line() {
    let builtin = include_str!("../../src/fleet/templates/quadlet.container.j2");
    let line = builtin
        .lines()
        .position(|l| l.starts_with("Image="))
        .expect("an Image= line")
        + 1;
    let fleet = Fleet::base().with(
        "templates/quadlet.container.j2",
        &builtin.replacen("Image=", "Imagee=", 1),
    );
    let build = fleet.compile();
    // The unit has no `Image=` now either: at the template's [Container].
    let places: Vec<_> = findings(&build, Severity::Error)
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.file.clone(),
                d.position.map(|p| (p.line, p.column)),
            )
        })
        .collect();
    let file = Some("templates/quadlet.container.j2".to_owned());
    assert_eq!(
        places,
        [
            ("quadlet-missing-key", file.clone(), Some((line - 2, 1))),
            ("quadlet-unknown-key", file, Some((line, 1))),
        ],
        "{}",
        raw(&build)
    );
    let run = fleet.run("check", &[]);
    snapshot!("template_line_key", fleet, run.report());
}

#[test]
fn a_value_a_template_prints_is_reported_at_the_yaml_value() {
    // The template writes `PublishPort=` itself; the port comes from the
    // service definition, where the finding points.
    let fleet = Fleet::base()
        .with(
            "templates/quadlet.container.j2",
            "[Container]\nImage={{ image }}\nUser={{ account.uid }}\n{% for port in ports %}\nPublishPort={{ port }}\n{% endfor %}\n",
        )
        .with(
            "containers/web.yaml",
            "version: 1.0.0\nports:\n  - 127.0.0.1:8443:443\n  - 8080:80\n",
        );
    let build = fleet.compile();
    assert_one_warning_at(&build, "containers/web.yaml", 4, 5);
}

#[test]
fn a_misspelled_key_in_a_templated_literal_file() {
    let fleet = Fleet::base()
        .with(
            "containers/side.container.j2",
            "[Container]\nImage=registry.example.com/side:1.0\nUser=1000\nVolume={{ data_dir }}:/data:Z\nPublishPorts=127.0.0.1:80:80\n",
        )
        .with("hosts/h1.yaml", "services: [web, side]\n");
    let build = fleet.compile();
    the_one_error_at(&build, "containers/side.container.j2", 5, 1);
}

#[test]
fn a_drop_in_in_a_block_scalar_is_reported_at_its_line() {
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\ndropins:\n  10-limits.conf: |\n    [Service]\n    MemoryMaxx=1G\n",
    );
    let build = fleet.compile();
    assert_one_warning_at(&build, "containers/web.yaml", 5, 5);
}

#[test]
fn a_value_the_built_in_template_chose_names_the_key_that_would_change_it() {
    let fleet = Fleet::base()
        .with("fleet.yaml", &format!("{BASE_FLEET}image_policy: pinned\n"))
        .with("containers/web.yaml", "uid: 3100\n");
    let build = fleet.compile();
    let warnings = findings(&build, Severity::Warning);
    assert_eq!(warnings.len(), 1, "{}", raw(&build));
    assert_eq!(warnings[0].file.as_deref(), Some("containers/web.yaml"));
    assert!(
        warnings[0]
            .message
            .ends_with("(the built-in template's default: the service sets no `version:`)"),
        "{}",
        warnings[0].message
    );
}

#[test]
fn a_templated_quadlet_value_is_told_apart_from_the_list_the_template_writes() {
    // Both write `Volume=`; the broken reference is the `quadlet:` one,
    // whose text differs from the rendered line (it is templated).
    let fleet = Fleet::base().with(
        "containers/web.yaml",
        "version: 1.0.0\nvolumes: [\"/srv/a:/a:Z\"]\nquadlet:\n  Container:\n    Volume: \"{{ service }}-data.volume:/data\"\n",
    );
    let build = fleet.compile();
    let error = the_one_error(&build, "containers/web.yaml", 5);
    assert_eq!(error.code.as_str(), "quadlet-missing-reference");
    assert_eq!(
        error.position.map(|p| p.column),
        Some(13),
        "{}",
        raw(&build)
    );
}
