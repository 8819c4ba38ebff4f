//! Validation driver: parses, classifies and runs the checks in order —
//! sections, keys, versions and value syntax here; the per-type semantics
//! in `rules`, references in `refs`, lints in `lints`. What they all use
//! (the run's state, key paths, value positions) is in `context`.

use super::context::{Ctx, SYSTEMD_SECTIONS, finding};
use super::keys::catalog;
use super::name::{QuadletFile, Template, UnitKind, classify};
use super::parse::{Entry, Position, UnitFile, parse_lenient};
use super::suggest::closest;
use super::{ValidateOptions, lints, refs, rules};
use crate::diag::{Code, Diagnostic, Severity};
use semver::Version;

/// Parse and validate one file. `path` is used for the file name (and, for
/// drop-ins, the parent directory name): `web.container`,
/// `/etc/containers/systemd/web.container.d/10-env.conf`.
pub fn validate_file(path: &str, source: &str, opts: &ValidateOptions<'_>) -> Vec<Diagnostic> {
    let (unit, errors) = parse_lenient(source);
    let syntax = |e: &super::parse::ParseError, severity, code| {
        finding(severity, code, e.pos, "", &e.message)
    };
    let mut out: Vec<Diagnostic> = errors
        .iter()
        .map(|e| syntax(e, Severity::Error, Code::QuadletSyntax))
        .chain(
            unit.warnings
                .iter()
                .map(|e| syntax(e, Severity::Warning, Code::QuadletSuspiciousSyntax)),
        )
        .collect();
    match classify(path) {
        Ok(file) => out.extend(validate_parsed(&file, &unit, opts)),
        Err(e) => out.push(finding(
            Severity::Error,
            Code::QuadletFileName,
            Position::START,
            "",
            &e.message,
        )),
    }
    out.sort_by_key(|d| d.position);
    out
}

/// Validate an already parsed and classified file.
pub fn validate_parsed(
    file: &QuadletFile,
    unit: &UnitFile,
    opts: &ValidateOptions<'_>,
) -> Vec<Diagnostic> {
    let mut ctx = Ctx {
        file,
        unit,
        opts,
        kind: file.kind(),
        out: Vec::new(),
    };
    file_level(&mut ctx);
    for section in &unit.sections {
        check_section(&mut ctx, &section.name, section.header);
        for entry in &section.entries {
            check_entry(&mut ctx, &section.name, entry);
        }
    }
    rules::check(&mut ctx);
    refs::check(&mut ctx);
    lints::check(&mut ctx);
    let mut out = ctx.out;
    out.sort_by_key(|d| d.position);
    out
}

fn file_level(ctx: &mut Ctx<'_>) {
    let kind = ctx.kind;
    if !ctx.at_least(&kind.since()) {
        let msg = format!(
            "{kind} files need Podman {}; the Quadlet generator of Podman {} ignores this \
             file, so the unit will not exist; raise the target Podman version or use \
             another unit type",
            kind.since(),
            ctx.version()
        );
        ctx.push(
            Severity::Error,
            Code::QuadletUnitTypeTooNew,
            Position::START,
            String::new(),
            msg,
        );
    }
    let v5 = Version::new(5, 0, 0);
    if ctx.at_least(&v5) {
        return;
    }
    match ctx.file {
        QuadletFile::DropIn(d) => {
            let msg = format!(
                "drop-in directories (`{}/`) are read since Podman 5.0.0; Podman {} ignores \
                 this file — merge its content into the unit file",
                d.dir,
                ctx.version()
            );
            ctx.push(
                Severity::Error,
                Code::QuadletFeatureTooNew,
                Position::START,
                String::new(),
                msg,
            );
        }
        QuadletFile::Unit(u) if u.template != Template::None => {
            let msg = format!(
                "template units (`{}`) are supported since Podman 5.0.0; Podman {} does not \
                 apply template naming or `DefaultInstance=`",
                u.file_name,
                ctx.version()
            );
            ctx.push(
                Severity::Warning,
                Code::QuadletFeatureTooNew,
                Position::START,
                String::new(),
                msg,
            );
        }
        QuadletFile::Unit(_) => {}
    }
}

fn check_section(ctx: &mut Ctx<'_>, name: &str, header: Position) {
    let own = ctx.section();
    if name == own || SYSTEMD_SECTIONS.contains(&name) || name.starts_with("X-") {
        return;
    }
    if name == "Quadlet" {
        let since = catalog().quadlet_section().since.clone();
        if !ctx.at_least(&since) {
            let msg = format!(
                "the [Quadlet] section is read since Podman {since}; Podman {} passes it to \
                 systemd, which ignores it — its settings have no effect",
                ctx.version()
            );
            ctx.push(
                Severity::Warning,
                Code::QuadletSectionIgnored,
                header,
                format!("[{name}]"),
                msg,
            );
        }
        return;
    }
    let msg = if let Some(other) = UnitKind::from_section(name) {
        format!(
            "[{name}] belongs in {other} files; in a {} file Quadlet ignores it and systemd \
             drops it — move these keys to [{own}] or into a separate `{}` file",
            ctx.kind,
            other.extension()
        )
    } else {
        let allowed = [own, "Quadlet", "Unit", "Service", "Install"];
        let hint = closest(name, allowed)
            .map(|c| format!(" (did you mean [{c}]? section names are case-sensitive)"))
            .unwrap_or_default();
        format!(
            "unknown section [{name}]{hint}; a {} file may contain [{own}], [Quadlet], \
             [Unit], [Service], [Install] and `X-` extension sections — systemd ignores \
             anything else",
            ctx.kind
        )
    };
    ctx.push(
        Severity::Error,
        Code::QuadletUnknownSection,
        header,
        format!("[{name}]"),
        msg,
    );
}

fn check_entry(ctx: &mut Ctx<'_>, section: &str, entry: &Entry) {
    let cat = catalog();
    if section == ctx.section() {
        quadlet_key(ctx, cat.section(ctx.kind), entry);
    } else if section == "Quadlet" {
        if ctx.at_least(&cat.quadlet_section().since) {
            quadlet_key(ctx, cat.quadlet_section(), entry);
        }
    } else if SYSTEMD_SECTIONS.contains(&section) {
        systemd_key(ctx, section, entry);
    }
}

mod entries;

use entries::{quadlet_key, systemd_key};

#[cfg(test)]
pub(crate) mod tests;
