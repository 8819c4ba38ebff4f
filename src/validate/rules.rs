//! The findings Ignition reports, as a typed enum whose `Display` is
//! Ignition's message, and the ordered report they are collected into.

use thiserror::Error;

use crate::diag::{Code, Diagnostic, DocPath};
use crate::go::strconv::quote as go_quote;
use crate::ignition::spec::Spec;

/// One Ignition rule violation. The text is Ignition's (current `main`).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub(crate) enum RuleError {
    // Version.
    #[error("invalid config version (couldn't parse)")]
    InvalidVersion,
    #[error("unsupported config version")]
    UnknownVersion,

    // Paths, nodes and modes.
    #[error("path not specified")]
    NoPath,
    #[error("path not absolute")]
    PathRelative,
    #[error("path is not fully simplified")]
    DirtyPath,
    #[error("device not specified")]
    NoDevice,
    #[error("illegal file mode")]
    IllegalMode,
    #[error(
        "setuid/setgid/sticky bits are not supported or functional in spec versions older than 3.6.0"
    )]
    ModeSpecialBits,
    #[error("overwrite must be false if source is unspecified")]
    OverwriteWithoutSource,
    #[error("cannot set both id and name")]
    BothIdAndName,
    #[error("file path includes link in config")]
    FileUnderLink,
    #[error("directory path includes link in config")]
    DirectoryUnderLink,
    #[error("link path includes link in config")]
    LinkUnderLink,
    #[error("link target is required")]
    LinkTargetRequired,
    #[error("hard link target is a directory")]
    HardLinkToDirectory,
    #[error("user/group ignored for hard link")]
    HardLinkOwner,
    #[error("path conflicts with systemd unit or dropin")]
    PathConflictsSystemd,

    // Resources.
    #[error("invalid compression method")]
    InvalidCompression,
    #[error("source must be specified if verification is specified")]
    VerificationWithoutSource,
    #[error("malformed hash specifier")]
    HashMalformed,
    #[error("unrecognized hash function")]
    HashUnrecognized,
    #[error("incorrect size for hash sum")]
    HashWrongSize,
    #[error("unable to parse url")]
    InvalidUrl,
    #[error("invalid url scheme")]
    InvalidScheme,
    #[error("invalid S3 object VersionId")]
    InvalidS3VersionId,
    #[error("invalid S3 ARN format")]
    InvalidS3Arn,
    /// A `data:` URL the decoder rejects; the text is the decoder's.
    #[error("{0}")]
    DataUrl(String),
    #[error("source is required")]
    SourceRequired,
    #[error("HTTP header name can't be empty")]
    EmptyHeaderName,
    #[error("unable to parse HTTP header")]
    InvalidHeader,
    #[error("cannot use HTTP headers with this source scheme")]
    HeadersWithScheme,
    #[error("proxies must be http(s)")]
    InvalidProxy,
    #[error("insecure plaintext HTTP proxy specified for HTTPS resources")]
    InsecureProxy,

    // systemd.
    #[error("invalid systemd unit extension")]
    UnitExtension,
    #[error("invalid systemd drop-in extension")]
    DropinExtension,
    /// Carries the whole message (`invalid unit content: …`).
    #[error("{0}")]
    UnitContent(String),
    #[error("unit {} is enabled, but has no install section so enable does nothing", go_quote(.0))]
    NoInstallSection(String),
    #[error("template unit {} for {} doesn't have Install section", go_quote(.template), go_quote(.instance))]
    TemplateNoInstallSection { template: String, instance: String },

    // Disks, partitions, RAID, filesystems.
    #[error("disk device is required")]
    DiskDeviceRequired,
    #[error("partition numbers collide")]
    PartitionNumbersCollide,
    #[error("partitions overlap")]
    PartitionsOverlap,
    #[error("cannot use the same partition label twice")]
    DuplicatePartitionLabel,
    #[error("shouldExist specified false with other options also specified")]
    ShouldNotExistWithOthers,
    #[error("a partition number >= 1 or a label must be specified")]
    NeedLabelOrNumber,
    #[error("partition labels may not exceed 36 characters")]
    PartitionLabelTooLong,
    #[error("partition label will be truncated to text before the colon")]
    PartitionLabelColon,
    #[error("doesn't match the form \"01234567-89AB-CDEF-EDCB-A98765432101\"")]
    NotAGuid,
    #[error("raid level is required")]
    RaidLevelRequired,
    #[error("unrecognized raid level")]
    UnrecognizedRaidLevel,
    #[error("spares unsupported for linear and raid0 arrays")]
    SparesUnsupported,
    #[error("raid devices required")]
    RaidDevicesRequired,
    #[error("invalid filesystem format")]
    InvalidFormat,
    #[error(
        "format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified"
    )]
    FormatEmptyWithOthers,
    #[error("filesystem must specify format if label is specified")]
    LabelNeedsFormat,
    #[error("filesystem labels cannot be longer than {max} characters when using {format}")]
    FilesystemLabelTooLong { format: &'static str, max: usize },
    #[error("filesystem labels cannot be set when using virtiofs")]
    VirtiofsLabel,
    #[error("virtiofs device tag cannot be longer than 36 bytes")]
    VirtiofsTagTooLong,
    #[error("filesystem uuid cannot be set for non-block-device filesystems")]
    UuidForNonBlock,
    #[error("wipeFilesystem cannot be set for non-block-device filesystems")]
    WipeForNonBlock,
    #[error("filesystem options (mkfs) cannot be set for non-block-device filesystems")]
    OptionsForNonBlock,
    #[error("filesystem overwrites partitioned device")]
    PartitionsOverwritten,
    #[error("device matches disk with wipeTable enabled; filesystem will be wiped")]
    ImplicitWipe,

    // LUKS and Clevis.
    #[error("device names cannot contain slashes")]
    LuksNameSlash,
    #[error("luks device labels cannot be longer than 47 characters")]
    LuksLabelTooLong,
    #[error("invalid key-file source")]
    InvalidKeyFile,
    #[error("missing required custom clevis pin")]
    ClevisPinRequired,
    #[error("unsupported clevis pin")]
    UnknownClevisPin,
    #[error("missing required custom clevis config")]
    ClevisConfigRequired,
    #[error("cannot use custom clevis config with tpm2, tang, or threshold")]
    ClevisCustomWithOthers,
    #[error("thumbprint is required")]
    TangThumbprintRequired,
    #[error("advertisement is not valid JSON")]
    InvalidTangAdvertisement,
    #[error("cannot use cex with clevis")]
    CexWithClevis,
    #[error("cannot use key file with cex")]
    CexWithKeyFile,

    // Lists.
    #[error("duplicate entry defined")]
    Duplicate,
}

