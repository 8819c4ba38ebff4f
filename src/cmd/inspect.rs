//! `kindling inspect`: what a config does, as a listing (text or JSON), as
//! an extracted file tree, or decompiled to Butane. Secret files are masked
//! (those of a fleet host, and those `build/manifest.json` lists for a
//! built output) unless `--show-secrets` is given.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::common::{load_config, load_options, print};
use crate::cli::{Format, InspectArgs};
use crate::inspect::{self, TextOptions};
use crate::{fleet, mask};

pub fn run(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let options = load_options(args.files_dir.as_deref())?;
    let mut loaded = load_config(args.input.as_deref(), &options)?;
    if !args.show_secrets {
        // A built output's secret files are listed in its manifest.json.
        let mut secrets = loaded.secrets.clone();
        if let Some(path) = args.input.as_deref().filter(|p| *p != Path::new("-")) {
            secrets.extend(fleet::publish::published_secrets(path));
        }
        loaded.config = mask::hide(loaded.config, &secrets);
    }
    if args.to_butane {
        let yaml = inspect::decompile(&loaded.config, loaded.spec)?;
        print(yaml.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(dir) = &args.extract {
        let report = inspect::extract(&loaded.config, loaded.spec, dir)?;
        print(report.to_string().as_bytes())?;
        print(
            format!(
                "summary: {}\n",
                dir.join(inspect::extract::SUMMARY_FILE).display()
            )
            .as_bytes(),
        )?;
        return Ok(if report.refused.is_empty() {
            ExitCode::SUCCESS
        } else {
            eprintln!(
                "kindling: refused {} entries that would have left {} or followed a symlink (see above)",
                report.refused.len(),
                dir.display()
            );
            ExitCode::FAILURE
        });
    }
    let listing = inspect::list(&loaded.config, loaded.spec);
    let output = match args.format {
        Format::Text => inspect::to_text(
            &listing,
            TextOptions {
                show_contents: !args.no_contents,
            },
        ),
        Format::Json => {
            let mut json =
                serde_json::to_string_pretty(&listing).context("serializing the listing")?;
            json.push('\n');
            json
        }
    };
    print(output.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
