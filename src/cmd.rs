//! The binary's edge: one module per command turns parsed arguments
//! ([`crate::cli`]) into stage calls, prints findings and writes outputs.
//! What several commands share (printing to stdout, reporting findings,
//! loading a config, fleet options) lives in `common`. The only place
//! that uses `anyhow`.
//!
//! A new command is a variant of [`crate::cli::Command`] with its `Args`
//! struct, a module here whose `run` takes them and returns the exit
//! status, and one arm in [`run`].

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use crate::cli::{Cli, Command};

mod build;
mod butane;
mod check;
mod common;
mod completions;
mod diff;
mod hosts;
mod import;
mod init;
mod inspect;
mod iso;
mod man;
mod pxe;
mod render;
mod schema;
mod secret;
mod serve;
mod vm;

/// When the binary is installed (or linked) as `butane`, behave as
/// `kindling butane`, so it drops into scripts that call `butane`.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    let invoked_as_butane = args
        .first()
        .and_then(|arg0| Path::new(arg0).file_name())
        .is_some_and(|name| name == "butane");
    if invoked_as_butane {
        args.splice(
            1..1,
            [OsString::from("butane"), OsString::from("--as-butane")],
        );
    }
    args
}

/// Runs the command; an error is printed as `kindling: ...` and exits 1
/// (2 for `diff`, whose 1 means "the configs differ").
pub fn run(cli: Cli) -> ExitCode {
    common::set_color(cli.color);
    let (result, failure) = match cli.command {
        Command::Butane(args) => (butane::run(&args), ExitCode::FAILURE),
        Command::Build(args) => (build::run(&args), ExitCode::FAILURE),
        Command::Check(args) => (check::run(&args), ExitCode::FAILURE),
        Command::Render(args) => (render::run(&args), ExitCode::FAILURE),
        Command::Hosts(args) => (hosts::run(&args), ExitCode::FAILURE),
        Command::Inspect(args) => (inspect::run(&args), ExitCode::FAILURE),
        // Like diff(1): trouble is exit status 2, differences 1.
        Command::Diff(args) => (diff::run(&args), ExitCode::from(2)),
        Command::Schema(args) => (schema::run(&args), ExitCode::FAILURE),
        Command::Completions(args) => (completions::run(&args), ExitCode::FAILURE),
        Command::Man(args) => (man::run(&args), ExitCode::FAILURE),
        Command::Vm(args) => (vm::run(&args), ExitCode::FAILURE),
        Command::Init(args) => (init::run(&args), ExitCode::FAILURE),
        Command::Import(args) => (import::run(&args), ExitCode::FAILURE),
        Command::Secret(args) => (secret::run(&args), ExitCode::FAILURE),
        Command::Iso(args) => (iso::run(&args), ExitCode::FAILURE),
        Command::Pxe(args) => (pxe::run(&args), ExitCode::FAILURE),
        Command::Serve(args) => (serve::run(&args), ExitCode::FAILURE),
    };
    result.unwrap_or_else(|error| {
        eprintln!("kindling: {error:#}");
        failure
    })
}
