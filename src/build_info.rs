//! What this binary is and what it knows, for `--version`: the package
//! version, the git commit it was built from (recorded by `build.rs`), the
//! Butane release it follows with its variants and versions, the Ignition
//! specs it emits and the Podman tag its Quadlet key table comes from.

use std::sync::LazyLock;

use crate::butane::version::{SUPPORTED, Variant};
use crate::ignition::spec::Spec;

/// The package version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The commit the binary was built from: 12 hex digits, the packager's
/// `KINDLING_GIT_COMMIT`, or "unknown" (a source tarball without `.git`).
pub const COMMIT: &str = env!("KINDLING_GIT_COMMIT");

/// The Butane release whose variants, versions, messages and flags
/// `kindling butane` follows.
pub const BUTANE_RELEASE: &str = "0.29.0";

/// The text after `kindling ` that `kindling --version` prints.
pub fn long_version() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(version_text);
    TEXT.as_str()
}

fn version_text() -> String {
    let specs: Vec<&str> = Spec::ALL.iter().map(|spec| spec.as_str()).collect();
    format!(
        "{VERSION}\ncommit: {COMMIT}\nbutane: {BUTANE_RELEASE} ({})\nignition specs: {}\n\
         quadlet keys: podman {} (checks target podman {} unless a host says otherwise)",
        butane_variants(),
        specs.join(", "),
        crate::quadlet::keys::PODMAN_TAG,
        crate::quadlet::DEFAULT_PODMAN_VERSION,
    )
}

/// What `butane --version` prints (Butane's shape, `Butane <release>`, with
/// what actually answers after it).
pub fn butane_version() -> String {
    format!("Butane {BUTANE_RELEASE} (kindling {VERSION}, commit {COMMIT})")
}

/// Each variant with its oldest and newest version, e.g.
/// `fcos 1.0.0–1.8.0-experimental`.
fn butane_variants() -> String {
    let mut variants: Vec<Variant> = Vec::new();
    for version in SUPPORTED {
        if !variants.contains(&version.variant) {
            variants.push(version.variant);
        }
    }
    let ranges: Vec<String> = variants
        .into_iter()
        .filter_map(|variant| {
            let mut versions = SUPPORTED.iter().filter(|v| v.variant == variant);
            let first = versions.next()?;
            let last = versions.next_back().unwrap_or(first);
            Some(format!(
                "{} {}–{}",
                variant.as_str(),
                first.version_string(),
                last.version_string()
            ))
        })
        .collect();
    ranges.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_is_listed_once() {
        let text = butane_variants();
        assert!(
            text.starts_with("fcos 1.0.0–1.8.0-experimental, "),
            "{text}"
        );
        assert_eq!(text.matches("flatcar ").count(), 1, "{text}");
    }
}
