//! Named ports (issue 17 §3): a service declares `ports: [{ name: http,
//! container: 8080 }]` without a host port, and kindling picks one per host.
//!
//! - A picked port comes from `fleet.yaml`'s `port_range` (default
//!   10000–60000) and is never one another entry on the same host publishes
//!   (a `PublishPort=` value, a fixed `host:`, a literal Quadlet file's
//!   `PublishPort=`, or another picked port), whatever the address or
//!   protocol: one number, one owner per host.
//! - Picks are recorded in `ports.lock` at the fleet root (committed with
//!   the fleet): a port the lock names for (host, service, name) is kept
//!   while it is in the range and free, so adding a service moves nothing.
//!   A new port starts at a hash of `service/name` in the range (the same
//!   service tends to get the same port on every host) and takes the next
//!   free one.
//! - `build` rewrites the lock with the picks of the hosts it built (entries
//!   of services or hosts that are gone are dropped; a build of some hosts
//!   keeps the other hosts' entries); `check` writes nothing and reports
//!   each pick the lock does not hold, and each entry it would drop, as a
//!   warning (an error with `--locked`, as `build --locked` is).
//!
//! The lock is YAML, `host → service → name → port`, sorted, written
//! atomically; a malformed one is an error at its line and column.

use std::collections::{BTreeMap, BTreeSet};

use crate::diag::{Code, Diagnostic, Position, Severity};
use crate::digest::fnv1a_32;
use crate::yaml::{self, FileId, Node, Value};

/// The lock file, relative to the fleet root.
pub const LOCK_FILE: &str = "ports.lock";

/// Host ports picked from when `fleet.yaml` has no `port_range`.
pub const DEFAULT_RANGE: PortRange = PortRange {
    first: 10_000,
    last: 60_000,
};

/// An inclusive range of host ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    pub first: u16,
    pub last: u16,
}

impl PortRange {
    /// Parses `first-last` (1 ≤ first ≤ last ≤ 65535).
    pub fn parse(text: &str) -> Result<PortRange, String> {
        let bounds = text.split_once('-').and_then(|(a, b)| {
            Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?))
        });
        match bounds {
            Some((first, last)) if first >= 1 && first <= last => Ok(PortRange { first, last }),
            _ => Err(format!(
                "port_range `{text}` is not a range of ports like 10000-60000"
            )),
        }
    }

    fn contains(self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }

    fn len(self) -> u32 {
        u32::from(self.last) - u32::from(self.first) + 1
    }
}

/// Whose a picked port is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortKey {
    pub host: String,
    pub service: String,
    pub name: String,
}

/// `ports.lock` as read: each entry's port and where it is written.
#[derive(Clone, Debug, Default)]
pub struct Lock {
    pub entries: BTreeMap<PortKey, (u16, Position)>,
}

/// A lock file that is not `host → service → name → port`.
fn malformed(node: &Node, message: impl Into<String>) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(Code::FleetPortLockMalformed, message)
        .in_file(LOCK_FILE)
        .at_position(node.position)
        .with_help(format!(
            "{LOCK_FILE} maps host → service → port name → port number; fix the line, or delete \
             the file and run `kindling build` to pick ports again (they may move)"
        )))
}

/// The entries of a mapping node, each key as text.
fn mapping<'n>(node: &'n Node, what: &str) -> Result<Vec<(&'n str, &'n Node)>, Box<Diagnostic>> {
    match &node.value {
        Value::Mapping(entries) => entries
            .iter()
            .map(|entry| match entry.key.as_scalar() {
                Some(key) if !key.text.is_empty() => Ok((key.text.as_str(), &entry.value)),
                _ => Err(malformed(
                    &entry.key,
                    format!("expected a {what} name as the key"),
                )),
            })
            .collect(),
        Value::Scalar(scalar) if scalar.is_null() => Ok(Vec::new()),
        _ => Err(malformed(
            node,
            format!("expected a mapping of {what} names"),
        )),
    }
}

