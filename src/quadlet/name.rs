//! Quadlet file names: unit kind from the extension, templates and
//! instances (`foo@.container`, `foo@bar.container`) and drop-in files
//! (`foo.container.d/10-x.conf`, `foo-.container.d/…`, `container.d/…`).

use semver::Version;
use std::fmt;

/// The eight Quadlet unit types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnitKind {
    /// `.container` → `[Container]`
    Container,
    /// `.volume` → `[Volume]`
    Volume,
    /// `.network` → `[Network]`
    Network,
    /// `.pod` → `[Pod]`
    Pod,
    /// `.kube` → `[Kube]`
    Kube,
    /// `.image` → `[Image]`
    Image,
    /// `.build` → `[Build]`
    Build,
    /// `.artifact` → `[Artifact]`
    Artifact,
}

impl UnitKind {
    /// Every kind, in a stable order.
    pub const ALL: [UnitKind; 8] = [
        UnitKind::Container,
        UnitKind::Volume,
        UnitKind::Network,
        UnitKind::Pod,
        UnitKind::Kube,
        UnitKind::Image,
        UnitKind::Build,
        UnitKind::Artifact,
    ];

    /// File extension without the dot (`"container"`).
    pub fn extension(self) -> &'static str {
        match self {
            UnitKind::Container => "container",
            UnitKind::Volume => "volume",
            UnitKind::Network => "network",
            UnitKind::Pod => "pod",
            UnitKind::Kube => "kube",
            UnitKind::Image => "image",
            UnitKind::Build => "build",
            UnitKind::Artifact => "artifact",
        }
    }

    /// Name of the kind's own section (`"Container"`).
    pub fn section(self) -> &'static str {
        match self {
            UnitKind::Container => "Container",
            UnitKind::Volume => "Volume",
            UnitKind::Network => "Network",
            UnitKind::Pod => "Pod",
            UnitKind::Kube => "Kube",
            UnitKind::Image => "Image",
            UnitKind::Build => "Build",
            UnitKind::Artifact => "Artifact",
        }
    }

    /// Kind for an extension given without the dot.
    pub fn from_extension(ext: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.extension() == ext)
    }

    /// Kind whose own section is `section`.
    pub fn from_section(section: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.section() == section)
    }

    /// First Podman release whose generator reads this file type; older
    /// generators silently ignore the file.
    pub fn since(self) -> Version {
        match self {
            UnitKind::Container | UnitKind::Volume | UnitKind::Network | UnitKind::Kube => {
                Version::new(4, 4, 0)
            }
            UnitKind::Image => Version::new(4, 8, 0),
            UnitKind::Pod => Version::new(5, 0, 0),
            UnitKind::Build => Version::new(5, 2, 0),
            UnitKind::Artifact => Version::new(5, 7, 0),
        }
    }

    /// Suffix Quadlet puts before `.service` (`"-volume"`; empty for
    /// `.container` and `.kube`).
    pub fn service_suffix(self) -> &'static str {
        match self {
            UnitKind::Container | UnitKind::Kube => "",
            UnitKind::Volume => "-volume",
            UnitKind::Network => "-network",
            UnitKind::Pod => "-pod",
            UnitKind::Image => "-image",
            UnitKind::Build => "-build",
            UnitKind::Artifact => "-artifact",
        }
    }
}

impl fmt::Display for UnitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ".{}", self.extension())
    }
}

/// Template status of a unit file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Template {
    /// `foo.container`
    None,
    /// `foo@.container`
    Template,
    /// `foo@bar.container` (instance `bar`)
    Instance(String),
}

/// A classified Quadlet unit file name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnitName {
    /// Base name of the file, e.g. `foo@bar.container`.
    pub file_name: String,
    /// The unit type.
    pub kind: UnitKind,
    /// Name before the `@` (or the whole stem for plain units), e.g. `foo`.
    pub prefix: String,
    /// Template / instance part.
    pub template: Template,
}

impl UnitName {
    /// The name of the generated service unit (`foo-volume@bar.service`),
    /// ignoring any `ServiceName=` override.
    pub fn service_name(&self) -> String {
        let suffix = self.kind.service_suffix();
        match &self.template {
            Template::None => format!("{}{suffix}.service", self.prefix),
            Template::Template => format!("{}{suffix}@.service", self.prefix),
            Template::Instance(i) => format!("{}{suffix}@{i}.service", self.prefix),
        }
    }

    /// For an instance, the file name of its template (`foo@.container`).
    pub fn template_file_name(&self) -> Option<String> {
        match self.template {
            Template::Instance(_) => Some(format!("{}@.{}", self.prefix, self.kind.extension())),
            _ => None,
        }
    }
}

/// What a drop-in directory applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DropInScope {
    /// `foo.container.d/`, `foo@.container.d/`, `foo@bar.container.d/`
    Unit(UnitName),
    /// Dash-truncated prefix: `foo-.container.d/` or `foo-@.container.d/`.
    Prefix {
        /// The prefix including the trailing `-`.
        prefix: String,
        /// `true` for the `foo-@.container.d` form (templates only).
        template: bool,
    },
    /// The type-wide directory `container.d/`.
    AllOfKind,
}

/// A drop-in file (`DIR/NAME.conf`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DropIn {
    /// Kind of the units it applies to.
    pub kind: UnitKind,
    /// Name of the drop-in directory (`foo.container.d`).
    pub dir: String,
    /// Base name of the `.conf` file.
    pub conf_name: String,
    /// Which units read it.
    pub scope: DropInScope,
}

