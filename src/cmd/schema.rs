//! `kindling schema KIND`: print the JSON Schema of a fleet manifest kind.

use std::process::ExitCode;

use super::common::print;
use crate::cli::{SchemaArgs, SchemaKind};
use crate::fleet::manifest::{Kind, json_schema};

pub fn run(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    let kind = match args.kind {
        SchemaKind::Fleet => Kind::Fleet,
        SchemaKind::Host => Kind::Host,
        SchemaKind::Service => Kind::Service,
    };
    print(json_schema(kind).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