impl Lock {
    /// Parses the lock file's text (`file` is its id in the fleet's
    /// sources).
    pub fn parse(text: &str, file: FileId) -> Result<Lock, Box<Diagnostic>> {
        let root = match yaml::parse_file(text, file) {
            Ok(Some(root)) => root,
            Ok(None) => return Ok(Lock::default()),
            Err(error) => {
                return Err(Box::new(
                    Diagnostic::error(Code::FleetPortLockMalformed, error.message)
                        .in_file(LOCK_FILE)
                        .at_position(error.position)
                        .with_help(format!(
                            "{LOCK_FILE} is written by `kindling build`; fix the line or delete the file to pick ports again"
                        )),
                ));
            }
        };
        let mut lock = Lock::default();
        for (host, services) in mapping(&root, "host")? {
            for (service, names) in mapping(services, "service")? {
                for (name, port) in mapping(names, "port")? {
                    let number = port
                        .as_scalar()
                        .filter(|s| !s.is_explicit_string())
                        .and_then(|s| s.text.parse::<u16>().ok())
                        .filter(|p| *p > 0)
                        .ok_or_else(|| malformed(port, "expected a port number (1-65535)"))?;
                    let key = PortKey {
                        host: host.to_owned(),
                        service: service.to_owned(),
                        name: name.to_owned(),
                    };
                    lock.entries.insert(key, (number, port.position));
                }
            }
        }
        Ok(lock)
    }

    fn port(&self, key: &PortKey) -> Option<u16> {
        self.entries.get(key).map(|(port, _)| *port)
    }
}

/// The lock file's text for `picks`: sorted, one port per line.
pub fn lock_text(picks: &BTreeMap<PortKey, u16>) -> String {
    let mut text = String::from(
        "# Host ports kindling picked for named service ports: host → service → name → port.\n\
         # Written by `kindling build`; commit it, so that rebuilds keep every port.\n",
    );
    let mut host = None;
    let mut service = None;
    for (key, port) in picks {
        if host != Some(&key.host) {
            text.push_str(&format!("{}:\n", quoted(&key.host)));
            host = Some(&key.host);
            service = None;
        }
        if service != Some(&key.service) {
            text.push_str(&format!("  {}:\n", quoted(&key.service)));
            service = Some(&key.service);
        }
        text.push_str(&format!("    {}: {port}\n", quoted(&key.name)));
    }
    text
}

/// A key as YAML: plain when it reads back as the same string.
fn quoted(key: &str) -> String {
    let plain = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && key.starts_with(|c: char| c.is_ascii_alphabetic());
    if plain {
        key.to_owned()
    } else {
        serde_json::to_string(key).unwrap_or_default()
    }
}

/// Why a port name is refused, if it is.
pub fn check_name(name: &str) -> Result<(), String> {
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!(
            "port name `{name}` must start with a letter (it becomes {})",
            env_name(name)
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
    {
        return Err(format!(
            "port name `{name}` has `{bad}`; use letters, digits, `-` and `_`"
        ));
    }
    Ok(())
}

/// The environment variable a named port is passed as.
pub fn env_name(name: &str) -> String {
    format!("PORT_{}", name.to_ascii_uppercase().replace('-', "_"))
}

/// A named port of a service: (service, port name).
pub type PortId = (String, String);

/// Picks a host port for each of `wanted` ((service, name), in any order)
/// on `host`, none in `taken`: the lock's port where it is in `range` and
/// free, else the first free port from the name's hash on. The picks, and
/// the wanted ports the range has no room for.
pub fn pick(
    host: &str,
    wanted: &[PortId],
    taken: &BTreeSet<u16>,
    lock: &Lock,
    range: PortRange,
) -> (BTreeMap<PortId, u16>, Vec<PortId>) {
    let mut used = taken.clone();
    let mut picks = BTreeMap::new();
    let mut wanted: Vec<&PortId> = wanted.iter().collect();
    wanted.sort();
    wanted.dedup();
    let key = |(service, name): &PortId| PortKey {
        host: host.to_owned(),
        service: service.clone(),
        name: name.clone(),
    };
    // Locked ports first, so that a new service never takes one.
    let mut new = Vec::new();
    for entry in wanted {
        match lock.port(&key(entry)) {
            Some(port) if range.contains(port) && used.insert(port) => {
                picks.insert(entry.clone(), port);
            }
            _ => new.push(entry),
        }
    }
    let mut exhausted = Vec::new();
    for entry in new {
        let start = fnv1a_32(&format!("{}/{}", entry.0, entry.1)) % range.len();
        let free = (0..range.len())
            .map(|step| (start + step) % range.len() + u32::from(range.first))
            .filter_map(|port| u16::try_from(port).ok())
            .find(|port| !used.contains(port));
        match free {
            Some(port) => {
                used.insert(port);
                picks.insert(entry.clone(), port);
            }
            None => exhausted.push(entry.clone()),
        }
    }
    (picks, exhausted)
}

/// `[[ip:][hostPort]:]containerPort[/proto]` → (ip, host port(s), proto),
/// when a host port is given.
pub fn publish_parts(value: &str) -> Option<(String, String, String)> {
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

/// The host ports a `PublishPort=` value takes (`8080`, or a range
/// `8000-8010`); none when it names none.
pub fn published_host_ports(value: &str) -> Vec<u16> {
    let Some((_, host, _)) = publish_parts(value.trim()) else {
        return Vec::new();
    };
    let (first, last) = host.split_once('-').unwrap_or((&host, &host));
    match (first.parse::<u16>(), last.parse::<u16>()) {
        (Ok(first), Ok(last)) if first <= last => (first..=last).collect(),
        _ => Vec::new(),
    }
}

/// The host ports a Quadlet file's `PublishPort=` lines take.
pub fn quadlet_host_ports(text: &str) -> Vec<u16> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("PublishPort="))
        .flat_map(published_host_ports)
        .collect()
}

