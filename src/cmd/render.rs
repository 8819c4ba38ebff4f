//! `kindling render HOST`: compile one host and print the files,
//! directories, units and users it gets (the host listing), optionally only
//! what one service adds.

use std::process::ExitCode;

use anyhow::bail;

use super::common::{compile_reported, fleet_options, print, summary};
use crate::cli::RenderArgs;
use crate::fleet;

pub fn run(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let options = fleet_options(&args.fleet, vec![args.host.clone()], None)?;
    let build = compile_reported(&options, &args.fleet);
    let Some(output) = build.outputs.iter().find(|o| o.name == args.host) else {
        bail!("cannot render {}: {}", args.host, summary(&build));
    };
    print(fleet::listing::host_listing(output, args.service.as_deref()).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
