//! OS targeting: a host's `os:` (`fcos[:stream]`, `ucore[-minimal|-hci]:<tag>`,
//! `flatcar[:channel]` or a bootable container image reference) as a typed
//! [`OsTarget`], and the two-stage rebase a container-image target needs.
//!
//! Every host first boots plain Fedora CoreOS. For uCore or a custom image,
//! uCore's documented procedure (README, `examples/ucore-autorebase.butane`)
//! follows: one oneshot unit rebases to `ostree-unverified-registry:<image>`
//! (the signing policy comes with the image), marks it done under `/etc`,
//! disables itself and reboots; a second one rebases to
//! `ostree-image-signed:docker://<image>` the same way. Conditions on the
//! markers make each run once. A failed rebase leaves a `.failed` marker
//! instead (written by `ExecStopPost=` when the done marker is missing), so
//! the unit fails once, the host does not reboot, and later boots skip it
//! until an operator removes the `.failed` file.

use std::fmt;

use crate::diag::Code;

/// Fedora CoreOS streams.
const FCOS_STREAMS: [&str; 3] = ["stable", "testing", "next"];
/// Flatcar channels.
const FLATCAR_CHANNELS: [&str; 4] = ["stable", "beta", "alpha", "lts"];
/// The registry path uCore's images are published under.
pub const UCORE_REGISTRY: &str = "ghcr.io/ublue-os";
/// uCore's base tags; each also comes as `-nvidia` and `-nvidia-lts`.
const UCORE_BASE_TAGS: [&str; 3] = ["stable", "testing", "lts"];
const UCORE_TAG_SUFFIXES: [&str; 3] = ["", "-nvidia", "-nvidia-lts"];

/// A uCore image flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UcoreImage {
    Minimal,
    Ucore,
    Hci,
}

impl UcoreImage {
    pub const fn name(self) -> &'static str {
        match self {
            UcoreImage::Minimal => "ucore-minimal",
            UcoreImage::Ucore => "ucore",
            UcoreImage::Hci => "ucore-hci",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [UcoreImage::Minimal, UcoreImage::Ucore, UcoreImage::Hci]
            .into_iter()
            .find(|image| image.name() == name)
    }
}

/// What a host runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OsTarget {
    /// Fedora CoreOS, optionally on a named stream.
    Fcos { stream: Option<String> },
    /// uCore: Fedora CoreOS rebased to `ghcr.io/ublue-os/<image>:<tag>`.
    Ucore { image: UcoreImage, tag: String },
    /// Flatcar, optionally on a named channel.
    Flatcar { channel: Option<String> },
    /// Fedora CoreOS rebased to a bootable container image.
    Image { reference: String },
}

impl Default for OsTarget {
    fn default() -> Self {
        OsTarget::Fcos { stream: None }
    }
}

impl fmt::Display for OsTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OsTarget::Fcos { stream: None } => f.write_str("fcos"),
            OsTarget::Fcos {
                stream: Some(stream),
            } => write!(f, "fcos:{stream}"),
            OsTarget::Ucore { image, tag } => write!(f, "{}:{tag}", image.name()),
            OsTarget::Flatcar { channel: None } => f.write_str("flatcar"),
            OsTarget::Flatcar {
                channel: Some(channel),
            } => write!(f, "flatcar:{channel}"),
            OsTarget::Image { reference } => f.write_str(reference),
        }
    }
}

/// Why an `os:` value is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OsError {
    #[error("unknown os `{0}`")]
    Unknown(String),
    #[error("unknown Fedora CoreOS stream `{0}`")]
    FcosStream(String),
    #[error("unknown Flatcar channel `{0}`")]
    FlatcarChannel(String),
    #[error("`{0}` names no tag")]
    UcoreNoTag(String),
    #[error("uCore no longer publishes `{image}:{tag}`: ZFS is in every uCore image")]
    UcoreTagRetired {
        image: String,
        tag: String,
        replacement: String,
    },
    #[error("`{0}` is not an image reference kindling can put in a unit")]
    BadReference(String),
    #[error("give the image reference alone, without the `{transport}` transport")]
    Transport { transport: String },
}

