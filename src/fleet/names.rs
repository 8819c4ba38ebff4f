//! The host and service names of a fleet, from its file names alone
//! (nothing parsed): what shell completion offers for a HOST or a
//! `--service`. Read through the fleet's confinement; an unreadable or
//! missing directory has no names.

use std::collections::BTreeSet;
use std::path::Path;

use super::load::QUADLET_KINDS;
use crate::confine::{EntryKind, Exclusions, FleetRoot};

/// File names in `dir` of the fleet at `root`.
fn files(root: &Path, dir: &str) -> Vec<String> {
    FleetRoot::open(root, Exclusions::none())
        .ok()
        .and_then(|fleet| fleet.list(dir).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|entry| entry.kind == EntryKind::File)
        .map(|entry| entry.name)
        .collect()
}

/// Hosts: `hosts/<host>.yaml` (or `.yml`) and `hosts/<host>.bu`.
pub fn hosts(root: &Path) -> Vec<String> {
    let names: BTreeSet<String> = files(root, "hosts")
        .iter()
        .filter_map(|name| {
            name.strip_suffix(".yaml")
                .or_else(|| name.strip_suffix(".yml"))
                .or_else(|| name.strip_suffix(".bu"))
        })
        .map(str::to_owned)
        .collect();
    names.into_iter().collect()
}

/// Services: `containers/<svc>.yaml` definitions and literal (or `.j2`)
/// Quadlet files, by stem.
pub fn services(root: &Path) -> Vec<String> {
    let names: BTreeSet<String> = files(root, "containers")
        .iter()
        .filter_map(|name| {
            if let Some(stem) = name
                .strip_suffix(".yaml")
                .or_else(|| name.strip_suffix(".yml"))
            {
                return Some(stem);
            }
            let unit = name.strip_suffix(".j2").unwrap_or(name);
            let (stem, kind) = unit.rsplit_once('.')?;
            QUADLET_KINDS.contains(&kind).then_some(stem)
        })
        .map(str::to_owned)
        .collect();
    names.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_fleets_names() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(hosts(root), ["beam00", "mouse", "relay01"]);
        let services = services(root);
        assert!(services.contains(&"hecate-rag".to_owned()));
        assert!(services.contains(&"netdata".to_owned()));
        assert!(hosts(&root.join("no-such-fleet")).is_empty());
    }
}
