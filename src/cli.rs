//! Command-line arguments: clap types, and the parsers of values clap
//! checks itself (`--ignition-version`).

// The doc comments here are `--help` text, where `<host>` is a placeholder,
// not an HTML tag.
#![allow(rustdoc::invalid_html_tags)]

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use crate::ignition::spec::Spec;

/// Compile CoreOS fleets and Butane configs into validated Ignition.
#[derive(Debug, Parser)]
#[command(
    name = "kindling",
    version = crate::build_info::long_version(),
    about,
    propagate_version = true
)]
pub struct Cli {
    /// Color findings: auto (when stderr is a terminal and NO_COLOR is
    /// unset or empty), always or never. `--color` alone is always.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "always",
        alias = "colour"
    )]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

/// When to color findings (`--color`, as `butane` takes it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    #[value(alias = "yes")]
    Always,
    #[value(alias = "no")]
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Translate a Butane config to Ignition (drop-in for `butane`).
    #[command(disable_version_flag = true)]
    Butane(ButaneArgs),
    /// Compile every host (or the named ones) into build/<host>.ign.
    Build(BuildArgs),
    /// Compile and validate every host; write nothing.
    Check(CheckArgs),
    /// Print the files, directories, units and users a host would get.
    Render(RenderArgs),
    /// List the fleet's hosts and their services.
    Hosts(HostsArgs),
    /// Show what a config does: files with decoded contents, units, users,
    /// storage; or extract its file tree, or decompile it to Butane.
    Inspect(InspectArgs),
    /// Compare two configs (Ignition or Butane) by what they do.
    ///
    /// Exit status: 0 if they are equivalent, 1 if they differ, 2 on errors.
    Diff(DiffArgs),
    /// Print the JSON Schema of a manifest kind, for editors, or (--markdown)
    /// the manifest reference.
    Schema(SchemaArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command to a
    /// directory.
    Man(ManArgs),
    /// Compile a host and boot it in qemu with its config (fw_cfg), on a
    /// throwaway overlay of a CoreOS/uCore disk image or from a kernel+initrd.
    Vm(VmArgs),
    /// Start a new fleet in DIR: fleet.yaml, one host, one service, editor
    /// schemas, .gitignore, justfile and mise.toml, and an age identity for
    /// its secrets (outside the fleet) whose recipient fleet.yaml lists.
    Init(InitArgs),
    /// Bring a Butane layout in: plain `.bu` hosts (and the `.bu` parts
    /// they merge as `.ign`) become a fleet whose build is checked against
    /// the originals, host by host.
    Import(ImportArgs),
    /// Encrypt, edit and re-encrypt the fleet's age secrets (secrets/**/*.age)
    /// to the recipients fleet.yaml lists.
    Secret(SecretArgs),
    /// Write a bootable live ISO per host that installs the host to its
    /// `install.device` (or, with --live, runs it live), from a pristine
    /// CoreOS live ISO; `iso show` shows what an ISO embeds.
    ///
    /// An installer ISO's live system installs build/<host>.ign, byte for
    /// byte and checked by its sha512, with coreos-installer, then reboots
    /// into it. Before the installer starts, a guard checks that the machine
    /// is the host's: one of its NICs has a MAC from `install.macs` (and its
    /// DMI product UUID is `install.uuid`, if given) and it has the disk;
    /// otherwise it says why on the console and stops without touching any
    /// disk. The live system's console is `install.console`'s.
    ///
    /// The ISO is patched in place (coreos-installer's embed areas), never
    /// re-mastered, so it boots on BIOS and UEFI as the base does.
    #[command(after_help = "Examples:
  kindling iso beam00 --base fedora-coreos-live.x86_64.iso      installer ISO: build/beam00.iso
  kindling iso beam00 relay01 --base live.iso --out media       one ISO per host
  kindling iso beam00 --base live.iso --live                    runs beam00's config live, installs nothing
  kindling iso show build/beam00.iso                            what it installs, where, and the configs")]
    Iso(IsoArgs),
    /// Write PXE boot files per host: `<host>.ipxe`, `<host>.kargs` and
    /// `<host>.ignition.img`, the config its live system runs as an
    /// initrd to append.
    ///
    /// A host with install.device gets the installer's live config, which
    /// checks the machine's MACs (and DMI UUID) before it installs; others
    /// run their config live. `kindling serve` computes the same scripts.
    Pxe(PxeArgs),
    /// Serve the build over the network for PXE and ISO installs: iPXE
    /// scripts, configs, boot files; safe by default for secrets.
    Serve(ServeArgs),
}

