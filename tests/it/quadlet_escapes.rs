//! Escape sequences Podman's Quadlet generator cannot decode in `Label=`,
//! `Exec=` and `ReloadCmd=` (it warns "unsupported escape char" and drops
//! the value) are a located warning with help; valid escapes pass clean.

use kindling::diag::Severity;

use crate::support::fleet::{Fleet, findings, raw, snapshot};

const BAD: &str = r#"[Container]
Image=registry.example.com/acme/side:1.0
User=1000
Label=foo=\q
Exec=/bin/sh -c "echo \d"
ReloadCmd=/bin/kill -HUP \1
"#;

const GOOD: &str = r#"[Container]
Image=registry.example.com/acme/side:1.0
User=1000
Label=foo=\\q
Exec=/bin/sh -c "echo \\d \x41\tend"
ReloadCmd=/bin/kill -HUP \061
"#;

fn fleet(side: &str) -> Fleet {
    Fleet::base()
        .with("containers/side.container", side)
        .with("hosts/h1.yaml", "services: [web, side]\n")
}

#[test]
fn unsupported_escapes_warn_at_their_backslash() {
    let fleet = fleet(BAD);
    let build = fleet.compile();
    let warnings = findings(&build, Severity::Warning);
    let places: Vec<_> = warnings
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.file.as_deref(),
                d.position.map(|p| (p.line, p.column)),
            )
        })
        .collect();
    let file = Some("containers/side.container");
    assert_eq!(
        places,
        [
            ("quadlet-unsupported-escape", file, Some((4, 11))),
            ("quadlet-unsupported-escape", file, Some((5, 23))),
            ("quadlet-unsupported-escape", file, Some((6, 26))),
        ],
        "{}",
        raw(&build)
    );
    assert!(
        findings(&build, Severity::Error).is_empty(),
        "{}",
        raw(&build)
    );
    let run = fleet.run("check", &[]);
    assert_eq!(run.code, Some(0), "warnings only: {}", run.report());
    snapshot!("unsupported_escapes", fleet, run.report());
}

#[test]
fn valid_escapes_pass_clean() {
    fleet(GOOD).compile_clean();
}
