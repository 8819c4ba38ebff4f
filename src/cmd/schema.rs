//! `kindling schema KIND`: print the JSON Schema of a fleet manifest kind;
//! `kindling schema --markdown`: the manifest reference built from them.

use std::process::ExitCode;

use super::common::print;
use crate::cli::{SchemaArgs, SchemaKind};
use crate::fleet::manifest::{Kind, json_schema};
use crate::fleet::reference;

pub fn run(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    let text = match args.kind {
        Some(SchemaKind::Fleet) => json_schema(Kind::Fleet),
        Some(SchemaKind::Host) => json_schema(Kind::Host),
        Some(SchemaKind::Service) => json_schema(Kind::Service),
        None => reference::markdown(),
    };
    print(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