impl OsError {
    /// The diagnostic code it is reported under.
    pub const fn code(&self) -> Code {
        match self {
            OsError::Unknown(_) | OsError::FcosStream(_) | OsError::FlatcarChannel(_) => {
                Code::OsUnknown
            }
            OsError::UcoreNoTag(_) => Code::OsUcoreNoTag,
            OsError::UcoreTagRetired { .. } => Code::OsUcoreTagRetired,
            OsError::BadReference(_) | OsError::Transport { .. } => Code::OsBadImageReference,
        }
    }

    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            OsError::Unknown(_) => "use fcos[:stream], ucore[-minimal|-hci]:<tag>, flatcar[:channel] or a bootable container image such as registry.example/os:tag".to_owned(),
            OsError::FcosStream(_) => format!("streams: {}", FCOS_STREAMS.join(", ")),
            OsError::FlatcarChannel(_) => format!("channels: {}", FLATCAR_CHANNELS.join(", ")),
            OsError::UcoreNoTag(name) => format!("e.g. {name}:stable; tags: {}", ucore_tags().join(", ")),
            OsError::UcoreTagRetired { image, replacement, .. } => {
                format!("use {image}:{replacement}")
            }
            OsError::BadReference(_) => "an image reference has no spaces, quotes, `%`, `$` or `\\`, e.g. registry.example/team/os:42".to_owned(),
            OsError::Transport { .. } => "kindling adds ostree-unverified-registry: and ostree-image-signed:docker:// itself".to_owned(),
        }
    }
}

/// uCore's published tags.
pub fn ucore_tags() -> Vec<String> {
    UCORE_BASE_TAGS
        .iter()
        .flat_map(|base| {
            UCORE_TAG_SUFFIXES
                .iter()
                .map(move |suffix| format!("{base}{suffix}"))
        })
        .collect()
}

/// A parsed `os:` with what is worth a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub target: OsTarget,
    pub warnings: Vec<(String, String)>,
}

/// Checks a uCore tag: retired tags are errors, unknown ones warnings.
fn check_ucore_tag(image: UcoreImage, tag: &str) -> Result<Vec<(String, String)>, OsError> {
    if tag.contains("-zfs") {
        let replacement = tag.replace("-zfs", "");
        return Err(OsError::UcoreTagRetired {
            image: image.name().to_owned(),
            tag: tag.to_owned(),
            replacement,
        });
    }
    if ucore_tags().iter().any(|t| t == tag) {
        return Ok(Vec::new());
    }
    Ok(vec![(
        format!("uCore does not publish the tag `{}:{tag}`", image.name()),
        format!("published tags: {}", ucore_tags().join(", ")),
    )])
}

/// Characters an image reference may hold: it goes into `ExecStart=`
/// unquoted, so nothing systemd or a shell would interpret.
fn reference_ok(reference: &str) -> bool {
    !reference.is_empty()
        && reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':' | '@'))
}

