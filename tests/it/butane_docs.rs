//! The Butane examples of Butane's, Fedora CoreOS's and Flatcar's
//! documentation (`tests/corpus/butane-docs`, see its SOURCES.md): each
//! must get Butane 0.29's verdict under `--strict` (accepted without a
//! single warning, the way the documentation's own CI runs Butane), with
//! the files dirs those CI scripts set up. The test prints the counts per
//! source and variant and fails on any example whose verdict differs,
//! unless it is listed in [`REFUSED_BY_BUTANE`] with the reason.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use kindling::butane::{self, Options, files_dir::FilesDir};

use crate::support::paths;

/// Examples Butane refuses too, each with why (from Butane's rules).
const REFUSED_BY_BUTANE: &[(&str, &str)] = &[(
    "flatcar/content__docs__latest__orchestrate__containers__switching-to-unified-cgroups.md__L44.bu",
    "written in Container Linux Config keys: `name` and `mount` are unused keys (fatal under --strict) and the filesystem has no device",
)];

/// The files dir each documentation's CI gives Butane, made in `dir`.
fn files_dir(source: &str, dir: &Path) -> FilesDir {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, text).expect("write");
    };
    match source {
        "butane" => {
            fs::create_dir_all(dir.join("tree")).expect("tree");
            for empty in [
                "config.ign",
                "ca.pem",
                "example.conf",
                "example.service",
                "file",
                "file-epilogue",
                "local-file3",
            ] {
                write(empty, "");
            }
            write("id_rsa.pub", "ssh-rsa AAAA\n");
            write("id_ed25519.pub", "ssh-ed25519 AAAA\n");
            write("ignition.ign", "{\"ignition\": {\"version\": \"3.5.0\"}}\n");
        }
        "fcos" => {
            write("public-ipv4.sh", "#!/bin/bash\ntrue");
            write(
                "issuegen-public-ipv4.service",
                "[Unit]\nBefore=systemd-user-sessions.service\n[Install]\nWantedBy=multi-user.target",
            );
            for user in ["core", "jlebon", "miabbott"] {
                write(&format!("users/{user}/id_rsa.pub"), "ssh-rsa AAAAB");
            }
            write("users/jlebon/id_ed25519.pub", "ssh-ed25519 AAAAC");
            write("ssh-key.pub", "ssh-rsa AAAAB");
        }
        _ => {
            // What the Flatcar examples expect the reader to have: an image
            // and the Ignition configs of earlier steps (all flatcar 1.0.0,
            // Ignition 3.3.0), each different as the reader's would be
            // (identical ones would be duplicate merge entries).
            write("logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
            let child = |name: &str| {
                format!(
                    "{{\"ignition\":{{\"version\":\"3.3.0\"}},\"storage\":{{\"files\":[{{\"path\":\"/etc/{name}\"}}]}}}}\n"
                )
            };
            for name in ["disks", "files", "systemd"] {
                write(&format!("{name}.json"), &child(name));
            }
            for name in [
                "00_base-k8s",
                "00_base-k8s-token",
                "10_base-ha",
                "20_base-ha-cp",
                "30_base-ha-init",
                "31_base-ha-join-cp",
                "32_base-ha-join",
            ] {
                write(&format!("ign/{name}.ign"), &child(name));
            }
        }
    }
    FilesDir::open(dir).expect("files dir")
}

/// The version fedora-coreos-docs' `antora.yml` gives
/// `{butane-latest-stable-spec}` at the extracted commit.
const FCOS_DOCS_LATEST_SPEC: &str = "1.7.0";

fn variant_of(text: &str) -> String {
    text.lines()
        .find_map(|line| line.strip_prefix("variant:"))
        .map_or("?", str::trim)
        .to_owned()
}

#[test]
fn documentation_examples_get_butanes_verdict() {
    let root = paths::repo_root().join("tests/corpus/butane-docs");
    // (source, variant) → (examples, agreeing)
    let mut counts: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let mut exceptions_seen = Vec::new();
    for source in ["butane", "fcos", "flatcar"] {
        let scratch = tempfile::tempdir().expect("tempdir");
        let options = Options {
            files_dir: Some(files_dir(source, scratch.path())),
            ..Options::default()
        };
        let mut names: Vec<String> = fs::read_dir(root.join(source))
            .expect("examples")
            .filter_map(|entry| Some(entry.ok()?.file_name().to_str()?.to_owned()))
            .filter(|name| name.ends_with(".bu"))
            .collect();
        names.sort();
        for name in names {
            let text = fs::read_to_string(root.join(source).join(&name)).expect("read");
            let text = text.replace("{butane-latest-stable-spec}", FCOS_DOCS_LATEST_SPEC);
            let outcome = butane::compile(&text, &name, &options);
            // --strict: any finding at all fails, as in the docs' CI.
            let accepted = outcome.config.is_some() && outcome.diagnostics.is_empty();
            let key = format!("{source}/{name}");
            let expected_refusal = REFUSED_BY_BUTANE.iter().find(|(k, _)| *k == key);
            if expected_refusal.is_some() {
                exceptions_seen.push(key.clone());
            }
            let agrees = accepted == expected_refusal.is_none();
            let entry = counts
                .entry((source.to_owned(), variant_of(&text)))
                .or_default();
            entry.0 += 1;
            if agrees {
                entry.1 += 1;
            } else {
                let findings: Vec<String> =
                    outcome.diagnostics.iter().map(|d| d.butane_raw()).collect();
                disagreements.push(format!("{key}: {}", findings.join("; ")));
            }
        }
    }
    println!("butane documentation examples (source, variant: agreeing/examples):");
    for ((source, variant), (examples, agreeing)) in &counts {
        println!("  {source} {variant}: {agreeing}/{examples}");
    }
    let total: usize = counts.values().map(|c| c.0).sum();
    let agreeing: usize = counts.values().map(|c| c.1).sum();
    println!("  all: {agreeing}/{total}");
    assert_eq!(
        exceptions_seen.len(),
        REFUSED_BY_BUTANE.len(),
        "a documented exception names no example: {exceptions_seen:?}"
    );
    assert!(
        disagreements.is_empty(),
        "verdicts differing from Butane's:\n{}",
        disagreements.join("\n")
    );
    // The sets are as extracted: a lost file would shrink them silently.
    assert_eq!(total, 76 + 99 + 149);
}
