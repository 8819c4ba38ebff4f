use super::super::DEFAULT_PODMAN_VERSION;
use super::*;
use std::collections::BTreeSet;

pub(crate) fn run(path: &str, src: &str, version: &str) -> Vec<Diagnostic> {
    let v = Version::parse(version).unwrap_or(DEFAULT_PODMAN_VERSION);
    validate_file(path, src, &ValidateOptions::new(v))
}

pub(crate) fn run_with(path: &str, src: &str, version: &str, units: &[&str]) -> Vec<Diagnostic> {
    let v = Version::parse(version).unwrap_or(DEFAULT_PODMAN_VERSION);
    let set: BTreeSet<String> = units.iter().map(|s| s.to_string()).collect();
    validate_file(path, src, &ValidateOptions::new(v).with_units(&set))
}

pub(crate) fn of_code(f: &[Diagnostic], code: Code) -> Vec<&Diagnostic> {
    f.iter().filter(|x| x.code == code).collect()
}

/// Line and column of a finding (every Quadlet finding has a position).
pub(crate) fn at(d: &Diagnostic) -> (usize, usize) {
    d.position.map_or((0, 0), |p| (p.line, p.column))
}

/// The `[Section] Key` the message of a finding about a key starts with.
pub(crate) fn key_of(d: &Diagnostic) -> &str {
    let end = d
        .message
        .match_indices(' ')
        .nth(1)
        .map_or(d.message.len(), |(i, _)| i);
    d.message.get(..end).unwrap_or_default()
}

fn has_errors(f: &[Diagnostic]) -> bool {
    f.iter().any(Diagnostic::is_error)
}

const GOOD: &str = "[Unit]\nDescription=Web\n\n[Container]\nImage=quay.io/acme/web:1.0\n\
User=1000\nPublishPort=127.0.0.1:8080:80\n\n[Service]\nRestart=always\n\n[Install]\n\
WantedBy=multi-user.target\n";

