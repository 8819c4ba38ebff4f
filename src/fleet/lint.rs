//! Quadlet validation and fleet policies for one host.
//!
//! Every Quadlet file a host gets (rendered or literal, with its drop-ins)
//! goes through `crate::quadlet` with the fleet's Podman version and the set
//! of Quadlet units the host actually gets, so `Volume=x.volume`,
//! `Network=x.network`, `Pod=x.pod` must resolve. Keys newer than the fleet's
//! Podman are warnings. Policies (warnings; errors under `--strict`):
//! unpinned images under `image_policy: pinned` (an explicit `latest` tag
//! only with `auto_update`; an untagged image always warns), secret-looking names in `env:` or `Environment=`,
//! `PublishPort` on all interfaces without `expose: public`, and containers
//! running as root without `allow_root: true`. Two services publishing the
//! same host address, port and protocol is an error: the second fails to
//! start.

use std::collections::{BTreeMap, BTreeSet};

use super::locate::Locator;
use super::ports::publish_parts;
use super::render::{QuadletText, Rendered};
use super::resolve::{ManifestPlan, Origin, ServiceBody};
use crate::diag::{Code, Diagnostic, Position, Severity};
use crate::memo::BoundedMemo;
use crate::quadlet::{self, ValidateOptions};

struct ServicePolicy {
    expose_public: bool,
    allow_root: bool,
    /// `auto_update` with an explicit `latest` tag: the one unpinned image
    /// `image_policy: pinned` accepts.
    latest_auto_update: bool,
}

/// Most bytes of Quadlet text a [`QuadletMemo`] holds.
const MEMO_BUDGET: usize = 16 * 1024 * 1024;

/// Findings of the Quadlet texts a compile worker has validated, keyed by
/// everything validation reads: the text, its file name, the Podman
/// version, the severity of too-new keys and the host's set of Quadlet
/// units (references resolve against it). Many hosts get the same
/// rendered unit; validating one costs more than looking it up. Starts
/// over when it holds `MEMO_BUDGET` bytes.
pub struct QuadletMemo {
    /// Text → each context it was validated in, with the findings.
    validated: BoundedMemo<String, Validated>,
}

impl Default for QuadletMemo {
    fn default() -> Self {
        QuadletMemo {
            validated: BoundedMemo::new(MEMO_BUDGET),
        }
    }
}

struct Validated {
    name: String,
    podman_version: String,
    newer_key_severity: Severity,
    /// The host's Quadlet units joined by `/`.
    units: String,
    findings: Vec<Diagnostic>,
}

impl QuadletMemo {
    fn validate(
        &mut self,
        name: &str,
        text: &str,
        options: &ValidateOptions<'_>,
        units: &str,
    ) -> Vec<Diagnostic> {
        let version = options.podman_version.to_string();
        let same = |done: &&Validated| {
            done.name == name
                && done.podman_version == version
                && done.newer_key_severity == options.newer_key_severity
                && done.units == units
        };
        if let Some(done) = self.validated.find(text, same) {
            return done.findings.clone();
        }
        let findings = quadlet::validate_file(name, text, options);
        let done = Validated {
            name: name.to_owned(),
            podman_version: version,
            newer_key_severity: options.newer_key_severity,
            units: units.to_owned(),
            findings: findings.clone(),
        };
        self.validated
            .insert(text.to_owned(), done, text.len() + units.len());
        findings
    }
}

