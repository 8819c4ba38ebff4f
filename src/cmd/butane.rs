//! `kindling butane` (or the binary invoked as `butane`): translate one
//! Butane config to Ignition, with `butane`'s flags.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;

use super::common::{Style, Texts, open_files_dir, print, report_styled};
use crate::build_info;
use crate::butane::{self, JsonStyle, files_dir::FilesDir, quadlets};
use crate::cli::ButaneArgs;
use crate::diag::{Code, Diagnostic};
use crate::source::{butane_text, read_input};
use crate::write::{Visibility, write_atomic};

pub fn run(args: &ButaneArgs) -> anyhow::Result<ExitCode> {
    if args.version {
        print(format!("{}\n", build_info::butane_version()).as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    let files_dir = open_files_dir(args.files_dir.as_deref())?;
    let (bytes, name) = read_input(args.input.as_deref())?;
    let source = butane_text(&bytes, &name)?;
    let style = if args.pretty {
        JsonStyle::Pretty
    } else {
        JsonStyle::Compact
    };
    let options = butane::Options {
        files_dir,
        target: args.ignition_version,
        json: (!args.check).then_some(style),
        raw: args.raw,
    };
    let files_dir = options.files_dir.clone();
    let mut outcome = butane::compile(source, &name, &options);
    let mut texts = BTreeMap::from([(name.clone(), source.to_owned())]);
    if args.check_quadlet {
        let found = quadlet_findings(source, &name, files_dir.as_ref(), &mut texts);
        if found.iter().any(Diagnostic::is_error) {
            outcome.config = None;
        }
        outcome.diagnostics.extend(found);
    }
    let texts = if args.check_quadlet {
        Texts::ByFile(&texts)
    } else {
        Texts::One(source)
    };
    let report_style = match (args.raw_errors, args.as_butane) {
        (true, true) => Style::ButaneRaw,
        (raw, _) => Style::raw_if(raw),
    };
    // Butane fails on unparsable YAML and an unknown variant or version
    // before it has a report: as `butane`, only its one line is printed.
    let before_report = outcome
        .diagnostics
        .iter()
        .any(|d| BEFORE_REPORT.contains(&d.code));
    if !(args.as_butane && before_report) {
        report_styled(&outcome.diagnostics, texts, report_style);
    }
    let Some(config) = outcome.config else {
        if args.as_butane {
            let reason = outcome.butane_error.unwrap_or_default();
            return Ok(butane_failure(&format!(
                "Error translating config: {reason}"
            )));
        }
        bail!("Error translating config: the config has errors (see above)");
    };
    if args.strict && outcome.diagnostics.has_warnings() {
        if args.as_butane {
            return Ok(butane_failure(
                "Config produced warnings and --strict was specified",
            ));
        }
        bail!("Config produced warnings and --strict was specified");
    }
    if args.check {
        return Ok(ExitCode::SUCCESS);
    }
    let mut json = outcome
        .json
        .unwrap_or_else(|| butane::to_json(&config, style));
    if let Some(machine_config) = outcome.machine_config.filter(|_| !args.raw) {
        json = machine_config.to_yaml(&json);
    }
    match &args.output {
        Some(path) => write_atomic(path, &json, Visibility::Public)?,
        None => print(&json)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Findings of the steps before Butane has a report (reading the YAML,
/// `variant` and `version`): Butane prints only its failure line for them.
const BEFORE_REPORT: &[Code] = &[
    Code::YamlSyntax,
    Code::YamlInvalidValue,
    Code::ButaneEmptyConfig,
    Code::ButaneNotAMapping,
    Code::ButaneMissingVariant,
    Code::ButaneInvalidVariant,
    Code::ButaneInvalidVersion,
    Code::ButaneUnknownVersion,
    Code::ButaneRhcosRemoved,
];

/// Butane's failure: `line` alone on stderr (no `kindling:` prefix), exit 1.
fn butane_failure(line: &str) -> ExitCode {
    // A closed stderr is no reason to fail differently.
    let _ = writeln!(std::io::stderr(), "{line}");
    ExitCode::FAILURE
}

/// `--check-quadlet`: findings in the Quadlet files the config places, with
/// the text of each local file they name added to `texts`.
fn quadlet_findings(
    source: &str,
    name: &str,
    files_dir: Option<&FilesDir>,
    texts: &mut BTreeMap<String, String>,
) -> Vec<Diagnostic> {
    let Ok(Some(root)) = crate::yaml::parse(source) else {
        return Vec::new();
    };
    let placed = quadlets::placed(&root, &|_| Some(source.to_owned()), files_dir);
    for file in &placed {
        if let quadlets::Lines::Local(local) = &file.lines {
            texts.insert(local.clone(), file.text.clone());
        }
    }
    quadlets::check(
        &placed,
        &crate::quadlet::DEFAULT_PODMAN_VERSION,
        &Default::default(),
        false,
        &mut |unit, text, options| crate::quadlet::validate_file(unit, text, options),
        &|_| name.to_owned(),
    )
}
