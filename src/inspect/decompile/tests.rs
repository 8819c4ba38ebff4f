use super::*;
use crate::butane;
use crate::diff::diff_configs;

fn round_trip(json: &str) -> String {
    let config: ign::Config = serde_json::from_str(json).expect("parses");
    let spec = Spec::parse(&config.ignition.version).expect("known spec");
    let yaml = decompile(&config, spec).expect("decompiles");
    let outcome = butane::compile(&yaml, "decompiled.bu", &butane::Options::default());
    let Some(again) = outcome.config else {
        panic!("does not compile: {:?}\n{yaml}", outcome.diagnostics);
    };
    let diff = diff_configs(&config, &again);
    assert!(diff.is_empty(), "{diff}\n{yaml}");
    yaml
}

#[test]
fn versions_follow_the_spec() {
    assert_eq!(butane_version(Spec::V3_3), "1.4.0");
    assert_eq!(butane_version(Spec::V3_7Experimental), "1.8.0-experimental");
}

#[test]
fn text_becomes_inline_and_binary_stays_data() {
    let yaml = round_trip(
        r#"{"ignition":{"version":"3.4.0"},"storage":{"files":[
          {"path":"/etc/motd","mode":420,"contents":{"compression":"","source":"data:,hello%0A"}},
          {"path":"/bin/blob","mode":493,"contents":{"compression":"","source":"data:;base64,AAEC/w=="}},
          {"path":"/etc/remote","contents":{"source":"https://example.com/x","compression":"gzip","verification":{"hash":"sha512-00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"}}}]}}"#,
    );
    assert!(
        yaml.contains("        inline: |\n          hello\n"),
        "{yaml}"
    );
    assert!(yaml.contains("source: data:;base64,AAEC/w==\n"), "{yaml}");
    assert!(yaml.contains("mode: 0644"), "{yaml}");
    assert!(yaml.contains("version: \"1.5.0\""), "{yaml}");
}

#[test]
fn spec_3_0_keeps_merge_sources() {
    let yaml = round_trip(
        r#"{"ignition":{"version":"3.0.0","config":{"merge":[{"source":"data:,%7B%7D"}]}},
          "storage":{"files":[{"path":"/a","contents":{"source":"data:,x"}, "append":[{"source":"data:,y"}]}]}}"#,
    );
    assert!(yaml.contains("version: \"1.0.0\""), "{yaml}");
    assert!(yaml.contains("- source: data:,%7B%7D\n"), "{yaml}");
    assert!(yaml.contains("inline: x\n"), "{yaml}");
    assert!(yaml.contains("- inline: \"y\"\n"), "{yaml}");
}

#[test]
fn everything_else_round_trips() {
    round_trip(
        r#"{"ignition":{"version":"3.6.0","config":{"replace":{"compression":"","source":"data:,%7B%22ignition%22%3A%7B%22version%22%3A%223.6.0%22%7D%7D"}},
            "proxy":{"httpProxy":"http://p:3128","noProxy":["a","b"]},"timeouts":{"httpTotal":30}},
          "kernelArguments":{"shouldExist":["quiet","yes"],"shouldNotExist":["0644"]},
          "passwd":{"users":[{"name":"core","uid":1000,"groups":["wheel"],"sshAuthorizedKeys":["ssh-ed25519 AAA #x"],"shouldExist":true}],
            "groups":[{"name":"no","gid":900,"system":true}]},
          "storage":{"directories":[{"path":"/var/x","mode":448,"user":{"id":0},"overwrite":true}],
            "links":[{"path":"/etc/l","target":"/usr/x","hard":false,"group":{"name":"wheel"}}],
            "disks":[{"device":"/dev/vda","wipeTable":true,"partitions":[{"label":"root","number":4,"sizeMiB":8192,"resize":true}]}],
            "filesystems":[{"device":"/dev/mapper/var","format":"xfs","path":"/var","mountOptions":["noatime"],"wipeFilesystem":true}],
            "luks":[{"name":"var","device":"/dev/vdb","clevis":{"tpm2":true,"tang":[{"url":"http://t","thumbprint":"x"}],"threshold":1},"discard":true,"keyFile":{"compression":"","source":"data:,secret"}}],
            "raid":[{"name":"md0","level":"raid1","devices":["/dev/a","/dev/b"],"spares":1}]},
          "systemd":{"units":[{"name":"a.service","enabled":true,"contents":"[Unit]\nDescription= spaced  \n\n","dropins":[{"name":"10.conf","contents":"  [Service]\n"}]},{"name":"b.service","mask":true}]}}"#,
    );
}

#[test]
fn fields_newer_than_the_declared_spec_are_refused() {
    let config: ign::Config = serde_json::from_str(
        r#"{"ignition":{"version":"3.0.0"},"kernelArguments":{"shouldExist":["quiet"]}}"#,
    )
    .expect("parses");
    let error = decompile(&config, Spec::V3_0).expect_err("kargs need 3.3.0");
    assert!(error.to_string().contains("$.kernelArguments"), "{error}");
}
