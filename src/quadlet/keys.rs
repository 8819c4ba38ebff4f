//! The catalogue of Quadlet keys per unit type, embedded from `keys.json`
//! (generated from Podman's own supported-key maps; see its `_meta`).

use super::name::UnitKind;
use semver::Version;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const KEYS_JSON: &str = include_str!("keys.json");

/// The Podman tag the key maps were generated from (`v6.0.0-rc1`):
/// `_meta.generated_from_tag` of `keys.json`, read by `build.rs` so that
/// `--version` does not parse the catalogue.
pub const PODMAN_TAG: &str = env!("KINDLING_QUADLET_KEYS_TAG");

/// How Quadlet reads a key (see `lookup_semantics` in `keys.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Last assignment, trimmed and unquoted.
    Last,
    /// Last assignment, verbatim.
    LastRaw,
    /// Last assignment, split like a command line.
    LastArgs,
    /// Every assignment is one value; empty resets.
    All,
    /// Every assignment split into words (escapes kept); empty resets.
    AllWords,
    /// Every assignment split like a command line; empty resets.
    AllArgs,
    /// Every assignment split into `KEY=VALUE` words; empty resets.
    AllKeyVal,
    /// Last assignment as a boolean (`1`, `yes`, `true`, `on` are true).
    Bool,
    /// Last assignment as a number.
    Uint32,
}

impl Lookup {
    fn parse(s: &str) -> Option<Lookup> {
        Some(match s {
            "last" => Lookup::Last,
            "last-raw" => Lookup::LastRaw,
            "last-args" => Lookup::LastArgs,
            "all" => Lookup::All,
            "all-words" => Lookup::AllWords,
            "all-args" => Lookup::AllArgs,
            "all-keyval" => Lookup::AllKeyVal,
            "bool" => Lookup::Bool,
            "uint32" => Lookup::Uint32,
            _ => return None,
        })
    }

    /// True if every assignment contributes (list keys).
    pub fn is_list(self) -> bool {
        matches!(
            self,
            Lookup::All | Lookup::AllWords | Lookup::AllArgs | Lookup::AllKeyVal
        )
    }
}

/// One supported key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    /// Key name (case-sensitive).
    pub name: String,
    /// First Podman release that accepts it in this section.
    pub since: Version,
    /// How the value is read.
    pub lookup: Lookup,
    /// Value type from `keys.json` (`bool`, `enum`, `image-ref`, ...).
    pub value_type: String,
    /// Allowed values for `enum` keys.
    pub values: Vec<String>,
}

/// The keys of one Quadlet section (`[Container]`, ..., `[Quadlet]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionSpec {
    /// Section name.
    pub name: String,
    /// First Podman release that knows the section.
    pub since: Version,
    /// Supported keys by name.
    pub keys: BTreeMap<String, KeySpec>,
}

impl SectionSpec {
    /// Look a key up (exact, case-sensitive).
    pub fn key(&self, name: &str) -> Option<&KeySpec> {
        self.keys.get(name)
    }
}

/// All sections of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    kinds: BTreeMap<UnitKind, SectionSpec>,
    quadlet: SectionSpec,
    source: String,
}

impl Catalog {
    /// The own section of `kind`.
    pub fn section(&self, kind: UnitKind) -> &SectionSpec {
        // Construction guarantees every kind is present (checked in `load`).
        match self.kinds.get(&kind) {
            Some(s) => s,
            None => &self.quadlet,
        }
    }

    /// The `[Quadlet]` section shared by every type.
    pub fn quadlet_section(&self) -> &SectionSpec {
        &self.quadlet
    }

    /// Where the data came from (`_generated_from` of `keys.json`).
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// The embedded catalogue (parsed once).
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| match load(KEYS_JSON) {
        Ok(c) => c,
        // The file is compiled in and checked by a unit test; this cannot
        // happen with the shipped data.
        Err(e) => panic!("embedded quadlet keys.json is invalid: {e}"),
    })
}

#[derive(Deserialize)]
struct RawFile {
    #[serde(rename = "_generated_from")]
    generated_from: String,
    #[serde(rename = "_meta")]
    meta: RawMeta,
    file_types: BTreeMap<String, RawSection>,
    quadlet_section: RawSection,
}

#[derive(Deserialize)]
struct RawMeta {
    #[serde(default)]
    known_after_snapshot: Vec<RawLateKey>,
}

