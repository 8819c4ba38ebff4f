//! systemd units and drop-ins: `systemd.go`, `unit.go` and
//! `shared/validations/unit.go`.

use std::collections::HashMap;

use super::rules::{Report, RuleError};
use super::unitfile::parse_unit_contents;
use crate::diag::DocPath;
use crate::go::path::ext;
use crate::ignition::model::{Dropin, Systemd, Unit};

const UNIT_EXTENSIONS: [&str; 12] = [
    ".service",
    ".socket",
    ".device",
    ".mount",
    ".automount",
    ".swap",
    ".target",
    ".path",
    ".timer",
    ".snapshot",
    ".slice",
    ".scope",
];

/// `^(.+?)@(.+?)\.service$` (`.` excluding newlines): the template name
/// `prefix@.service` of an instance unit name.
fn template_of(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".service")?;
    for (at, c) in name.char_indices() {
        if c == '\n' {
            return None;
        }
        if c != '@' || at == 0 {
            continue;
        }
        let instance = stem.get(at + 1..).unwrap_or("");
        if !instance.is_empty() && !instance.contains('\n') {
            return Some(format!("{}@.service", name.get(..at)?));
        }
    }
    None
}

/// `Systemd.Validate`: enabled instances whose template (defined here,
/// with contents) has no `[Install]` section.
pub(crate) fn templates(systemd: &Systemd, at: &DocPath, report: &mut Report) {
    let by_name: HashMap<&str, &Unit> = systemd
        .units
        .iter()
        .map(|unit| (unit.name.as_str(), unit))
        .collect();
    for (index, unit) in systemd.units.iter().enumerate() {
        if unit.enabled != Some(true) {
            continue;
        }
        let Some(template) = template_of(&unit.name) else {
            continue;
        };
        let Some(contents) = by_name
            .get(template.as_str())
            .and_then(|t| t.contents.as_deref())
            .filter(|c| !c.is_empty())
        else {
            continue;
        };
        if let Ok(summary) = parse_unit_contents(contents)
            && !summary.has_install()
        {
            report.warn(
                at.key("units").index(index).key("contents"),
                RuleError::TemplateNoInstallSection {
                    template,
                    instance: unit.name.clone(),
                },
            );
        }
    }
}

pub(crate) fn unit(unit: &Unit, at: &DocPath, report: &mut Report) {
    if !UNIT_EXTENSIONS.contains(&ext(&unit.name)) {
        report.error(at.key("name"), RuleError::UnitExtension);
    }
    let contents = at.key("contents");
    let parsed = unit.contents.as_deref().map(parse_unit_contents);
    match &parsed {
        Some(Err(message)) => report.error(contents, RuleError::UnitContent(message.clone())),
        Some(Ok(summary)) => {
            let has_contents = unit.contents.as_deref().is_some_and(|c| !c.is_empty());
            if unit.enabled == Some(true) && has_contents && !summary.has_install() {
                report.warn(contents, RuleError::NoInstallSection(unit.name.clone()));
            }
        }
        None => {}
    }
    for (index, dropin_entry) in unit.dropins.iter().enumerate() {
        dropin(dropin_entry, &at.key("dropins").index(index), report);
    }
}

fn dropin(dropin: &Dropin, at: &DocPath, report: &mut Report) {
    if let Some(Err(message)) = dropin.contents.as_deref().map(parse_unit_contents) {
        report.error(at.key("contents"), RuleError::UnitContent(message));
    }
    if ext(&dropin.name) != ".conf" {
        report.error(at.key("name"), RuleError::DropinExtension);
    }
}

#[cfg(test)]
mod tests {
    use super::template_of;

    #[test]
    fn template_names() {
        assert_eq!(
            template_of("foo@bar.service").as_deref(),
            Some("foo@.service")
        );
        assert_eq!(template_of("a@b@c.service").as_deref(), Some("a@.service"));
        assert_eq!(template_of("a@@.service").as_deref(), Some("a@.service"));
        assert_eq!(template_of("foo@.service"), None);
        assert_eq!(template_of("@x.service"), None);
        assert_eq!(template_of("@@x.service").as_deref(), Some("@@.service"));
        assert_eq!(template_of("foo@bar.socket"), None);
    }
}