/// Parses an `os:` value.
pub fn parse(text: &str) -> Result<Parsed, OsError> {
    let plain = |target| {
        Ok(Parsed {
            target,
            warnings: Vec::new(),
        })
    };
    let (name, qualifier) = match text.split_once(':') {
        Some((name, rest)) => (name, Some(rest)),
        None => (text, None),
    };
    match (name, qualifier) {
        ("fcos", None) => return plain(OsTarget::Fcos { stream: None }),
        ("fcos", Some(stream)) if FCOS_STREAMS.contains(&stream) => {
            return plain(OsTarget::Fcos {
                stream: Some(stream.to_owned()),
            });
        }
        ("fcos", Some(stream)) => return Err(OsError::FcosStream(stream.to_owned())),
        ("flatcar", None) => return plain(OsTarget::Flatcar { channel: None }),
        ("flatcar", Some(channel)) if FLATCAR_CHANNELS.contains(&channel) => {
            return plain(OsTarget::Flatcar {
                channel: Some(channel.to_owned()),
            });
        }
        ("flatcar", Some(channel)) => return Err(OsError::FlatcarChannel(channel.to_owned())),
        _ => {}
    }
    if let Some(image) = UcoreImage::from_name(name) {
        let tag = qualifier
            .filter(|tag| !tag.is_empty())
            .ok_or_else(|| OsError::UcoreNoTag(name.to_owned()))?;
        if !reference_ok(tag) || tag.contains([':', '/', '@']) {
            return Err(OsError::BadReference(text.to_owned()));
        }
        let warnings = check_ucore_tag(image, tag)?;
        return Ok(Parsed {
            target: OsTarget::Ucore {
                image,
                tag: tag.to_owned(),
            },
            warnings,
        });
    }
    for transport in [
        "ostree-unverified-registry:",
        "ostree-image-signed:",
        "ostree-remote-image:",
        "docker://",
    ] {
        if text.starts_with(transport) {
            return Err(OsError::Transport {
                transport: transport.to_owned(),
            });
        }
    }
    if !text.contains('/') {
        return Err(OsError::Unknown(text.to_owned()));
    }
    if !reference_ok(text) {
        return Err(OsError::BadReference(text.to_owned()));
    }
    // uCore's own images named in full get uCore's tag checks.
    let warnings = match text
        .strip_prefix(UCORE_REGISTRY)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.split_once(':'))
        .and_then(|(name, tag)| Some((UcoreImage::from_name(name)?, tag)))
    {
        Some((image, tag)) => check_ucore_tag(image, tag)?,
        None => Vec::new(),
    };
    Ok(Parsed {
        target: OsTarget::Image {
            reference: text.to_owned(),
        },
        warnings,
    })
}

/// The Butane variant an OS target compiles as.
pub fn variant(target: &OsTarget) -> &'static str {
    match target {
        OsTarget::Flatcar { .. } => "flatcar",
        _ => "fcos",
    }
}

/// The rebase a container-image target needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rebase {
    /// The image reference, e.g. `ghcr.io/ublue-os/ucore:stable`.
    pub image: String,
    /// Prefix of unit names and of the marker directory.
    prefix: &'static str,
}

/// One generated unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RebaseUnit {
    pub name: String,
    pub contents: String,
}

/// The drop-in file name that holds a unit back until the rebase is done.
pub const AFTER_REBASE_DROPIN: &str = "10-kindling-after-rebase.conf";

impl OsTarget {
    /// The rebase this target needs, if it is a container image.
    pub fn rebase(&self) -> Option<Rebase> {
        match self {
            OsTarget::Ucore { image, tag } => Some(Rebase {
                image: format!("{UCORE_REGISTRY}/{}:{tag}", image.name()),
                prefix: "ucore",
            }),
            OsTarget::Image { reference } => Some(Rebase {
                image: reference.clone(),
                prefix: "kindling",
            }),
            OsTarget::Fcos { .. } | OsTarget::Flatcar { .. } => None,
        }
    }
}

impl Rebase {
    /// Where the markers live (uCore's own directory for uCore).
    pub fn marker_dir(&self) -> String {
        format!("/etc/{}-autorebase", self.prefix)
    }

    /// The marker that exists once the signed rebase is done.
    pub fn signed_marker(&self) -> String {
        format!("{}/signed", self.marker_dir())
    }

    fn unit_name(&self, stage: &str) -> String {
        format!("{}-{stage}-autorebase.service", self.prefix)
    }

