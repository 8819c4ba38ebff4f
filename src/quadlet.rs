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
//!   lints, and return [`Finding`]s. Nothing is printed.
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

use crate::diag::Code;
use std::collections::BTreeSet;
use std::fmt;

/// Oldest Podman in the supported Fedora CoreOS / uCore streams (see the
/// module docs for the evidence).
pub const DEFAULT_PODMAN_VERSION: Version = Version::new(5, 8, 0);

/// How serious a finding is: an error when the unit would be rejected by
/// Quadlet / fail at start or a setting would be silently lost; a warning
/// when it works but is risky, ignored or likely a mistake.
pub use crate::diag::Severity;

/// Stable identifier of the check that produced a [`Finding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// Unit-file syntax error (Quadlet drops the file).
    Syntax,
    /// Suspicious but accepted syntax (continuation oddities).
    SyntaxWarning,
    /// The file name is not a usable Quadlet name.
    FileName,
    /// The file type is newer than the target Podman (the file is ignored).
    UnitTypeTooNew,
    /// A section Quadlet/systemd does not use in this file type.
    UnknownSection,
    /// A section the target Podman ignores (`[Quadlet]` before 5.3).
    SectionIgnored,
    /// Unknown key in a Quadlet section (`[Container]`, ..., `[Quadlet]`).
    UnknownKey,
    /// Quadlet key newer than the target Podman.
    KeyTooNew,
    /// Unknown key in `[Unit]`/`[Service]`/`[Install]`.
    UnknownSystemdKey,
    /// systemd key that is obsolete and ignored.
    ObsoleteSystemdKey,
    /// A value Quadlet or podman will not accept, or silently misreads.
    InvalidValue,
    /// A required key is missing.
    MissingKey,
    /// Keys that cannot be used together.
    ConflictingKeys,
    /// A `[Service]`/`[Install]` setting Quadlet overrides, rejects or
    /// ignores.
    ServiceSetting,
    /// A feature (not a key) that needs a newer Podman.
    FeatureTooNew,
    /// Reference to a Quadlet unit that is not in the host's set.
    MissingReference,
    /// A reference Quadlet cannot resolve whatever the set.
    InvalidReference,
    /// Image name without registry (Quadlet warns; auto-update refuses).
    ShortImageName,
    /// `AutoUpdate=registry` with an image that is not fully qualified.
    AutoUpdateImage,
    /// Image not pinned (untagged or `:latest`).
    ImageNotPinned,
    /// `PublishPort=` listening on every interface.
    PublishAllInterfaces,
    /// Container process runs as root.
    RunsAsRoot,
    /// Secret-looking environment variable with an inline value.
    InlineSecret,
}

impl Rule {
    /// The stable code of findings of this rule.
    pub const fn code(self) -> Code {
        match self {
            Rule::Syntax => Code::QuadletSyntax,
            Rule::SyntaxWarning => Code::QuadletSuspiciousSyntax,
            Rule::FileName => Code::QuadletFileName,
            Rule::UnitTypeTooNew => Code::QuadletUnitTypeTooNew,
            Rule::UnknownSection => Code::QuadletUnknownSection,
            Rule::SectionIgnored => Code::QuadletSectionIgnored,
            Rule::UnknownKey => Code::QuadletUnknownKey,
            Rule::KeyTooNew => Code::QuadletKeyTooNew,
            Rule::UnknownSystemdKey => Code::QuadletUnknownSystemdKey,
            Rule::ObsoleteSystemdKey => Code::QuadletObsoleteSystemdKey,
            Rule::InvalidValue => Code::QuadletInvalidValue,
            Rule::MissingKey => Code::QuadletMissingKey,
            Rule::ConflictingKeys => Code::QuadletConflictingKeys,
            Rule::ServiceSetting => Code::QuadletServiceSetting,
            Rule::FeatureTooNew => Code::QuadletFeatureTooNew,
            Rule::MissingReference => Code::QuadletMissingReference,
            Rule::InvalidReference => Code::QuadletInvalidReference,
            Rule::ShortImageName => Code::QuadletShortImageName,
            Rule::AutoUpdateImage => Code::QuadletAutoUpdateImage,
            Rule::ImageNotPinned => Code::QuadletImageNotPinned,
            Rule::PublishAllInterfaces => Code::QuadletPublishAllInterfaces,
            Rule::RunsAsRoot => Code::QuadletRunsAsRoot,
            Rule::InlineSecret => Code::QuadletInlineSecret,
        }
    }
}

/// One diagnostic. `line`/`column` are 1-based; findings about the whole
/// file point at the relevant section header, or at 1:1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// Which check produced it.
    pub rule: Rule,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// Human-readable explanation including what to do.
    pub message: String,
    /// `"[Container] Image"`, `"[Volume]"` or `""` for the whole file.
    pub key_path: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.severity)?;
        if !self.key_path.is_empty() {
            write!(f, " {}", self.key_path)?;
        }
        write!(f, ": {}", self.message)
    }
}

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

/// True if any finding is an error.
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.severity == Severity::Error)
}
