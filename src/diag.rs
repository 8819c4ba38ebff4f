//! Diagnostics: errors and warnings as values, each pointing at its source.
//!
//! Every stage returns its findings as [`Diagnostic`]s instead of printing, so
//! that `--strict` can promote warnings and tests can snapshot them. A
//! diagnostic names the source file, the 1-based line and column of the node
//! it is about, and a JSON-path-like location (`$.storage.files.0.path`) in the
//! style of Butane's reports, and a stable [`Code`] naming the kind of
//! finding (listed in the README's "Diagnostic codes").

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// Declares [`Code`]: one variant per kind of finding, its stable
/// kebab-case name and a one-line meaning (the README lists them all).
macro_rules! codes {
    ($($variant:ident = $name:literal : $meaning:literal,)*) => {
        /// The stable identifier of a kind of finding, printed with every
        /// diagnostic (`error[ignition-path-relative]`) so scripts and tests
        /// can match on it instead of on message text. Names never change
        /// once released; new kinds of finding get new codes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $meaning] $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed (`quadlet-unknown-key`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// One line saying what the finding is about.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

codes! {
    // Reading YAML and decoding it into a model (Butane configs, fleet files).
    YamlSyntax = "yaml-syntax": "the text is not valid YAML",
    YamlInvalidValue = "yaml-invalid-value": "a value has the wrong type or form for its field, or a required field is missing",
    YamlUnusedKey = "yaml-unused-key": "a key the schema (or the declared version) does not have; it is ignored",
    YamlLenientInteger = "yaml-lenient-integer": "an integer literal read the lenient way Butane reads it (e.g. 0888 as a decimal number)",

    // Butane's own checks on the source config.
    ButaneMissingVariant = "butane-missing-variant": "the config has no `variant:`",
    ButaneInvalidVariant = "butane-invalid-variant": "`variant:` is not a plain string",
    ButaneInvalidVersion = "butane-invalid-version": "`version:` is not a version string",
    ButaneUnknownVersion = "butane-unknown-version": "no translator exists for this variant and version",
    ButaneEmptyConfig = "butane-empty-config": "the config is empty",
    ButaneNotAMapping = "butane-not-a-mapping": "the config is not a mapping of keys to values",
    ButaneDecimalMode = "butane-decimal-mode": "a mode that looks like decimal digits meant as octal",
    ButaneRequiredField = "butane-required-field": "a field Butane requires here is missing",
    ButaneExclusiveFields = "butane-exclusive-fields": "fields of which only one can be set are set together",
    ButaneMountUnit = "butane-mount-unit": "`with_mount_unit` lacks the path or format it needs",
    ButaneQuadletExtension = "butane-quadlet-extension": "a Quadlet file name with an extension Podman does not know",
    ButaneTemplateContents = "butane-template-contents": "a template instance has contents of its own",
    ButaneBootLayout = "butane-boot-layout": "`boot_device.layout` is missing, unknown or does not fit the other settings",
    ButaneBootMirror = "butane-boot-mirror": "`boot_device.mirror` has fewer than two devices",
    ButaneBootLuks = "butane-boot-luks": "`boot_device.luks` settings that do not fit together",
    ButaneLuksUnsupported = "butane-luks-unsupported": "a LUKS feature the variant or spec version does not support",
    ButaneVariantUnsupported = "butane-variant-unsupported": "a section the variant refuses (r4e and fiot: kernel arguments, disks, filesystems, LUKS, RAID)",
    ButanePartitionReuse = "butane-partition-reuse": "a partition reused by label without a number",
    ButaneReservedPartition = "butane-reserved-partition": "a reserved partition label with another number than its own",
    ButaneRootPartition = "butane-root-partition": "a root partition that cannot grow or is too small",
    ButaneNoFilesDir = "butane-no-files-dir": "a local file is named but no files directory was given",
    ButaneLocalEscapes = "butane-local-escapes": "a local file path leads outside the files directory",
    ButaneLocalUnreadable = "butane-local-unreadable": "a local file cannot be read",
    ButaneTreeNotDirectory = "butane-tree-not-directory": "the root of a local tree is not a directory",
    ButaneTreeEntry = "butane-tree-entry": "a local tree holds something other than files, directories and symlinks",
    ButaneNodeConflict = "butane-node-conflict": "sugar or a tree writes a path the config already has with other contents or type",
    ButaneInlineInvalid = "butane-inline-invalid": "an inline merge/replace config is not a valid Ignition config",
    ButaneInlineUnknownVersion = "butane-inline-unknown-version": "an inline merge/replace config has a version that is not checked",
    ButaneNeedsNewerSpec = "butane-needs-newer-spec": "a field needs a newer Ignition spec than the one to emit",
    ButaneRhcosRemoved = "butane-rhcos-removed": "the `rhcos` variant, which Butane replaced by `openshift`",
    ButaneOpenshiftUnsupported = "butane-openshift-unsupported": "a field OpenShift's Machine Config Operator or RHCOS refuses",
    ButaneOpenshiftInvalid = "butane-openshift-invalid": "an `openshift:` value OpenShift does not accept (kernel type, CEX without its kernel argument)",
    ButaneRawIgnored = "butane-raw-ignored": "an openshift field that `--raw` output (bare Ignition) leaves out",

    // Ignition's checks on the output (text and rules ported from Ignition).
    IgnitionSchema = "ignition-schema": "the output does not match the Ignition spec's JSON schema",
    IgnitionInvalidVersion = "ignition-invalid-version": "the config version cannot be parsed",
    IgnitionUnknownVersion = "ignition-unknown-version": "the config version is not supported",
    IgnitionNoPath = "ignition-no-path": "a path is missing",
    IgnitionPathRelative = "ignition-path-relative": "a path is not absolute",
    IgnitionDirtyPath = "ignition-dirty-path": "a path is not fully simplified",
    IgnitionNoDevice = "ignition-no-device": "a device is missing",
    IgnitionIllegalMode = "ignition-illegal-mode": "a file mode is out of range",
    IgnitionModeSpecialBits = "ignition-mode-special-bits": "setuid/setgid/sticky bits on a spec that ignores them",
    IgnitionOverwriteWithoutSource = "ignition-overwrite-without-source": "overwrite is set but there is no source",
    IgnitionBothIdAndName = "ignition-both-id-and-name": "a user or group is given by id and by name",
    IgnitionFileUnderLink = "ignition-file-under-link": "a file path goes through a link of the config",
    IgnitionDirectoryUnderLink = "ignition-directory-under-link": "a directory path goes through a link of the config",
    IgnitionLinkUnderLink = "ignition-link-under-link": "a link path goes through a link of the config",
    IgnitionLinkTargetRequired = "ignition-link-target-required": "a link has no target",
    IgnitionHardLinkToDirectory = "ignition-hard-link-to-directory": "a hard link points at a directory",
    IgnitionHardLinkOwner = "ignition-hard-link-owner": "user/group set on a hard link (ignored)",
    IgnitionPathConflictsSystemd = "ignition-path-conflicts-systemd": "a file path clashes with a systemd unit or drop-in",
    IgnitionInvalidCompression = "ignition-invalid-compression": "an unknown compression method",
    IgnitionVerificationWithoutSource = "ignition-verification-without-source": "verification is set but there is no source",
    IgnitionHashMalformed = "ignition-hash-malformed": "a hash is not `function-digest`",
    IgnitionHashUnrecognized = "ignition-hash-unrecognized": "an unknown hash function",
    IgnitionHashWrongSize = "ignition-hash-wrong-size": "a hash digest has the wrong length",
    IgnitionInvalidUrl = "ignition-invalid-url": "a URL cannot be parsed",
    IgnitionInvalidScheme = "ignition-invalid-scheme": "a URL scheme Ignition does not fetch",
    IgnitionInvalidS3VersionId = "ignition-invalid-s3-version-id": "an S3 URL with an invalid versionId",
    IgnitionInvalidS3Arn = "ignition-invalid-s3-arn": "an S3 ARN in the wrong format",
    IgnitionDataUrl = "ignition-data-url": "a data URL that cannot be decoded",
    IgnitionSourceRequired = "ignition-source-required": "a resource has no source",
    IgnitionEmptyHeaderName = "ignition-empty-header-name": "an HTTP header with an empty name",
    IgnitionInvalidHeader = "ignition-invalid-header": "an HTTP header that cannot be parsed",
    IgnitionHeadersWithScheme = "ignition-headers-with-scheme": "HTTP headers on a source that is not HTTP(S)",
    IgnitionInvalidProxy = "ignition-invalid-proxy": "a proxy that is not http(s)",
    IgnitionInsecureProxy = "ignition-insecure-proxy": "a plain HTTP proxy for HTTPS resources",
    IgnitionUnitExtension = "ignition-unit-extension": "a systemd unit name with an invalid extension",
    IgnitionDropinExtension = "ignition-dropin-extension": "a systemd drop-in name without `.conf`",
    IgnitionUnitContent = "ignition-unit-content": "systemd unit contents that do not parse",
    IgnitionNoInstallSection = "ignition-no-install-section": "an enabled unit without an `[Install]` section",
    IgnitionTemplateNoInstallSection = "ignition-template-no-install-section": "an enabled template instance whose template has no `[Install]` section",
    IgnitionDiskDeviceRequired = "ignition-disk-device-required": "a disk without a device",
    IgnitionPartitionNumbersCollide = "ignition-partition-numbers-collide": "two partitions with the same number",
    IgnitionPartitionsOverlap = "ignition-partitions-overlap": "partitions that overlap",
    IgnitionDuplicatePartitionLabel = "ignition-duplicate-partition-label": "two partitions with the same label",
    IgnitionShouldNotExistWithOthers = "ignition-should-not-exist-with-others": "shouldExist false together with other settings",
    IgnitionNeedLabelOrNumber = "ignition-need-label-or-number": "a partition with neither number nor label",
    IgnitionPartitionLabelTooLong = "ignition-partition-label-too-long": "a partition label longer than 36 characters",
    IgnitionPartitionLabelColon = "ignition-partition-label-colon": "a partition label with a colon (truncated)",
    IgnitionNotAGuid = "ignition-not-a-guid": "a GUID in the wrong form",
    IgnitionRaidLevelRequired = "ignition-raid-level-required": "a RAID array without a level",
    IgnitionUnrecognizedRaidLevel = "ignition-unrecognized-raid-level": "an unknown RAID level",
    IgnitionSparesUnsupported = "ignition-spares-unsupported": "spares on a linear or raid0 array",
    IgnitionRaidDevicesRequired = "ignition-raid-devices-required": "a RAID array without devices",
    IgnitionInvalidFormat = "ignition-invalid-format": "an unknown filesystem format",
    IgnitionFormatEmptyWithOthers = "ignition-format-empty-with-others": "filesystem settings without a format",
    IgnitionLabelNeedsFormat = "ignition-label-needs-format": "a filesystem label without a format",
    IgnitionFilesystemLabelTooLong = "ignition-filesystem-label-too-long": "a filesystem label too long for its format",
    IgnitionVirtiofsLabel = "ignition-virtiofs-label": "a label on a virtiofs filesystem",
    IgnitionVirtiofsTagTooLong = "ignition-virtiofs-tag-too-long": "a virtiofs tag longer than 36 bytes",
    IgnitionUuidForNonBlock = "ignition-uuid-for-non-block": "a uuid on a filesystem that is not on a block device",
    IgnitionWipeForNonBlock = "ignition-wipe-for-non-block": "wipeFilesystem on a filesystem that is not on a block device",
    IgnitionOptionsForNonBlock = "ignition-options-for-non-block": "mkfs options on a filesystem that is not on a block device",
    IgnitionPartitionsOverwritten = "ignition-partitions-overwritten": "a filesystem on a partitioned device",
    IgnitionImplicitWipe = "ignition-implicit-wipe": "a filesystem on a disk whose table is wiped",
    IgnitionLuksNameSlash = "ignition-luks-name-slash": "a LUKS device name with a slash",
    IgnitionLuksLabelTooLong = "ignition-luks-label-too-long": "a LUKS label longer than 47 characters",
    IgnitionInvalidKeyFile = "ignition-invalid-key-file": "a LUKS key file source that is not valid",
    IgnitionClevisPinRequired = "ignition-clevis-pin-required": "a custom clevis config without a pin",
    IgnitionUnknownClevisPin = "ignition-unknown-clevis-pin": "an unknown clevis pin",
    IgnitionClevisConfigRequired = "ignition-clevis-config-required": "a custom clevis pin without a config",
    IgnitionClevisCustomWithOthers = "ignition-clevis-custom-with-others": "custom clevis together with tpm2, tang or threshold",
    IgnitionTangThumbprintRequired = "ignition-tang-thumbprint-required": "a tang server without a thumbprint",
    IgnitionInvalidTangAdvertisement = "ignition-invalid-tang-advertisement": "a tang advertisement that is not JSON",
    IgnitionCexWithClevis = "ignition-cex-with-clevis": "cex together with clevis",
    IgnitionCexWithKeyFile = "ignition-cex-with-key-file": "cex together with a key file",
    IgnitionDuplicateEntry = "ignition-duplicate-entry": "two list entries with the same key (path, name, device, ...)",

    // Quadlet files (literal, rendered from templates, or in Butane `systemd.quadlets`).
    QuadletSyntax = "quadlet-syntax": "unit-file syntax Quadlet rejects (the file is dropped)",
    QuadletSuspiciousSyntax = "quadlet-suspicious-syntax": "syntax Quadlet accepts but that is likely a mistake",
    QuadletFileName = "quadlet-file-name": "a file name Quadlet cannot use",
    QuadletUnitTypeTooNew = "quadlet-unit-type-too-new": "a file type newer than the target Podman (the file is ignored)",
    QuadletUnknownSection = "quadlet-unknown-section": "a section this file type does not use",
    QuadletSectionIgnored = "quadlet-section-ignored": "a section the target Podman ignores",
    QuadletUnknownKey = "quadlet-unknown-key": "a key Quadlet does not know in its section",
    QuadletKeyTooNew = "quadlet-key-too-new": "a key newer than the target Podman",
    QuadletUnknownSystemdKey = "quadlet-unknown-systemd-key": "a key systemd does not know in `[Unit]`, `[Service]` or `[Install]`",
    QuadletObsoleteSystemdKey = "quadlet-obsolete-systemd-key": "a systemd key that is obsolete and ignored",
    QuadletInvalidValue = "quadlet-invalid-value": "a value Quadlet or Podman rejects or misreads",
    QuadletMissingKey = "quadlet-missing-key": "a required key is missing",
    QuadletConflictingKeys = "quadlet-conflicting-keys": "keys that cannot be used together",
    QuadletServiceSetting = "quadlet-service-setting": "a `[Service]`/`[Install]` setting Quadlet overrides, rejects or ignores",
    QuadletFeatureTooNew = "quadlet-feature-too-new": "a feature newer than the target Podman",
    QuadletMissingReference = "quadlet-missing-reference": "a reference to a Quadlet unit the host does not get",
    QuadletInvalidReference = "quadlet-invalid-reference": "a reference Quadlet cannot resolve",
    QuadletShortImageName = "quadlet-short-image-name": "an image name without a registry",
    QuadletAutoUpdateImage = "quadlet-auto-update-image": "`AutoUpdate=registry` with an image that is not fully qualified",
    QuadletImageNotPinned = "quadlet-image-not-pinned": "an image without a tag or digest, or tagged `latest`",
    QuadletPublishAllInterfaces = "quadlet-publish-all-interfaces": "a port published on every interface",
    QuadletRunsAsRoot = "quadlet-runs-as-root": "the container process runs as root",
    QuadletInlineSecret = "quadlet-inline-secret": "a secret-looking environment variable with an inline value",
    QuadletUnsupportedEscape = "quadlet-unsupported-escape": "an escape sequence Quadlet cannot decode (the value is ignored)",

    // The fleet compiler.
    FleetRootUnreadable = "fleet-root-unreadable": "the fleet root cannot be opened",
    FleetMissingFleetYaml = "fleet-missing-fleet-yaml": "there is no fleet.yaml in the fleet root",
    FleetUnreadableFile = "fleet-unreadable-file": "a fleet file cannot be read or is not UTF-8",
    FleetUnknownKey = "fleet-unknown-key": "a key that fleet.yaml, a host manifest, a service definition or a host's service override does not have",
    FleetMisplacedKey = "fleet-misplaced-key": "a manifest key written where it does not belong (the help says where it does)",
    FleetDuplicateHost = "fleet-duplicate-host": "a host is defined by two files",
    FleetDuplicateService = "fleet-duplicate-service": "a service is defined by a definition and by Quadlet files",
    FleetUnknownHost = "fleet-unknown-host": "a host named on the command line is not in the fleet",
    FleetUnknownService = "fleet-unknown-service": "a host names a service the fleet does not define",
    FleetUnknownTemplate = "fleet-unknown-template": "a service names a template that does not exist",
    FleetUnknownIgnitionVersion = "fleet-unknown-ignition-version": "an Ignition spec version kindling does not know",
    FleetVariantCannotEmit = "fleet-variant-cannot-emit": "the host's variant cannot emit the Ignition version asked for",
    FleetInvalidPodmanVersion = "fleet-invalid-podman-version": "`podman_version` is not a version",
    FleetUnknownImagePolicy = "fleet-unknown-image-policy": "an `image_policy` other than pinned or open",
    FleetLiteralOverrides = "fleet-literal-overrides": "overrides given for a literal Quadlet file",
    FleetNoImage = "fleet-no-image": "a service has no image and the fleet no registry",
    FleetImageTagAndVersion = "fleet-image-tag-and-version": "an `image:` with a tag or digest and `version:` (or `digest:`) adding another",
    FleetUidClash = "fleet-uid-clash": "two service users get the same uid",
    FleetPathPattern = "fleet-path-pattern": "a path pattern that cannot be expanded",
    FleetTemplateUndefined = "fleet-template-undefined": "a template uses a variable that is not defined",
    FleetTemplateError = "fleet-template-error": "a template that does not parse or render",
    FleetTemplateLimit = "fleet-template-limit": "a template over a size, work or nesting limit",
    FleetQuadletSection = "fleet-quadlet-section": "a `quadlet:` override for a section the template does not write",
    FleetPathOverride = "fleet-path-override": "two sources write the same path; the later one wins",
    FleetUnreadableSnippet = "fleet-unreadable-snippet": "an included snippet cannot be read",
    FleetPlaintextSecret = "fleet-plaintext-secret": "an env variable that looks like a secret is stored in plain text",
    FleetPortClash = "fleet-port-clash": "two services publish the same host port",
    FleetPortRange = "fleet-port-range": "`port_range` in fleet.yaml is not a range of ports",
    FleetPortName = "fleet-port-name": "a named port whose name is not a letter then letters, digits, `-` or `_`, or that a service names twice",
    FleetPortRangeExhausted = "fleet-port-range-exhausted": "`port_range` has no free port left on the host for a named port",
    FleetPortEnvSet = "fleet-port-env-set": "a service's `env:` sets a variable kindling passes a named port as (`PORT`, `PORT_<NAME>`)",
    FleetPortLockMalformed = "fleet-port-lock-malformed": "`ports.lock` is not host → service → port name → port number",
    FleetPortNotLocked = "fleet-port-not-locked": "a picked port `ports.lock` does not hold, or an entry it holds for a port that is gone (`build` updates it)",
    FleetSecretEscapes = "fleet-secret-escapes": "a secret path leads outside secrets/",
    FleetSecretUnreadable = "fleet-secret-unreadable": "a secret file cannot be read",
    FleetSecretNoIdentity = "fleet-secret-no-identity": "an age-encrypted secret but no identity was given",
    FleetSecretNotARecipient = "fleet-secret-not-a-recipient": "no identity given is a recipient of an age-encrypted secret",
    FleetSecretDamaged = "fleet-secret-damaged": "an age-encrypted secret is damaged",
    FleetSecretDecrypt = "fleet-secret-decrypt": "a secret cannot be decrypted with the identity",
    FleetIdentityUnreadable = "fleet-identity-unreadable": "the age identity cannot be loaded",
    FleetIdentityAsArgument = "fleet-identity-as-argument": "`--identity` was given the key itself instead of a file",
    FleetIdentityWritable = "fleet-identity-writable": "the age identity file is writable by other users",
    FleetIdentityReadable = "fleet-identity-readable": "the age identity file is readable by other users",
    FleetEncryptedTrust = "fleet-encrypted-trust": "a `trust:` anchor names an age-encrypted file",
    FleetSecretPlaintextKey = "fleet-secret-plaintext-key": "a private key under secrets/ is stored unencrypted (no .age)",
    FleetRecipientInvalid = "fleet-recipient-invalid": "a `recipients:` entry in fleet.yaml is not an age or SSH public key",
    FleetCertUnparsable = "fleet-cert-unparsable": "a PEM certificate a host gets cannot be parsed as X.509",
    FleetCertExpired = "fleet-cert-expired": "a certificate a host gets has expired at the build time",
    FleetCertNotYetValid = "fleet-cert-not-yet-valid": "a certificate a host gets is not valid yet at the build time",
    FleetCertExpiresSoon = "fleet-cert-expires-soon": "a certificate a host gets expires within `cert_expiry_warning_days` of the build time",
    FleetCertKeyMismatch = "fleet-cert-key-mismatch": "a certificate placed beside private keys belongs to none of them",
    FleetCertUntrusted = "fleet-cert-untrusted": "a certificate does not chain to the CA certificates the host gets as trust anchors",
    // A host's `os:` and `after_rebase:` (`crate::fleet::os`).
    OsUnknown = "os-unknown": "an `os:` that is not fcos, ucore, flatcar or an image reference, or an unknown Fedora CoreOS stream or Flatcar channel",
    OsUcoreNoTag = "os-ucore-no-tag": "a uCore `os:` without a tag",
    OsUcoreTagRetired = "os-ucore-tag-retired": "a uCore tag uCore no longer publishes (the `-zfs` tags)",
    OsUcoreTagUnknown = "os-ucore-tag-unknown": "a uCore tag kindling does not know to be published",
    OsBadImageReference = "os-bad-image-reference": "an image `os:` that cannot go into a unit, or that names its transport",
    OsVariantMismatch = "os-variant-mismatch": "a `variant:` that does not match the host's `os:`",
    OsAfterRebaseWithoutRebase = "os-after-rebase-without-rebase": "`after_rebase:` on a host whose `os:` does not rebase",
    OsAfterRebaseNotAUnit = "os-after-rebase-not-a-unit": "an `after_rebase:` entry that is not a systemd unit name",
    OsNewTopLevel = "os-new-top-level": "a node path under a top-level directory the composefs root of Fedora CoreOS does not have",
    OsComposefsOff = "os-composefs-off": "a new top-level directory that exists only because the kernel arguments turn composefs off",
    OsReadOnlyUsr = "os-read-only-usr": "a node path under the read-only `/usr` (or `/bin`, `/sbin`, `/lib`, `/lib64`)",
    OsHiddenByMount = "os-hidden-by-mount": "a node path Ignition writes under a mount point that a unit mounts later, hiding it",
    // A host's `install:` (`crate::fleet::install`).
    InstallDeviceInvalid = "install-device-invalid": "an `install.device` that is not a path under /dev/, or has a character a kernel argument cannot carry",
    InstallDeviceUnstable = "install-device-unstable": "an `install.device` given by its kernel name (`/dev/sda`), which may name another disk on the next boot",
    InstallMacInvalid = "install-mac-invalid": "an `install.macs` entry that is not a unicast MAC address, or is listed twice",
    InstallUuidInvalid = "install-uuid-invalid": "an `install.uuid` that is not a DMI product UUID",
    InstallConsoleInvalid = "install-console-invalid": "an `install.console` entry coreos-installer does not support",
    InstallKargInvalid = "install-karg-invalid": "an `install.kargs` entry that is not one kernel argument",
    InstallButaneHostUnknown = "install-butane-host-unknown": "a `butane_hosts:` entry that names no plain Butane host",
    // Reading inputs (`crate::confine`) and values no node can use
    // (`crate::validate::unsafe_values`).
    InputOutside = "input-outside": "an input path, or a symlink on it, leads outside the fleet or files directory",
    InputExcluded = "input-excluded": "an input is in the build output directory or is the age identity file",
    InputNotRegular = "input-not-regular": "an input is a FIFO, device, socket or directory where a regular file is needed",
    InputTooLarge = "input-too-large": "an input is over its size limit",
    InputBadPath = "input-bad-path": "an input path has a NUL byte or too many levels of symlinks",
    UnsafeNulInPath = "unsafe-nul-in-path": "a node path or link target with a NUL byte",
    UnsafeNegativeId = "unsafe-negative-id": "a negative uid or gid",
    UnsafeUnitName = "unsafe-unit-name": "a unit or drop-in name containing `/` or `..`",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A 1-based line and column in a source file (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// Start of a file (line 1, column 1).
    pub const START: Position = Position { line: 1, column: 1 };

    pub const fn new(line: usize, column: usize) -> Self {
        Position { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One step of a [`DocPath`]. Keys are mostly names from the schema
/// (`storage`, `files`), borrowed rather than copied: validation builds a
/// path for every field it looks at, error or not.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(Cow<'static, str>),
    Index(usize),
}

/// A location inside a document, written as `$.storage.files.0.path`.
///
/// Used for YAML paths (Butane and manifest input) and JSON paths (Ignition
/// output) alike.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DocPath(Vec<Segment>);

impl DocPath {
    pub const fn root() -> Self {
        DocPath(Vec::new())
    }

    /// The path one key further down (`&'static str` keys are not copied).
    #[must_use]
    pub fn key(&self, key: impl Into<Cow<'static, str>>) -> Self {
        let mut segments = Vec::with_capacity(self.0.len() + 1);
        segments.extend_from_slice(&self.0);
        segments.push(Segment::Key(key.into()));
        DocPath(segments)
    }

    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut segments = Vec::with_capacity(self.0.len() + 1);
        segments.extend_from_slice(&self.0);
        segments.push(Segment::Index(index));
        DocPath(segments)
    }

    /// `rest` read from this path down (a fragment's path in its file).
    #[must_use]
    pub fn join(&self, rest: &DocPath) -> Self {
        DocPath(self.0.iter().chain(&rest.0).cloned().collect())
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn from_segments(segments: Vec<Segment>) -> Self {
        DocPath(segments)
    }

    /// Parses `$.a.0.b` back into a path (numeric components become indices).
    pub fn parse(text: &str) -> Self {
        let rest = text.strip_prefix('$').unwrap_or(text);
        let segments = rest
            .split('.')
            .filter(|part| !part.is_empty())
            .map(|part| match part.parse::<usize>() {
                Ok(index) => Segment::Index(index),
                Err(_) => Segment::Key(part.to_owned().into()),
            })
            .collect();
        DocPath(segments)
    }

    pub fn starts_with(&self, prefix: &DocPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("$")?;
        for segment in &self.0 {
            match segment {
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, ".{index}")?,
            }
        }
        Ok(())
    }
}

impl Serialize for DocPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// One finding: what is wrong, where, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Which kind of finding this is.
    pub code: Code,
    pub message: String,
    /// The source file (as given by the user), if the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    /// Location inside the document (`$.storage.files.0.path`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<DocPath>,
    /// What to do about it, when that is not obvious from the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file: None,
            position: None,
            path: None,
            help: None,
        }
    }

    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    #[must_use]
    pub fn at(mut self, path: DocPath) -> Self {
        self.path = Some(path);
        self
    }

    #[must_use]
    pub fn at_position(mut self, position: Position) -> Self {
        self.position = Some(position);
        self
    }

    #[must_use]
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The one-line form: `file:line:col: error[code] at $.path: message`.
    pub fn raw(&self) -> String {
        let mut line = String::new();
        if let Some(file) = &self.file {
            line.push_str(file);
            if let Some(position) = self.position {
                line.push_str(&format!(":{}:{}", position.line, position.column));
            }
            line.push_str(": ");
        } else if let Some(position) = self.position {
            line.push_str(&format!("line {} col {}: ", position.line, position.column));
        }
        line.push_str(&format!("{}[{}]", self.severity, self.code));
        if let Some(path) = self.path.as_ref().filter(|path| !path.is_empty()) {
            line.push_str(&format!(" at {path}"));
        }
        line.push_str(": ");
        line.push_str(&self.message);
        if let Some(help) = &self.help {
            line.push_str(&format!(" (help: {help})"));
        }
        line
    }

    /// The line `butane --raw-errors` prints for the same finding (vcontext's
    /// report entry): `error at $.path, line L col C: message`, without
    /// kindling's code and help.
    pub fn butane_raw(&self) -> String {
        let path = self.path.as_ref().filter(|path| !path.is_empty());
        let at = match (path, self.position) {
            (Some(path), Some(position)) => {
                format!(" at {path}, line {} col {}", position.line, position.column)
            }
            (None, Some(position)) => format!(" at line {} col {}", position.line, position.column),
            (Some(path), None) => format!(" at {path}"),
            (None, None) => String::new(),
        };
        format!("{}{at}: {}", self.severity, self.message)
    }

    /// The annotated form with source context, in the style of Butane 0.29's
    /// default reports, the code after the header:
    /// `error[$.storage.files.0.path]: ignition-path-relative`. `source` is the text of `self.file`, if available.
    pub fn pretty(&self, source: Option<&str>) -> String {
        self.pretty_styled(source, false)
    }

    /// [`Diagnostic::pretty`], with Butane's terminal colors when `color`:
    /// the severity in bold red or yellow, the arrow, line numbers and
    /// underline in bold blue.
    pub fn pretty_styled(&self, source: Option<&str>, color: bool) -> String {
        let (Some(file), Some(position), Some(source)) = (&self.file, self.position, source) else {
            return self.raw();
        };
        let paint = |text: &str, style: &str| {
            if color {
                format!("{style}{text}{RESET}")
            } else {
                text.to_owned()
            }
        };
        let severity_style = match self.severity {
            Severity::Error => RED,
            Severity::Warning => YELLOW,
        };
        let lines: Vec<&str> = source.lines().collect();
        if position.line == 0 || position.line > lines.len() {
            return self.raw();
        }
        let mut out = String::new();
        // Butane's header (`error[$.path]:`) stays as Butane prints it; the
        // code follows it where Butane leaves the line empty.
        out.push_str(&paint(&self.severity.to_string(), severity_style));
        if let Some(path) = self.path.as_ref().filter(|path| !path.is_empty()) {
            out.push_str(&format!("[{path}]"));
        }
        out.push_str(&format!(": {}\n", self.code));
        let first = position.line.saturating_sub(2).max(1);
        let last = (position.line + 2).min(lines.len());
        let width = last.to_string().len();
        let blank = " ".repeat(width);
        out.push_str(&format!(
            "{blank} {} {file}:{}:{}\n",
            paint("-->", BLUE),
            position.line,
            position.column
        ));
        out.push_str(&format!("{blank} |\n"));
        // Lines wider than the snippet show the same window of columns,
        // chosen so the reported column is in it.
        let column = position.column.saturating_sub(1);
        let skip = if lines
            .iter()
            .take(last)
            .skip(first - 1)
            .all(|line| line.len() <= SNIPPET_WIDTH)
        {
            0
        } else {
            column.saturating_sub(SNIPPET_WIDTH / 4)
        };
        for number in first..=last {
            let text = snippet(lines.get(number - 1).copied().unwrap_or(""), skip);
            let text = text.as_str();
            let number_text = paint(&format!("{number:>width$}"), BLUE);
            out.push_str(&format!("{number_text} | {text}\n"));
            if number == position.line {
                // The window's leading `…` stands for the skipped columns.
                let shown_column = column - skip + usize::from(skip > 0);
                let before: String = text
                    .chars()
                    .take(shown_column)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                let underlined = text
                    .chars()
                    .skip(shown_column)
                    .take_while(|c| !c.is_whitespace() && *c != '…')
                    .count()
                    .max(1);
                out.push_str(&format!(
                    "{blank} | {before}{} {}\n",
                    paint(&"^".repeat(underlined), BLUE),
                    self.message
                ));
            }
        }
        out.push_str(&format!("{blank} |\n"));
        if let Some(help) = &self.help {
            out.push_str(&format!("{blank} = help: {help}\n"));
        }
        out
    }
}

/// Butane's terminal colors (bold).
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BLUE: &str = "\x1b[1;34m";
const RESET: &str = "\x1b[0m";

/// Widest part of a source line a snippet shows, in characters.
const SNIPPET_WIDTH: usize = 120;

/// At most [`SNIPPET_WIDTH`] characters of `line` from character `skip`,
/// with `…` marking text left out on either side.
fn snippet(line: &str, skip: usize) -> String {
    if skip == 0 && line.len() <= SNIPPET_WIDTH {
        return visible(line);
    }
    let mut chars = line.chars().skip(skip);
    let window: String = chars.by_ref().take(SNIPPET_WIDTH).collect();
    if window.is_empty() {
        return window;
    }
    let mut out = String::with_capacity(window.len() + 8);
    if skip > 0 {
        out.push('…');
    }
    out.push_str(&visible(&window));
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// Shows control characters (other than tab) as their Unicode control
/// pictures, one character each so columns stay aligned.
fn visible(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('?'),
            '\u{7f}' => '\u{2421}',
            _ => c,
        })
        .collect()
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw())
    }
}

