//! The `openshift` variant (Butane's `config/openshift/v4_N`): an fcos
//! config of the fcos version each OpenShift release builds on, wrapped in a
//! MachineConfig with `metadata` (name, role label) and `openshift` fields
//! (kernel arguments, extensions, FIPS, kernel type), minus what the Machine
//! Config Operator and RHCOS refuse. With `--raw` the bare Ignition config
//! is the output, and the MachineConfig-only fields are reported as ignored.

mod emit;

use std::collections::BTreeMap;

use super::model as b;
use super::translation_map::TranslationMap;
use super::version::{Variant, Version};
use crate::diag::{Code, Diagnostic, DocPath};
use crate::ignition::model as ign;

/// The label every MachineConfig needs: the pool it applies to.
pub const ROLE_LABEL: &str = "machineconfiguration.openshift.io/role";

/// The kernel argument a CEX-encrypted root needs on OpenShift (4.19+),
/// where Butane leaves adding it to the user.
const CEX_KERNEL_ARGUMENT: &str = "rd.luks.key=/etc/luks/cex.key";

/// What differs between OpenShift releases, each named once with the
/// releases it applies to (see [`Rule::applies`]), so the checks below read
/// as rules rather than release numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// A CEX-encrypted boot device or root needs [`CEX_KERNEL_ARGUMENT`].
    CexNeedsKernelArgument,
    /// `fips: true` adds the LUKS ciphers FIPS allows.
    FipsLuksCiphers,
    /// The GRUB password file is written as contents, not appended.
    GrubPasswordAsContents,
    /// A filesystem with `format: none` is refused.
    RefusesFormatNone,
    /// Special mode bits (setuid, setgid, sticky) are refused.
    RefusesSpecialModeBits,
    /// `kernel_arguments` outside `openshift:` is refused.
    RefusesKernelArgumentsSection,
    /// A user's `password_hash` is refused.
    RefusesPasswordHash,
    /// Compressed file contents are refused, and never written.
    RefusesCompression,
}

impl Rule {
    /// The first and last OpenShift 4.N release the rule holds for.
    const fn releases(self) -> (u8, u8) {
        match self {
            Rule::CexNeedsKernelArgument => (19, u8::MAX),
            Rule::FipsLuksCiphers => (0, 19),
            Rule::GrubPasswordAsContents => (23, u8::MAX),
            Rule::RefusesFormatNone | Rule::RefusesKernelArgumentsSection => (14, u8::MAX),
            Rule::RefusesSpecialModeBits => (10, u8::MAX),
            Rule::RefusesPasswordHash => (0, 12),
            Rule::RefusesCompression => (0, 9),
        }
    }

    fn applies(self, version: Version) -> bool {
        let (first, last) = self.releases();
        (first..=last).contains(&version.minor)
    }
}

/// What a MachineConfig holds beside its Ignition config.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MachineConfig {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub kernel_arguments: Vec<String>,
    pub extensions: Vec<String>,
    pub fips: Option<bool>,
    pub kernel_type: Option<String>,
}

impl MachineConfig {
    pub fn of(config: &b::Config) -> Self {
        MachineConfig {
            name: config.metadata.name.clone(),
            labels: config.metadata.labels.clone(),
            kernel_arguments: config.openshift.kernel_arguments.clone(),
            extensions: config.openshift.extensions.clone(),
            fips: config.openshift.fips,
            kernel_type: config.openshift.kernel_type.clone(),
        }
    }

