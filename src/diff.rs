//! Semantic diff of two Ignition configs: which files, directories, links,
//! units, users, groups, storage entries, kernel arguments and Ignition
//! settings were added, removed or changed, with a unified diff of decoded
//! text contents.
//!
//! Entries are matched by their identity (path, unit or user name, device,
//! kernel argument); each is compared by its facts ([`facts`]), so a change
//! of encoding (percent vs base64 vs gzip, an explicit empty `compression`)
//! is not a difference, while any change of decoded bytes, mode, owner,
//! enablement and so on is. Duplicate identities (invalid in Ignition) are
//! kept apart as `key (#2)`.

pub mod facts;

use std::collections::HashMap;
use std::fmt;

use imara_diff::{Algorithm, Diff, Hunk, InternedInput};
use serde::Serialize;

use facts::Entity;
pub use facts::Fact;

use crate::ignition::model::Config;
use crate::inspect::content::printable;

/// What kind of entry changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Ignition,
    KernelArgument,
    File,
    Directory,
    Link,
    Unit,
    User,
    Group,
    Disk,
    Raid,
    Luks,
    Filesystem,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Ignition => "ignition",
            Kind::KernelArgument => "kernel argument",
            Kind::File => "file",
            Kind::Directory => "directory",
            Kind::Link => "link",
            Kind::Unit => "unit",
            Kind::User => "user",
            Kind::Group => "group",
            Kind::Disk => "disk",
            Kind::Raid => "raid",
            Kind::Luks => "luks",
            Kind::Filesystem => "filesystem",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Added,
    Removed,
    Changed,
}

/// One attribute that differs; `None` means absent on that side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<Fact>,
    pub new: Option<Fact>,
}

/// One entry that was added, removed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: Kind,
    pub key: String,
    pub status: Status,
    /// For added and removed entries, all their facts.
    pub fields: Vec<FieldChange>,
}

/// The differences between two configs, old to new.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConfigDiff {
    pub changes: Vec<Change>,
}

impl ConfigDiff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// (added, removed, changed) counts.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |status| self.changes.iter().filter(|c| c.status == status).count();
        (
            count(Status::Added),
            count(Status::Removed),
            count(Status::Changed),
        )
    }
}

/// An entity's identity and its facts.
type Keyed = ((Kind, String), Vec<(String, Fact)>);

/// Entities keyed by (kind, key), duplicates numbered.
fn keyed(entities: Vec<Entity>) -> Vec<Keyed> {
    let mut seen: HashMap<(Kind, String), usize> = HashMap::new();
    entities
        .into_iter()
        .map(|entity| {
            let count = seen.entry((entity.kind, entity.key.clone())).or_insert(0);
            *count += 1;
            let key = if *count == 1 {
                entity.key
            } else {
                format!("{} (#{count})", entity.key)
            };
            ((entity.kind, key), entity.facts)
        })
        .collect()
}

fn compare(old: &[(String, Fact)], new: &[(String, Fact)]) -> Vec<FieldChange> {
    let new_map: HashMap<&str, &Fact> = new.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let old_map: HashMap<&str, &Fact> = old.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut changes = Vec::new();
    for (field, value) in old {
        let other = new_map.get(field.as_str()).copied();
        if other != Some(value) {
            changes.push(FieldChange {
                field: field.clone(),
                old: Some(value.clone()),
                new: other.cloned(),
            });
        }
    }
    for (field, value) in new {
        if !old_map.contains_key(field.as_str()) {
            changes.push(FieldChange {
                field: field.clone(),
                old: None,
                new: Some(value.clone()),
            });
        }
    }
    changes
}

/// The semantic differences from `old` to `new`.
pub fn diff_configs(old: &Config, new: &Config) -> ConfigDiff {
    let old_entities = keyed(facts::entities(old));
    let new_entities = keyed(facts::entities(new));
    let new_index: HashMap<&(Kind, String), usize> = new_entities
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k, i))
        .collect();
    let old_index: HashMap<&(Kind, String), usize> = old_entities
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k, i))
        .collect();
    let mut changes = Vec::new();
    for (key, old_facts) in &old_entities {
        let change = match new_index.get(key).and_then(|&i| new_entities.get(i)) {
            Some((_, new_facts)) => {
                let fields = compare(old_facts, new_facts);
                (!fields.is_empty()).then_some((Status::Changed, fields))
            }
            None => Some((Status::Removed, compare(old_facts, &[]))),
        };
        if let Some((status, fields)) = change {
            changes.push(Change {
                kind: key.0,
                key: key.1.clone(),
                status,
                fields,
            });
        }
    }
    for (key, new_facts) in &new_entities {
        if !old_index.contains_key(key) {
            changes.push(Change {
                kind: key.0,
                key: key.1.clone(),
                status: Status::Added,
                fields: compare(&[], new_facts),
            });
        }
    }
    // Stable: by kind, then in the order found (old entries first).
    changes.sort_by_key(|change| change.kind);
    ConfigDiff { changes }
}

