//! Bad input gets a clear error, never a panic, and nothing on stdout.
//!
//! Each `tests/fixtures/bad/*.bu` is run through the real binary as
//! `kindling butane --strict [ARGS] FILE` (ARGS from a `# kindling-args:`
//! first line), and its exit code and report are snapshot-tested.

use crate::support::cli::kindling;

fn fixture_args(source: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(source);
    text.lines()
        .next()
        .and_then(|line| line.strip_prefix("# kindling-args:"))
        .map(|args| args.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn bad_inputs_are_reported_clearly() {
    insta::glob!("../fixtures", "bad/*.bu", |path| {
        let source = std::fs::read(path).expect("fixture readable");
        let dir = path.parent().expect("fixture dir");
        let name = path.file_name().expect("file name");
        let output = kindling()
            .current_dir(dir)
            .arg("butane")
            .arg("--strict")
            .args(fixture_args(&source))
            .arg(name)
            .output()
            .expect("kindling runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{}: {stderr}", path.display());
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}: {stderr}",
            path.display()
        );
        assert!(output.stdout.is_empty(), "{}: wrote output", path.display());
        insta::assert_snapshot!(stderr);
    });
}
