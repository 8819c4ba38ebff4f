//! Command-line arguments (clap types only; no logic).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Compile CoreOS fleets and Butane configs into validated Ignition.
#[derive(Debug, Parser)]
#[command(name = "kindling", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Translate a Butane config to Ignition (drop-in for `butane`).
    Butane(ButaneArgs),
}

/// Flags follow `butane`'s, so `kindling butane` can replace it in scripts.
#[derive(Debug, Args)]
pub struct ButaneArgs {
    /// Butane config to read (standard input if omitted or `-`).
    pub input: Option<PathBuf>,
    /// Write the Ignition config to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Fail on warnings too.
    #[arg(short, long)]
    pub strict: bool,
    /// Indent the JSON output.
    #[arg(short, long)]
    pub pretty: bool,
    /// Accepted for compatibility; only butane's openshift variant uses it.
    #[arg(short, long)]
    pub raw: bool,
    /// Check the config and report findings; write nothing.
    #[arg(short, long)]
    pub check: bool,
    /// Directory that `local` paths are read from.
    #[arg(short = 'd', long, value_name = "DIR")]
    pub files_dir: Option<PathBuf>,
    /// Emit this (older) Ignition spec, e.g. 3.3.0 for Ignition 2.14.
    #[arg(long, value_name = "X.Y.Z")]
    pub ignition_version: Option<String>,
    /// Print findings as one line each instead of annotated source.
    #[arg(long)]
    pub raw_errors: bool,
}