    /// The MachineConfig as Butane writes it: a header comment, then YAML
    /// with sorted keys and two-space indentation (go-yaml v3's encoding of
    /// the JSON object). `ignition` is the config's JSON.
    pub fn to_yaml(&self, ignition: &[u8]) -> Vec<u8> {
        let config: serde_json::Value =
            serde_json::from_slice(ignition).unwrap_or(serde_json::Value::Null);
        let mut metadata = serde_json::Map::new();
        metadata.insert("name".into(), self.name.clone().into());
        if !self.labels.is_empty() {
            let labels = self
                .labels
                .iter()
                .map(|(key, value)| (key.clone(), value.clone().into()))
                .collect();
            metadata.insert("labels".into(), serde_json::Value::Object(labels));
        }
        let mut spec = serde_json::Map::new();
        spec.insert("config".into(), config);
        let strings = |list: &[String]| serde_json::Value::from(list.to_vec());
        if !self.kernel_arguments.is_empty() {
            spec.insert("kernelArguments".into(), strings(&self.kernel_arguments));
        }
        if !self.extensions.is_empty() {
            spec.insert("extensions".into(), strings(&self.extensions));
        }
        if let Some(fips) = self.fips {
            spec.insert("fips".into(), fips.into());
        }
        if let Some(kernel_type) = &self.kernel_type {
            spec.insert("kernelType".into(), kernel_type.clone().into());
        }
        let mut root = serde_json::Map::new();
        root.insert(
            "apiVersion".into(),
            "machineconfiguration.openshift.io/v1".into(),
        );
        root.insert("kind".into(), "MachineConfig".into());
        root.insert("metadata".into(), serde_json::Value::Object(metadata));
        root.insert("spec".into(), serde_json::Value::Object(spec));
        let mut out = String::from("# Generated by Butane; do not edit\n");
        emit::document(&serde_json::Value::Object(root), &mut out);
        // Butane trims the encoder's final newline and prints one itself.
        let mut bytes = out.trim_end_matches('\n').as_bytes().to_vec();
        bytes.push(b'\n');
        bytes
    }
}

fn root() -> DocPath {
    DocPath::root()
}

/// Butane's checks of `metadata` and `openshift` (its `Validate` methods),
/// at YAML paths.
pub fn source(config: &b::Config, version: Version) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    if config.metadata.name.is_empty() {
        found.push(
            Diagnostic::error(Code::ButaneRequiredField, "metadata.name is required")
                .at(root().key("metadata").key("name"))
                .with_help("name the MachineConfig, e.g. `metadata: {name: 99-worker-custom}`"),
        );
    }
    if config
        .metadata
        .labels
        .get(ROLE_LABEL)
        .is_none_or(String::is_empty)
    {
        found.push(
            Diagnostic::error(
                Code::ButaneRequiredField,
                format!("{ROLE_LABEL} label is required"),
            )
            .at(root().key("metadata").key("labels"))
            .with_help(format!(
                "add the pool it applies to: `labels: {{{ROLE_LABEL}: worker}}`"
            )),
        );
    }
    if let Some(kernel_type) = &config.openshift.kernel_type
        && !matches!(kernel_type.as_str(), "" | "default" | "realtime")
    {
        found.push(
            Diagnostic::error(
                Code::ButaneOpenshiftInvalid,
                "must be empty, \"default\", or \"realtime\"",
            )
            .at(root().key("openshift").key("kernel_type")),
        );
    }
    if Rule::CexNeedsKernelArgument.applies(version) {
        let has_argument = config
            .openshift
            .kernel_arguments
            .iter()
            .any(|argument| argument == CEX_KERNEL_ARGUMENT);
        let boot_cex = config.boot_device.luks.cex.enabled == Some(true);
        let root_cex = config
            .storage
            .luks
            .iter()
            .any(|luks| luks.cex.enabled == Some(true) && luks.name == "root");
        for _ in [boot_cex, root_cex].into_iter().filter(|cex| *cex) {
            if !has_argument {
                found.push(
                    Diagnostic::error(
                        Code::ButaneOpenshiftInvalid,
                        format!("'{CEX_KERNEL_ARGUMENT}' must be set as kernel argument when CEX is enabled for the boot device"),
                    )
                    .at(root().key("openshift").key("kernel_arguments"))
                    .with_help(format!("add `{CEX_KERNEL_ARGUMENT}` to openshift.kernel_arguments")),
                );
            }
        }
    }
    found
}