/// Where the fleet is and how to read its secrets.
#[derive(Debug, Args)]
pub struct FleetArgs {
    /// The fleet's root directory (holding fleet.yaml).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub fleet: PathBuf,
    /// age identity file to decrypt secrets/**/*.age: an age identity or an
    /// ssh-ed25519/ssh-rsa private key (or set KINDLING_AGE_IDENTITY).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// Print findings as one line each instead of annotated source.
    #[arg(long)]
    pub raw_errors: bool,
    /// Check certificates against this time (RFC 3339, e.g.
    /// 2027-01-01T00:00:00Z) instead of SOURCE_DATE_EPOCH or the clock.
    #[arg(long, value_name = "RFC3339", value_parser = rfc3339)]
    pub now: Option<i64>,
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
    #[arg(long, value_name = "X.Y.Z", value_parser = ignition_version)]
    pub ignition_version: Option<Spec>,
    /// Before replacing each build/<host>.ign, print what changes (secret
    /// contents shown as hashes).
    #[arg(long)]
    pub diff: bool,
    /// Fail instead of updating ports.lock (for CI): every named port must
    /// already be recorded there.
    #[arg(long)]
    pub locked: bool,
    /// Hosts to build (default: all).
    #[arg(add = host_names())]
    pub hosts: Vec<String>,
}

/// Output format of `check` and `hosts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Human,
    Json,
}

/// Output format of `inspect` and `diff`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Readable text.
    #[default]
    Text,
    /// A stable JSON model, for scripts.
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
    pub format: ReportFormat,
    /// Emit this Ignition spec for every host (e.g. 3.3.0).
    #[arg(long, value_name = "X.Y.Z", value_parser = ignition_version)]
    pub ignition_version: Option<Spec>,
    /// A named port ports.lock does not hold is an error, not a warning.
    #[arg(long)]
    pub locked: bool,
    /// Hosts to check (default: all).
    #[arg(add = host_names())]
    pub hosts: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// The host to render.
    #[arg(add = host_names())]
    pub host: String,
    /// Only what this service adds.
    #[arg(long, value_name = "SVC", add = service_names())]
    pub service: Option<String>,
}

#[derive(Debug, Args)]
pub struct HostsArgs {
    /// The fleet, the identity its encrypted secrets need (a host's
    /// certificate expiry comes from a compile) and the time expiry is
    /// checked against, as for `check`.
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: ReportFormat,
}

