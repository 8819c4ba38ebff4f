//! Comparisons with Debian's `ignition-validate` 2.14. They run wherever
//! the `ignition` package is installed (`tests/e2e/install-deps.sh`, which
//! CI runs); elsewhere they print why and pass, unless `KINDLING_E2E=1`,
//! which makes a missing `ignition-validate` a failure, as for the
//! end-to-end tests. 2.14 lacks some newer rules and words a few messages
//! differently; those findings are dropped from both sides.

use super::{MULTI_MISTAKE, Random, lines};
use crate::ignition::model::Config;
use crate::ignition::spec::Spec;
use crate::validate::semantic;

const NEWER_RULES: [&str; 8] = [
    "path conflicts with systemd unit or dropin",
    "doesn't have Install section",
    "user/group ignored for hard link",
    "filesystem overwrites partitioned device",
    "device matches disk with wipeTable enabled",
    "setuid/setgid/sticky bits",
    "shouldExist is false for a partition",
    "nused key",
];

/// `ignition-validate`'s findings for `text`, as `<kind> at <path>: <msg>`
/// (`None` when the binary is missing).
fn theirs(text: &str, tag: &str) -> Option<Vec<String>> {
    // A file of its own per call: the tests run in parallel.
    let file = tempfile::Builder::new()
        .prefix(&format!("kindling-oracle-{tag}-"))
        .suffix(".ign")
        .tempfile()
        .ok()?;
    std::fs::write(file.path(), text).ok()?;
    let output = std::process::Command::new("ignition-validate")
        .arg(file.path())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    Some(
        text.lines()
            .filter_map(|line| {
                let (head, message) = line.split_once(": ")?;
                let head = head.split(", line").next().unwrap_or(head);
                Some(format!("{head}: {message}"))
            })
            .filter(|line| !NEWER_RULES.iter().any(|rule| line.contains(rule)))
            .collect(),
    )
}

fn ours(text: &str) -> Vec<String> {
    let config: Config = serde_json::from_str(text).expect("oracle config fits the model");
    lines(&semantic(&config, Spec::V3_3))
        .into_iter()
        .filter(|line| !NEWER_RULES.iter().any(|rule| line.contains(rule)))
        .collect()
}

