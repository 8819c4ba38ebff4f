//! Per-entry checks: Quadlet keys (known, version, value syntax) and
//! systemd keys.

use super::super::context::{Ctx, SYSTEMD_SECTIONS, is_dynamic, key_path};
use super::super::keys::{KeySpec, SectionSpec, catalog};
use super::super::name::UnitKind;
use super::super::parse::{Entry, shorten};
use super::super::suggest::did_you_mean_key;
use super::super::systemd_keys::{self, SystemdKey};
use crate::diag::{Code, Severity};

pub(super) fn quadlet_key(ctx: &mut Ctx<'_>, spec: &SectionSpec, entry: &Entry) {
    let section = spec.name.as_str();
    // Paths are built only for findings: most entries have none.
    let path = || key_path(section, &entry.key);
    let Some(key) = spec.key(&entry.key) else {
        let hint = did_you_mean_key(&entry.key, spec.keys.keys().map(String::as_str));
        let elsewhere = UnitKind::ALL
            .into_iter()
            .filter(|k| catalog().section(*k).key(&entry.key).is_some())
            .map(|k| format!("[{}]", k.section()))
            .collect::<Vec<_>>();
        let elsewhere = if hint.is_empty() && !elsewhere.is_empty() {
            format!(" ({}= exists in {})", entry.key, elsewhere.join(", "))
        } else {
            String::new()
        };
        let msg = format!(
            "unknown key `{}` in [{section}]{hint}{elsewhere}; Quadlet rejects the whole unit \
             (\"unsupported key\")",
            entry.key
        );
        ctx.push(
            Severity::Error,
            Code::QuadletUnknownKey,
            entry.key_pos,
            path(),
            msg,
        );
        return;
    };
    if !ctx.at_least(&key.since) {
        let msg = format!(
            "`{}=` was introduced in Podman {}, but the target is Podman {}, which rejects \
             the whole unit (\"unsupported key\"); remove it (or pass the equivalent podman flag \
             through `PodmanArgs=`) or raise the target version",
            entry.key,
            key.since,
            ctx.version()
        );
        let sev = ctx.opts.newer_key_severity;
        ctx.push(sev, Code::QuadletKeyTooNew, entry.key_pos, path(), msg);
    }
    check_value(ctx, key, entry, section);
}

const BOOL_WORDS: [&str; 8] = ["1", "yes", "true", "on", "0", "no", "false", "off"];

fn check_value(ctx: &mut Ctx<'_>, key: &KeySpec, entry: &Entry, section: &str) {
    let value = entry.unquoted();
    if value.is_empty() || is_dynamic(value) {
        return;
    }
    let path = || key_path(section, &entry.key);
    let msg = match key.value_type.as_str() {
        "bool" if !BOOL_WORDS.iter().any(|w| w.eq_ignore_ascii_case(value)) => format!(
            "`{}` is not a boolean; Quadlet silently treats it as false — use `true` or \
             `false`",
            shorten(value)
        ),
        "enum" => {
            let mut allowed: Vec<&str> = key.values.iter().map(String::as_str).collect();
            match key.name.as_str() {
                // `Notify=` also takes every boolean word, in any case.
                "Notify" => {
                    allowed.extend(BOOL_WORDS);
                    if allowed.iter().any(|a| a.eq_ignore_ascii_case(value)) {
                        return;
                    }
                }
                // `image` is podman auto-update's legacy alias of `registry`.
                "AutoUpdate" => allowed.push("image"),
                _ => {}
            }
            if allowed.contains(&value) {
                return;
            }
            if let Some(a) = allowed.iter().find(|a| a.eq_ignore_ascii_case(value)) {
                let msg = format!(
                    "write `{}={a}` in lower case; podman may not accept `{}`",
                    key.name,
                    shorten(value)
                );
                ctx.push(
                    Severity::Warning,
                    Code::QuadletInvalidValue,
                    entry.value_pos,
                    path(),
                    msg,
                );
                return;
            }
            format!(
                "`{}` is not a valid value for `{}=`; use one of: {}",
                shorten(value),
                key.name,
                key.values.join(", ")
            )
        }
        _ => return,
    };
    ctx.push(
        Severity::Error,
        Code::QuadletInvalidValue,
        entry.value_pos,
        path(),
        msg,
    );
}

pub(super) fn systemd_key(ctx: &mut Ctx<'_>, section: &str, entry: &Entry) {
    if entry.key.starts_with("X-") {
        return;
    }
    let path = || key_path(section, &entry.key);
    match systemd_keys::classify(section, &entry.key) {
        Some(SystemdKey::Known) | None => {}
        Some(SystemdKey::Obsolete) => {
            let msg = format!(
                "`{}=` is obsolete; current systemd ignores it with a warning — remove it or \
                 use its replacement (see systemd.resource-control(5) / systemd.unit(5))",
                entry.key
            );
            ctx.push(
                Severity::Warning,
                Code::QuadletObsoleteSystemdKey,
                entry.key_pos,
                path(),
                msg,
            );
        }
        Some(SystemdKey::Unknown) => {
            let known = systemd_keys::known_keys(section);
            let hint = did_you_mean_key(&entry.key, known.iter().map(String::as_str));
            let elsewhere = SYSTEMD_SECTIONS
                .into_iter()
                .filter(|s| *s != section)
                .find(|s| systemd_keys::classify(s, &entry.key) == Some(SystemdKey::Known))
                .map(|s| format!(" (`{}=` belongs in [{s}])", entry.key))
                .unwrap_or_default();
            let msg = format!(
                "unknown key `{}` in [{section}]{hint}{elsewhere}; systemd ignores it",
                entry.key
            );
            ctx.push(
                Severity::Warning,
                Code::QuadletUnknownSystemdKey,
                entry.key_pos,
                path(),
                msg,
            );
        }
    }
}
