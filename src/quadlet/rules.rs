//! Per-type semantics Quadlet enforces at conversion time: required and
//! conflicting keys, and the `[Service]`/`[Install]` settings it overrides,
//! rejects or ignores.

mod service;

use super::context::{Ctx, key_path};
use super::name::UnitKind;
use super::parse::Position;
use super::words::{Escapes, split_words};
use crate::diag::{Code, Severity};
use semver::Version;

pub(crate) fn check(ctx: &mut Ctx<'_>) {
    service::service(ctx);
    service::install(ctx);
    if ctx.is_dropin() {
        return;
    }
    match ctx.kind {
        UnitKind::Container => container(ctx),
        UnitKind::Kube => kube(ctx),
        UnitKind::Image => require(
            ctx,
            "Image",
            "the image to pull, e.g. `quay.io/org/app:1.0`",
        ),
        UnitKind::Artifact => require(ctx, "Artifact", "the OCI artifact to pull"),
        UnitKind::Build => build(ctx),
        UnitKind::Volume => volume(ctx),
        UnitKind::Network => network(ctx),
        UnitKind::Pod => {}
    }
    if matches!(
        ctx.kind,
        UnitKind::Container | UnitKind::Kube | UnitKind::Pod
    ) {
        user_mappings(ctx);
    }
}

fn missing(ctx: &mut Ctx<'_>, key: &str, what: &str) {
    let section = ctx.section();
    let msg = format!("[{section}] has no `{key}=`; Quadlet rejects the unit — add {what}");
    let pos = ctx.section_pos();
    ctx.push(
        Severity::Error,
        Code::QuadletMissingKey,
        pos,
        key_path(section, key),
        msg,
    );
}

fn require(ctx: &mut Ctx<'_>, key: &str, what: &str) {
    if ctx.unit.value(ctx.section(), key).is_none() {
        missing(ctx, key, &format!("`{key}=` with {what}"));
    }
}

fn container(ctx: &mut Ctx<'_>) {
    let s = "Container";
    let image = ctx.unit.value(s, "Image").is_some();
    match (
        image,
        ctx.unit
            .last(s, "Rootfs")
            .filter(|e| !e.unquoted().is_empty()),
    ) {
        (false, None) => missing(
            ctx,
            "Image",
            "`Image=` (e.g. `quay.io/org/app:1.0`) or `Rootfs=` (an exploded root file system)",
        ),
        (true, Some(rootfs)) => {
            let msg = "`Image=` and `Rootfs=` are mutually exclusive; keep only one".to_string();
            ctx.push(
                Severity::Error,
                Code::QuadletConflictingKeys,
                rootfs.key_pos,
                key_path(s, "Rootfs"),
                msg,
            );
        }
        _ => {}
    }
    if ctx.unit.value(s, "User").is_none()
        && let Some(group) = ctx
            .unit
            .last(s, "Group")
            .filter(|e| !e.unquoted().is_empty())
    {
        let msg = "`Group=` without `User=` is rejected by Quadlet; add `User=`".to_string();
        ctx.push(
            Severity::Error,
            Code::QuadletMissingKey,
            group.key_pos,
            key_path(s, "Group"),
            msg,
        );
    }
    let cmd = ctx.unit.value(s, "ReloadCmd").is_some();
    if let Some(sig) = ctx
        .unit
        .last(s, "ReloadSignal")
        .filter(|e| !e.unquoted().is_empty())
        && cmd
    {
        let msg = "`ReloadCmd=` and `ReloadSignal=` are mutually exclusive; keep one".to_string();
        ctx.push(
            Severity::Error,
            Code::QuadletConflictingKeys,
            sig.key_pos,
            key_path(s, "ReloadSignal"),
            msg,
        );
    }
}

fn kube(ctx: &mut Ctx<'_>) {
    let s = "Kube";
    let yamls: usize = ctx
        .unit
        .all(s, "Yaml")
        .iter()
        .map(|e| split_words(&e.value, Escapes::Retain).len())
        .sum();
    if yamls == 0 {
        missing(
            ctx,
            "Yaml",
            "`Yaml=` with the path of the Kubernetes YAML file",
        );
    }
    if let Some(e) = ctx.unit.last(s, "SetWorkingDirectory") {
        let v = e.unquoted().to_ascii_lowercase();
        let msg = match v.as_str() {
            "" | "unit" => None,
            "yaml" if yamls == 1 => None,
            "yaml" => Some("`SetWorkingDirectory=yaml` needs exactly one `Yaml=` file".to_string()),
            _ => Some(format!(
                "`SetWorkingDirectory={}` is not supported in .kube files; use `yaml` or `unit`",
                e.unquoted()
            )),
        };
        if let Some(msg) = msg {
            ctx.push(
                Severity::Error,
                Code::QuadletInvalidValue,
                e.value_pos,
                key_path(s, "SetWorkingDirectory"),
                msg,
            );
        }
    }
}

fn is_url(v: &str) -> bool {
    ["http://", "https://", "git://", "github.com/"]
        .iter()
        .any(|p| v.starts_with(p))
}

