//! The drop-in's surface beyond translation: `--version`/`-V` (kindling's
//! and, as `butane`, Butane's shape), `--color`, and `--raw-errors` lines as
//! the reference Butane prints them (checked against its reports in the
//! corpus).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::cli::{kindling, output_with_stdin};
use crate::support::paths;

/// The built binary linked as `butane` in a fresh directory.
fn butane_link() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let link = dir.path().join("butane");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kindling"), &link).expect("symlink");
    (dir, link)
}

fn stdout_of(command: &mut Command) -> String {
    let output = command.output().expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The commit changes with every build; everything else is snapshot.
fn mask_commit(text: &str) -> String {
    text.replace(kindling::build_info::COMMIT, "[commit]")
}

#[test]
fn version_names_commit_specs_and_key_table() {
    let long = stdout_of(kindling().arg("--version"));
    assert_eq!(stdout_of(kindling().arg("-V")), long);
    insta::assert_snapshot!(mask_commit(&long));
}

#[test]
fn butane_version_has_butanes_shape() {
    let (_dir, butane) = butane_link();
    let line = stdout_of(Command::new(&butane).arg("--version"));
    assert_eq!(stdout_of(Command::new(&butane).arg("-V")), line);
    assert_eq!(stdout_of(kindling().args(["butane", "--version"])), line);
    assert!(line.starts_with("Butane 0.29.0 "), "{line}");
    insta::assert_snapshot!(mask_commit(&line));
}

const RELATIVE_PATH: &str = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: rel\n";

fn stderr_with(args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("x.bu"), RELATIVE_PATH).expect("write");
    let output = kindling()
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .args(["butane"])
        .args(args)
        .arg("x.bu")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    String::from_utf8(output.stderr).expect("UTF-8")
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let colored = stderr_with(&["--color=always"], &[]);
    insta::assert_snapshot!(colored.replace('\x1b', "<ESC>"));
    assert_eq!(stderr_with(&["--color"], &[]), colored);
    assert_eq!(stderr_with(&["--colour=yes"], &[]), colored);
    let plain = stderr_with(&["--color=never"], &[]);
    assert!(!plain.contains('\x1b'));
    // Not a terminal here, so `auto` is plain; NO_COLOR keeps it so.
    assert_eq!(stderr_with(&[], &[]), plain);
    assert_eq!(stderr_with(&["--color=auto"], &[("NO_COLOR", "1")]), plain);
    // An explicit choice wins over NO_COLOR, as in Butane.
    assert_eq!(
        stderr_with(&["--color=always"], &[("NO_COLOR", "1")]),
        colored
    );
}

/// Butane's report entries, read back from its pretty report (`.warn` or
/// `.err` in the corpus) as the lines `--raw-errors` prints for them:
/// `warning at $.path, line L col C: message`.
fn butane_raw_lines(report: &str) -> Vec<String> {
    let lines: Vec<&str> = report.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(header) = line.strip_suffix(':') else {
            continue;
        };
        let (kind, path) = match header.split_once('[') {
            Some((kind, path)) => (kind, path.strip_suffix(']')),
            None => (header, None),
        };
        if !matches!(kind, "error" | "warning") {
            continue;
        }
        let location = lines
            .get(index + 1)
            .and_then(|l| l.trim_start().strip_prefix("--> "))
            .and_then(|l| {
                l.rsplitn(3, ':')
                    .collect::<Vec<_>>()
                    .get(..2)
                    .map(<[_]>::to_vec)
            })
            .expect("a location follows the header");
        let (column, line_number) = (location[0], location[1]);
        let message = lines[index + 2..]
            .iter()
            .find_map(|l| {
                let (gutter, text) = l.split_once(" | ")?;
                (gutter.trim().is_empty() && text.trim_start().starts_with('^'))
                    .then(|| text.trim_start().trim_start_matches('^').trim_start())
            })
            .expect("an underlined message");
        let at = match path {
            Some(path) => format!(" at {path}, line {line_number} col {column}"),
            None => format!(" at line {line_number} col {column}"),
        };
        found.push(format!("{kind}{at}: {message}"));
    }
    found
}

/// Corpus inputs whose finding kindling places elsewhere than Butane does
/// (same path and message): Butane puts a block scalar (`contents: |`) at
/// its `|`, kindling at its first line of text.
const KNOWN_POSITION_DIFFERENCES: &[&str] =
    &["poseidon__typhoon__bare-metal__fedora-coreos__kubernetes__worker__butane__worker.yaml"];

