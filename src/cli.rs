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
    /// Compile every host (or the named ones) into build/<host>.ign.
    Build(BuildArgs),
    /// Compile and validate every host; write nothing.
    Check(CheckArgs),
    /// Print the files, directories, units and users a host would get.
    Render(RenderArgs),
    /// List the fleet's hosts and their services.
    Hosts(HostsArgs),
}

/// Where the fleet is and how to read its secrets.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// The fleet's root directory (holding fleet.yaml).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub fleet: PathBuf,
    /// age identity file to decrypt secrets/**/*.age (or set KINDLING_AGE_IDENTITY).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Print findings as one line each instead of annotated source.
    #[arg(long)]
    pub raw_errors: bool,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "build")]
    pub out: PathBuf,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Emit this Ignition spec for every host (e.g. 3.3.0).
    #[arg(long, value_name = "X.Y.Z")]
    pub ignition_version: Option<String>,
    /// Hosts to build (default: all).
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Emit this Ignition spec for every host (e.g. 3.3.0).
    #[arg(long, value_name = "X.Y.Z")]
    pub ignition_version: Option<String>,
    /// Hosts to check (default: all).
    pub hosts: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// The host to render.
    pub host: String,
    /// Only what this service adds.
    #[arg(long, value_name = "SVC")]
    pub service: Option<String>,
}

#[derive(Debug, Args)]
pub struct HostsArgs {
    /// The fleet's root directory (holding fleet.yaml).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub fleet: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
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