/// Arguments of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Ignition config (3.0.0 – 3.7.0-experimental) or Butane config to
    /// inspect (standard input if omitted or `-`).
    pub input: Option<PathBuf>,
    /// Output format of the listing.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Leave out text contents (sizes and hashes are still shown).
    #[arg(long)]
    pub no_contents: bool,
    /// Print an equivalent Butane config instead of the listing.
    #[arg(long, conflicts_with_all = ["extract", "format", "no_contents"])]
    pub to_butane: bool,
    /// Write the node's file tree into DIR (created; must be empty), with a
    /// summary of units and users in DIR/.kindling-summary.txt. Never
    /// writes outside DIR; exits 1 if any entry was refused for that.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["format", "no_contents"])]
    pub extract: Option<PathBuf>,
    /// Directory that `local` paths of a Butane input are read from.
    #[arg(short = 'd', long, value_name = "DIR")]
    pub files_dir: Option<PathBuf>,
    /// Show the contents of secret files too: those a fleet host places
    /// from secrets/, and those build/manifest.json lists for a built
    /// build/<host>.ign. They are masked by default.
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old config: Ignition JSON or a Butane file (`-` for stdin).
    pub old: PathBuf,
    /// The new config: Ignition JSON or a Butane file (`-` for stdin).
    pub new: PathBuf,
    /// Directory that `local` paths of Butane inputs are read from.
    #[arg(short = 'd', long, value_name = "DIR")]
    pub files_dir: Option<PathBuf>,
    /// Output format of the differences.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Print nothing; only set the exit status.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
    /// Print the dynamic completion instead: it asks kindling at each TAB,
    /// so it also completes host and service names (of the fleet in the
    /// current directory). bash, zsh, fish, elvish and powershell.
    #[arg(long)]
    pub dynamic: bool,
}

/// The environment variable the dynamic completion script sets when it
/// asks kindling for candidates (`kindling completions SHELL --dynamic`).
pub const COMPLETE_ENV: &str = "KINDLING_COMPLETE";

/// Completes a HOST with the host names of the fleet in the current
/// directory (dynamic completion only).
fn host_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| candidates(crate::fleet::names::hosts(Path::new("."))))
}

/// Completes a service with the fleet's service names.
fn service_names() -> ArgValueCandidates {
    ArgValueCandidates::new(|| candidates(crate::fleet::names::services(Path::new("."))))
}

fn candidates(names: Vec<String>) -> Vec<CompletionCandidate> {
    names.into_iter().map(CompletionCandidate::new).collect()
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write kindling.1, one page per subcommand and kindling-manifest.5
    /// into DIR instead.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Print kindling-manifest(5), the manifest reference, instead.
    #[arg(long, conflicts_with = "out_dir")]
    pub manifest: bool,
}

/// Flags follow `butane`'s, so `kindling butane` can replace it in scripts.
#[derive(Debug, Args)]
pub struct ButaneArgs {
    /// Print the version of Butane this follows (and kindling's) and exit.
    #[arg(short = 'V', long)]
    pub version: bool,
    /// Set when the binary runs as `butane`: `--raw-errors` then prints
    /// Butane's exact lines.
    #[arg(long, hide = true)]
    pub as_butane: bool,
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
    /// openshift variant: write the bare Ignition config, not the
    /// MachineConfig (YAML) around it. No effect on other variants.
    #[arg(short, long)]
    pub raw: bool,
    /// Check the config and report findings; write nothing.
    #[arg(short, long)]
    pub check: bool,
    /// Directory that `local` paths are read from.
    #[arg(short = 'd', long, value_name = "DIR")]
    pub files_dir: Option<PathBuf>,
    /// Emit this (older) Ignition spec, e.g. 3.3.0 for Ignition 2.14.
    #[arg(long, value_name = "X.Y.Z", value_parser = ignition_version)]
    pub ignition_version: Option<Spec>,
    /// Print findings as one line each instead of annotated source.
    #[arg(long)]
    pub raw_errors: bool,
    /// Also validate the Quadlet files the config places (under
    /// /etc/containers/systemd/ and the other Quadlet directories); an
    /// error there fails the translation. Off by default, as in `butane`.
    #[arg(long)]
    pub check_quadlet: bool,
}

/// qemu's accelerator, as chosen on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AccelArg {
    /// KVM when it really runs a guest here, TCG otherwise.
    Auto,
    Kvm,
    Tcg,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kindling vm beam00 --image fedora-coreos-qemu.x86_64.qcow2 --identity key.txt
  kindling vm node.bu --image fcos.qcow2 --console node.log
  kindling vm relay01 --kernel vmlinuz --initrd initramfs.img --ignition-version 3.3.0

Get a Fedora CoreOS disk image with:
  coreos-installer download -s stable -p qemu -f qcow2.xz --decompress