/// A classified Quadlet file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum QuadletFile {
    /// A unit file (`foo.container`).
    Unit(UnitName),
    /// A drop-in (`foo.container.d/10-x.conf`).
    DropIn(DropIn),
}

impl QuadletFile {
    /// Kind of the unit (or of the units a drop-in applies to).
    pub fn kind(&self) -> UnitKind {
        match self {
            QuadletFile::Unit(u) => u.kind,
            QuadletFile::DropIn(d) => d.kind,
        }
    }
}

/// Why a path is not a usable Quadlet file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NameError {}

fn err(message: String) -> NameError {
    NameError { message }
}

fn extensions_list() -> String {
    UnitKind::ALL
        .iter()
        .map(|k| format!(".{}", k.extension()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Characters systemd accepts in unit names (besides the single `@`).
fn valid_unit_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '\\')
}

/// Classify a unit file base name such as `foo@bar.container`.
pub fn parse_unit_name(file_name: &str) -> Result<UnitName, NameError> {
    let Some((stem, ext)) = file_name.rsplit_once('.') else {
        return Err(err(format!(
            "`{file_name}` has no extension; Quadlet only reads {}",
            extensions_list()
        )));
    };
    let Some(kind) = UnitKind::from_extension(ext) else {
        let hint = UnitKind::ALL
            .into_iter()
            .find(|k| k.extension().eq_ignore_ascii_case(ext))
            .map(|k| format!(" (extensions are case-sensitive: use `.{}`)", k.extension()))
            .unwrap_or_default();
        return Err(err(format!(
            "`{file_name}`: `.{ext}` is not a Quadlet extension, the generator ignores this \
             file{hint}; use one of {}",
            extensions_list()
        )));
    };
    if stem.is_empty() {
        return Err(err(format!(
            "`{file_name}` has an empty base name; name it like `web.{ext}`"
        )));
    }
    let (prefix, template) = match stem.split_once('@') {
        None => (stem, Template::None),
        Some((p, "")) => (p, Template::Template),
        Some((p, i)) => (p, Template::Instance(i.to_string())),
    };
    let instance = match &template {
        Template::Instance(i) => i.as_str(),
        _ => "",
    };
    if prefix.is_empty() {
        return Err(err(format!(
            "`{file_name}`: the part before `@` is empty; templates are named like `web@.{ext}`"
        )));
    }
    if let Some(bad) = prefix
        .chars()
        .chain(instance.chars())
        .find(|&c| !valid_unit_char(c))
    {
        return Err(err(format!(
            "`{file_name}` contains `{}`, which is not allowed in systemd unit names; use \
             only ASCII letters, digits and `:-_.` (plus one `@` for templates)",
            bad.escape_debug()
        )));
    }
    if file_name.len() > 250 {
        return Err(err(format!(
            "`{file_name}` is too long for a systemd unit name (the generated service name \
             must stay under 256 characters)"
        )));
    }
    Ok(UnitName {
        file_name: file_name.to_string(),
        kind,
        prefix: prefix.to_string(),
        template,
    })
}

/// Classify a path (only the last one or two components matter): a unit
/// file `…/foo.container` or a drop-in `…/foo.container.d/10-x.conf`.
pub fn classify(path: &str) -> Result<QuadletFile, NameError> {
    let mut parts = path.rsplit('/').filter(|p| !p.is_empty());
    let Some(base) = parts.next() else {
        return Err(err("empty file name".to_string()));
    };
    let parent = parts.next();
    if let Some(dir) = parent.filter(|d| d.ends_with(".d")) {
        let dir_stem = &dir[..dir.len() - 2];
        if let Some(dropin) = classify_dropin(dir, dir_stem, base)? {
            return Ok(QuadletFile::DropIn(dropin));
        }
    }
    if base.ends_with(".conf") {
        return Err(err(format!(
            "`{path}` looks like a drop-in but is not inside a `NAME.EXT.d/` directory \
             (e.g. `web.container.d/{base}`)"
        )));
    }
    parse_unit_name(base).map(QuadletFile::Unit)
}

fn classify_dropin(dir: &str, dir_stem: &str, base: &str) -> Result<Option<DropIn>, NameError> {
    // Type-wide directory: `container.d`.
    let (scope_stem, kind) = if let Some(kind) = UnitKind::from_extension(dir_stem) {
        ("", kind)
    } else {
        let Some((stem, ext)) = dir_stem.rsplit_once('.') else {
            return Ok(None);
        };
        let Some(kind) = UnitKind::from_extension(ext) else {
            return Ok(None);
        };
        (stem, kind)
    };
    if !base.ends_with(".conf") || base.len() <= ".conf".len() {
        return Err(err(format!(
            "`{dir}/{base}`: only `*.conf` files in a drop-in directory are read; rename it \
             to something like `10-{base}.conf`"
        )));
    }
    let scope = if scope_stem.is_empty() {
        DropInScope::AllOfKind
    } else if let Some(prefix) = scope_stem.strip_suffix("-@") {
        DropInScope::Prefix {
            prefix: format!("{prefix}-"),
            template: true,
        }
    } else if scope_stem.ends_with('-') {
        DropInScope::Prefix {
            prefix: scope_stem.to_string(),
            template: false,
        }
    } else {
        DropInScope::Unit(parse_unit_name(&format!(
            "{scope_stem}.{}",
            kind.extension()
        ))?)
    };
    Ok(Some(DropIn {
        kind,
        dir: dir.to_string(),
        conf_name: base.to_string(),
        scope,
    }))
}

#[cfg(test)]
mod tests;