#[derive(Deserialize)]
struct RawLateKey {
    section: String,
    key: String,
    since: String,
}

#[derive(Deserialize)]
struct RawSection {
    section: String,
    since: String,
    keys: BTreeMap<String, RawKey>,
}

#[derive(Deserialize)]
struct RawKey {
    since: String,
    lookup: String,
    #[serde(rename = "type")]
    value_type: String,
    #[serde(default)]
    values: Vec<String>,
}

fn version(s: &str) -> Result<Version, String> {
    Version::parse(s).map_err(|e| format!("bad version `{s}`: {e}"))
}

fn section(raw: RawSection) -> Result<SectionSpec, String> {
    let mut keys = BTreeMap::new();
    for (name, k) in raw.keys {
        let lookup = Lookup::parse(&k.lookup)
            .ok_or_else(|| format!("unknown lookup `{}` for {name}", k.lookup))?;
        keys.insert(
            name.clone(),
            KeySpec {
                name,
                since: version(&k.since)?,
                lookup,
                value_type: k.value_type,
                values: k.values,
            },
        );
    }
    Ok(SectionSpec {
        name: raw.section,
        since: version(&raw.since)?,
        keys,
    })
}

fn load(json: &str) -> Result<Catalog, String> {
    let raw: RawFile = serde_json::from_str(json).map_err(|e| e.to_string())?;
    let mut kinds = BTreeMap::new();
    for (ext, s) in raw.file_types {
        let kind = UnitKind::from_extension(&ext).ok_or_else(|| format!("unknown type {ext}"))?;
        kinds.insert(kind, section(s)?);
    }
    for kind in UnitKind::ALL {
        if !kinds.contains_key(&kind) {
            return Err(format!("missing file type {}", kind.extension()));
        }
    }
    // Keys announced by release notes after the source snapshot.
    for late in raw.meta.known_after_snapshot {
        let kind = UnitKind::from_section(&late.section)
            .ok_or_else(|| format!("unknown section {}", late.section))?;
        let spec = kinds
            .get_mut(&kind)
            .ok_or_else(|| format!("missing section {}", late.section))?;
        spec.keys.entry(late.key.clone()).or_insert(KeySpec {
            name: late.key,
            since: version(&late.since)?,
            lookup: Lookup::Last,
            value_type: "string".to_string(),
            values: Vec::new(),
        });
    }
    Ok(Catalog {
        kinds,
        quadlet: section(raw.quadlet_section)?,
        source: raw.generated_from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_tag_is_the_tag_keys_json_names() {
        let keys: serde_json::Value = serde_json::from_str(KEYS_JSON).expect("keys.json");
        assert_eq!(
            keys["_meta"]["generated_from_tag"].as_str(),
            Some(PODMAN_TAG)
        );
    }

    #[test]
    fn embedded_catalog_loads() {
        assert!(load(KEYS_JSON).is_ok(), "{:?}", load(KEYS_JSON).err());
        let c = catalog();
        let container = c.section(UnitKind::Container);
        assert_eq!(container.name, "Container");
        assert_eq!(
            container.key("Memory").map(|k| k.since.clone()),
            Some(Version::new(5, 5, 0))
        );
        assert_eq!(
            container.key("ImageVolume").map(|k| k.since.clone()),
            Some(Version::new(6, 1, 0))
        );
        assert!(container.key("image").is_none(), "keys are case-sensitive");
        assert_eq!(
            c.section(UnitKind::Volume)
                .key("UID")
                .map(|k| k.since.to_string()),
            Some("6.0.0-rc1".to_string())
        );
        assert!(c.quadlet_section().key("DefaultDependencies").is_some());
        for kind in UnitKind::ALL {
            assert_eq!(c.section(kind).name, kind.section());
            assert_eq!(c.section(kind).since, kind.since(), "{kind}");
        }
    }

    #[test]
    fn enums_carry_values() {
        let pull = catalog().section(UnitKind::Container).key("Pull");
        assert_eq!(
            pull.map(|k| k.values.clone()),
            Some(vec![
                "always".to_string(),
                "missing".to_string(),
                "never".to_string(),
                "newer".to_string()
            ])
        );
    }

    #[test]
    fn broken_json_is_an_error_not_a_panic() {
        assert!(load("{").is_err());
        assert!(load("{}").is_err());
    }
}
