use super::*;
use crate::inspect::listing::FORMAT;

fn config(json: &str) -> ign::Config {
    serde_json::from_str(json).expect("test config parses")
}

#[test]
fn lists_files_with_decoded_contents() {
    let sha = crate::digest::sha256_hex(b"node1\n");
    let json = format!(
        r#"{{"ignition":{{"version":"3.4.0"}},"storage":{{"files":[
        {{"path":"/etc/hostname","mode":420,"user":{{"name":"core"}},"contents":{{"source":"data:,node1%0A","verification":{{"hash":"sha256-{sha}"}}}}}},
        {{"path":"/bin/x","mode":493,"contents":{{"source":"data:;base64,AAEC/w=="}}}},
        {{"path":"/remote","contents":{{"source":"https://example.com/x","compression":"gzip"}}}},
        {{"path":"/bad","contents":{{"source":"data:nocomma"}}}}]}}}}"#
    );
    let listing = list(&config(&json), Spec::V3_4);
    let [hostname, binary, remote, bad] = listing.files.as_slice() else {
        panic!("four files expected");
    };
    assert_eq!(hostname.mode.as_deref(), Some("0644"));
    assert_eq!(
        hostname.user.as_ref().and_then(|u| u.name.as_deref()),
        Some("core")
    );
    let contents = hostname.contents.as_ref().expect("contents");
    assert_eq!(contents.verification_check, Some(HashCheck::Matches));
    assert!(
        matches!(&contents.decoded, Some(Decoded::Text { text, size: 6, .. }) if text == "node1\n")
    );
    let binary = binary.contents.as_ref().and_then(|c| c.decoded.clone());
    assert!(
        matches!(binary, Some(Decoded::Binary { size: 4, head_hex, .. }) if head_hex == "000102ff")
    );
    let remote = remote.contents.as_ref().expect("remote");
    assert!(matches!(&remote.source, SourceInfo::Remote { scheme, .. } if scheme == "https"));
    assert!(remote.decoded.is_none());
    assert!(matches!(
        bad.contents.as_ref().and_then(|c| c.decoded.clone()),
        Some(Decoded::Error { .. })
    ));
    assert_eq!(listing.problems.len(), 1);
    assert_eq!(
        listing.problems[0].json_path.to_string(),
        "$.storage.files.3.contents.source"
    );
}

#[test]
fn lists_every_other_kind() {
    let json = r#"{"ignition":{"version":"3.4.0","config":{"merge":[{"source":"s3://b/k"}],"replace":{"source":"data:,%7B%7D"}}},
      "kernelArguments":{"shouldExist":["quiet"],"shouldNotExist":["debug"]},
      "passwd":{"users":[{"name":"core","uid":1000,"groups":["wheel"],"sshAuthorizedKeys":["ssh-ed25519 AAA"]}],"groups":[{"name":"ops","gid":900}]},
      "storage":{"directories":[{"path":"/var/x","mode":448}],"links":[{"path":"/etc/l","target":"/usr/x","hard":false}],
        "disks":[{"device":"/dev/vda","wipeTable":true,"partitions":[{"label":"root","number":4,"sizeMiB":8192}]}],
        "filesystems":[{"device":"/dev/disk/by-label/root","format":"xfs","path":"/var","mountOptions":["noatime"]}],
        "luks":[{"name":"var","device":"/dev/vdb","clevis":{"tpm2":true},"keyFile":{"source":"data:,secret"}}],
        "raid":[{"name":"md0","level":"raid1","devices":["/dev/a","/dev/b"]}]},
      "systemd":{"units":[{"name":"a.service","enabled":true,"contents":"[Unit]\n","dropins":[{"name":"10.conf","contents":"[Service]\n"}]},{"name":"b.service","mask":true}]}}"#;
    let listing = list(&config(json), Spec::V3_4);
    assert!(
        matches!(&listing.ignition.merge[0].source, SourceInfo::Remote { scheme, .. } if scheme == "s3")
    );
    assert!(
        matches!(listing.ignition.replace.as_ref().and_then(|r| r.decoded.clone()), Some(Decoded::Text { text, .. }) if text == "{}")
    );
    assert_eq!(listing.kernel_arguments.should_exist, ["quiet"]);
    assert_eq!(listing.users[0].uid, Some(1000));
    assert_eq!(listing.groups[0].gid, Some(900));
    assert_eq!(listing.directories[0].mode.as_deref(), Some("0700"));
    assert_eq!(listing.links[0].target.as_deref(), Some("/usr/x"));
    assert_eq!(listing.disks[0].partitions[0].number, Some(4));
    assert_eq!(listing.filesystems[0].mount_options, ["noatime"]);
    assert_eq!(listing.luks[0].tpm2, Some(true));
    assert!(listing.luks[0].key_file.is_some());
    assert_eq!(listing.raid[0].devices.len(), 2);
    assert_eq!(listing.units[0].dropins[0].name, "10.conf");
    assert_eq!(listing.units[1].mask, Some(true));
    assert!(listing.problems.is_empty());
    let json = serde_json::to_value(&listing).expect("serializes");
    assert_eq!(json["format"], FORMAT);
    assert_eq!(json["files"], serde_json::json!([]));
}
