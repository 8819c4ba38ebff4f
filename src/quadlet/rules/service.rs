//! `[Service]` and `[Install]` settings Quadlet overrides, rejects or
//! ignores.

use super::super::context::{Ctx, key_path};
use super::super::name::{QuadletFile, Template, UnitKind};
use crate::diag::{Code, Severity};
use semver::Version;

pub(super) fn service(ctx: &mut Ctx<'_>) {
    let s = "Service";
    let kind = ctx.kind;
    let user_type = ctx
        .unit
        .last(s, "Type")
        .map(|e| (e.unquoted().to_string(), e.value_pos));
    if let Some((t, pos)) = &user_type {
        let bad = match kind {
            UnitKind::Container | UnitKind::Kube => t != "notify" && t != "oneshot",
            _ => false,
        };
        if bad {
            let msg = format!(
                "`Type={t}` is rejected for {kind} units; only `notify` (default) or `oneshot` work"
            );
            ctx.push(
                Severity::Error,
                Code::QuadletServiceSetting,
                *pos,
                key_path(s, "Type"),
                msg,
            );
        } else if kind == UnitKind::Pod {
            let msg =
                "Quadlet forces `Type=forking` for .pod units; this setting is ignored".to_string();
            ctx.push(
                Severity::Warning,
                Code::QuadletServiceSetting,
                *pos,
                key_path(s, "Type"),
                msg,
            );
        }
    }
    if matches!(kind, UnitKind::Container | UnitKind::Kube)
        && let Some(e) = ctx.unit.last(s, "KillMode")
    {
        let v = e.unquoted();
        if v != "mixed" && v != "control-group" {
            let msg = format!(
                "`KillMode={v}` is rejected by Quadlet; use `mixed` (default) or `control-group`"
            );
            ctx.push(
                Severity::Error,
                Code::QuadletServiceSetting,
                e.value_pos,
                key_path(s, "KillMode"),
                msg,
            );
        }
    }
    let effective = match kind {
        UnitKind::Pod => "forking".to_string(),
        UnitKind::Container | UnitKind::Kube => user_type.map_or("notify".to_string(), |t| t.0),
        _ => user_type.map_or("oneshot".to_string(), |t| t.0),
    };
    if let Some(e) = ctx.unit.all(s, "ExecStart").first() {
        let (sev, consequence) = if effective == "oneshot" {
            (
                Severity::Warning,
                "it runs in addition to Quadlet's command",
            )
        } else {
            (
                Severity::Error,
                "a second `ExecStart=` makes the service invalid",
            )
        };
        let msg = format!(
            "Quadlet generates `ExecStart=` itself; {consequence} — use `ExecStartPre=`/\
             `ExecStartPost=` or the [{}] keys instead",
            ctx.section()
        );
        ctx.push(
            sev,
            Code::QuadletServiceSetting,
            e.key_pos,
            key_path(s, "ExecStart"),
            msg,
        );
    }
    for key in ["User", "Group", "DynamicUser"] {
        if let Some(e) = ctx.unit.last(s, key) {
            let msg = format!(
                "`{key}=` in [Service] is not supported by Quadlet and breaks podman; to run \
                 as another user install the file as a rootless Quadlet for that user \
                 (e.g. /etc/containers/systemd/users/UID/), or set [Container] `User=` for \
                 the user inside the container"
            );
            ctx.push(
                Severity::Warning,
                Code::QuadletServiceSetting,
                e.key_pos,
                key_path(s, key),
                msg,
            );
        }
    }
}

pub(super) fn install(ctx: &mut Ctx<'_>) {
    let s = "Install";
    let v55 = Version::new(5, 5, 0);
    if !ctx.at_least(&v55)
        && let Some(e) = ctx.unit.last(s, "UpheldBy")
    {
        let msg = format!(
            "the generator applies `UpheldBy=` since Podman 5.5.0; Podman {} ignores it",
            ctx.version()
        );
        ctx.push(
            Severity::Warning,
            Code::QuadletFeatureTooNew,
            e.key_pos,
            key_path(s, "UpheldBy"),
            msg,
        );
    }
    let QuadletFile::Unit(u) = ctx.file else {
        return;
    };
    if u.template != Template::Template || ctx.unit.value(s, "DefaultInstance").is_some() {
        return;
    }
    let install_keys = ["WantedBy", "RequiredBy", "UpheldBy", "Alias"];
    if let Some(e) = ctx
        .unit
        .entries(s)
        .find(|e| install_keys.contains(&e.key.as_str()))
    {
        let msg = format!(
            "[Install] of the template `{}` is ignored without `DefaultInstance=`; add \
             `DefaultInstance=NAME` or install instances (`{}@NAME.{}`)",
            u.file_name,
            u.prefix,
            u.kind.extension()
        );
        ctx.push(
            Severity::Warning,
            Code::QuadletServiceSetting,
            e.key_pos,
            key_path(s, &e.key),
            msg,
        );
    }
}
