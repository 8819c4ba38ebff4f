//! Security and robustness lints. Everything here is a warning except
//! `AutoUpdate=registry` with a short image name, which podman refuses.

use super::context::{Ctx, finding, is_dynamic, key_path, value_pos_at};
use super::image::{ImagePin, is_quadlet_image_ref, parse_image_reference, registry_is_dynamic};
use super::name::UnitKind;
use super::parse::{Entry, shorten};
use super::words::{Escapes, split_words, unsupported_escape};
use crate::diag::{Code, Severity};
use semver::Version;

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let section = ctx.section();
    if matches!(
        ctx.kind,
        UnitKind::Container | UnitKind::Volume | UnitKind::Image
    ) && let Some(e) = ctx.unit.last(section, "Image")
    {
        image(ctx, section, e);
    }
    if matches!(
        ctx.kind,
        UnitKind::Container | UnitKind::Pod | UnitKind::Kube
    ) {
        for e in ctx.unit.all(section, "PublishPort") {
            publish_port(ctx, section, e);
        }
    }
    if ctx.kind == UnitKind::Container && !ctx.is_dropin() {
        runs_as_root(ctx);
    }
    let env_keys: &[(&str, &str)] = match ctx.kind {
        UnitKind::Container => &[("Container", "Environment")],
        UnitKind::Build => &[("Build", "Environment"), ("Build", "BuildArg")],
        _ => &[],
    };
    for (s, k) in env_keys.iter().chain(&[("Service", "Environment")]) {
        for e in ctx.unit.all(s, k) {
            inline_secrets(ctx, s, e);
        }
    }
    escapes(ctx);
}

/// Keys whose every value Podman's generator splits with C-style unescaping
/// and drops, with a warning, when an escape is unsupported
/// (`LookupAllKeyVal`), per file type.
fn key_value_keys(kind: UnitKind) -> &'static [&'static str] {
    match kind {
        UnitKind::Container => &["Environment", "Label", "Annotation"],
        UnitKind::Network => &["Options", "Label"],
        UnitKind::Volume | UnitKind::Pod => &["Label"],
        UnitKind::Build => &["BuildArg", "Environment", "Label", "Annotation"],
        _ => &[],
    }
}

/// The first Podman whose generator reports the dropped value (older ones
/// drop it silently).
const WARNS_ON_ESCAPES: Version = Version::new(5, 5, 0);

/// Podman warns "unsupported escape char" and ignores the value when a
/// key-value list (`Label=`, `Environment=`, ...) or the last `Exec=` /
/// `ReloadCmd=` of a `.container` holds an escape it cannot decode.
fn escapes(ctx: &mut Ctx<'_>) {
    let section = ctx.section();
    let mut entries: Vec<(&Entry, &str)> = Vec::new();
    for key in key_value_keys(ctx.kind) {
        for e in ctx.unit.all(section, key) {
            entries.push((e, "Podman ignores this whole line"));
        }
    }
    if ctx.kind == UnitKind::Container {
        if let Some(e) = ctx.unit.last(section, "Exec") {
            entries.push((
                e,
                "Podman drops the whole `Exec=`, so the container runs the image's default command",
            ));
        }
        if let Some(e) = ctx.unit.last(section, "ReloadCmd") {
            entries.push((
                e,
                "Podman drops the whole `ReloadCmd=`, so the unit gets no reload command",
            ));
        }
    }
    for (e, effect) in entries {
        let Some(bad) = unsupported_escape(&e.value) else {
            continue;
        };
        let how = if ctx.at_least(&WARNS_ON_ESCAPES) {
            "with the warning \"unsupported escape char\""
        } else {
            "silently"
        };
        let message = format!(
            "`{}=` has the escape `{}` that Quadlet cannot decode; {effect} ({how})",
            e.key, bad.sequence
        );
        let help = format!(
            "write `\\\\` for a literal backslash (`{}` → `\\{}`); Quadlet decodes only \
             \\a \\b \\f \\n \\r \\t \\v \\s \\\\ \\\" \\' \\xHH \\uHHHH \\UHHHHHHHH and three octal digits",
            bad.sequence, bad.sequence
        );
        ctx.out.push(
            finding(
                Severity::Warning,
                Code::QuadletUnsupportedEscape,
                value_pos_at(e, bad.offset),
                &key_path(section, &e.key),
                &message,
            )
            .with_help(help),
        );
    }
}

fn image(ctx: &mut Ctx<'_>, section: &str, e: &Entry) {
    let v = e.unquoted();
    if v.is_empty() || is_quadlet_image_ref(v) {
        return;
    }
    let r = parse_image_reference(v);
    let path = key_path(section, "Image");
    let auto_update = (ctx.kind == UnitKind::Container)
        .then(|| ctx.unit.last("Container", "AutoUpdate"))
        .flatten()
        .filter(|a| matches!(a.unquoted(), "registry" | "image"));
    if !r.fully_qualified && registry_is_dynamic(v) {
        if let Some(a) = auto_update {
            let msg = format!(
                "cannot check that `{}` is fully qualified (its registry is decided at \
                 runtime), but `AutoUpdate=registry` (line {}) requires it",
                shorten(v),
                a.key_pos.line
            );
            ctx.push(
                Severity::Warning,
                Code::QuadletAutoUpdateImage,
                e.value_pos,
                path.clone(),
                msg,
            );
        }
    } else if !r.fully_qualified {
        if let Some(a) = auto_update {
            let msg = format!(
                "`AutoUpdate=registry` (line {}) needs a fully qualified image, but `{}` has \
                 no registry; podman refuses to create the container — write it as \
                 `docker.io/{}` or the registry it really comes from",
                a.key_pos.line,
                shorten(v),
                library_hint(v)
            );
            ctx.push(
                Severity::Error,
                Code::QuadletAutoUpdateImage,
                e.value_pos,
                path.clone(),
                msg,
            );
        } else {
            let msg = format!(
                "`{}` is not a fully qualified image name, so the pull depends on the host's \
                 registry search list; prefix the registry (e.g. `docker.io/{}`)",
                shorten(v),
                library_hint(v)
            );
            ctx.push(
                Severity::Warning,
                Code::QuadletShortImageName,
                e.value_pos,
                path.clone(),
                msg,
            );
        }
    }
    // Locally built images (`localhost/…`) are normally tagged `latest`.
    if r.registry == Some("localhost") {
        return;
    }
    let what = match r.pin {
        ImagePin::Latest => "uses the `latest` tag",
        ImagePin::Untagged => "has no tag (podman pulls `latest`)",
        _ => return,
    };
    let msg = format!(
        "`{}` {what}, so what runs changes whenever the registry changes; pin a \
         version tag or a digest (`@sha256:…`)",
        shorten(v)
    );
    ctx.push(
        Severity::Warning,
        Code::QuadletImageNotPinned,
        e.value_pos,
        path,
        msg,
    );
}