/// A named port's pick on a host, with where the port is declared.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Picked {
    pub service: String,
    pub name: String,
    pub port: u16,
    pub protocol: String,
    /// Whether kindling picked it (else the port's `host:` gives it).
    pub picked: bool,
    /// The file and position of the port's entry.
    #[serde(skip)]
    pub at: (String, Position),
}

/// The lock after a build, and how it differs from the one read.
#[derive(Clone, Debug, Default)]
pub struct LockUpdate {
    /// The lock as read; `None` when there is no lock file.
    pub read: Option<Lock>,
    /// Every entry the lock holds after this build.
    pub picks: BTreeMap<PortKey, u16>,
    /// Picks the read lock does not hold (or holds another port for).
    pub unlocked: Vec<(PortKey, u16, (String, Position))>,
    /// Entries of the read lock this build drops.
    pub dropped: Vec<(PortKey, u16, Position)>,
}

impl LockUpdate {
    /// The update of `read` by the picks of `planned` hosts (host → its
    /// named ports): their entries are replaced, those of hosts that are
    /// `gone` from the fleet dropped, and the others' kept.
    pub fn new(
        read: Option<Lock>,
        planned: &BTreeMap<String, Vec<Picked>>,
        gone: &dyn Fn(&str) -> bool,
    ) -> LockUpdate {
        let old = read.clone().unwrap_or_default();
        let mut update = LockUpdate {
            read,
            ..LockUpdate::default()
        };
        for (key, (port, position)) in &old.entries {
            if planned.contains_key(&key.host) || gone(&key.host) {
                update.dropped.push((key.clone(), *port, *position));
            } else {
                update.picks.insert(key.clone(), *port);
            }
        }
        for (host, ports) in planned {
            for picked in ports.iter().filter(|p| p.picked) {
                let key = PortKey {
                    host: host.clone(),
                    service: picked.service.clone(),
                    name: picked.name.clone(),
                };
                update.dropped.retain(|(old, _, _)| old != &key);
                if old.port(&key) != Some(picked.port) {
                    update
                        .unlocked
                        .push((key.clone(), picked.port, picked.at.clone()));
                }
                update.picks.insert(key, picked.port);
            }
        }
        update
    }

    /// Whether `build` has to write the lock: it changes, or there is none
    /// and there are picks to record.
    pub fn changed(&self) -> bool {
        match &self.read {
            None => !self.picks.is_empty(),
            Some(_) => !self.unlocked.is_empty() || !self.dropped.is_empty(),
        }
    }