#[test]
fn clean_file_has_no_findings() {
    let f = run("web.container", GOOD, "5.8.0");
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn syntax_errors_become_findings() {
    let f = run(
        "web.container",
        "[Container]\nImage=quay.io/a/b:1\nUser=1\nbogus line\n",
        "5.8.0",
    );
    let syntax = of_code(&f, Code::QuadletSyntax);
    assert_eq!(syntax.len(), 1);
    assert_eq!(at(syntax[0]), (4, 1));
    assert_eq!(syntax[0].severity, Severity::Error);
}

#[test]
fn bad_file_name() {
    let f = run("web.service", GOOD, "5.8.0");
    assert_eq!(of_code(&f, Code::QuadletFileName).len(), 1);
}

#[test]
fn unknown_section() {
    let src = "[Container]\nImage=quay.io/a/b:1\nUser=1\n[container]\nX=1\n[Volume]\nY=2\n[X-Mine]\nZ=3\n";
    let f = run("web.container", src, "5.8.0");
    let s = of_code(&f, Code::QuadletUnknownSection);
    assert_eq!(s.len(), 2, "{f:#?}");
    assert_eq!(at(s[0]).0, 4);
    assert!(
        s[0].message.starts_with("unknown section [container] "),
        "{}",
        s[0].message
    );
    assert!(
        s[0].message.contains("did you mean [Container]"),
        "{}",
        s[0].message
    );
    assert!(
        s[1].message.contains("belongs in .volume files"),
        "{}",
        s[1].message
    );
}

#[test]
fn unknown_key_with_suggestion() {
    let src = "[Container]\nImage=quay.io/a/b:1\nUser=1\nimage=x\nPublishPorts=1:1\nNotAThing=1\nVolumeName=x\n";
    let f = run("web.container", src, "5.8.0");
    let k = of_code(&f, Code::QuadletUnknownKey);
    assert_eq!(k.len(), 4, "{f:#?}");
    assert!(k.iter().all(|x| x.severity == Severity::Error));
    assert_eq!(at(k[0]), (4, 1));
    assert!(
        k[0].message
            .starts_with("unknown key `image` in [Container]"),
        "{}",
        k[0].message
    );
    assert!(
        k[0].message
            .contains("case-sensitive: did you mean `Image=`"),
        "{}",
        k[0].message
    );
    assert!(
        k[1].message.contains("did you mean `PublishPort=`"),
        "{}",
        k[1].message
    );
    assert!(!k[2].message.contains("did you mean"), "{}", k[2].message);
    assert!(
        k[3].message.contains("exists in [Volume]"),
        "{}",
        k[3].message
    );
}

#[test]
fn key_too_new_names_both_versions() {
    let src = "[Container]\nImage=quay.io/a/b:1\nUser=1\nMemory=1g\n";
    let f = run("web.container", src, "5.4.2");
    let k = of_code(&f, Code::QuadletKeyTooNew);
    assert_eq!(k.len(), 1);
    assert_eq!(at(k[0]), (4, 1));
    assert!(k[0].message.contains("Memory=") && k[0].message.contains("5.5.0"));
    assert!(k[0].message.contains("5.4.2"));
    assert_eq!(k[0].severity, Severity::Error);
    assert!(run("web.container", src, "5.5.0").is_empty());
    // Downgradable to a warning.
    let set = ValidateOptions {
        newer_key_severity: Severity::Warning,
        ..ValidateOptions::new(Version::new(5, 4, 2))
    };
    let f = validate_file("web.container", src, &set);
    assert!(!has_errors(&f), "{f:#?}");
    // Pre-release semantics: 6.0.0 accepts a key introduced in 6.0.0-rc1.
    let vol = "[Volume]\nUID=1000\n";
    assert!(run("v.volume", vol, "6.0.0").is_empty());
    assert_eq!(
        of_code(&run("v.volume", vol, "5.8.3"), Code::QuadletKeyTooNew).len(),
        1
    );
}

#[test]
fn unit_type_too_new() {
    let f = run(
        "a.artifact",
        "[Artifact]\nArtifact=quay.io/a/b:1\n",
        "5.4.0",
    );
    let k = of_code(&f, Code::QuadletUnitTypeTooNew);
    assert_eq!(k.len(), 1);
    assert!(k[0].message.contains("5.7.0"));
}

#[test]
fn quadlet_section_by_version() {
    let src = "[Quadlet]\nDefaultDependencies=false\n[Volume]\n";
    assert!(run("v.volume", src, "5.8.0").is_empty());
    let f = run("v.volume", src, "5.2.0");
    assert_eq!(of_code(&f, Code::QuadletSectionIgnored).len(), 1);
    assert!(!has_errors(&f));
    let f = run("v.volume", "[Quadlet]\nDefaultDeps=false\n", "5.8.0");
    assert_eq!(of_code(&f, Code::QuadletUnknownKey).len(), 1);
}

#[test]
fn systemd_keys_are_checked_as_warnings() {
    let src = "[Unit]\nDescripton=x\nX-Custom=1\nConditionPathExists=/x\n[Service]\nRestart=always\n\
MemoryLimit=1G\nWantedBy=x\n[Install]\nWantedBy=default.target\n[Volume]\n";
    let f = run("v.volume", src, "5.8.0");
    let u = of_code(&f, Code::QuadletUnknownSystemdKey);
    assert_eq!(u.len(), 2, "{f:#?}");
    assert!(
        u[0].message.contains("did you mean `Description=`"),
        "{}",
        u[0].message
    );
    assert!(
        u[1].message.contains("belongs in [Install]"),
        "{}",
        u[1].message
    );
    assert_eq!(of_code(&f, Code::QuadletObsoleteSystemdKey).len(), 1);
    assert!(!has_errors(&f));
}

#[test]
fn value_syntax() {
    let src = "[Container]\nImage=quay.io/a/b:1\nUser=1\nReadOnly=ture\nNoNewPrivileges=YES\n\
Pull=sometimes\nNotify=healthy\nAutoUpdate=Registry\nRunInit=%i\nLogDriver=journald\n";
    let f = run("web.container", src, "5.8.0");
    let v = of_code(&f, Code::QuadletInvalidValue);
    let lines: Vec<(usize, Severity)> = v.iter().map(|x| (at(x).0, x.severity)).collect();
    assert_eq!(
        lines,
        [
            (4, Severity::Error),
            (6, Severity::Error),
            (8, Severity::Warning)
        ],
        "{f:#?}"
    );
    assert_eq!(at(v[0]).1, 10);
    assert!(v[1].message.contains("always, missing, never, newer"));
    assert!(
        v[2].message.contains("`AutoUpdate=registry`"),
        "{}",
        v[2].message
    );
}

#[test]
fn dropins_are_checked_against_their_parent_kind() {
    let src = "[Container]\nMemory=7g\nImag=x\n[Service]\nCPUWeight=200\n";
    let f = run("minecraft@x.container.d/20-resources.conf", src, "5.4.2");
    assert_eq!(of_code(&f, Code::QuadletKeyTooNew).len(), 1);
    assert_eq!(of_code(&f, Code::QuadletUnknownKey).len(), 1);
    // No required-key checks and no root lint in drop-ins.
    assert!(of_code(&f, Code::QuadletMissingKey).is_empty());
    assert!(of_code(&f, Code::QuadletRunsAsRoot).is_empty());
    let f = run("container.d/10.conf", "[Volume]\nUser=1\n", "5.8.0");
    assert_eq!(of_code(&f, Code::QuadletUnknownSection).len(), 1);
    let f = run("web.container.d/10.conf", "[Container]\nUser=1\n", "4.9.0");
    assert_eq!(of_code(&f, Code::QuadletFeatureTooNew).len(), 1);
}

#[test]
fn findings_are_sorted_and_displayable() {
    let f = run(
        "web.container",
        "[Container]\nBad=1\n[Unit]\nBad=2\n",
        "5.8.0",
    );
    let lines: Vec<usize> = f.iter().map(|x| at(x).0).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    assert!(f.iter().any(|x| {
        x.to_string().starts_with(
            "line 2 col 1: error[quadlet-unknown-key]: unknown key `Bad` in [Container]",
        )
    }));
}

#[test]
fn validation_never_panics_on_weird_input() {
    let names = [
        "a.container",
        "a@.volume",
        "a@b.network",
        "p.pod",
        "k.kube",
        "i.image",
        "b.build",
        "x.artifact",
        "container.d/1.conf",
        "é.container",
        "x",
    ];
    let fragments = [
        "[Container]\n",
        "[Unit]\n",
        "[Service]\n",
        "[Install]\n",
        "[Quadlet]\n",
        "[Volume]\n",
        "Image=",
        "Volume=",
        "Network=",
        "Pod=",
        "Mount=",
        "PublishPort=",
        "Environment=",
        "Requires=",
        "User=",
        "Type=",
        "ExecStart=",
        "Yaml=",
        "ImageTag=",
        "File=",
        "SetWorkingDirectory=",
        "Gateway=",
        "AutoUpdate=registry\n",
        "[",
        "]",
        ":",
        "@",
        "=",
        ".volume",
        ".image",
        ".container",
        "${X}",
        "%i",
        "\"",
        "'",
        "\\",
        "\n",
        " ",
        "é",
        "🌍",
        "0.0.0.0",
        "[::]",
        "sha256:",
        "type=volume,src=",
        ",",
        "KEY=v ",
    ];
    let mut x: u64 = 42;
    let mut next = |n: usize| {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        ((x >> 33) as usize) % n
    };
    let units: BTreeSet<String> = ["a.volume", "n.network"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for round in 0..400 {
        let src: String = (0..30).map(|_| fragments[next(fragments.len())]).collect();
        let name = names[round % names.len()];
        for version in ["4.4.0", "5.4.2", "6.1.0"] {
            let opts =
                ValidateOptions::new(Version::parse(version).unwrap_or(DEFAULT_PODMAN_VERSION))
                    .with_units(&units);
            for f in validate_file(name, &src, &opts) {
                assert!(at(&f).0 >= 1 && at(&f).1 >= 1, "{f:?}");
                assert!(!f.message.is_empty());
            }
        }
    }
}
