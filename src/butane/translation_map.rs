//! Where each part of the generated Ignition came from in the Butane source.
//!
//! Translation records, for every list entry it emits and every renamed or
//! generated field, the YAML path it was made from. A finding about the
//! output (`$.systemd.units.0.name`) is then reported at the source
//! (`$.storage.filesystems.2.with_mount_unit`, line and column). Below a
//! recorded entry, keys map by Butane's own naming rule (Ignition camelCase
//! is Butane snake_case, `sizeMiB` is `size_mib`), which is exact because the
//! Butane model is defined that way.

use std::collections::BTreeMap;

use crate::diag::{DocPath, Segment};

#[derive(Clone, Debug, Default)]
pub struct TranslationMap {
    entries: BTreeMap<DocPath, DocPath>,
}

impl TranslationMap {
    pub fn new() -> Self {
        TranslationMap::default()
    }

    /// Records that the output at `json` came from the source at `yaml`.
    pub fn add(&mut self, json: DocPath, yaml: DocPath) {
        self.entries.insert(json, yaml);
    }

    /// The source path for an output path.
    pub fn source_of(&self, json: &DocPath) -> DocPath {
        let segments = json.segments();
        for len in (0..=segments.len()).rev() {
            let prefix = DocPath::from_segments(segments[..len].to_vec());
            if let Some(yaml) = self.entries.get(&prefix) {
                let mut out = yaml.segments().to_vec();
                out.extend(segments[len..].iter().map(snake_segment));
                return DocPath::from_segments(out);
            }
        }
        DocPath::from_segments(segments.iter().map(snake_segment).collect())
    }

    /// Renumbers the entries of the list at `list`: record `list.i.…` moves
    /// to `list.new_index[i].…` (all at once, so moves cannot collide).
    pub fn renumber(&mut self, list: &DocPath, new_index: &[usize]) {
        let depth = list.len();
        let moved: Vec<(DocPath, DocPath)> = self
            .entries
            .iter()
            .filter(|(json, _)| json.starts_with(list) && json.len() > depth)
            .map(|(json, yaml)| (json.clone(), yaml.clone()))
            .collect();
        for (json, _) in &moved {
            self.entries.remove(json);
        }
        for (json, yaml) in moved {
            let mut segments = json.segments().to_vec();
            if let Some(Segment::Index(old)) = segments.get(depth).cloned()
                && let Some(&new) = new_index.get(old)
            {
                segments[depth] = Segment::Index(new);
            }
            self.entries.insert(DocPath::from_segments(segments), yaml);
        }
    }

    /// Moves every record under `from` to `to` (used when merging shifts
    /// list entries).
    pub fn rebase(&mut self, from: &DocPath, to: &DocPath) {
        let moved: Vec<(DocPath, DocPath)> = self
            .entries
            .iter()
            .filter(|(json, _)| json.starts_with(from))
            .map(|(json, yaml)| (json.clone(), yaml.clone()))
            .collect();
        for (json, _) in &moved {
            self.entries.remove(json);
        }
        for (json, yaml) in moved {
            let mut segments = to.segments().to_vec();
            segments.extend_from_slice(&json.segments()[from.len()..]);
            self.entries.insert(DocPath::from_segments(segments), yaml);
        }
    }
}

fn snake_segment(segment: &Segment) -> Segment {
    match segment {
        Segment::Key(key) => Segment::Key(snake_case(key).into()),
        Segment::Index(index) => Segment::Index(*index),
    }
}

/// Ignition's camelCase key → Butane's snake_case key.
pub fn snake_case(key: &str) -> String {
    let key = key
        .strip_suffix("MiB")
        .map_or_else(|| key.to_owned(), |stem| format!("{stem}_mib"));
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_follows_butane() {
        assert_eq!(snake_case("sizeMiB"), "size_mib");
        assert_eq!(snake_case("startMiB"), "start_mib");
        assert_eq!(snake_case("typeGuid"), "type_guid");
        assert_eq!(snake_case("sshAuthorizedKeys"), "ssh_authorized_keys");
        assert_eq!(snake_case("path"), "path");
    }

    #[test]
    fn maps_through_the_deepest_record() {
        let mut map = TranslationMap::new();
        map.add(
            DocPath::parse("$.systemd.units.0"),
            DocPath::parse("$.storage.filesystems.2"),
        );
        map.add(
            DocPath::parse("$.storage.files.0.contents.source"),
            DocPath::parse("$.storage.files.0.contents.inline"),
        );
        assert_eq!(
            map.source_of(&DocPath::parse("$.systemd.units.0.name"))
                .to_string(),
            "$.storage.filesystems.2.name"
        );
        assert_eq!(
            map.source_of(&DocPath::parse("$.storage.files.0.contents.source"))
                .to_string(),
            "$.storage.files.0.contents.inline"
        );
        assert_eq!(
            map.source_of(&DocPath::parse("$.storage.disks.0.partitions.1.sizeMiB"))
                .to_string(),
            "$.storage.disks.0.partitions.1.size_mib"
        );
    }

    #[test]
    fn renumber_moves_all_at_once() {
        let mut map = TranslationMap::new();
        let units = DocPath::parse("$.systemd.units");
        map.add(units.index(0), DocPath::parse("$.a"));
        map.add(units.index(1), DocPath::parse("$.b"));
        map.renumber(&units, &[1, 2]);
        assert_eq!(map.source_of(&units.index(1)).to_string(), "$.a");
        assert_eq!(map.source_of(&units.index(2)).to_string(), "$.b");
    }

    #[test]
    fn rebase_moves_records() {
        let mut map = TranslationMap::new();
        map.add(
            DocPath::parse("$.systemd.units.0"),
            DocPath::parse("$.systemd.units.0"),
        );
        map.rebase(
            &DocPath::parse("$.systemd.units.0"),
            &DocPath::parse("$.systemd.units.2"),
        );
        assert_eq!(
            map.source_of(&DocPath::parse("$.systemd.units.2.name"))
                .to_string(),
            "$.systemd.units.0.name"
        );
    }
}