/// What the MachineConfig wrapper adds to the translated config: LUKS
/// ciphers FIPS allows (4.8–4.19) and, from 4.23, the GRUB password file
/// as contents instead of an append (the Machine Config Operator has no
/// appends). `map` learns where the new output came from.
pub fn desugar(
    config: &mut ign::Config,
    butane: &b::Config,
    version: Version,
    map: &mut TranslationMap,
) {
    if Rule::FipsLuksCiphers.applies(version) && butane.openshift.fips == Some(true) {
        let fips = root().key("openshift").key("fips");
        for (index, luks) in config.storage.luks.iter_mut().enumerate() {
            let chosen = luks
                .options
                .iter()
                .any(|o| o == "--cipher" || o.starts_with("--cipher=") || o == "-c");
            if chosen {
                continue;
            }
            let options = root()
                .key("storage")
                .key("luks")
                .index(index)
                .key("options");
            let first = luks.options.len();
            if first == 0 {
                map.add(options.clone(), fips.clone());
            }
            for offset in 0..2 {
                map.add(options.index(first + offset), fips.clone());
            }
            luks.options
                .extend(["--cipher".to_owned(), "aes-cbc-essiv:sha256".to_owned()]);
        }
    }
    if Rule::GrubPasswordAsContents.applies(version)
        && let Some((index, file)) = config
            .storage
            .files
            .iter_mut()
            .enumerate()
            .find(|(_, file)| file.path == "/boot/grub2/user.cfg")
        && file.append.len() == 1
    {
        let files = root().key("storage").key("files").index(index);
        let from = map.source_of(&files.key("append").index(0));
        file.contents = file.append.remove(0);
        map.add(files.key("contents"), from);
    }
}

/// Errors on what OpenShift refuses, at Ignition (output) paths: first what
/// the Machine Config Operator and RHCOS cannot apply (a filesystem format,
/// a file from a URL, special mode bits, a user other than `core`); when
/// there is none, the fields the variant filters out.
pub fn filters(config: &ign::Config, version: Version) -> Vec<Diagnostic> {
    let found = unsupported(config, version);
    if !found.is_empty() {
        return found;
    }
    filtered_fields(config, version)
}

fn refused(path: DocPath, message: &str) -> Diagnostic {
    Diagnostic::error(Code::ButaneOpenshiftUnsupported, message)
        .at(path)
        .with_help("OpenShift's Machine Config Operator cannot apply this; remove it or configure it another way (e.g. a systemd unit)")
}

fn unsupported(config: &ign::Config, version: Version) -> Vec<Diagnostic> {
    let storage = root().key("storage");
    let mut found = Vec::new();
    let formats = config.storage.filesystems.iter().enumerate();
    for (index, filesystem) in formats.clone() {
        if filesystem.format.as_deref() == Some("btrfs") {
            found.push(refused(
                storage.key("filesystems").index(index).key("format"),
                "btrfs is not supported in this spec version",
            ));
        }
    }
    for (index, filesystem) in formats {
        if Rule::RefusesFormatNone.applies(version) && filesystem.format.as_deref() == Some("none")
        {
            found.push(refused(
                storage.key("filesystems").index(index).key("format"),
                "format \"none\" is not supported in this spec version",
            ));
        }
    }
    for (index, file) in config.storage.files.iter().enumerate() {
        let path = storage.key("files").index(index);
        let scheme = file
            .contents
            .source
            .as_deref()
            .and_then(crate::go::url::parse)
            .map(|url| url.scheme);
        if scheme.is_some_and(|scheme| scheme != "data") {
            found.push(refused(
                path.key("contents").key("source"),
                "file contents source must be data URL in this spec version",
            ));
        }
        if Rule::RefusesSpecialModeBits.applies(version)
            && file.mode.is_some_and(|mode| mode & !0o777 != 0)
        {
            found.push(refused(
                path.key("mode"),
                "special mode bits are not supported in this spec version",
            ));
        }
    }
    for (index, user) in config.passwd.users.iter().enumerate() {
        if user.name != "core" {
            found.push(refused(
                root().key("passwd").key("users").index(index).key("name"),
                "users other than \"core\" are not supported in this spec version",
            ));
        }
    }
    found
}