    /// One finding per change: a pick the lock lacks (at the port's entry),
    /// an entry it would drop (at the lock's line).
    pub fn findings(&self, severity: Severity) -> Vec<Diagnostic> {
        let help = format!(
            "run `kindling build` to record it and commit {LOCK_FILE}, so that the port stays where it is"
        );
        let mut found = Vec::new();
        for (key, port, (file, position)) in &self.unlocked {
            let was = self
                .read
                .as_ref()
                .and_then(|lock| lock.port(key))
                .map_or_else(String::new, |old| {
                    format!(" (it has {old}, which is taken or out of port_range)")
                });
            found.push(
                Diagnostic::new(
                    severity,
                    Code::FleetPortNotLocked,
                    format!(
                        "{LOCK_FILE} does not hold port {port} picked for {}/{} on host {}{was}",
                        key.service, key.name, key.host
                    ),
                )
                .in_file(file.clone())
                .at_position(*position)
                .with_help(help.clone()),
            );
        }
        for (key, port, position) in &self.dropped {
            found.push(
                Diagnostic::new(
                    severity,
                    Code::FleetPortNotLocked,
                    format!(
                        "{LOCK_FILE} holds port {port} for {}/{} on host {}, which no longer has that named port",
                        key.service, key.name, key.host
                    ),
                )
                .in_file(LOCK_FILE)
                .at_position(*position)
                .with_help(format!(
                    "run `kindling build` to drop the entry and commit {LOCK_FILE}"
                )),
            );
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(entries: &[(&str, &str)]) -> Vec<(String, String)> {
        entries
            .iter()
            .map(|(s, n)| ((*s).to_owned(), (*n).to_owned()))
            .collect()
    }

    #[test]
    fn ranges_parse_and_refuse() {
        assert_eq!(
            PortRange::parse("10000-60000"),
            Ok(PortRange {
                first: 10_000,
                last: 60_000
            })
        );
        assert_eq!(PortRange::parse("5 - 5").map(PortRange::len), Ok(1));
        for bad in ["", "10000", "60000-10000", "0-10", "1-70000", "a-b"] {
            assert!(PortRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn picks_avoid_taken_ports_and_keep_locked_ones() {
        let range = PortRange {
            first: 20_000,
            last: 20_003,
        };
        let taken: BTreeSet<u16> = [20_001].into();
        let (picks, exhausted) = pick(
            "h",
            &wanted(&[("a", "x"), ("b", "y")]),
            &taken,
            &Lock::default(),
            range,
        );
        assert!(exhausted.is_empty());
        let ports: BTreeSet<u16> = picks.values().copied().collect();
        assert_eq!(ports.len(), 2);
        assert!(!ports.contains(&20_001));
        assert!(ports.iter().all(|p| range.contains(*p)));
        // A lock keeps ports where they are, even where a hash would start.
        let mut lock = Lock::default();
        for ((service, name), port) in &picks {
            let key = PortKey {
                host: "h".into(),
                service: service.clone(),
                name: name.clone(),
            };
            lock.entries.insert(key, (*port, Position::new(1, 1)));
        }
        let (again, _) = pick(
            "h",
            &wanted(&[("b", "y"), ("a", "x"), ("0", "new")]),
            &taken,
            &lock,
            range,
        );
        for (entry, port) in &picks {
            assert_eq!(again.get(entry), Some(port));
        }
        // The range is full now.
        let (_, exhausted) = pick(
            "h",
            &wanted(&[("a", "x"), ("b", "y"), ("0", "new"), ("1", "more")]),
            &taken,
            &lock,
            range,
        );
        assert_eq!(exhausted.len(), 1);
    }

    #[test]
    fn the_lock_reads_back_what_it_writes() {
        let mut picks = BTreeMap::new();
        for (host, service, name, port) in [
            ("h1", "web", "http", 10_001),
            ("h1", "web", "admin-ui", 10_002),
            ("h 2", "api", "grpc", 10_003),
        ] {
            picks.insert(
                PortKey {
                    host: host.into(),
                    service: service.into(),
                    name: name.into(),
                },
                port,
            );
        }
        let text = lock_text(&picks);
        let lock = Lock::parse(&text, FileId(0)).expect("parses");
        let read: BTreeMap<PortKey, u16> = lock
            .entries
            .iter()
            .map(|(k, (p, _))| (k.clone(), *p))
            .collect();
        assert_eq!(read, picks);
        assert_eq!(lock_text(&read), text);
    }

    #[test]
    fn publish_values_give_their_host_ports() {
        assert_eq!(
            publish_parts("127.0.0.1:8470:8470"),
            Some(("127.0.0.1".into(), "8470".into(), "tcp".into()))
        );
        assert_eq!(
            publish_parts("8080:80/udp"),
            Some((String::new(), "8080".into(), "udp".into()))
        );
        assert_eq!(
            publish_parts("[::1]:53:53/udp"),
            Some(("::1".into(), "53".into(), "udp".into()))
        );
        assert_eq!(publish_parts("80"), None);
        assert_eq!(
            published_host_ports("8000-8002:8000-8002"),
            [8000, 8001, 8002]
        );
        assert_eq!(published_host_ports("127.0.0.1::80"), Vec::<u16>::new());
        assert_eq!(
            quadlet_host_ports("[Container]\nPublishPort=9000:90\n"),
            [9000]
        );
    }

    #[test]
    fn port_names() {
        assert!(check_name("http").is_ok());
        assert!(check_name("admin-ui_2").is_ok());
        assert!(check_name("2nd").is_err());
        assert!(check_name("").is_err());
        assert!(check_name("a.b").is_err());
        assert_eq!(env_name("admin-ui"), "PORT_ADMIN_UI");
    }
}