#[test]
fn raw_errors_as_butane_are_butanes_lines() {
    let corpus = paths::butane_corpus();
    let (_dir, butane) = butane_link();
    let mut compared = 0;
    let mut differing = Vec::new();
    let mut reports: Vec<PathBuf> = std::fs::read_dir(corpus.join("expected"))
        .expect("corpus")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "warn" || e == "err"))
        .collect();
    reports.sort();
    for report in reports {
        let mut expected = butane_raw_lines(&std::fs::read_to_string(&report).expect("report"));
        if expected.is_empty() {
            // Butane failed before it had a report (YAML, variant).
            continue;
        }
        let name = report.file_stem().and_then(|s| s.to_str()).expect("name");
        let mut command = Command::new(&butane);
        command.current_dir(&corpus).arg("--raw-errors");
        let files = Path::new("files").join(name);
        if corpus.join(&files).is_dir() {
            command.arg("-d").arg(&files);
        }
        let output = command.arg(format!("{name}.bu")).output().expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut got: Vec<String> = stderr
            .lines()
            .filter(|l| l.starts_with("error at ") || l.starts_with("warning at "))
            .map(str::to_owned)
            .collect();
        expected.sort();
        got.sort();
        compared += 1;
        if got != expected {
            // `kind at path, line L col C: message` without `, line L col C`.
            let without_position = |lines: &[String]| -> Vec<String> {
                lines
                    .iter()
                    .map(|l| match l.split_once(", line ") {
                        Some((head, rest)) => {
                            format!("{head}: {}", rest.split_once(": ").map_or("", |(_, m)| m))
                        }
                        None => l.clone(),
                    })
                    .collect()
            };
            assert_eq!(
                without_position(&got),
                without_position(&expected),
                "{name}"
            );
            differing.push(name.to_owned());
        }
    }
    assert!(compared >= 8, "only {compared} reports compared");
    assert_eq!(differing, KNOWN_POSITION_DIFFERENCES);
}

/// `butane -o` into something that is not a regular file writes through it:
/// the old atomic rename replaced the link (and, as root, `/dev/null` or
/// `/dev/stdout` themselves) with a regular file.
#[cfg(unix)]
#[test]
fn output_to_a_link_to_a_device_keeps_the_link_and_the_device() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.bu");
    std::fs::write(&config, "variant: fcos\nversion: 1.5.0\n").expect("write config");
    let link = dir.path().join("out.ign");
    std::os::unix::fs::symlink("/dev/null", &link).expect("symlink");
    let output = kindling()
        .arg("butane")
        .arg(&config)
        .arg("-o")
        .arg(&link)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let kind = std::fs::symlink_metadata(&link).expect("lstat").file_type();
    assert!(kind.is_symlink(), "the link was replaced");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 2, "temporary files left: {names:?}");
}

/// Invoked as `butane`, a failure ends with Butane's own line, and the
/// failures Butane has no report for (YAML, variant, version) print only
/// that line, with go-yaml's line number.
#[test]
fn failures_as_butane_end_with_butanes_line() {
    let (_dir, butane) = butane_link();
    let cases = [
        (
            "a: b\n c: d\n",
            "Error translating config: Error unmarshaling yaml: yaml: line 2: mapping values are not allowed in this context\n",
        ),
        (
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n   mode: 1\n",
            "Error translating config: Error unmarshaling yaml: yaml: line 3: did not find expected key\n",
        ),
        (
            "version: 1.5.0\n",
            "Error translating config: error parsing variant; must be specified\n",
        ),
        (
            "variant: fcos\nversion: 1.5\n",
            "Error translating config: error parsing version; must be a valid semver\n",
        ),
        (
            "variant: fcos\nversion: {butane-latest-stable-spec}\n",
            "Error translating config: Error unmarshaling yaml: yaml: unmarshal errors:\n  line 2: cannot unmarshal !!map into string\n",
        ),
        (
            "variant: fcos\nversion: 9.0.0\n",
            "Error translating config: No translator exists for variant fcos with version 9.0.0\n",
        ),
        (
            "variant: rhcos\nversion: 0.1.0\n",
            "Error translating config: rhcos variant has been removed; use openshift variant instead: https://coreos.github.io/butane/upgrading-openshift/\n",
        ),
    ];
    for (input, expected) in cases {
        let output = output_with_stdin(&mut Command::new(&butane), input.as_bytes());
        assert_eq!(output.status.code(), Some(1), "{input}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), expected, "{input}");
    }
    let invalid = output_with_stdin(
        Command::new(&butane).args(["--raw-errors", "-"]),
        b"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: a\n",
    );
    assert_eq!(
        String::from_utf8_lossy(&invalid.stderr),
        "error at $.storage.files.0.path, line 5 col 13: path not absolute\nError translating config: config generated was invalid\n"
    );
    let strict = output_with_stdin(
        Command::new(&butane).args(["--strict", "--raw-errors"]),
        b"variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      mode: 644\n",
    );
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert!(
        stderr.ends_with("\nConfig produced warnings and --strict was specified\n"),
        "{stderr}"
    );
}
