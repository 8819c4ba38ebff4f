//! What a build's output directory shows: the files readers open through
//! `build/<name>`, and everything else in it (generations, links) as it is.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::SystemTime;

use sha2::{Digest, Sha256};

/// One entry of the directory. Visible names are seen through their path
/// (what a reader opening it gets: contents, mtime and inode of the file);
/// hidden ones as they are (a link's target, a directory's listing).
#[derive(PartialEq)]
pub struct Snapshot {
    pub bytes: Vec<u8>,
    pub modified: SystemTime,
    pub inode: u64,
}

/// Contents as their length and sha256, so a failed comparison is readable.
impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("len", &self.bytes.len())
            .field("sha256", &format!("{:x}", Sha256::digest(&self.bytes)))
            .field("modified", &self.modified)
            .field("inode", &self.inode)
            .finish()
    }
}

/// Every entry of `dir`; a visible name that reads as nothing (a link that
/// dangles) is left out, as readers find nothing there.
pub fn contents(dir: &Path) -> BTreeMap<String, Snapshot> {
    use std::os::unix::fs::MetadataExt;
    let mut entries = BTreeMap::new();
    for entry in fs::read_dir(dir).expect("out dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let metadata = if name.starts_with('.') {
            fs::symlink_metadata(&path).expect("metadata")
        } else {
            let Ok(metadata) = fs::metadata(&path) else {
                continue;
            };
            metadata
        };
        let bytes = if metadata.is_symlink() {
            fs::read_link(&path)
                .expect("link")
                .into_os_string()
                .into_encoded_bytes()
        } else if metadata.is_dir() {
            let mut names: Vec<String> = fs::read_dir(&path)
                .expect("ls")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names.join("\n").into_bytes()
        } else {
            fs::read(&path).expect("read")
        };
        entries.insert(
            name,
            Snapshot {
                bytes,
                modified: metadata.modified().expect("mtime"),
                inode: metadata.ino(),
            },
        );
    }
    entries
}

/// The names readers see (not hidden).
pub fn visible_names<T>(entries: &BTreeMap<String, T>) -> Vec<&str> {
    entries
        .keys()
        .map(String::as_str)
        .filter(|name| !name.starts_with('.'))
        .collect()
}

/// The files readers see: visible name → bytes.
pub fn visible_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    contents(dir)
        .into_iter()
        .filter(|(name, _)| !name.starts_with('.'))
        .map(|(name, snapshot)| (name, snapshot.bytes))
        .collect()
}

/// Checks that `manifest.json` lists exactly the `.ign` files readers see,
/// each with its sha256: the directory holds one whole build.
pub fn assert_consistent(dir: &Path) {
    let files = visible_files(dir);
    let manifest: serde_json::Value =
        serde_json::from_slice(files.get("manifest.json").expect("a manifest.json"))
            .expect("manifest.json parses");
    let hosts = manifest["hosts"].as_object().expect("hosts");
    let mut listed: Vec<String> = Vec::new();
    for (host, entry) in hosts {
        let output = entry["output"].as_str().expect("output");
        let bytes = files
            .get(output)
            .unwrap_or_else(|| panic!("{host}: {output} is listed but not readable"));
        assert_eq!(
            entry["sha256"].as_str(),
            Some(format!("{:x}", Sha256::digest(bytes)).as_str()),
            "{host}: {output} is not the build manifest.json describes"
        );
        listed.push(output.to_owned());
    }
    let mut outputs: Vec<String> = files
        .keys()
        .filter(|name| name.ends_with(".ign"))
        .cloned()
        .collect();
    listed.sort();
    outputs.sort();
    assert_eq!(outputs, listed, "outputs that manifest.json does not list");
}