(uCore has no image of its own: boot Fedora CoreOS with a config that rebases
to uCore, see uCore's README and examples/ucore-autorebase.butane.)")]
pub struct VmArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// The host to boot: a fleet host name, a Butane file (.bu) or an
    /// Ignition file (.ign, booted as it is).
    #[arg(add = host_names())]
    pub host: String,
    /// CoreOS-family disk image (qcow2 or raw); booted through a throwaway
    /// copy-on-write overlay, never modified.
    #[arg(long, value_name = "DISK", conflicts_with_all = ["kernel", "initrd", "append", "iso"])]
    pub image: Option<PathBuf>,
    /// A live ISO (`kindling iso`) to boot once from a virtual CD drive,
    /// with a blank target disk attached; its config is the one it embeds
    /// (HOST is not compiled).
    #[arg(long, value_name = "FILE.iso", conflicts_with_all = ["kernel", "initrd", "append"])]
    pub iso: Option<PathBuf>,
    /// With --iso: use this disk (qcow2 or raw, written in place) as the
    /// target instead of a throwaway blank one, e.g. to boot the installed
    /// system later with --image.
    #[arg(long, value_name = "DISK", requires = "iso")]
    pub target_disk: Option<PathBuf>,
    /// With --iso: the NIC's MAC address (an installer ISO checks it
    /// against the host's `install.macs`).
    #[arg(long, value_name = "MAC", requires = "iso")]
    pub mac: Option<String>,
    /// With --iso: boot with UEFI firmware (Debian's ovmf package) instead
    /// of the BIOS, so the ISO boots through its EFI image and GRUB.
    #[arg(long, requires = "iso")]
    pub uefi: bool,
    /// With --iso: the machine's DMI product UUID (an installer ISO checks
    /// it against the host's `install.uuid`).
    #[arg(long, value_name = "UUID", requires = "iso", value_parser = dmi_uuid)]
    pub uuid: Option<String>,
    /// Kernel to boot directly (live PXE-style), with --initrd.
    #[arg(long, value_name = "FILE", requires = "initrd")]
    pub kernel: Option<PathBuf>,
    /// Initrd for --kernel.
    #[arg(long, value_name = "FILE", requires = "kernel")]
    pub initrd: Option<PathBuf>,
    /// Kernel command line for --kernel.
    #[arg(
        long,
        value_name = "ARGS",
        requires = "kernel",
        default_value = "console=ttyS0 ignition.firstboot ignition.platform.id=qemu"
    )]
    pub append: String,
    /// Write the serial console to FILE instead of the terminal.
    #[arg(long, value_name = "FILE")]
    pub console: Option<PathBuf>,
    /// Guest memory in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub memory: u32,
    /// Guest CPUs.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub cpus: u32,
    /// Emit this Ignition spec (e.g. 3.3.0 for Ignition 2.14).
    #[arg(long, value_name = "X.Y.Z", value_parser = ignition_version)]
    pub ignition_version: Option<Spec>,
    /// For a .bu HOST: where `local` paths are read from (default: its directory).
    #[arg(short = 'd', long, value_name = "DIR")]
    pub files_dir: Option<PathBuf>,
    /// qemu accelerator.
    #[arg(long, value_enum, default_value = "auto")]
    pub accel: AccelArg,
    /// Kill the VM after this many seconds (default: run until it powers off).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
The identity is written to $XDG_CONFIG_HOME/kindling/NAME.age-identity
(~/.config/kindling/... without XDG_CONFIG_HOME), mode 0600, unless
--identity names another path. Nothing is overwritten: if any file init
would write exists, nothing is written.

Example:
  kindling init lab && cd lab && kindling check --strict && kindling build")]
