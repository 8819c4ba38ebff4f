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

/// One `Mount=` argument as Podman's generator reads it: CSV fields, the
/// type from the first `type=X` field (`volume` without one), the rest
/// kept in order. `None` when it is not valid CSV.
fn mount_fields(spec: &str) -> Option<(String, Vec<String>)> {
    let fields = csv_fields(spec)?;
    let mut mount_type = None;
    let mut tokens = Vec::new();
    for field in fields {
        match field.split('=').collect::<Vec<_>>().as_slice() {
            ["type", value] if mount_type.is_none() => mount_type = Some((*value).to_owned()),
            _ => tokens.push(field),
        }
    }
    Some((mount_type.unwrap_or_else(|| "volume".to_owned()), tokens))
}

/// The fields of one CSV record (Go's `encoding/csv` rules: a field that
/// starts with `"` is quoted, `""` inside it is a quote; a quote anywhere
/// else is an error).
fn csv_fields(record: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut chars = record.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    c => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Some(fields);
                }
                Some(',') => {}
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Some(fields);
                    }
                    Some(',') => break,
                    Some('"') => return None,
                    Some(c) => field.push(c),
                }
            }
        }
        fields.push(field);
    }
}

/// The mount types whose source the generator resolves at `version` (and
/// so requires).
fn resolves_source(mount_type: &str, version: &Version) -> bool {
    match mount_type {
        "volume" | "bind" => true,
        "glob" | "image" => *version >= Version::new(5, 3, 0),
        "artifact" => *version >= Version::new(5, 7, 0),
        _ => false,
    }
}

fn mount(ctx: &mut Ctx<'_>, section: &str, e: &Entry) {
    for spec in split_words(&e.value, Escapes::Unescape) {
        let Some((mount_type, tokens)) = mount_fields(&spec) else {
            continue;
        };
        if !matches!(
            mount_type.as_str(),
            "volume" | "bind" | "glob" | "image" | "artifact"
        ) {
            continue;
        }
        let resolving = resolves_source(&mount_type, ctx.version());
        let spec_offset = e.value.find(spec.as_str()).unwrap_or(0);
        let at = |token: &str| {
            e.value[spec_offset..]
                .find(token)
                .map_or(spec_offset, |i| spec_offset + i)
        };
        // Podman stops at the first bare `source`/`src`, wherever it is.
        if let Some(bare) = tokens
            .iter()
            .find(|t| *t == "source" || *t == "src")
            .filter(|_| resolving)
        {
            let msg = format!(
                "`{bare}` has no value; Podman's generator rejects the unit (\"source parameter \
                 does not include a value\") — write `{bare}=PATH` (or a `.volume`/`.image` unit)"
            );
            let pos = value_pos_at(e, at(bare));
            ctx.push(
                Severity::Error,
                Code::QuadletInvalidValue,
                pos,
                key_path(section, "Mount"),
                msg,
            );
            continue;
        }
        // The last `source=`/`src=` wins, as in the generator.
        let source = tokens
            .iter()
            .filter_map(|t| t.split_once('='))
            .filter(|(k, _)| *k == "source" || *k == "src")
            .map(|(_, v)| v)
            .next_back()
            .filter(|v| !v.is_empty());
        let Some(source) = source else {
            // Since 6.0.0-rc1 a volume without a source is an anonymous one.
            let anonymous_volumes = Version::parse("6.0.0-rc1").is_ok_and(|v| ctx.at_least(&v));
            if resolving && !(mount_type == "volume" && anonymous_volumes) {
                let podman_says = if anonymous_volumes {
                    format!("source parameter is required for mount type {mount_type}")
                } else {
                    "source cannot be empty".to_owned()
                };
                let msg = format!(
                    "`type={mount_type}` needs a non-empty `source=` (or `src=`); Podman {}'s \
                     generator rejects the unit (\"{podman_says}\")",
                    ctx.version()
                );
                ctx.push(
                    Severity::Error,
                    Code::QuadletInvalidValue,
                    value_pos_at(e, spec_offset),
                    key_path(section, "Mount"),
                    msg,
                );
            }
            continue;
        };
        let needs = if source.ends_with(".volume") {
            None
        } else if source.ends_with(".image") {
            Some(Version::new(5, 3, 0))
        } else if source.ends_with(".artifact") {
            Some(Version::new(5, 7, 0))
        } else {
            continue;
        };
        let offset = at(source);
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