fn build(ctx: &mut Ctx<'_>) {
    let s = "Build";
    if ctx
        .unit
        .all(s, "ImageTag")
        .first()
        .is_none_or(|e| e.unquoted().is_empty())
    {
        missing(
            ctx,
            "ImageTag",
            "`ImageTag=` with the name to tag the built image with",
        );
    }
    let file = ctx.unit.value(s, "File");
    let service_wd = ctx.unit.value("Service", "WorkingDirectory").is_some();
    let (mut context, mut wd, mut reported) = (false, service_wd, false);
    if let Some(e) = ctx
        .unit
        .last(s, "SetWorkingDirectory")
        .filter(|e| !e.unquoted().is_empty())
    {
        let v = e.unquoted();
        match v.to_ascii_lowercase().as_str() {
            "unit" => wd = true,
            "file" if file.is_some() => wd = true,
            "file" => {
                missing(
                    ctx,
                    "File",
                    "`File=` (required by `SetWorkingDirectory=file`)",
                );
                reported = true;
            }
            "yaml" => {
                let msg = "`SetWorkingDirectory=yaml` is only supported in .kube files; use \
                           `unit`, `file`, a path or a URL"
                    .to_string();
                ctx.push(
                    Severity::Error,
                    Code::QuadletInvalidValue,
                    e.value_pos,
                    key_path(s, "SetWorkingDirectory"),
                    msg,
                );
            }
            _ => {
                context = true;
                wd |= !v.starts_with('/') && !is_url(v);
            }
        }
    }
    match file {
        None if !wd && !context && !reported => missing(
            ctx,
            "File",
            "`File=` (path or URL of the Containerfile) or `SetWorkingDirectory=` (build context)",
        ),
        Some(f) if !context && !wd && !f.starts_with('/') && !f.starts_with('%') && !is_url(f) => {
            let pos = ctx
                .unit
                .last(s, "File")
                .map_or(Position::START, |e| e.value_pos);
            let msg = format!(
                "relative `File={f}` needs `SetWorkingDirectory=` (e.g. `unit`) to know what \
                 it is relative to; Quadlet rejects the unit"
            );
            ctx.push(
                Severity::Error,
                Code::QuadletMissingKey,
                pos,
                key_path(s, "File"),
                msg,
            );
        }
        _ => {}
    }
}

fn volume(ctx: &mut Ctx<'_>) {
    let s = "Volume";
    if ctx.unit.value(s, "Driver") == Some("image") && ctx.unit.last(s, "Image").is_none() {
        missing(ctx, "Image", "`Image=` (mandatory with `Driver=image`)");
    }
    let v6 = Version::parse("6.0.0-rc1").unwrap_or_else(|_| Version::new(6, 0, 0));
    if !ctx.at_least(&v6)
        && ctx.unit.value(s, "Device").is_none()
        && let Some(t) = ctx
            .unit
            .last(s, "Type")
            .filter(|e| !e.unquoted().is_empty())
    {
        let msg =
            "`Type=` can't be used without `Device=`; add `Device=` or remove `Type=`".to_string();
        ctx.push(
            Severity::Error,
            Code::QuadletMissingKey,
            t.key_pos,
            key_path(s, "Type"),
            msg,
        );
    }
}

fn network(ctx: &mut Ctx<'_>) {
    let s = "Network";
    let subnets = ctx.unit.all(s, "Subnet").len();
    for key in ["Gateway", "IPRange"] {
        let values = ctx.unit.all(s, key);
        if values.len() > subnets {
            let pos = values.get(subnets).map_or(Position::START, |e| e.key_pos);
            let msg = if subnets == 0 {
                format!("`{key}=` needs a `Subnet=`; Quadlet rejects the unit — add the subnet")
            } else {
                format!("more `{key}=` lines than `Subnet=` lines; give one per subnet")
            };
            ctx.push(
                Severity::Error,
                Code::QuadletMissingKey,
                pos,
                key_path(s, key),
                msg,
            );
        }
    }
}

fn user_mappings(ctx: &mut Ctx<'_>) {
    let s = ctx.section();
    let explicit = ["UserNS", "UIDMap", "GIDMap", "SubUIDMap", "SubGIDMap"]
        .into_iter()
        .any(|k| !ctx.unit.all(s, k).is_empty());
    let remap: Vec<_> = ["RemapUid", "RemapGid", "RemapUsers"]
        .into_iter()
        .filter_map(|k| ctx.unit.last(s, k))
        .collect();
    if explicit {
        if let Some(e) = remap.first() {
            let msg = "deprecated `Remap*=` keys cannot be combined with `UserNS=`/`UIDMap=`/\
                       `GIDMap=`/`SubUIDMap=`/`SubGIDMap=`; drop the `Remap*=` keys"
                .to_string();
            ctx.push(
                Severity::Error,
                Code::QuadletConflictingKeys,
                e.key_pos,
                key_path(s, &e.key),
                msg,
            );
        }
        return;
    }
    if ctx.unit.last(s, "RemapUsers").is_none()
        && let Some(e) = remap.first()
    {
        let msg = format!(
            "`{}=` needs `RemapUsers=`; better use `UserNS=`/`UIDMap=`",
            e.key
        );
        ctx.push(
            Severity::Error,
            Code::QuadletMissingKey,
            e.key_pos,
            key_path(s, &e.key),
            msg,
        );
    }
}

#[cfg(test)]
mod tests;
