//! Quadlet validation and fleet policies for one host.
//!
//! Every Quadlet file a host gets (rendered or literal, with its drop-ins)
//! goes through `crate::quadlet` with the fleet's Podman version and the set
//! of Quadlet units the host actually gets, so `Volume=x.volume`,
//! `Network=x.network`, `Pod=x.pod` must resolve. Keys newer than the fleet's
//! Podman are warnings. Policies (warnings; errors under `--strict`):
//! unpinned images under `image_policy: pinned` (an explicit `latest` tag
//! only with `auto_update`; an untagged image always warns), secret-looking names in `env:` or `Environment=`,
//! `PublishPort` on all interfaces without `expose: public`, containers
//! running as root without `allow_root: true`, and two services publishing
//! the same host port.

use std::collections::{BTreeMap, BTreeSet};

use super::load::SourceMap;
use super::render::{QuadletText, Rendered};
use super::resolve::{ManifestPlan, Origin, ServiceBody};
use crate::diag::{Diagnostic, Position, Severity};
use crate::quadlet::{self, Rule, ValidateOptions};

/// Environment variable names that look like they hold a secret.
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if upper.ends_with("_FILE") || upper.ends_with("_PATH") {
        return false;
    }
    ["SECRET", "PASSWORD", "PASSWD", "TOKEN"]
        .iter()
        .any(|w| upper.contains(w))
        || upper.split('_').any(|part| part.ends_with("KEY"))
}

struct ServicePolicy {
    expose_public: bool,
    allow_root: bool,
    /// `auto_update` with an explicit `latest` tag: the one unpinned image
    /// `image_policy: pinned` accepts.
    latest_auto_update: bool,
}

/// Quadlet findings and policy lints for a host.
pub fn check(plan: &ManifestPlan, rendered: &Rendered, sources: &SourceMap) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let units: BTreeSet<String> = rendered.quadlets.iter().map(|q| q.name.clone()).collect();
    let mut options = ValidateOptions::new(plan.podman_version.clone()).with_units(&units);
    options.newer_key_severity = quadlet::Severity::Warning;
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
                if looks_secret(key) {
                    let at = resolved
                        .node
                        .get("env")
                        .and_then(|env| env.entry(key))
                        .map_or_else(|| Origin::of(&resolved.node), |e| Origin::of(&e.key));
                    found.push(
                        Diagnostic::warning(format!("env variable {key} looks like a secret but is stored in plain text"))
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
            policies.get(&text.name),
            plan.pinned_images,
        ));
    }
    found.extend(port_conflicts(&rendered.quadlets));
    found
}

fn quadlet_findings(
    text: &QuadletText,
    options: &ValidateOptions<'_>,
    policy: Option<&ServicePolicy>,
    pinned: bool,
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
    for (name, label, contents) in files {
        for finding in quadlet::validate_file(&name, &contents, options) {
            let skip = match finding.rule {
                Rule::ImageNotPinned => !pinned || policy.is_some_and(|p| p.latest_auto_update),
                Rule::PublishAllInterfaces => policy.is_some_and(|p| p.expose_public),
                Rule::RunsAsRoot => policy.is_some_and(|p| p.allow_root),
                _ => false,
            };
            if skip {
                continue;
            }
            let severity = match finding.severity {
                quadlet::Severity::Error => Severity::Error,
                quadlet::Severity::Warning => Severity::Warning,
            };
            let help = match finding.rule {
                Rule::PublishAllInterfaces => Some(
                    "bind to an address (127.0.0.1:8080:80), or set `expose: public` on the service",
                ),
                Rule::RunsAsRoot => Some(
                    "set `user:` on the service (the default), or `allow_root: true` to accept it",
                ),
                Rule::ImageNotPinned => Some(
                    "set `version:` or `digest:` on the service; `version: latest` is allowed with `auto_update`",
                ),
                _ => None,
            };
            let mut diagnostic = Diagnostic::new(
                severity,
                format!("{} {}", finding.key_path, finding.message)
                    .trim()
                    .to_owned(),
            )
            .in_file(label.clone())
            .at_position(Position::new(finding.line.max(1), finding.column.max(1)));
            if let Some(help) = help {
                diagnostic = diagnostic.with_help(help);
            }
            found.push(diagnostic);
        }
    }
    found
}

/// `[[ip:][hostPort]:]containerPort[/proto]` → (ip, host port, proto).
fn host_port(value: &str) -> Option<(String, String, String)> {
    let (spec, proto) = value
        .rsplit_once('/')
        .map_or((value, "tcp"), |(s, p)| (s, p));
    let (ip, rest) = if let Some(stripped) = spec.strip_prefix('[') {
        let (ip, rest) = stripped.split_once("]:")?;
        (ip.to_owned(), rest)
    } else {
        let parts: Vec<&str> = spec.split(':').collect();
        match parts.as_slice() {
            [ip, host, _] => {
                return Some(((*ip).to_owned(), (*host).to_owned(), proto.to_owned()))
                    .filter(|(_, h, _)| !h.is_empty());
            }
            [host, _] => return Some((String::new(), (*host).to_owned(), proto.to_owned())),
            _ => return None,
        }
    };
    let (host, _) = rest.split_once(':')?;
    Some((ip, host.to_owned(), proto.to_owned())).filter(|(_, h, _)| !h.is_empty())
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
            let Some((ip, port, proto)) = host_port(value.trim()) else {
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
                found.push(
                    Diagnostic::warning(format!(
                        "host port {port}/{proto} is already published by {owner}"
                    ))
                    .in_file(text.label.clone())
                    .at_position(Position::new(number + 1, 1))
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

    #[test]
    fn secret_names() {
        assert!(looks_secret("API_KEY"));
        assert!(looks_secret("DB_PASSWORD"));
        assert!(looks_secret("github_token"));
        assert!(!looks_secret("LOG_LEVEL"));
        assert!(!looks_secret("KEY_FILE"));
        assert!(!looks_secret("MONKEYS_COUNT"));
        assert!(looks_secret("SSH_HOSTKEY"));
    }

    #[test]
    fn parses_publish_ports() {
        assert_eq!(
            host_port("127.0.0.1:8470:8470"),
            Some(("127.0.0.1".into(), "8470".into(), "tcp".into()))
        );
        assert_eq!(
            host_port("8080:80/udp"),
            Some((String::new(), "8080".into(), "udp".into()))
        );
        assert_eq!(
            host_port("[::1]:53:53/udp"),
            Some(("::1".into(), "53".into(), "udp".into()))
        );
        assert_eq!(host_port("80"), None);
    }

    fn quadlet(name: &str, text: &str) -> QuadletText {
        QuadletText {
            name: name.into(),
            label: name.into(),
            text: text.into(),
            dropins: Vec::new(),
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
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("a.container"));
    }
}