pub struct InitArgs {
    /// Where to create the fleet (created if missing; may hold other files).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The age identity for the fleet's secrets: an existing identity file
    /// (age, ssh-ed25519 or ssh-rsa) to use, or where to write a new one.
    #[arg(long, value_name = "PATH")]
    pub identity: Option<PathBuf>,
    /// The fleet's name and `org:` (default: DIR's name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Each .bu becomes hosts/<name>.yaml: the .bu files it merges as generated
.ign become include: snippets, its Quadlet files in /etc/containers/systemd
become literal services in containers/, entries several hosts share go to
snippets/common*.bu, and the rest stays in its butane: block. local: files
are copied to files/. The new fleet is then built and compared with each
original (as `kindling diff` does); the report says, per host, identical,
semantically equal, or the differences. Nothing is overwritten: if any
file to write exists, nothing is written.

Exit status: 0 when every host converted and compares equal, 1 otherwise
(the fleet is written all the same).

Example:
  kindling import --butane butane --files-dir . --fleet fleet")]
pub struct ImportArgs {
    /// Directory of the `.bu` files (searched recursively).
    #[arg(long, value_name = "DIR")]
    pub butane: PathBuf,
    /// Where their `local:` paths resolve (Butane's -d; default: --butane).
    #[arg(short = 'd', long, value_name = "DIR")]
    pub files_dir: Option<PathBuf>,
    /// Where to write the fleet (created if missing; must not hold one).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub fleet: PathBuf,
    /// Also move Quadlet files that set AutoUpdate= to services where the
    /// host does not enable podman-auto-update.timer: it gets it enabled
    /// (the one intended change; without the timer AutoUpdate= does nothing).
    #[arg(long)]
    pub auto_update_timer: bool,
}

/// Arguments of `secret`.
#[derive(Debug, Args)]
pub struct SecretArgs {
    #[command(subcommand)]
    pub command: SecretCommand,
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Encrypt FILE to the fleet's recipients into
    /// secrets/[SERVICE/[HOST/]]NAME.age (never overwrites).
    Encrypt(SecretEncryptArgs),
    /// Decrypt a secret into a private temporary file, run $VISUAL or
    /// $EDITOR on it, and encrypt the result to the fleet's recipients; the
    /// temporary file is zeroed and removed whatever happens. A PATH that
    /// does not exist yet is created.
    Edit(SecretEditArgs),
    /// List the recipients (age or SSH public keys) secrets are encrypted to.
    Recipients(SecretFleetArgs),
    /// Re-encrypt every secrets/**/*.age to fleet.yaml's current recipients,
    /// after someone joins or leaves. Nothing is written unless every file
    /// decrypts; each file is replaced atomically.
    Rekey(SecretRekeyArgs),
}

/// Where the fleet is.
#[derive(Debug, Args)]
pub struct SecretFleetArgs {
    /// The fleet's root directory (holding fleet.yaml).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub fleet: PathBuf,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  kindling secret encrypt db-password.txt --service web --host node01
      writes secrets/web/node01/db-password.txt.age
  printf %s \"$TOKEN\" | kindling secret encrypt - --name token --service web")]
pub struct SecretEncryptArgs {
    #[command(flatten)]
    pub fleet: SecretFleetArgs,
    /// The plain file to encrypt (`-` for standard input, with --name).
    pub file: PathBuf,
    /// Put it under secrets/SERVICE/.
    #[arg(long, value_name = "SERVICE", add = service_names())]
    pub service: Option<String>,
    /// Put it under secrets/SERVICE/HOST/ (the layout `from:
    /// "SERVICE/{{ host }}/NAME.age"` reads).
    #[arg(long, value_name = "HOST", requires = "service", add = host_names())]
    pub host: Option<String>,
    /// The secret's file name (default: FILE's name); `.age` is appended.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct SecretEditArgs {
    #[command(flatten)]
    pub fleet: SecretFleetArgs,
    /// age identity file (age or ssh-ed25519/ssh-rsa key) to decrypt with
    /// (or set KINDLING_AGE_IDENTITY).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// The secret: secrets/…/NAME.age (relative to the fleet, or to secrets/).
    pub path: PathBuf,
}