fn library_hint(v: &str) -> String {
    if v.contains('/') {
        v.to_string()
    } else {
        format!("library/{v}")
    }
}

/// The host-IP part of a `PublishPort=` value: `None` when there is none
/// (all interfaces), `Some("")` for an explicitly empty one.
fn publish_host_ip(v: &str) -> Option<&str> {
    if let Some(rest) = v.strip_prefix('[') {
        let end = rest.find(']')?;
        return Some(&rest[..end]);
    }
    let parts: Vec<&str> = v.split(':').collect();
    (parts.len() >= 3).then(|| parts[0])
}

fn publish_port(ctx: &mut Ctx<'_>, section: &str, e: &Entry) {
    let v = e.unquoted();
    let all = match publish_host_ip(v) {
        // `${PORTS}` or a template may well contain an address.
        None => !is_dynamic(v),
        Some(ip) => matches!(ip, "" | "0.0.0.0" | "::" | "[::]"),
    };
    if !all {
        return;
    }
    let msg = format!(
        "`PublishPort={}` listens on every host interface (and podman opens the firewall \
         for it); bind it to one address, e.g. `127.0.0.1:{}`, unless it must be public",
        shorten(v),
        v.trim_start_matches("0.0.0.0:").trim_start_matches("[::]:")
    );
    ctx.push(
        Severity::Warning,
        Code::QuadletPublishAllInterfaces,
        e.value_pos,
        key_path(section, "PublishPort"),
        msg,
    );
}

fn runs_as_root(ctx: &mut Ctx<'_>) {
    let s = "Container";
    let podman_args_user = ctx.unit.all(s, "PodmanArgs").iter().any(|e| {
        split_words(&e.value, Escapes::Unescape)
            .iter()
            .any(|w| w == "--user" || w == "-u" || w.starts_with("--user=") || w.starts_with("-u="))
    });
    if podman_args_user {
        return;
    }
    let user = ctx
        .unit
        .last(s, "User")
        .filter(|e| !e.unquoted().is_empty());
    let (pos, path, detail) = match user {
        Some(e) => {
            let name = e.unquoted().split(':').next().unwrap_or_default();
            if name != "root" && name != "0" {
                return;
            }
            (
                e.value_pos,
                key_path(s, "User"),
                format!("`User={}` runs", e.unquoted()),
            )
        }
        None => (
            ctx.section_pos(),
            format!("[{s}]"),
            "without `User=` the container runs".to_string(),
        ),
    };
    let msg = format!(
        "{detail} its process as root (unless the image sets another user); set `User=` to \
         an unprivileged UID and, if it needs files, `UserNS=`/`U` volume option"
    );
    ctx.push(Severity::Warning, Code::QuadletRunsAsRoot, pos, path, msg);
}

/// Whether an environment variable's name looks like it holds a
/// credential (`Environment=` here, a fleet service's `env:` too).
pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if upper.ends_with("_FILE") || upper.ends_with("_PATH") {
        return false;
    }
    ["SECRET", "PASSWORD", "PASSWD", "TOKEN"]
        .iter()
        .any(|w| upper.contains(w))
        || upper.split(['_', '-', '.']).any(|t| t.ends_with("KEY"))
}

/// `$NAME` / `${NAME}` only: the value comes from elsewhere.
fn is_variable_reference(v: &str) -> bool {
    let name = v
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .or_else(|| v.strip_prefix('$'));
    name.is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

fn inline_secrets(ctx: &mut Ctx<'_>, section: &str, e: &Entry) {
    for word in split_words(&e.value, Escapes::Unescape) {
        let Some((name, value)) = word.split_once('=') else {
            continue;
        };
        if value.is_empty() || !looks_secret(name) || is_variable_reference(value) {
            continue;
        }
        let replacement = if section == "Container" {
            format!("`Secret=NAME,type=env,target={name}` (a podman secret)")
        } else {
            "an `EnvironmentFile=` with restrictive permissions".to_string()
        };
        let offset = e.value.find(name).unwrap_or(0);
        let msg = format!(
            "`{name}` looks like a secret and its value is written inline, so it ends up in \
             the Ignition config, the unit file and `podman inspect`; use {replacement}"
        );
        ctx.push(
            Severity::Warning,
            Code::QuadletInlineSecret,
            value_pos_at(e, offset),
            key_path(section, &e.key),
            msg,
        );
    }
}

#[cfg(test)]
mod tests;