    /// The two oneshot units, in the order they run.
    pub fn units(&self) -> [RebaseUnit; 2] {
        let dir = self.marker_dir();
        let image = &self.image;
        let unverified = self.unit(
            "unsigned",
            "unverified",
            &format!("ostree-unverified-registry:{image}"),
            &[
                format!("!{dir}/unverified"),
                format!("!{dir}/signed"),
                format!("!{dir}/unverified.failed"),
            ],
            "first boot runs Fedora CoreOS; this rebases to the image without\n# signature verification (the image brings its signing policy)",
        );
        let signed = self.unit(
            "signed",
            "signed",
            &format!("ostree-image-signed:docker://{image}"),
            &[
                format!("{dir}/unverified"),
                format!("!{dir}/signed"),
                format!("!{dir}/signed.failed"),
            ],
            "runs once the unverified rebase is done; rebases to the same image\n# with its signature verified",
        );
        [unverified, signed]
    }

    fn unit(
        &self,
        stage: &str,
        marker: &str,
        target: &str,
        conditions: &[String],
        why: &str,
    ) -> RebaseUnit {
        let name = self.unit_name(stage);
        let dir = self.marker_dir();
        let mut contents = format!(
            "# Generated by kindling for os: {image}: {why}.\n\
             # On failure: no reboot; {dir}/{marker}.failed keeps this unit from\n\
             # running again until it is removed.\n\
             [Unit]\n\
             Description=Rebase to {image} ({marker}) and reboot\n",
            image = self.image,
        );
        for condition in conditions {
            contents.push_str(&format!("ConditionPathExists={condition}\n"));
        }
        contents.push_str(&format!(
            "After=network-online.target\n\
             Wants=network-online.target\n\
             \n\
             [Service]\n\
             Type=oneshot\n\
             StandardOutput=journal+console\n\
             ExecStart=/usr/bin/rpm-ostree rebase --bypass-driver {target}\n\
             ExecStart=/usr/bin/touch {dir}/{marker}\n\
             ExecStart=/usr/bin/systemctl disable {name}\n\
             ExecStart=/usr/bin/systemctl reboot\n\
             ExecStopPost=/usr/bin/sh -c 'test -e {dir}/{marker} || touch {dir}/{marker}.failed'\n\
             \n\
             [Install]\n\
             WantedBy=multi-user.target\n"
        ));
        RebaseUnit { name, contents }
    }