fn compare(configs: &[String]) {
    let mut mismatches = Vec::new();
    for (index, text) in configs.iter().enumerate() {
        let Some(theirs) = theirs(text, &index.to_string()) else {
            let required = std::env::var("KINDLING_E2E").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "KINDLING_E2E=1 but ignition-validate cannot run: run tests/e2e/install-deps.sh as root"
            );
            eprintln!(
                "ignition-validate not available; skipping (install the Debian package `ignition`)"
            );
            return;
        };
        let ours = ours(text);
        if ours != theirs {
            mismatches.push(format!(
                "{text}\n  ours:   {ours:#?}\n  theirs: {theirs:#?}"
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn crafted_and_corpus_configs_match_ignition_validate() {
    let mut configs = oracle_configs();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/butane/expected");
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("the corpus is missing: {}: {error}", dir.display()));
    let crafted = configs.len();
    for entry in entries.filter_map(Result::ok) {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if entry.path().extension().is_some_and(|e| e == "ign") && text.contains("\"3.3.0\"") {
            configs.push(text);
        }
    }
    assert!(
        configs.len() > crafted,
        "no 3.3.0 config in {}",
        dir.display()
    );
    compare(&configs);
}

/// Random unit files: sections, options, comments, continuations and long
/// runs that straddle go-systemd's 2048-byte check and 4096-byte buffer.
fn random_unit(random: &mut Random) -> String {
    const PIECES: [&str; 17] = [
        "[Unit]",
        "[Install]",
        "[Service",
        "]",
        "\n",
        "\n",
        "\r\n",
        "#c",
        ";c",
        "A=b",
        "K = v \\",
        " ",
        "\t",
        "=",
        "[",
        "junk",
        "WantedBy=x",
    ];
    let mut text = String::new();
    for _ in 0..1 + random.below(12) {
        if random.below(6) == 0 {
            let run = [1000, 2030, 2046, 2047, 2048, 2049, 2100, 4090, 4100, 5000];
            text.push_str(&"x".repeat(run[random.below(run.len())]));
        } else {
            text.push_str(random.pick(&PIECES));
        }
    }
    text
}

fn random_data_url(random: &mut Random) -> String {
    const PIECES: [&str; 32] = [
        "text",
        "plain",
        "/",
        "/",
        ";",
        ";",
        ",",
        ",",
        "=",
        "\"",
        "\\",
        "%",
        "%4",
        "%41",
        "%zz",
        "a",
        "Z",
        "0",
        "+",
        "#",
        " ",
        "x-",
        "X",
        "charset",
        "utf-8",
        "base64",
        "base64",
        "SGVsbG8=",
        "SGk",
        "==",
        "é",
        "application",
    ];
    let mut text = if random.below(10) == 0 {
        String::new()
    } else {
        "data:".to_owned()
    };
    for _ in 0..random.below(9) {
        text.push_str(random.pick(&PIECES));
    }
    text
}

#[test]
fn random_units_and_data_urls_match_ignition_validate() {
    let mut random = Random(0x5eed_1234_abcd_0042);
    let mut configs = Vec::new();
    for round in 0..20 {
        let units: Vec<serde_json::Value> = (0..40)
            .map(|i| serde_json::json!({"name": format!("u{round}-{i}.service"), "contents": random_unit(&mut random), "enabled": true}))
            .collect();
        let files: Vec<serde_json::Value> = (0..40)
            .map(|i| serde_json::json!({"path": format!("/f{i}"), "contents": {"source": random_data_url(&mut random)}}))
            .collect();
        let config = serde_json::json!({"ignition": {"version": "3.3.0"}, "storage": {"files": files}, "systemd": {"units": units}});
        configs.push(config.to_string());
    }
    compare(&configs);
}

/// Crafted 3.3.0 configs for the oracle comparison.
fn oracle_configs() -> Vec<String> {
    let bodies = [
        MULTI_MISTAKE.replace(",\"bogus\":1", ""),
        r#"{"storage":{"links":[{"path":"/a","target":"/b"},{"path":"/a/l"},{"path":"/h","hard":true,"target":"d"}],"files":[{"path":"/a/x","user":{"id":1,"name":"u"}}],"directories":[{"path":"/a/d"},{"path":"/h/d"}]}}"#.to_owned(),
        r#"{"storage":{"files":[{"path":"/a","contents":{"source":"s3://b/k?versionId=","httpHeaders":[{"name":""},{"name":"x","value":""}]}},{"path":"/b","contents":{"source":"gs://b/k","verification":{"hash":"md5-x"}}},{"path":"/c","contents":{"source":"data:;base64,SGk","verification":{"hash":"sha256"}}},{"path":"/d","contents":{"source":"arn:aws:s3:::b/k"}},{"path":"/e","contents":{"source":"data:text,x"}},{"path":"/f","contents":{"source":"data:,%zz"}},{"path":"/g","append":[{"source":"https://x"},{"source":"https://x"}],"contents":{"source":"http://a b"}}]}}"#.to_owned(),
        r#"{"ignition":{"config":{"merge":[{},{"source":"ftp://x"}],"replace":{"source":"tftp://x/y","compression":"gzip"}},"proxy":{"httpProxy":"ftp://p","httpsProxy":"http://p","noProxy":["a","a"]},"security":{"tls":{"certificateAuthorities":[{"source":"data:,x"},{}]}}}}"#.to_owned(),
        r#"{"systemd":{"units":[{"name":"a.service","contents":"[Unit"},{"name":"b.service","contents":"[Unit] junk\n"},{"name":"c.service","enabled":true,"contents":"Foo=bar\n[Unit]\nX\n"},{"name":"d.container"},{"name":"a.service"},{"name":"e.service","dropins":[{"name":"x.conf","contents":"[Service]\nA"},{"name":"x.conf"},{"name":"y"}]}]}}"#.to_owned(),
        format!(r#"{{"systemd":{{"units":[{{"name":"l.service","contents":"[Service]\nExecStart={}\n"}}]}}}}"#, "x".repeat(2100)),
        r#"{"storage":{"disks":[{"device":""},{"device":"dev/sda","partitions":[{"number":1,"startMiB":1,"sizeMiB":10},{"number":2,"startMiB":5,"sizeMiB":10,"label":"a:b"},{"number":2,"label":"a:b","guid":"x"},{"sizeMiB":3},{"sizeMiB":4},{"number":5,"label":"0123456789012345678901234567890123456789","typeGuid":"01234567-89AB-CDEF-EDCB-A98765432101"}]}],"raid":[{"name":"md0"},{"name":"md1","level":"raid0","spares":1,"devices":["/dev/a","/dev/a","dev/b"]},{"name":"md2","level":"raid9","devices":["/dev/c"]}],"filesystems":[{"device":"/dev/x","label":"l","path":"p"},{"device":"/dev/y","format":"ext4","label":"0123456789abcdefg"},{"device":"/dev/z","format":"zfs"},{"device":"/dev/w","format":"none","options":["-a","-a"],"mountOptions":["x","x"]}]}}"#.to_owned(),
        r#"{"storage":{"luks":[{"name":"a/b","label":"012345678901234567890123456789012345678901234567","keyFile":{"source":"ftp://k"},"clevis":{"tpm2":true,"custom":{"pin":"foo"},"tang":[{"url":"ftp://t"},{"url":"ftp://t","thumbprint":"x"}]}},{"name":"c","device":"dev/x","clevis":{"custom":{"needsNetwork":true}},"options":["a","a"]},{"name":"c"}]},"kernelArguments":{"shouldExist":["a","b"],"shouldNotExist":["b"]},"passwd":{"users":[{"name":"u","groups":["g","g"],"sshAuthorizedKeys":["k","k"]},{"name":"u"}],"groups":[{"name":"g"},{"name":"g"}]}}"#.to_owned(),
        r#"{"storage":{"files":[{"path":"/etc/a","mode":-1},{"path":"/a","overwrite":true,"contents":{"source":""}},{"path":""},{"path":"/x/./y"}],"directories":[{"path":"/d/","mode":511,"group":{"id":0,"name":""}}]}}"#.to_owned(),
    ];
    bodies
        .iter()
        .map(|body| {
            if body.contains("\"version\"") {
                body.clone()
            } else if let Some(rest) = body.strip_prefix("{\"ignition\":{") {
                format!("{{\"ignition\":{{\"version\":\"3.3.0\",{rest}")
            } else {
                format!(
                    "{{\"ignition\":{{\"version\":\"3.3.0\"}},{}",
                    body.trim_start_matches('{')
                )
            }
        })
        .collect()
}
