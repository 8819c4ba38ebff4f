//! Typed parser and validator for Podman Quadlet files (`.container`,
//! `.volume`, `.network`, `.pod`, `.kube`, `.image`, `.build`, `.artifact`
//! and their `*.EXT.d/*.conf` drop-ins).
//!
//! - [`parse()`] / [`parse_lenient`] read the systemd unit-file syntax with
//!   the exact rules of Quadlet's own parser (see the [`parse`](mod@parse)
//!   module),
//!   keeping the line/column of every key and value.
//! - [`classify`] turns a path into a [`QuadletFile`] (unit kind, template /
//!   instance, drop-in scope).
//! - [`validate_file`] / [`validate_parsed`] check a file against the key
//!   catalogue generated from Podman's source (`keys.json`, embedded), the
//!   target Podman version, the systemd key tables, the per-type
//!   required/conflicting keys, cross-unit references and a few security
//!   lints, and return [`Diagnostic`](crate::diag::Diagnostic)s, each with
//!   its `quadlet-*` [`Code`](crate::diag::Code), its position in the file
//!   and a message that starts with the key it is about (`[Container]
//!   Image …`); callers name the file. Nothing is printed. A finding is an
//!   error when Quadlet would reject the unit, the unit would fail at start
//!   or a setting would be silently lost; a warning when it works but is
//!   risky, ignored or likely a mistake.
//!
//! # Default Podman version
//!
//! [`DEFAULT_PODMAN_VERSION`] is **5.8.0**, the oldest Podman in the
//! currently supported Fedora CoreOS streams (and therefore uCore, which is
//! built on them):
//!
//! - `stable`/`testing` were rebased onto Fedora 44 (tracker
//!   coreos/fedora-coreos-tracker#2055, closed); Fedora 44 ships the 5.8
//!   series (`podman-5.8.4-1.fc44` is the Fedora 44 build observed on
//!   2026-07-29, and Podman's 5.8 branch was still being bumped in September
//!   2026, containers/podman PR #29787 "Bump Podman to v5.8.8-dev"). Podman
//!   6 is not shipped in Fedora 44.
//! - `next` moves to Fedora 45 (coreos/fedora-coreos-tracker#2127, open),
//!   i.e. a newer Podman, so it does not lower the minimum.
//! - The previous base, Fedora 43, shipped 5.6/5.7 (FCOS 43 reports with
//!   Podman 5.6.2 in containers/podman#27716 and 5.7.0 in #27573); hosts
//!   that were not updated may still run those and must set their version
//!   explicitly. `quadlet.md` (project reference) likewise notes FCOS hosts
//!   on 5.7–5.8 in 2026 issue reports.
//!
//! The `.0` patch level is deliberate: Podman never changed a key map in a
//! patch release (see `keys.json` `_meta.since_semantics`), so 5.8.0 accepts
//! exactly the keys every 5.8.x host accepts.

mod context;
pub mod image;
pub mod keys;
mod lints;
pub mod name;
pub mod parse;
mod refs;
mod rules;
mod suggest;
pub mod systemd_keys;
mod validate;
pub mod words;

pub use image::{
    ImagePin, ImageReference, classify_image, is_fully_qualified, parse_image_reference,
};
pub use lints::looks_secret;
pub use name::{
    DropIn, DropInScope, NameError, QuadletFile, Template, UnitKind, UnitName, classify,
    parse_unit_name,
};
pub use parse::{
    Entry, ParseError, ParseErrorKind, ParseErrors, Position, Section, UnitFile, parse,
    parse_lenient,
};
pub use suggest::closest;
pub use validate::{validate_file, validate_parsed};

use semver::Version;
use std::collections::BTreeSet;

use crate::diag::Severity;

/// Oldest Podman in the supported Fedora CoreOS / uCore streams (see the
/// module docs for the evidence).
pub const DEFAULT_PODMAN_VERSION: Version = Version::new(5, 8, 0);

/// Inputs of the validator besides the file itself.
#[derive(Debug, Clone)]
pub struct ValidateOptions<'a> {
    /// Podman version of the target host.
    pub podman_version: Version,
    /// File names (`web.container`, `data.volume`, ...) of every Quadlet
    /// unit the host gets, in the same scope (rootful, or one user). `None`
    /// skips the cross-unit reference checks.
    pub units: Option<&'a BTreeSet<String>>,
    /// Severity for keys newer than `podman_version`. Defaults to
    /// [`Severity::Error`] because Quadlet rejects the whole unit with
    /// "unsupported key"; set [`Severity::Warning`] to only flag them.
    pub newer_key_severity: Severity,
}

impl Default for ValidateOptions<'_> {
    fn default() -> Self {
        ValidateOptions {
            podman_version: DEFAULT_PODMAN_VERSION,
            units: None,
            newer_key_severity: Severity::Error,
        }
    }
}

impl<'a> ValidateOptions<'a> {
    /// Options for `podman_version`, without reference checks.
    pub fn new(podman_version: Version) -> Self {
        ValidateOptions {
            podman_version,
            ..ValidateOptions::default()
        }
    }

    /// Enable reference checks against `units`.
    pub fn with_units(mut self, units: &'a BTreeSet<String>) -> Self {
        self.units = Some(units);
        self
    }
}
