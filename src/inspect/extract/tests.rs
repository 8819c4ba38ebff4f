use super::*;

fn config(json: &str) -> ign::Config {
    serde_json::from_str(json).expect("parses")
}

#[test]
fn extracts_files_links_and_units() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("out");
    let config = config(
        r#"{"ignition":{"version":"3.4.0"},"storage":{
          "files":[{"path":"/etc/hostname","mode":420,"contents":{"source":"data:,node1"},"append":[{"source":"data:,%0A"}]},
                   {"path":"/etc/remote","contents":{"source":"https://example.com/x"}}],
          "links":[{"path":"/etc/localtime","target":"/usr/share/zoneinfo/UTC"}],
          "directories":[{"path":"/var/lib/x","mode":320,"user":{"name":"core"}},{"path":"/var/lib/y","mode":488}]},
          "systemd":{"units":[{"name":"a.service","enabled":true,"contents":"[Unit]\n","dropins":[{"name":"x.conf","contents":"[Service]\n"}]},{"name":"b.service","mask":true}]}}"#,
    );
    let report = extract(&config, Spec::V3_4, &dest).expect("extracts");
    assert!(report.refused.is_empty(), "{report}");
    assert_eq!(
        fs::read_to_string(dest.join("etc/hostname")).expect("read"),
        "node1\n"
    );
    assert!(dest.join("var/lib/x").is_dir());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &str| {
            fs::metadata(dest.join(p))
                .map(|m| m.permissions().mode() & 0o7777)
                .ok()
        };
        assert_eq!(mode("var/lib/x"), Some(0o700));
        assert_eq!(mode("var/lib/y"), Some(0o750));
    }
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.reason == "mode 0500 applied as 0700"),
        "{report}"
    );
    #[cfg(unix)]
    assert_eq!(
        fs::read_link(dest.join("etc/localtime")).expect("link"),
        PathBuf::from("../usr/share/zoneinfo/UTC")
    );
    assert!(dest.join("etc/systemd/system/a.service.d/x.conf").is_file());
    let preset = fs::read_to_string(dest.join("etc/systemd/system-preset/20-ignition.preset"));
    assert_eq!(preset.expect("preset"), "enable a.service\n");
    assert_eq!(report.skipped.len(), 2, "{report}");
    let summary = fs::read_to_string(dest.join(SUMMARY_FILE)).expect("summary");
    assert!(
        summary.contains("a.service  enabled; dropins x.conf"),
        "{summary}"
    );
    assert!(
        summary.contains("remote contents https://example.com/x not fetched"),
        "{summary}"
    );
    assert!(matches!(
        extract(&config, Spec::V3_4, &dest),
        Err(ExtractError::NotEmpty(_))
    ));
}

#[test]
fn hostile_paths_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dest = dir.path().join("out");
    let config = config(
        r#"{"ignition":{"version":"3.4.0"},"storage":{
          "files":[{"path":"../escape","contents":{"source":"data:,x"}},
                   {"path":"/etc/../../escape2","contents":{"source":"data:,x"}},
                   {"path":"/etc/x/passwd","contents":{"source":"data:,x"}},
                   {"path":"/.kindling-summary.txt","contents":{"source":"data:,x"}}],
          "links":[{"path":"/etc/x","target":"/"},{"path":"/etc/up","target":"../../.."}]},
          "systemd":{"units":[{"name":"../../evil.service","contents":"x"}]}}"#,
    );
    let report = extract(&config, Spec::V3_4, &dest).expect("extracts");
    let mut refused: Vec<&str> = report.refused.iter().map(|n| n.path.as_str()).collect();
    refused.sort_unstable();
    assert_eq!(
        refused,
        [
            "../escape",
            "/.kindling-summary.txt",
            "/etc/../../escape2",
            "/etc/systemd/system/../../evil.service",
            "/etc/up",
            "/etc/x/passwd",
        ],
        "{report}"
    );
    let outside: Vec<_> = fs::read_dir(dir.path()).expect("ls").collect();
    assert_eq!(outside.len(), 1, "only the extract directory exists");
}

/// Issue 16 item 4: a file being extracted (a private key) is never open
/// to others, and a write that fails leaves nothing behind.
#[cfg(unix)]
#[test]
fn a_file_is_owner_only_while_written_and_removed_when_the_write_fails() {
    use std::io::Write as _;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("key.pem");
    let mut mode_while_written = None;
    let result = safe::file_written_by(
        dir.path(),
        &["key.pem"],
        b"-----BEGIN PRIVATE KEY-----\n",
        0o644,
        |handle, bytes| {
            handle.write_all(&bytes[..11])?;
            mode_while_written = Some(fs::metadata(&path)?.permissions().mode() & 0o777);
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device",
            ))
        },
    );
    assert_eq!(mode_while_written, Some(0o600));
    insta::assert_snapshot!(
        result.expect_err("the write fails"),
        @"cannot write the file: No space left on device"
    );
    assert!(!path.exists(), "the partial file is removed");

    safe::file(dir.path(), &["key.pem"], b"complete\n", 0o644).expect("written");
    let mode = fs::metadata(&path).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "a complete file gets its own mode");
}