/// An ordered collection of findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn has_warnings(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Warning)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }

    /// Sets the file name on every diagnostic that has none yet.
    pub fn set_file(&mut self, file: &str) {
        for diagnostic in &mut self.0 {
            if diagnostic.file.is_none() {
                diagnostic.file = Some(file.to_owned());
            }
        }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<I: IntoIterator<Item = Diagnostic>>(iter: I) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_displays_and_parses() {
        let path = DocPath::root()
            .key("storage")
            .key("files")
            .index(0)
            .key("path");
        assert_eq!(path.to_string(), "$.storage.files.0.path");
        assert_eq!(DocPath::parse("$.storage.files.0.path"), path);
        assert_eq!(DocPath::root().to_string(), "$");
    }

    #[test]
    fn raw_form_names_file_line_and_column() {
        let diagnostic = Diagnostic::error(Code::IgnitionPathRelative, "path not absolute")
            .at(DocPath::parse("$.storage.files.0.path"))
            .at_position(Position::new(5, 13))
            .in_file("config.bu");
        assert_eq!(
            diagnostic.raw(),
            "config.bu:5:13: error[ignition-path-relative] at $.storage.files.0.path: path not absolute"
        );
    }

    #[test]
    fn pretty_form_underlines_the_value() {
        let source = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: etc/a\n";
        let diagnostic = Diagnostic::error(Code::IgnitionPathRelative, "path not absolute")
            .at(DocPath::parse("$.storage.files.0.path"))
            .at_position(Position::new(5, 13))
            .in_file("config.bu")
            .with_help("start the path with /");
        let expected = "\
error[$.storage.files.0.path]: ignition-path-relative
  --> config.bu:5:13
  |
3 | storage:
4 |   files:
5 |     - path: etc/a
  |             ^^^^^ path not absolute
  |
  = help: start the path with /
";
        assert_eq!(diagnostic.pretty(Some(source)), expected);
    }

    #[test]
    fn pretty_form_of_a_huge_line_shows_a_window_around_the_column() {
        // A 50 MB line used to be printed whole, with 50 MB of carets.
        let line = format!("data: {}x {}", "a".repeat(25 << 20), "b".repeat(25 << 20));
        let column = 6 + (25 << 20) + 1;
        let diagnostic = Diagnostic::error(Code::YamlSyntax, "here")
            .at_position(Position::new(1, column))
            .in_file("big.bu");
        let pretty = diagnostic.pretty(Some(&line));
        assert!(pretty.len() < 1_000, "{} bytes", pretty.len());
        let expected = format!(
            "error: yaml-syntax\n  --> big.bu:1:{column}\n  |\n1 | …{}x {}…\n  | {}^ here\n  |\n",
            "a".repeat(30),
            "b".repeat(88),
            " ".repeat(31),
        );
        assert_eq!(pretty, expected);
    }

    #[test]
    fn pretty_falls_back_to_raw_without_position() {
        let diagnostic = Diagnostic::warning(Code::YamlUnusedKey, "something").in_file("x.bu");
        assert_eq!(
            diagnostic.pretty(Some("a")),
            "x.bu: warning[yaml-unused-key]: something"
        );
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} is used twice");
            assert!(
                !name.is_empty()
                    && !name.starts_with('-')
                    && !name.ends_with('-')
                    && !name.contains("--")
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} is not kebab-case"
            );
            assert!(!code.meaning().is_empty(), "{name} has no meaning");
        }
    }

    /// The README's "Diagnostic codes" section lists every code with its
    /// meaning, in the order they are declared.
    #[test]
    fn readme_lists_every_code() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .unwrap_or_default();
        let section = readme
            .split("\n## Diagnostic codes\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or_default();
        let listed: Vec<&str> = section
            .lines()
            .filter(|line| line.starts_with("- `"))
            .collect();
        let expected: Vec<String> = Code::ALL
            .iter()
            .map(|code| format!("- `{}`: {}", code.as_str(), code.meaning()))
            .collect();
        assert_eq!(listed, expected);
    }

    #[test]
    fn json_form_carries_the_code() {
        let diagnostic = Diagnostic::error(Code::FleetUnknownService, "unknown service nope");
        let json = serde_json::to_value(&diagnostic).unwrap_or_default();
        assert_eq!(json["code"], "fleet-unknown-service");
    }
}