#[derive(Debug, Args)]
pub struct SecretRekeyArgs {
    #[command(flatten)]
    pub fleet: SecretFleetArgs,
    /// age identity file (age or ssh-ed25519/ssh-rsa key) to decrypt with
    /// (or set KINDLING_AGE_IDENTITY).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct IsoArgs {
    #[command(subcommand)]
    pub command: Option<IsoCommand>,
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Hosts to write `<host>.iso` for (fleet host names).
    #[arg(value_name = "HOST", required = true, add = host_names())]
    pub hosts: Vec<String>,
    /// The pristine CoreOS live ISO to start from; it is never modified
    /// (`coreos-installer download -f iso` fetches one).
    #[arg(long, value_name = "LIVE.iso", required = true)]
    pub base: Option<PathBuf>,
    /// Output directory (relative to --fleet).
    #[arg(long, value_name = "DIR", default_value = "build")]
    pub out: PathBuf,
    /// Embed the host's config as the live system's own config (it runs
    /// from the medium, nothing is installed) instead of an installer;
    /// without it the host needs `install.device` and `install.macs`.
    #[arg(long)]
    pub live: bool,
    /// Embed a pointer config instead of the host's config: Ignition
    /// fetches it from `kindling serve` at URL with the host's bearer
    /// token, checked against its hash (the published build in --out).
    #[arg(long, value_name = "URL", requires = "token_key")]
    pub pointer: Option<String>,
    /// The fleet key `kindling serve --token-key` derives tokens from.
    #[arg(long, value_name = "FILE", requires = "pointer")]
    pub token_key: Option<PathBuf>,
    /// Emit this Ignition spec for the host configs (e.g. 3.3.0).
    #[arg(long, value_name = "X.Y.Z", value_parser = ignition_version)]
    pub ignition_version: Option<Spec>,
}

#[derive(Debug, Args)]
pub struct PxeArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
    /// Hosts to write PXE files for (fleet host names).
    #[arg(value_name = "HOST", required = true)]
    pub hosts: Vec<String>,
    /// Output directory (relative to --fleet).
    #[arg(long, value_name = "DIR", default_value = "build")]
    pub out: PathBuf,
    /// The URL of the directory the machines fetch the files from: the
    /// distribution's PXE kernel, initramfs and rootfs and the files
    /// written here. Without it the script names them relative to itself
    /// and Fedora CoreOS' rootfs is loaded as an initrd (4 GiB of RAM
    /// instead of 2). Flatcar hosts need it (Flatcar fetches its config
    /// from URL/<host>.ign).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Run every host's config live (nothing is installed), also for
    /// hosts with install.device.
    #[arg(long)]
    pub live: bool,
    /// Emit this Ignition spec for the host configs (e.g. 3.3.0).
    #[arg(long, value_name = "X.Y.Z", value_parser = ignition_version)]
    pub ignition_version: Option<Spec>,
}

#[derive(Debug, Subcommand)]
pub enum IsoCommand {
    /// Show what a live ISO embeds: the live config, the destination config
    /// and target device of an installer ISO, the kernel arguments. Prints
    /// configs as they are, secrets included: anyone holding the medium
    /// can read them.
    Show(IsoShowArgs),
}

#[derive(Debug, Args)]
pub struct IsoShowArgs {
    /// The live ISO to read.
    #[arg(value_name = "FILE.iso")]
    pub iso: PathBuf,
    /// Print only the live config (`config.ign`), byte for byte.
    #[arg(long, conflicts_with = "dest_config")]
    pub live_config: bool,
    /// Print only the destination config an installer ISO installs, byte
    /// for byte.
    #[arg(long)]
    pub dest_config: bool,
}