impl QuadletMemo {
    /// Validates a Quadlet file a Butane document places, keyed by its
    /// options' own unit set.
    pub fn validate_placed(
        &mut self,
        name: &str,
        text: &str,
        options: &ValidateOptions<'_>,
    ) -> Vec<Diagnostic> {
        let units = options
            .units
            .map(|units| {
                units
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default();
        self.validate(name, text, options, &units)
    }
}

/// Quadlet findings and policy lints for a host, each in the fleet file
/// its text came from (see `locate`).
pub fn check(
    plan: &ManifestPlan,
    rendered: &Rendered,
    locator: &Locator<'_>,
    memo: &mut QuadletMemo,
) -> Vec<Diagnostic> {
    let sources = locator.sources();
    let mut found = Vec::new();
    let units: BTreeSet<String> = rendered.quadlets.iter().map(|q| q.name.clone()).collect();
    // File names cannot contain `/`: the joined set is unambiguous.
    let units_key = units
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("/");
    let mut options = ValidateOptions::new(plan.podman_version.clone()).with_units(&units);
    options.newer_key_severity = Severity::Warning;
    let mut policies: BTreeMap<String, ServicePolicy> = BTreeMap::new();
    for service in &plan.services {
        if let ServiceBody::Definition(resolved) = &service.body {
            policies.insert(
                format!("{}.container", service.name),
                ServicePolicy {
                    expose_public: resolved.spec.expose.as_deref() == Some("public"),
                    allow_root: resolved.spec.allow_root == Some(true),
                    latest_auto_update: resolved.spec.auto_update.is_some()
                        && resolved
                            .image
                            .rsplit('/')
                            .next()
                            .is_some_and(|last| last.ends_with(":latest")),
                },
            );
            for key in resolved.spec.env.keys() {
                if quadlet::looks_secret(key) {
                    let at = resolved
                        .node
                        .get("env")
                        .and_then(|env| env.entry(key))
                        .map_or_else(|| Origin::of(&resolved.node), |e| Origin::of(&e.key));
                    found.push(
                        Diagnostic::warning(Code::FleetPlaintextSecret, format!("env variable {key} looks like a secret but is stored in plain text"))
                            .in_file(sources.name(at.file))
                            .at_position(at.position)
                            .with_help("place it with `secrets:` (a file under secrets/, age-encrypted) and point the service at the file"),
                    );
                }
            }
        }
    }
    for text in &rendered.quadlets {
        found.extend(quadlet_findings(
            text,
            &options,
            &units_key,
            memo,
            policies.get(&text.name),
            plan.pinned_images,
            locator,
        ));
    }
    for clash in port_conflicts(&rendered.quadlets) {
        let text = rendered
            .quadlets
            .iter()
            .find(|text| clash.file.as_deref() == Some(text.label.as_str()));
        found.push(match text {
            Some(text) => locator.place(text, None, clash),
            None => clash,
        });
    }
    found
}

fn quadlet_findings(
    text: &QuadletText,
    options: &ValidateOptions<'_>,
    units_key: &str,
    memo: &mut QuadletMemo,
    policy: Option<&ServicePolicy>,
    pinned: bool,
    locator: &Locator<'_>,
) -> Vec<Diagnostic> {
    let mut files = vec![(text.name.clone(), text.label.clone(), text.text.clone())];
    for (name, label, contents) in &text.dropins {
        files.push((
            format!("{}.d/{name}", text.name),
            label.clone(),
            contents.clone(),
        ));
    }
    let mut found = Vec::new();
    for (index, (name, label, contents)) in files.into_iter().enumerate() {
        let dropin = index.checked_sub(1);
        for finding in memo.validate(&name, &contents, options, units_key) {
            let skip = match finding.code {
                Code::QuadletImageNotPinned => {
                    !pinned || policy.is_some_and(|p| p.latest_auto_update)
                }
                Code::QuadletPublishAllInterfaces => policy.is_some_and(|p| p.expose_public),
                Code::QuadletRunsAsRoot => policy.is_some_and(|p| p.allow_root),
                _ => false,
            };
            if skip {
                continue;
            }
            let help = match finding.code {
                Code::QuadletPublishAllInterfaces => Some(
                    "bind to an address (127.0.0.1:8080:80), or set `expose: public` on the service",
                ),
                Code::QuadletRunsAsRoot => Some(
                    "set `user:` on the service (the default), or `allow_root: true` to accept it",
                ),
                Code::QuadletImageNotPinned => Some(
                    "set `version:` or `digest:` on the service; `version: latest` is allowed with `auto_update`",
                ),
                _ => None,
            };
            let mut diagnostic = finding.in_file(label.clone());
            if let Some(help) = help {
                diagnostic = diagnostic.with_help(help);
            }
            found.push(locator.place(text, dropin, diagnostic));
        }
    }
    found
}

/// The 1-based column of the value of a `Key=value` line.
fn value_column(line: &str) -> usize {
    line.find('=')
        .and_then(|at| line.get(..=at))
        .map_or(1, |key| key.chars().count() + 1)
}

fn all_interfaces(ip: &str) -> bool {
    matches!(ip, "" | "0.0.0.0" | "::")
}

/// Two services publishing the same host port (on overlapping addresses).
fn port_conflicts(quadlets: &[QuadletText]) -> Vec<Diagnostic> {
    let mut claimed: Vec<(String, String, String, String)> = Vec::new();
    let mut found = Vec::new();
    for text in quadlets {
        for (number, line) in text.text.lines().enumerate() {
            let Some(value) = line.trim().strip_prefix("PublishPort=") else {
                continue;
            };
            let Some((ip, port, proto)) = publish_parts(value.trim()) else {
                continue;
            };
            let clash = claimed
                .iter()
                .find(|(other_ip, other_port, other_proto, owner)| {
                    *owner != text.name
                        && *other_port == port
                        && *other_proto == proto
                        && (other_ip == &ip || all_interfaces(other_ip) || all_interfaces(&ip))
                });
            if let Some((_, _, _, owner)) = clash {
                // The second container fails to start at runtime.
                found.push(
                    Diagnostic::error(
                        Code::FleetPortClash,
                        format!("host port {port}/{proto} is already published by {owner}"),
                    )
                    .in_file(text.label.clone())
                    .at_position(Position::new(number + 1, value_column(line)))
                    .with_help("give one of the services another host port"),
                );
            } else {
                claimed.push((ip, port, proto, text.name.clone()));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memo hands back what validation gives, and tells apart every
    /// input validation reads: a reference that resolves on one host does
    /// not on another, and a key too new for one Podman is fine on another.
    #[test]
    fn quadlet_memo_answers_as_validation_does() {
        let text = "[Container]\nImage=quay.io/a/b:1\nUser=1000\nVolume=data.volume:/data\nHealthOnFailure=kill\n";
        let with_volume: BTreeSet<String> =
            ["app.container", "data.volume"].map(String::from).into();
        let without: BTreeSet<String> = ["app.container"].map(String::from).into();
        let old_podman = semver::Version::new(4, 2, 0);
        let new_podman = semver::Version::new(5, 4, 0);
        let mut memo = QuadletMemo::default();
        for _ in 0..2 {
            for (units, version, severity) in [
                (&with_volume, &new_podman, Severity::Warning),
                (&without, &new_podman, Severity::Warning),
                (&with_volume, &old_podman, Severity::Warning),
                (&with_volume, &old_podman, Severity::Error),
            ] {
                let mut options = ValidateOptions::new(version.clone()).with_units(units);
                options.newer_key_severity = severity;
                let key = units
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join("/");
                let expected = quadlet::validate_file("app.container", text, &options);
                let got = memo.validate("app.container", text, &options, &key);
                assert_eq!(got, expected);
            }
        }
        let mut rules = |units: &BTreeSet<String>, version: &semver::Version| {
            let options = ValidateOptions::new(version.clone()).with_units(units);
            let key = units
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join("/");
            let found = memo.validate("app.container", text, &options, &key);
            found.iter().map(|f| f.code).collect::<Vec<_>>()
        };
        assert!(!rules(&with_volume, &new_podman).contains(&Code::QuadletMissingReference));
        assert!(rules(&without, &new_podman).contains(&Code::QuadletMissingReference));
        assert!(rules(&with_volume, &old_podman).contains(&Code::QuadletKeyTooNew));
        assert!(!rules(&with_volume, &new_podman).contains(&Code::QuadletKeyTooNew));
    }

    fn quadlet(name: &str, text: &str) -> QuadletText {
        QuadletText {
            name: name.into(),
            label: name.into(),
            text: text.into(),
            dropins: Vec::new(),
            source: crate::fleet::provenance::TextSource::File,
        }
    }

    #[test]
    fn finds_port_clashes_across_services() {
        let found = port_conflicts(&[
            quadlet(
                "a.container",
                "[Container]\nPublishPort=127.0.0.1:8080:80\n",
            ),
            quadlet("b.container", "[Container]\nPublishPort=8080:8080\n"),
            quadlet(
                "c.container",
                "[Container]\nPublishPort=127.0.0.2:9090:80\nPublishPort=127.0.0.3:9090:80\n",
            ),
        ]);
        insta::assert_yaml_snapshot!(found);
    }

    #[test]
    fn distinct_ports_protocols_and_addresses_do_not_clash() {
        let found = port_conflicts(&[
            quadlet("a.container", "[Container]\nPublishPort=4433:4433/udp\n"),
            quadlet("b.container", "[Container]\nPublishPort=4433:4433/tcp\n"),
            quadlet("c.container", "[Container]\nPublishPort=127.0.0.1:80:80\n"),
            quadlet("d.container", "[Container]\nPublishPort=127.0.0.2:80:80\n"),
        ]);
        assert_eq!(found, Vec::new());
    }
}