impl RuleError {
    /// The stable code of this kind of finding.
    pub(crate) const fn code(&self) -> Code {
        match self {
            RuleError::InvalidVersion => Code::IgnitionInvalidVersion,
            RuleError::UnknownVersion => Code::IgnitionUnknownVersion,
            RuleError::NoPath => Code::IgnitionNoPath,
            RuleError::PathRelative => Code::IgnitionPathRelative,
            RuleError::DirtyPath => Code::IgnitionDirtyPath,
            RuleError::NoDevice => Code::IgnitionNoDevice,
            RuleError::IllegalMode => Code::IgnitionIllegalMode,
            RuleError::ModeSpecialBits => Code::IgnitionModeSpecialBits,
            RuleError::OverwriteWithoutSource => Code::IgnitionOverwriteWithoutSource,
            RuleError::BothIdAndName => Code::IgnitionBothIdAndName,
            RuleError::FileUnderLink => Code::IgnitionFileUnderLink,
            RuleError::DirectoryUnderLink => Code::IgnitionDirectoryUnderLink,
            RuleError::LinkUnderLink => Code::IgnitionLinkUnderLink,
            RuleError::LinkTargetRequired => Code::IgnitionLinkTargetRequired,
            RuleError::HardLinkToDirectory => Code::IgnitionHardLinkToDirectory,
            RuleError::HardLinkOwner => Code::IgnitionHardLinkOwner,
            RuleError::PathConflictsSystemd => Code::IgnitionPathConflictsSystemd,
            RuleError::InvalidCompression => Code::IgnitionInvalidCompression,
            RuleError::VerificationWithoutSource => Code::IgnitionVerificationWithoutSource,
            RuleError::HashMalformed => Code::IgnitionHashMalformed,
            RuleError::HashUnrecognized => Code::IgnitionHashUnrecognized,
            RuleError::HashWrongSize => Code::IgnitionHashWrongSize,
            RuleError::InvalidUrl => Code::IgnitionInvalidUrl,
            RuleError::InvalidScheme => Code::IgnitionInvalidScheme,
            RuleError::InvalidS3VersionId => Code::IgnitionInvalidS3VersionId,
            RuleError::InvalidS3Arn => Code::IgnitionInvalidS3Arn,
            RuleError::DataUrl(_) => Code::IgnitionDataUrl,
            RuleError::SourceRequired => Code::IgnitionSourceRequired,
            RuleError::EmptyHeaderName => Code::IgnitionEmptyHeaderName,
            RuleError::InvalidHeader => Code::IgnitionInvalidHeader,
            RuleError::HeadersWithScheme => Code::IgnitionHeadersWithScheme,
            RuleError::InvalidProxy => Code::IgnitionInvalidProxy,
            RuleError::InsecureProxy => Code::IgnitionInsecureProxy,
            RuleError::UnitExtension => Code::IgnitionUnitExtension,
            RuleError::DropinExtension => Code::IgnitionDropinExtension,
            RuleError::UnitContent(_) => Code::IgnitionUnitContent,
            RuleError::NoInstallSection(_) => Code::IgnitionNoInstallSection,
            RuleError::TemplateNoInstallSection { .. } => Code::IgnitionTemplateNoInstallSection,
            RuleError::DiskDeviceRequired => Code::IgnitionDiskDeviceRequired,
            RuleError::PartitionNumbersCollide => Code::IgnitionPartitionNumbersCollide,
            RuleError::PartitionsOverlap => Code::IgnitionPartitionsOverlap,
            RuleError::DuplicatePartitionLabel => Code::IgnitionDuplicatePartitionLabel,
            RuleError::ShouldNotExistWithOthers => Code::IgnitionShouldNotExistWithOthers,
            RuleError::NeedLabelOrNumber => Code::IgnitionNeedLabelOrNumber,
            RuleError::PartitionLabelTooLong => Code::IgnitionPartitionLabelTooLong,
            RuleError::PartitionLabelColon => Code::IgnitionPartitionLabelColon,
            RuleError::NotAGuid => Code::IgnitionNotAGuid,
            RuleError::RaidLevelRequired => Code::IgnitionRaidLevelRequired,
            RuleError::UnrecognizedRaidLevel => Code::IgnitionUnrecognizedRaidLevel,
            RuleError::SparesUnsupported => Code::IgnitionSparesUnsupported,
            RuleError::RaidDevicesRequired => Code::IgnitionRaidDevicesRequired,
            RuleError::InvalidFormat => Code::IgnitionInvalidFormat,
            RuleError::FormatEmptyWithOthers => Code::IgnitionFormatEmptyWithOthers,
            RuleError::LabelNeedsFormat => Code::IgnitionLabelNeedsFormat,
            RuleError::FilesystemLabelTooLong { .. } => Code::IgnitionFilesystemLabelTooLong,
            RuleError::VirtiofsLabel => Code::IgnitionVirtiofsLabel,
            RuleError::VirtiofsTagTooLong => Code::IgnitionVirtiofsTagTooLong,
            RuleError::UuidForNonBlock => Code::IgnitionUuidForNonBlock,
            RuleError::WipeForNonBlock => Code::IgnitionWipeForNonBlock,
            RuleError::OptionsForNonBlock => Code::IgnitionOptionsForNonBlock,
            RuleError::PartitionsOverwritten => Code::IgnitionPartitionsOverwritten,
            RuleError::ImplicitWipe => Code::IgnitionImplicitWipe,
            RuleError::LuksNameSlash => Code::IgnitionLuksNameSlash,
            RuleError::LuksLabelTooLong => Code::IgnitionLuksLabelTooLong,
            RuleError::InvalidKeyFile => Code::IgnitionInvalidKeyFile,
            RuleError::ClevisPinRequired => Code::IgnitionClevisPinRequired,
            RuleError::UnknownClevisPin => Code::IgnitionUnknownClevisPin,
            RuleError::ClevisConfigRequired => Code::IgnitionClevisConfigRequired,
            RuleError::ClevisCustomWithOthers => Code::IgnitionClevisCustomWithOthers,
            RuleError::TangThumbprintRequired => Code::IgnitionTangThumbprintRequired,
            RuleError::InvalidTangAdvertisement => Code::IgnitionInvalidTangAdvertisement,
            RuleError::CexWithClevis => Code::IgnitionCexWithClevis,
            RuleError::CexWithKeyFile => Code::IgnitionCexWithKeyFile,
            RuleError::Duplicate => Code::IgnitionDuplicateEntry,
        }
    }
}

/// Findings in the order they are found, plus the spec being checked.
pub(crate) struct Report {
    pub spec: Spec,
    out: Vec<Diagnostic>,
}

impl Report {
    pub fn new(spec: Spec) -> Self {
        Report {
            spec,
            out: Vec::new(),
        }
    }

    pub fn error(&mut self, path: DocPath, rule: RuleError) {
        self.out
            .push(Diagnostic::error(rule.code(), rule.to_string()).at(path));
    }

    pub fn warn(&mut self, path: DocPath, rule: RuleError) {
        self.out
            .push(Diagnostic::warning(rule.code(), rule.to_string()).at(path));
    }

    /// Records `result`'s error, if any (Go's `AddOnError`).
    pub fn check(&mut self, path: DocPath, result: Result<(), RuleError>) {
        if let Err(rule) = result {
            self.error(path, rule);
        }
    }

    /// Whether `self.spec` is at least `spec`.
    pub fn since(&self, spec: Spec) -> bool {
        self.spec >= spec
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.out
    }
}
