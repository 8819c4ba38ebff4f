//! Key names systemd accepts in the `[Unit]`, `[Service]` and `[Install]`
//! sections Quadlet copies into the generated `.service` unit.
//!
//! The lists were compiled from the key table of systemd's unit-file parser
//! (`src/core/load-fragment-gperf.gperf.in` on systemd's main branch, 2026)
//! and cross-checked with `systemd-analyze verify` of systemd 252 (every
//! key it did not know is one added by systemd 253–258). systemd ignores unknown
//! keys with a warning ("Unknown key name … ignoring"), so unknown keys are
//! reported as warnings, not errors. Keys starting with `X-` are extension
//! keys systemd ignores silently.

mod lists;

use std::collections::HashMap;
use std::sync::OnceLock;

use lists::{
    CGROUP, CONDITIONS, EXEC, INSTALL, KILL, SERVICE, SERVICE_OBSOLETE, UNIT, UNIT_OBSOLETE,
};

/// How systemd treats a key of a given section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemdKey {
    /// A key systemd understands.
    Known,
    /// A key systemd still parses but ignores with a deprecation warning.
    Obsolete,
    /// Not a key of this section.
    Unknown,
}

fn lists(section: &str) -> Option<(&'static [&'static str], &'static str)> {
    Some(match section {
        "Unit" => (&[UNIT], UNIT_OBSOLETE),
        "Service" => (&[SERVICE, EXEC, KILL, CGROUP], SERVICE_OBSOLETE),
        "Install" => (&[INSTALL], ""),
        _ => return None,
    })
}

fn contains(list: &str, key: &str) -> bool {
    list.split_whitespace().any(|k| k == key)
}

/// Known and obsolete keys of `section`, indexed once: the lists are long
/// and every key of every unit file is looked up.
fn table(section: &str) -> Option<&'static HashMap<&'static str, SystemdKey>> {
    static TABLES: OnceLock<[HashMap<&'static str, SystemdKey>; 3]> = OnceLock::new();
    let index = match section {
        "Unit" => 0,
        "Service" => 1,
        "Install" => 2,
        _ => return None,
    };
    let tables = TABLES.get_or_init(|| {
        ["Unit", "Service", "Install"].map(|section| {
            let mut table = HashMap::new();
            if let Some((known, obsolete)) = lists(section) {
                for key in obsolete.split_whitespace() {
                    table.insert(key, SystemdKey::Obsolete);
                }
                // A key in both lists is known (checked first before).
                for key in known.iter().flat_map(|list| list.split_whitespace()) {
                    table.insert(key, SystemdKey::Known);
                }
            }
            table
        })
    });
    tables.get(index)
}

/// Classify `key` in systemd section `section` (`Unit`, `Service`,
/// `Install`). Returns `None` for any other section.
pub fn classify(section: &str, key: &str) -> Option<SystemdKey> {
    let table = table(section)?;
    if section == "Unit" && is_condition_key(key) {
        return Some(SystemdKey::Known);
    }
    Some(table.get(key).copied().unwrap_or(SystemdKey::Unknown))
}

/// Every known key of `section` (for "did you mean" suggestions).
pub fn known_keys(section: &str) -> Vec<String> {
    let Some((known, _)) = lists(section) else {
        return Vec::new();
    };
    let mut keys: Vec<String> = known
        .iter()
        .flat_map(|l| l.split_whitespace())
        .map(str::to_string)
        .collect();
    if section == "Unit" {
        for c in CONDITIONS.split_whitespace() {
            keys.push(format!("Condition{c}"));
            if c != "Firmware" {
                keys.push(format!("Assert{c}"));
            }
        }
    }
    keys
}

/// `Condition*=` / `Assert*=` keys (there is no `AssertFirmware=`).
pub fn is_condition_key(key: &str) -> bool {
    key.strip_prefix("Condition")
        .or_else(|| key.strip_prefix("Assert").filter(|c| *c != "Firmware"))
        .is_some_and(|rest| contains(CONDITIONS, rest))
}

/// True if `key` is one of the `[Unit]` keys whose values are unit names
/// (Quadlet 5.5+ translates Quadlet file names in them).
pub fn is_unit_dependency_key(key: &str) -> bool {
    contains(lists::UNIT_DEPENDENCY_KEYS, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_keys() {
        assert_eq!(classify("Unit", "Description"), Some(SystemdKey::Known));
        assert_eq!(
            classify("Unit", "ConditionPathExists"),
            Some(SystemdKey::Known)
        );
        assert_eq!(classify("Unit", "AssertHost"), Some(SystemdKey::Known));
        assert_eq!(
            classify("Unit", "ConditionFirmware"),
            Some(SystemdKey::Known)
        );
        assert_eq!(
            classify("Unit", "AssertFirmware"),
            Some(SystemdKey::Unknown)
        );
        assert_eq!(classify("Unit", "Descripton"), Some(SystemdKey::Unknown));
        assert_eq!(
            classify("Unit", "IgnoreOnSnapshot"),
            Some(SystemdKey::Obsolete)
        );
        assert_eq!(classify("Service", "RestartSteps"), Some(SystemdKey::Known));
        assert_eq!(classify("Service", "MemoryHigh"), Some(SystemdKey::Known));
        assert_eq!(classify("Service", "KillMode"), Some(SystemdKey::Known));
        assert_eq!(classify("Service", "Environment"), Some(SystemdKey::Known));
        assert_eq!(classify("Service", "ReloadSignal"), Some(SystemdKey::Known));
        assert_eq!(
            classify("Service", "MemoryLimit"),
            Some(SystemdKey::Obsolete)
        );
        assert_eq!(
            classify("Service", "Description"),
            Some(SystemdKey::Unknown)
        );
        assert_eq!(classify("Install", "WantedBy"), Some(SystemdKey::Known));
        assert_eq!(classify("Install", "Wantedby"), Some(SystemdKey::Unknown));
        assert_eq!(classify("Container", "Image"), None);
    }

    #[test]
    fn dependency_keys() {
        assert!(is_unit_dependency_key("Requires"));
        assert!(is_unit_dependency_key("Upholds"));
        assert!(!is_unit_dependency_key("Description"));
        assert!(!is_unit_dependency_key("RequiresMountsFor"));
    }

    #[test]
    fn known_key_lists_have_no_duplicates() {
        for section in ["Unit", "Service", "Install"] {
            let mut keys = known_keys(section);
            let n = keys.len();
            keys.sort();
            keys.dedup();
            assert_eq!(keys.len(), n, "duplicate key in {section}");
        }
        assert!(known_keys("Unit").contains(&"ConditionFirstBoot".to_string()));
    }
}