/// `kindling serve`.
#[derive(Debug, Args)]
#[command(after_help = "Routes:
  /boot.ipxe          chain script: asks /ipxe again with the machine's MACs, UUID, hostname, arch
  /ipxe?mac=M[&mac=]  the host's iPXE script (or \"boot from local disk\" once installed)
  /ignition?mac=M     the host's build/<host>.ign, exactly (ETag, Cache-Control: no-store)
  /ignition?host=H    the same for pointer configs, with the host's bearer token
  /assets/PATH        files under --assets (range requests)
  POST /installed?mac=M  the installed system reports in: installed, boots local until re-armed
  /healthz, /         health and a status page

Examples:
  kindling serve --listen 127.0.0.1:8080 --assets /srv/fcos
  kindling serve --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem --allow 10.0.0.0/24 --once
  kindling serve --rearm beam00
  kindling serve --token-key fleet.key --pointer beam00 --url https://pxe.lan:8443
  kindling serve --dnsmasq-example --url http://192.168.1.10:8080")]
pub struct ServeArgs {
    /// The fleet's root directory: the hosts' MACs, OS and install device
    /// come from its manifests.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub fleet: PathBuf,
    /// The build directory to serve (what `kindling build --out` wrote).
    #[arg(long, value_name = "DIR", default_value = "build")]
    pub build: PathBuf,
    /// Address and port to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Directory of boot files (kernel, initramfs, rootfs) served under /assets/.
    #[arg(long, value_name = "DIR")]
    pub assets: Option<PathBuf>,
    /// TLS certificate chain (PEM); with --tls-key, the server speaks HTTPS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Only these networks may connect (repeatable), e.g. 10.0.0.0/24.
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<ipnet::IpNet>,
    /// Serve each secret-bearing config once per arming; later fetches get
    /// 410 Gone and a loud log line.
    #[arg(long)]
    pub once: bool,
    /// Serve secret-bearing configs over plain HTTP on a non-loopback
    /// address anyway.
    #[arg(long)]
    pub insecure_http: bool,
    /// The URL machines reach this server at (default: the Host they asked).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Fleet key (32+ random bytes) per-host bearer tokens are derived from.
    #[arg(long, value_name = "FILE")]
    pub token_key: Option<PathBuf>,
    /// Every config fetch needs its host's token (ISO-booted fleets).
    #[arg(long, requires = "token_key")]
    pub require_token: bool,
    /// Log format: one line per request.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormatArg,
    /// Most connections at once.
    #[arg(long, value_name = "N", default_value_t = 2048)]
    pub max_connections: usize,
    /// Seconds a request's headers may take to arrive.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub header_timeout: u64,
    /// Seconds a connection may make no progress before it is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub idle_timeout: u64,
    /// On SIGTERM or SIGINT: seconds requests in flight get to finish
    /// (no new connections meanwhile) before the server exits.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub drain_timeout: u64,
    /// Re-arm HOST (its next boot installs again) and exit.
    #[arg(long, value_name = "HOST", conflicts_with_all = ["pointer", "dnsmasq_example"])]
    pub rearm: Option<String>,
    /// Print HOST's pointer config (for an ISO: fetches the real config
    /// from --url with HOST's token) and exit.
    #[arg(long, value_name = "HOST", requires_all = ["token_key", "url"], conflicts_with = "dnsmasq_example")]
    pub pointer: Option<String>,
    /// Print an example dnsmasq configuration (proxy DHCP, TFTP, iPXE) and exit.
    #[arg(long)]
    pub dnsmasq_example: bool,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

/// `--ignition-version`: one of the specs kindling emits.
/// Seconds since the Unix epoch of an RFC 3339 time.
fn rfc3339(text: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(time::OffsetDateTime::unix_timestamp)
        .map_err(|e| format!("{e}; write e.g. 2027-01-01T00:00:00Z"))
}

fn dmi_uuid(text: &str) -> Result<String, String> {
    crate::fleet::install::normalize_uuid(text).map_err(|e| e.to_string())
}

fn ignition_version(text: &str) -> Result<Spec, String> {
    Spec::parse(text).ok_or_else(|| {
        format!(
            "unknown Ignition spec version; use one of {}",
            Spec::ALL.map(Spec::as_str).join(", ")
        )
    })
}

/// Manifest kinds with a JSON Schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// fleet.yaml
    Fleet,
    /// hosts/<host>.yaml
    Host,
    /// containers/<service>.yaml
    Service,
}

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which manifest.
    #[arg(value_enum, required_unless_present = "markdown")]
    pub kind: Option<SchemaKind>,
    /// Print the manifest reference (docs/manifest.md) instead: every key of
    /// every manifest with its type, default, description and an example.
    #[arg(long, conflicts_with = "kind")]
    pub markdown: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("kindling").chain(args.iter().copied()))
    }

    #[test]
    fn vm_flags_and_defaults() {
        let cli = parse(&["vm", "beam00", "--image", "fcos.qcow2"]).expect("parses");
        let Command::Vm(vm) = cli.command else {
            panic!("not vm");
        };
        assert_eq!(vm.host, "beam00");
        assert_eq!(vm.image, Some(PathBuf::from("fcos.qcow2")));
        assert_eq!((vm.memory, vm.cpus), (2048, 2));
        assert_eq!(vm.accel, AccelArg::Auto);
        assert_eq!(vm.fleet.fleet, PathBuf::from("."));
        assert_eq!(vm.console, None);
        assert_eq!(vm.timeout, None);

        let cli = parse(&[
            "vm",
            "hosts/node.bu",
            "--kernel",
            "k",
            "--initrd",
            "i",
            "--append",
            "console=ttyS0",
            "--console",
            "c.log",
            "--memory",
            "512",
            "--cpus",
            "1",
            "--ignition-version",
            "3.3.0",
            "--fleet",
            "f",
            "--identity",
            "id.txt",
            "--accel",
            "tcg",
            "--timeout",
            "60",
        ])
        .expect("parses");
        let Command::Vm(vm) = cli.command else {
            panic!("not vm");
        };
        assert_eq!(vm.kernel, Some(PathBuf::from("k")));
        assert_eq!(vm.initrd, Some(PathBuf::from("i")));
        assert_eq!(vm.append, "console=ttyS0");
        assert_eq!(vm.console, Some(PathBuf::from("c.log")));
        assert_eq!((vm.memory, vm.cpus), (512, 1));
        assert_eq!(vm.ignition_version, Some(Spec::V3_3));
        assert_eq!(vm.fleet.identity, Some(PathBuf::from("id.txt")));
        assert_eq!(vm.accel, AccelArg::Tcg);
        assert_eq!(vm.timeout, Some(60));

        // --image excludes a kernel boot; --kernel needs --initrd.
        assert!(parse(&["vm", "h", "--image", "d", "--kernel", "k", "--initrd", "i"]).is_err());
        assert!(parse(&["vm", "h", "--kernel", "k"]).is_err());
        assert!(parse(&["vm", "h", "--append", "x"]).is_err());
    }

    #[test]
    fn ignition_version_is_parsed_once_by_clap() {
        for command in ["build", "check", "butane"] {
            let cli = parse(&[command, "--ignition-version", "3.7.0-experimental"])
                .expect("a known spec parses");
            let target = match cli.command {
                Command::Build(args) => args.ignition_version,
                Command::Check(args) => args.ignition_version,
                Command::Butane(args) => args.ignition_version,
                _ => panic!("not {command}"),
            };
            assert_eq!(target, Some(Spec::V3_7Experimental));
            let error = parse(&[command, "--ignition-version", "3.9.0"]).expect_err("unknown");
            assert_eq!(error.kind(), clap::error::ErrorKind::ValueValidation);
            let message = error.to_string();
            assert!(
                message.contains("unknown Ignition spec version; use one of 3.0.0, 3.1.0, 3.2.0, 3.3.0, 3.4.0, 3.5.0, 3.6.0, 3.7.0-experimental"),
                "{message}"
            );
        }
    }
}