fn short(fact: &Fact) -> String {
    match fact {
        Fact::Value(value) => printable(value, false).into_owned(),
        Fact::Text(text) => {
            let lines = text.lines().count();
            format!(
                "text, {} bytes, {lines} line{}",
                text.len(),
                if lines == 1 { "" } else { "s" }
            )
        }
    }
}

impl FieldChange {
    /// Writes this change of entry `key`: one line, plus a unified diff
    /// when text changed (or text was added).
    fn write(&self, f: &mut fmt::Formatter<'_>, key: &str) -> fmt::Result {
        let field = printable(&self.field, false);
        let text = |fact: &Option<Fact>| match fact {
            Some(Fact::Text(text)) => Some(text.clone()),
            Some(Fact::Value(_)) => None,
            None => Some(String::new()),
        };
        let texts = match (text(&self.old), text(&self.new)) {
            (Some(old), Some(new)) if old != new => Some((old, new)),
            _ => None,
        };
        match (&self.old, &self.new, &texts) {
            (Some(_), Some(_), Some(_)) => writeln!(f, "    {field}:")?,
            (None, Some(_), Some(_)) => writeln!(f, "    + {field}:")?,
            (Some(old), Some(new), None) => {
                writeln!(f, "    {field}: {} -> {}", short(old), short(new))?;
            }
            (None, Some(new), None) => writeln!(f, "    + {field}: {}", short(new))?,
            (Some(old), None, _) => writeln!(f, "    - {field}: {}", short(old))?,
            (None, None, _) => {}
        }
        if let (Some((old, new)), Some(_)) = (texts, &self.new) {
            let key = printable(key, false);
            writeln!(f, "      --- {key} ({field}, old)")?;
            writeln!(f, "      +++ {key} ({field}, new)")?;
            for line in unified_hunks(&old, &new).lines() {
                writeln!(f, "      {}", printable(line, false))?;
            }
            if !old.is_empty() && !old.ends_with('\n') || !new.is_empty() && !new.ends_with('\n') {
                writeln!(f, "      (no newline at end of a side)")?;
            }
        }
        Ok(())
    }
}

/// Lines of unchanged context shown around each change.
const CONTEXT: u32 = 3;

/// The hunks of a unified line diff of two texts, with GNU diff's hunk
/// headers (`@@ -4,7 +4,7 @@`, a length of 1 left out, an empty side
/// numbered from the line before it).
///
/// imara-diff's Myers implementation bounds its work with the heuristics of
/// GNU diff and git instead of a clock, so two unrelated 40,000-line texts
/// diff quickly and the same texts always give the same hunks
/// (`cargo bench --bench large_inputs`).
fn unified_hunks(old: &str, new: &str) -> String {
    let input = InternedInput::new(old, new);
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_lines(&input);
    let line = |token| input.interner[token];
    let mut out = String::new();
    let push = |out: &mut String, sign: char, text: &str| {
        out.push(sign);
        out.push_str(text.strip_suffix('\n').unwrap_or(text));
        out.push('\n');
    };
    let old_len = u32::try_from(input.before.len()).unwrap_or(u32::MAX);
    let hunks: Vec<Hunk> = diff.hunks().collect();
    let mut rest = hunks.as_slice();
    while let Some(first) = rest.first() {
        // Changes closer than twice the context share one hunk.
        let together = rest
            .windows(2)
            .take_while(|pair| pair[1].before.start - pair[0].before.end <= 2 * CONTEXT)
            .count()
            + 1;
        let (group, later) = rest.split_at(together);
        rest = later;
        let last = &group[together - 1];
        let old_start = first.before.start.saturating_sub(CONTEXT);
        let old_end = (last.before.end + CONTEXT).min(old_len);
        let new_start = first.after.start - (first.before.start - old_start);
        let new_end = last.after.end + (old_end - last.before.end);
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            gnu_range(old_start, old_end - old_start),
            gnu_range(new_start, new_end - new_start)
        ));
        let mut at = old_start;
        for hunk in group {
            for &token in &input.before[at as usize..hunk.before.start as usize] {
                push(&mut out, ' ', line(token));
            }
            for &token in &input.before[hunk.before.start as usize..hunk.before.end as usize] {
                push(&mut out, '-', line(token));
            }
            for &token in &input.after[hunk.after.start as usize..hunk.after.end as usize] {
                push(&mut out, '+', line(token));
            }
            at = hunk.before.end;
        }
        for &token in &input.before[at as usize..old_end as usize] {
            push(&mut out, ' ', line(token));
        }
    }
    out
}

