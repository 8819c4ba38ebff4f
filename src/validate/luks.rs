//! LUKS volumes and their Clevis/CEX settings (3.2.0+): `luks.go`,
//! `clevis.go` (`custom.go` in 3.2.0), `tang.go`, `cex.go`.

use super::paths::check_path;
use super::resources::{self, check_optional_url};
use super::rules::{Report, RuleError};
use crate::diag::DocPath;
use crate::go;
use crate::ignition::model::{Clevis, ClevisCustom, Luks, Tang};
use crate::ignition::spec::Spec;

fn not_empty(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty())
}

fn tpm2_tang_or_threshold(clevis: &Clevis) -> bool {
    !clevis.tang.is_empty() || clevis.tpm2 == Some(true) || clevis.threshold.is_some_and(|t| t != 0)
}

/// `Clevis.IsPresent` (3.5.0+, for the CEX rule).
fn clevis_present(clevis: &Clevis) -> bool {
    not_empty(clevis.custom.pin.as_deref()) || tpm2_tang_or_threshold(clevis)
}

const BUILTIN_PINS: [&str; 3] = ["tpm2", "tang", "sss"];

/// `ClevisCustom.Validate` (3.3.0+) or `Custom.Validate` (3.2.0).
fn custom(custom: &ClevisCustom, at: &DocPath, report: &mut Report) {
    let pin = custom.pin.as_deref().unwrap_or("");
    let config_missing = custom.config.as_deref().unwrap_or("").is_empty();
    if report.spec == Spec::V3_2 {
        if pin.is_empty() && config_missing {
            return;
        }
        if !BUILTIN_PINS.contains(&pin) {
            report.error(at.key("pin"), RuleError::UnknownClevisPin);
        }
    } else {
        if pin.is_empty() && config_missing && custom.needs_network != Some(true) {
            return;
        }
        if pin.is_empty() {
            report.error(at.key("pin"), RuleError::ClevisPinRequired);
        } else if report.spec <= Spec::V3_5 && !BUILTIN_PINS.contains(&pin) {
            report.error(at.key("pin"), RuleError::UnknownClevisPin);
        }
    }
    if config_missing {
        report.error(at.key("config"), RuleError::ClevisConfigRequired);
    }
}

fn tang(tang: &Tang, at: &DocPath, report: &mut Report) {
    let scheme = match go::url::parse(&tang.url) {
        None => Err(RuleError::InvalidUrl),
        Some(url) if url.scheme == "http" || url.scheme == "https" => Ok(()),
        Some(_) => Err(RuleError::InvalidScheme),
    };
    report.check(at.key("url"), scheme);
    if !not_empty(tang.thumbprint.as_deref()) {
        report.error(at.key("thumbprint"), RuleError::TangThumbprintRequired);
    }
    if report.since(Spec::V3_4)
        && let Some(advertisement) = tang.advertisement.as_deref().filter(|a| !a.is_empty())
        && serde_json::from_str::<serde_json::Value>(advertisement).is_err()
    {
        report.error(at.key("advertisement"), RuleError::InvalidTangAdvertisement);
    }
}

pub(crate) fn luks(luks: &Luks, at: &DocPath, report: &mut Report) {
    let spec = report.spec;
    if luks.name.contains('/') {
        report.error(at.key("name"), RuleError::LuksNameSlash);
    }
    if luks.label.as_deref().is_some_and(|label| label.len() > 47) {
        report.error(at.key("label"), RuleError::LuksLabelTooLong);
    }
    match luks.device.as_deref() {
        None | Some("") => report.error(at.key("device"), RuleError::DiskDeviceRequired),
        Some(device) => report.check(at.key("device"), check_path(device)),
    }
    let custom_set = if spec == Spec::V3_2 {
        luks.clevis.custom != ClevisCustom::default()
    } else {
        not_empty(luks.clevis.custom.pin.as_deref())
    };
    if custom_set && tpm2_tang_or_threshold(&luks.clevis) {
        report.error(at.key("clevis"), RuleError::ClevisCustomWithOthers);
    }
    if check_optional_url(luks.key_file.source.as_deref(), spec).is_err() {
        report.error(at.key("keys"), RuleError::InvalidKeyFile);
    }
    if spec >= Spec::V3_5 && luks.cex.enabled == Some(true) {
        if clevis_present(&luks.clevis) {
            report.error(at.key("cex"), RuleError::CexWithClevis);
        }
        if not_empty(luks.key_file.source.as_deref()) {
            report.error(at.key("cex"), RuleError::CexWithKeyFile);
        }
    }
    let clevis = at.key("clevis");
    custom(&luks.clevis.custom, &clevis.key("custom"), report);
    for (index, server) in luks.clevis.tang.iter().enumerate() {
        tang(server, &clevis.key("tang").index(index), report);
    }
    resources::resource(&luks.key_file, &at.key("keyFile"), report);
}