const USER_FIELDS: &str = "fields other than \"name\", \"ssh_authorized_keys\", and \"password_hash\" (4.13.0+) are not supported in this spec version";

fn filtered_fields(config: &ign::Config, version: Version) -> Vec<Diagnostic> {
    let storage = root().key("storage");
    let mut found = Vec::new();
    if Rule::RefusesKernelArgumentsSection.applies(version)
        && config.kernel_arguments != ign::KernelArguments::default()
    {
        found.push(refused(
            root().key("kernelArguments"),
            "this section cannot be used for kernel arguments in this spec version; use openshift.kernel_arguments instead",
        ));
    }
    if !config.passwd.groups.is_empty() {
        found.push(refused(
            root().key("passwd").key("groups"),
            "groups are not supported in this spec version",
        ));
    }
    for (index, user) in config.passwd.users.iter().enumerate() {
        let fields = [
            ("gecos", user.gecos.is_some()),
            ("groups", !user.groups.is_empty()),
            ("homeDir", user.home_dir.is_some()),
            ("noCreateHome", user.no_create_home.is_some()),
            ("noLogInit", user.no_log_init.is_some()),
            ("noUserGroup", user.no_user_group.is_some()),
            (
                "passwordHash",
                Rule::RefusesPasswordHash.applies(version) && user.password_hash.is_some(),
            ),
            ("primaryGroup", user.primary_group.is_some()),
            ("shell", user.shell.is_some()),
            ("shouldExist", user.should_exist.is_some()),
            ("system", user.system.is_some()),
            ("uid", user.uid.is_some()),
        ];
        let path = root().key("passwd").key("users").index(index);
        for (field, _) in fields.into_iter().filter(|(_, set)| *set) {
            found.push(refused(path.key(field), USER_FIELDS));
        }
    }
    if !config.storage.directories.is_empty() {
        found.push(refused(
            storage.key("directories"),
            "directories are not supported in this spec version",
        ));
    }
    for (index, file) in config.storage.files.iter().enumerate() {
        let path = storage.key("files").index(index);
        if !file.append.is_empty() {
            found.push(refused(
                path.key("append"),
                "appending to files is not supported in this spec version",
            ));
        }
        // 4.8 and 4.9 refuse compression; the explicit "" Butane writes
        // for uncompressed contents is harmless.
        if Rule::RefusesCompression.applies(version)
            && file
                .contents
                .compression
                .as_deref()
                .is_some_and(|c| !c.is_empty())
        {
            found.push(refused(
                path.key("contents").key("compression"),
                "file compression is not supported in this spec version",
            ));
        }
        if !file.contents.http_headers.is_empty() {
            found.push(refused(
                path.key("contents").key("httpHeaders"),
                "file HTTP headers are not supported in this spec version",
            ));
        }
    }
    if !config.storage.links.is_empty() {
        found.push(refused(
            storage.key("links"),
            "links are not supported in this spec version",
        ));
    }
    found
}

/// `--raw` output leaves the MachineConfig out: each MachineConfig-only
/// field that is set is a warning, as Butane gives it.
pub fn raw_warnings(config: &b::Config) -> Vec<Diagnostic> {
    let openshift = &config.openshift;
    let set = [
        ("kernel_arguments", !openshift.kernel_arguments.is_empty()),
        ("extensions", !openshift.extensions.is_empty()),
        ("fips", openshift.fips.is_some()),
        ("kernel_type", openshift.kernel_type.is_some()),
    ];
    set.into_iter()
        .filter(|(_, set)| *set)
        .map(|(field, _)| {
            Diagnostic::warning(Code::ButaneRawIgnored, "field ignored in raw mode")
                .at(root().key("openshift").key(field))
                .with_help("only a MachineConfig carries it: drop --raw, or remove the field")
        })
        .collect()
}

/// Whether `version` is an openshift version.
pub fn is_openshift(version: Version) -> bool {
    version.variant == Variant::Openshift
}

#[cfg(test)]
mod tests;