/// A hunk side as GNU diff writes it: `start,len`, `start` alone for one
/// line, and `start-1,0` for none.
fn gnu_range(start: u32, len: u32) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = match self.status {
            Status::Added => '+',
            Status::Removed => '-',
            Status::Changed => '~',
        };
        writeln!(f, "{sign} {} {}", self.kind, printable(&self.key, false))?;
        // Removed entries list their facts without replaying contents.
        for field in &self.fields {
            field.write(f, &self.key)?;
        }
        Ok(())
    }
}

impl fmt::Display for ConfigDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no differences");
        }
        for change in &self.changes {
            write!(f, "{change}")?;
        }
        let (added, removed, changed) = self.counts();
        writeln!(f, "{added} added, {removed} removed, {changed} changed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> Config {
        serde_json::from_str(json).expect("parses")
    }

    #[test]
    fn unrelated_large_texts_diff_the_same_every_time() {
        use base64::Engine as _;
        let file = |text: String| {
            let data = base64::engine::general_purpose::STANDARD.encode(text);
            config(&format!(
                r#"{{"ignition":{{"version":"3.4.0"}},"storage":{{"files":[{{"path":"/a","contents":{{"source":"data:;base64,{data}"}}}}]}}}}"#
            ))
        };
        // Unrelated sides are the quadratic case of a plain Myers diff (the
        // old, clock-bounded diff changed its output with the machine's
        // speed); `cargo bench --bench large_inputs` times it.
        let old = file((0..40_000).map(|i| format!("old line {i}\n")).collect());
        let new = file((0..40_000).map(|i| format!("new line {i}\n")).collect());
        let shown = diff_configs(&old, &new).to_string();
        assert_eq!(shown, diff_configs(&old, &new).to_string());
        assert!(
            shown.contains("-old line 39999"),
            "the removed lines are shown"
        );
        assert!(shown.contains("+new line 0"), "the added lines are shown");
        assert!(shown.contains("@@ -1,40000 +1,40000 @@"), "one hunk");
    }

    #[test]
    fn encoding_is_not_a_difference() {
        let a = config(
            r#"{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/a","contents":{"source":"data:,hi"}}]}}"#,
        );
        let b = config(
            r#"{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/a","contents":{"compression":"","source":"data:;base64,aGk="}}]}}"#,
        );
        assert!(diff_configs(&a, &b).is_empty());
    }

    #[test]
    fn reports_added_removed_and_changed() {
        let a = config(
            r#"{"ignition":{"version":"3.4.0"},
              "storage":{"files":[{"path":"/a","mode":420,"contents":{"source":"data:,one%0Atwo%0A"}},{"path":"/gone"}]},
              "systemd":{"units":[{"name":"x.service","enabled":true}]}}"#,
        );
        let b = config(
            r#"{"ignition":{"version":"3.4.0"},
              "storage":{"files":[{"path":"/a","mode":384,"contents":{"source":"data:,one%0Athree%0A"}}]},
              "systemd":{"units":[{"name":"x.service","enabled":false}]},
              "passwd":{"users":[{"name":"core"}]}}"#,
        );
        let diff = diff_configs(&a, &b);
        assert_eq!(diff.counts(), (1, 1, 2));
        let text = diff.to_string();
        assert!(
            text.contains("~ file /a\n    mode: 0644 -> 0600\n"),
            "{text}"
        );
        assert!(text.contains("      -two\n      +three\n"), "{text}");
        assert!(text.contains("- file /gone\n"), "{text}");
        assert!(
            text.contains("~ unit x.service\n    enabled: true -> false\n"),
            "{text}"
        );
        assert!(text.contains("+ user core\n"), "{text}");
        assert!(text.ends_with("1 added, 1 removed, 2 changed\n"), "{text}");
        assert!(diff_configs(&b, &b).is_empty());
    }

    #[test]
    fn duplicates_and_storage_are_compared() {
        let a = config(
            r#"{"ignition":{"version":"3.4.0"},"kernelArguments":{"shouldExist":["quiet"]},
              "storage":{"disks":[{"device":"/dev/vda","partitions":[{"label":"root","sizeMiB":100}]}],
              "directories":[{"path":"/d"},{"path":"/d","mode":448}]}}"#,
        );
        let b = config(
            r#"{"ignition":{"version":"3.4.0"},"kernelArguments":{"shouldNotExist":["quiet"]},
              "storage":{"disks":[{"device":"/dev/vda","partitions":[{"label":"root","sizeMiB":200}]}],
              "directories":[{"path":"/d"}]}}"#,
        );
        let text = diff_configs(&a, &b).to_string();
        assert!(
            text.contains("~ kernel argument quiet\n    state: should exist -> should not exist\n"),
            "{text}"
        );
        assert!(
            text.contains("partition root.sizeMiB: 100 -> 200"),
            "{text}"
        );
        assert!(text.contains("- directory /d (#2)\n"), "{text}");
    }
}
