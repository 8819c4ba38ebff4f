//! Cross-unit references: `Image=x.image|x.build`, `Volume=x.volume:/dst`,
//! `Mount=…,source=x.volume`, `Network=x.network|x.container`, `Pod=x.pod`
//! and Quadlet names in `[Unit]` dependencies. A reference must name a file
//! in the set of units the host gets ([`ValidateOptions::units`]).
//!
//! [`ValidateOptions::units`]: super::ValidateOptions::units

use super::context::{Ctx, key_path, value_pos_at};
use super::name::{UnitKind, parse_unit_name};
use super::parse::Entry;
use super::systemd_keys::is_unit_dependency_key;
use super::words::{Escapes, split_words};
use crate::diag::{Code, Severity};
use semver::Version;

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    let section = ctx.section();
    if matches!(ctx.kind, UnitKind::Container | UnitKind::Volume)
        && let Some(e) = ctx.unit.last(section, "Image")
    {
        let v = e.unquoted();
        if v.ends_with(".image") || v.ends_with(".build") {
            require_unit(ctx, section, e, v, 0, "requested Quadlet image");
        }
    }
    if matches!(
        ctx.kind,
        UnitKind::Container | UnitKind::Pod | UnitKind::Build
    ) {
        for e in ctx.unit.all(section, "Volume") {
            volume(ctx, section, e);
        }
    }
    if ctx.kind == UnitKind::Container {
        for e in ctx.unit.all(section, "Mount") {
            mount(ctx, section, e);
        }
        if let Some(e) = ctx
            .unit
            .last(section, "Pod")
            .filter(|e| !e.unquoted().is_empty())
        {
            pod(ctx, e);
        }
    }
    if matches!(
        ctx.kind,
        UnitKind::Container | UnitKind::Pod | UnitKind::Kube | UnitKind::Build
    ) {
        for e in ctx.unit.all(section, "Network") {
            network(ctx, section, e);
        }
    }
    let deps: Vec<&Entry> = ctx
        .unit
        .entries("Unit")
        .filter(|e| is_unit_dependency_key(&e.key))
        .collect();
    for e in deps {
        unit_dependency(ctx, e);
    }
}

/// Error unless `name` is in the host's unit set (no-op without a set).
fn require_unit(
    ctx: &mut Ctx<'_>,
    section: &str,
    e: &Entry,
    name: &str,
    offset: usize,
    what: &str,
) {
    let Some(units) = ctx.opts.units else {
        return;
    };
    if units.contains(name) {
        return;
    }
    let msg = format!(
        "{what} `{name}` was not found among the Quadlet units this host gets; add \
         `{name}` to the host or fix the name (references use the exact file name)"
    );
    ctx.push(
        Severity::Error,
        Code::QuadletMissingReference,
        value_pos_at(e, offset),
        key_path(section, &e.key),
        msg,
    );
}

fn volume(ctx: &mut Ctx<'_>, section: &str, e: &Entry) {
    let v = e.value.as_str();
    let Some((source, _)) = v.split_once(':') else {
        return;
    };
    if source.ends_with(".volume") || source.ends_with(".artifact") {
        require_unit(ctx, section, e, source, 0, "requested Quadlet source");
    }
}

fn mount(ctx: &mut Ctx<'_>, section: &str, e: &Entry) {
    for spec in split_words(&e.value, Escapes::Unescape) {
        let mut mount_type = "volume";
        let mut source = None;
        for token in spec.split(',') {
            let (k, v) = token.split_once('=').unwrap_or((token, ""));
            match k.trim() {
                "type" => mount_type = v.trim(),
                "source" | "src" => source = Some(v.trim()),
                _ => {}
            }
        }
        let Some(source) = source else { continue };
        if !matches!(
            mount_type,
            "volume" | "bind" | "glob" | "image" | "artifact"
        ) {
            continue;
        }
        let needs = if source.ends_with(".volume") {
            None
        } else if source.ends_with(".image") {
            Some(Version::new(5, 3, 0))
        } else if source.ends_with(".artifact") {
            Some(Version::new(5, 7, 0))
        } else {
            continue;
        };
        let offset = e.value.find(source).unwrap_or(0);
        if let Some(since) = needs.filter(|v| !ctx.at_least(v)) {
            let msg = format!(
                "`source={source}` (a Quadlet reference in `Mount=`) is resolved since \
                 Podman {since}; Podman {} passes the name to podman unchanged",
                ctx.version()
            );
            let pos = value_pos_at(e, offset);
            ctx.push(
                Severity::Error,
                Code::QuadletFeatureTooNew,
                pos,
                key_path(section, "Mount"),
                msg,
            );
        }
        require_unit(ctx, section, e, source, offset, "requested Quadlet source");
    }
}