    /// The drop-in that keeps a unit needing the target image from starting
    /// before the signed rebase is done (the Fedora CoreOS boots lack it).
    pub fn after_rebase_dropin(&self) -> String {
        format!(
            "# Generated by kindling: this unit needs {image}; it starts only once\n\
             # the host runs it (after the signed rebase).\n\
             [Unit]\n\
             ConditionPathExists={marker}\n",
            image = self.image,
            marker = self.signed_marker(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(text: &str) -> OsTarget {
        parse(text).expect("parses").target
    }

    #[test]
    fn parses_each_form() {
        assert_eq!(target("fcos"), OsTarget::Fcos { stream: None });
        assert_eq!(
            target("fcos:testing"),
            OsTarget::Fcos {
                stream: Some("testing".to_owned())
            }
        );
        assert_eq!(
            target("flatcar:lts"),
            OsTarget::Flatcar {
                channel: Some("lts".to_owned())
            }
        );
        assert_eq!(
            target("ucore-hci:stable-nvidia"),
            OsTarget::Ucore {
                image: UcoreImage::Hci,
                tag: "stable-nvidia".to_owned()
            }
        );
        assert_eq!(
            target("registry.example/team/os:42"),
            OsTarget::Image {
                reference: "registry.example/team/os:42".to_owned()
            }
        );
        for text in [
            "fcos",
            "fcos:next",
            "ucore-minimal:lts",
            "flatcar",
            "quay.io/a/b@sha256:00",
        ] {
            assert_eq!(target(text).to_string(), text);
        }
    }

    #[test]
    fn published_tags_parse_without_warnings() {
        assert_eq!(ucore_tags().len(), 9);
        for tag in ucore_tags() {
            let parsed = parse(&format!("ucore:{tag}")).expect("parses");
            assert!(parsed.warnings.is_empty(), "{tag}: {:?}", parsed.warnings);
        }
    }

    #[test]
    fn retired_zfs_tags_name_their_replacement() {
        let error = parse("ucore-hci:stable-nvidia-zfs").expect_err("retired");
        assert_eq!(
            error,
            OsError::UcoreTagRetired {
                image: "ucore-hci".to_owned(),
                tag: "stable-nvidia-zfs".to_owned(),
                replacement: "stable-nvidia".to_owned(),
            }
        );
        assert_eq!(error.help(), "use ucore-hci:stable-nvidia");
        let full = parse("ghcr.io/ublue-os/ucore:testing-zfs").expect_err("retired");
        assert_eq!(full.help(), "use ucore:testing");
    }

    #[test]
    fn unknown_tags_warn_and_unknown_values_fail() {
        let parsed = parse("ucore:stable-20250101").expect("parses");
        assert_eq!(parsed.warnings.len(), 1);
        assert!(parsed.warnings[0].0.contains("ucore:stable-20250101"));
        assert_eq!(parse("debian"), Err(OsError::Unknown("debian".to_owned())));
        assert_eq!(
            parse("fcos:rawhide"),
            Err(OsError::FcosStream("rawhide".to_owned()))
        );
        assert_eq!(
            parse("flatcar:edge"),
            Err(OsError::FlatcarChannel("edge".to_owned()))
        );
        assert_eq!(parse("ucore"), Err(OsError::UcoreNoTag("ucore".to_owned())));
        assert!(matches!(parse("ucore:"), Err(OsError::UcoreNoTag(_))));
        assert!(matches!(parse("ucore:a b"), Err(OsError::BadReference(_))));
        assert!(matches!(parse("reg/os:%i"), Err(OsError::BadReference(_))));
        assert!(matches!(
            parse("docker://reg/os:1"),
            Err(OsError::Transport { .. })
        ));
    }

    #[test]
    fn only_image_targets_rebase() {
        assert_eq!(target("fcos:stable").rebase(), None);
        assert_eq!(target("flatcar").rebase(), None);
        let rebase = target("ucore:stable").rebase().expect("rebase");
        assert_eq!(rebase.image, "ghcr.io/ublue-os/ucore:stable");
        assert_eq!(rebase.signed_marker(), "/etc/ucore-autorebase/signed");
        let [first, second] = rebase.units();
        assert_eq!(first.name, "ucore-unsigned-autorebase.service");
        assert_eq!(second.name, "ucore-signed-autorebase.service");
        let custom = target("reg.example/os:1").rebase().expect("rebase");
        assert_eq!(custom.marker_dir(), "/etc/kindling-autorebase");
    }

    #[test]
    fn units_and_dropin_snapshot() {
        let rebase = target("ucore:stable").rebase().expect("rebase");
        let [first, second] = rebase.units();
        insta::assert_snapshot!(
            "ucore_rebase_units",
            format!(
                "## {}\n{}\n## {}\n{}\n## drop-in {AFTER_REBASE_DROPIN}\n{}",
                first.name,
                first.contents,
                second.name,
                second.contents,
                rebase.after_rebase_dropin()
            )
        );
    }

    #[test]
    fn error_messages_snapshot() {
        let cases = [
            "debian",
            "fcos:rawhide",
            "flatcar:edge",
            "ucore",
            "ucore:stable-zfs",
            "ucore-minimal:testing-nvidia-zfs",
            "reg.example/os:%i",
            "ostree-unverified-registry:reg.example/os:1",
        ];
        let mut out = String::new();
        for case in cases {
            let error = parse(case).expect_err("refused");
            out.push_str(&format!(
                "{case}\n  error: {error}\n  help: {}\n",
                error.help()
            ));
        }
        let parsed = parse("ucore:42").expect("parses");
        for (message, help) in parsed.warnings {
            out.push_str(&format!("ucore:42\n  warning: {message}\n  help: {help}\n"));
        }
        insta::assert_snapshot!("os_messages", out);
    }
}