fn pod(ctx: &mut Ctx<'_>, e: &Entry) {
    let v = e.unquoted();
    if !v.ends_with(".pod") {
        let msg = format!(
            "`Pod={v}` is not a Quadlet pod; `Pod=` must name a `.pod` unit file (e.g. \
             `Pod={v}.pod`), pods created outside Quadlet cannot be joined this way"
        );
        ctx.push(
            Severity::Error,
            Code::QuadletInvalidReference,
            e.value_pos,
            key_path("Container", "Pod"),
            msg,
        );
        return;
    }
    require_unit(ctx, "Container", e, v, 0, "Quadlet pod unit");
}

fn network(ctx: &mut Ctx<'_>, section: &str, e: &Entry) {
    let v = e.value.as_str();
    let (name, options) = match v.split_once(':') {
        Some((n, o)) => (n, Some(o)),
        None => (v, None),
    };
    if name.ends_with(".container") {
        let v53 = Version::new(5, 3, 0);
        if !ctx.at_least(&v53) {
            let msg = format!(
                "joining another container's network with `Network={name}` needs Podman \
                 5.3.0; Podman {} treats it as a network name",
                ctx.version()
            );
            ctx.push(
                Severity::Error,
                Code::QuadletFeatureTooNew,
                e.value_pos,
                key_path(section, "Network"),
                msg,
            );
        } else if options.is_some() {
            let msg = format!(
                "options are not supported when joining another container's network; use \
                 `Network={name}` without `:…`"
            );
            ctx.push(
                Severity::Error,
                Code::QuadletInvalidReference,
                e.value_pos,
                key_path(section, "Network"),
                msg,
            );
        }
    } else if !name.ends_with(".network") {
        return;
    }
    require_unit(ctx, section, e, name, 0, "requested Quadlet unit");
}

fn unit_dependency(ctx: &mut Ctx<'_>, e: &Entry) {
    let v55 = Version::new(5, 5, 0);
    let translates = ctx.at_least(&v55);
    for word in split_words(&e.value, Escapes::Retain) {
        let Some((_, ext)) = word.rsplit_once('.') else {
            continue;
        };
        if UnitKind::from_extension(ext).is_none() {
            continue;
        }
        let offset = e.value.find(word.as_str()).unwrap_or(0);
        if translates {
            if ctx.opts.units.is_some_and(|u| !u.contains(&word)) {
                let msg = format!(
                    "`{word}` is not among the Quadlet units this host gets, so Quadlet cannot \
                     translate it to a service name (\"unable to translate dependency\") and \
                     rejects the unit; add the unit or fix the name"
                );
                let pos = value_pos_at(e, offset);
                ctx.push(
                    Severity::Error,
                    Code::QuadletMissingReference,
                    pos,
                    key_path("Unit", &e.key),
                    msg,
                );
            }
            continue;
        }
        let service = parse_unit_name(&word)
            .map(|u| u.service_name())
            .unwrap_or_else(|_| "NAME.service".to_string());
        let msg = format!(
            "Quadlet translates unit file names in `{}=` since Podman 5.5.0; Podman {} passes \
             `{word}` to systemd unchanged and the dependency is ignored — write `{service}`",
            e.key,
            ctx.version()
        );
        let pos = if offset == 0 {
            e.value_pos
        } else {
            value_pos_at(e, offset)
        };
        ctx.push(
            Severity::Warning,
            Code::QuadletFeatureTooNew,
            pos,
            key_path("Unit", &e.key),
            msg,
        );
    }
}

#[cfg(test)]
mod tests;
