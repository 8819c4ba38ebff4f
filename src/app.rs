//! The binary's edge: turns parsed arguments into stage calls, prints
//! findings, writes outputs. The only place that uses `anyhow`.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use clap::CommandFactory;

use crate::butane::{self, files_dir::FilesDir};
use crate::cli::{
    AccelArg, BuildArgs, ButaneArgs, CheckArgs, Cli, Command, CompletionsArgs, DiffArgs, FleetArgs,
    Format, HostsArgs, InspectArgs, ManArgs, RenderArgs, ReportFormat, SchemaArgs, SchemaKind,
    VmArgs,
};
use crate::diag::Diagnostics;
use crate::diff::diff_configs;
use crate::fleet::{self, secrets::Identities};
use crate::ignition::spec::Spec;
use crate::inspect::{self, RenderOptions};
use crate::source::{ConfigSource, LoadOptions, Loaded, SourceError};
use crate::write::{Visibility, write_atomic};

/// When the binary is installed (or linked) as `butane`, behave as
/// `kindling butane`, so it drops into scripts that call `butane`.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut args: Vec<OsString> = args.into_iter().collect();
    let invoked_as_butane = args
        .first()
        .and_then(|arg0| Path::new(arg0).file_name())
        .is_some_and(|name| name == "butane");
    if invoked_as_butane {
        args.insert(1, OsString::from("butane"));
    }
    args
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Butane(args) => run_butane(&args),
        Command::Build(args) => run_build(&args),
        Command::Check(args) => run_check(&args),
        Command::Render(args) => run_render(&args),
        Command::Hosts(args) => run_hosts(&args),
        Command::Inspect(args) => run_inspect(&args),
        Command::Diff(args) => Ok(run_diff(&args).unwrap_or_else(|error| {
            // Like diff(1): trouble is exit status 2, differences 1.
            eprintln!("kindling: {error:#}");
            ExitCode::from(2)
        })),
        Command::Schema(args) => run_schema(&args),
        Command::Completions(args) => run_completions(&args),
        Command::Man(args) => run_man(&args),
        Command::Vm(args) => run_vm(&args),
    }
}

fn parse_target(text: Option<&String>) -> anyhow::Result<Option<Spec>> {
    text.map(|text| {
        Spec::parse(text).with_context(|| {
            format!(
                "unknown Ignition spec version {text}; use one of {}",
                Spec::ALL.map(Spec::as_str).join(", ")
            )
        })
    })
    .transpose()
}

fn fleet_options(
    args: &FleetArgs,
    hosts: Vec<String>,
    target: Option<Spec>,
) -> anyhow::Result<fleet::Options> {
    let env = std::env::var("KINDLING_AGE_IDENTITY").ok();
    let identities = Identities::load(args.identity.as_deref(), env.as_deref())
        .map_err(|e| anyhow::anyhow!("{e} ({})", e.help()))?;
    Ok(fleet::Options {
        root: args.fleet.clone(),
        hosts,
        target,
        identities,
    })
}

/// Prints a fleet build's findings with the text of the files they name.
fn report_fleet(build: &fleet::Build, raw: bool) {
    let mut stderr = io::stderr().lock();
    for diagnostic in &build.diagnostics {
        let text = if raw {
            diagnostic.raw()
        } else {
            let source = diagnostic.file.as_ref().and_then(|f| build.texts.get(f));
            diagnostic.pretty(source.map(String::as_str))
        };
        let _ = writeln!(stderr, "{}", text.trim_end());
        if !raw {
            let _ = writeln!(stderr);
        }
    }
}

fn summary(build: &fleet::Build) -> String {
    let errors = build.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = build.diagnostics.len() - errors;
    format!(
        "{} host(s) compiled, {errors} error(s), {warnings} warning(s)",
        build.outputs.len()
    )
}

fn run_build(args: &BuildArgs) -> anyhow::Result<ExitCode> {
    let target = parse_target(args.ignition_version.as_ref())?;
    let options = fleet_options(&args.fleet, args.hosts.clone(), target)?;
    let build = fleet::compile(&options);
    report_fleet(&build, args.fleet.raw_errors);
    if build.failed() {
        bail!("build failed, nothing written: {}", summary(&build));
    }
    if args.strict && build.diagnostics.has_warnings() {
        bail!("build produced warnings and --strict was specified; nothing written");
    }
    let out = if args.out.is_relative() {
        args.fleet.fleet.join(&args.out)
    } else {
        args.out.clone()
    };
    if args.diff {
        print(build_diff(&out, &build.outputs).as_bytes())?;
    }
    fleet::write(
        &args.fleet.fleet,
        &out,
        &build.outputs,
        args.hosts.is_empty(),
    )?;
    eprintln!("{} → {}", summary(&build), out.display());
    Ok(ExitCode::SUCCESS)
}

/// What `build --diff` prints: per host, the change against the config
/// already in `out`.
fn build_diff(out: &Path, outputs: &[fleet::HostOutput]) -> String {
    let mut text = String::new();
    for output in outputs {
        let path = out.join(format!("{}.ign", output.name));
        let new = fleet::mask_secrets(output.config.clone(), &output.secret_paths);
        let Ok(bytes) = std::fs::read(&path) else {
            text.push_str(&format!("## {}: new ({})\n", output.name, path.display()));
            continue;
        };
        match crate::source::parse_ignition(&bytes, &path.display().to_string()) {
            Ok((old, _)) => {
                let old = fleet::mask_secrets(old, &output.secret_paths);
                let diff = diff_configs(&old, &new);
                if diff.is_empty() {
                    text.push_str(&format!("## {}: unchanged\n", output.name));
                } else {
                    text.push_str(&format!("## {}\n{diff}", output.name));
                    if !text.ends_with('\n') {
                        text.push('\n');
                    }
                }
            }
            Err(error) => text.push_str(&format!(
                "## {}: replacing an unreadable config: {error}\n",
                output.name
            )),
        }
    }
    text
}

fn run_check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let target = parse_target(args.ignition_version.as_ref())?;
    let options = fleet_options(&args.fleet, args.hosts.clone(), target)?;
    let build = fleet::compile(&options);
    let failed = build.failed() || (args.strict && build.diagnostics.has_warnings());
    match args.format {
        ReportFormat::Human => {
            report_fleet(&build, args.fleet.raw_errors);
            eprintln!("{}", summary(&build));
        }
        ReportFormat::Json => {
            #[derive(serde::Serialize)]
            struct Report<'a> {
                ok: bool,
                hosts: Vec<&'a str>,
                diagnostics: &'a crate::diag::Diagnostics,
            }
            let report = Report {
                ok: !failed,
                hosts: build.outputs.iter().map(|o| o.name.as_str()).collect(),
                diagnostics: &build.diagnostics,
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn run_render(args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let options = fleet_options(&args.fleet, vec![args.host.clone()], None)?;
    let build = fleet::compile(&options);
    report_fleet(&build, args.fleet.raw_errors);
    let Some(output) = build.outputs.iter().find(|o| o.name == args.host) else {
        bail!("cannot render {}: {}", args.host, summary(&build));
    };
    print!(
        "{}",
        fleet::listing::render(output, args.service.as_deref())
    );
    Ok(ExitCode::SUCCESS)
}

fn run_hosts(args: &HostsArgs) -> anyhow::Result<ExitCode> {
    let (inventory, mut diagnostics) = fleet::load::load(&args.fleet);
    let (plans, findings) = fleet::resolve::resolve(&inventory, &[]);
    diagnostics.extend(findings);
    for diagnostic in &diagnostics {
        eprintln!("{}", diagnostic.raw());
    }
    let hosts = fleet::listing::hosts(&inventory, &plans);
    match args.format {
        ReportFormat::Json => println!("{}", serde_json::to_string_pretty(&hosts)?),
        ReportFormat::Human => {
            for host in hosts {
                let ignition = host.ignition.unwrap_or_else(|| "-".to_owned());
                println!(
                    "{:<16} {:<8} {:<18} {:<7} {}",
                    host.name,
                    host.kind,
                    host.file,
                    ignition,
                    host.services.join(" ")
                );
            }
        }
    }
    Ok(if diagnostics.has_errors() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes `bytes` to stdout; a reader that went away (`| head`) is fine.
fn print(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    if let Err(error) = stdout.write_all(bytes).and_then(|()| stdout.flush())
        && error.kind() != io::ErrorKind::BrokenPipe
    {
        return Err(error).context("writing standard output");
    }
    Ok(())
}

fn open_files_dir(dir: Option<&Path>) -> anyhow::Result<LoadOptions> {
    let files_dir = match dir {
        Some(dir) => Some(
            FilesDir::open(dir)
                .with_context(|| format!("opening files directory {}", dir.display()))?,
        ),
        None => None,
    };
    Ok(LoadOptions {
        files_dir,
        identity: None,
        identity_env: std::env::var("KINDLING_AGE_IDENTITY").ok(),
    })
}

/// Reads and loads one input (Ignition or Butane), printing Butane
/// findings; `None`/`-` is standard input.
fn load_config(input: Option<&Path>, options: &LoadOptions) -> anyhow::Result<Loaded> {
    let (bytes, name) = read_input(input)?;
    let path = input.filter(|p| *p != Path::new("-"));
    let source = ConfigSource::new(name, path, bytes);
    match source.load(options) {
        Ok(loaded) => {
            let text = String::from_utf8_lossy(source.bytes());
            // Findings about other files (a fleet host's services) print raw.
            let foreign = loaded
                .diagnostics
                .iter()
                .any(|d| d.file.as_deref() != Some(source.name.as_str()));
            report(&loaded.diagnostics, &text, foreign);
            Ok(loaded)
        }
        Err(SourceError::Butane {
            name,
            source_text,
            diagnostics,
        }) => {
            report(&diagnostics, &source_text, false);
            bail!("{name}: the Butane config has errors (see above)")
        }
        Err(error) => Err(error.into()),
    }
}

fn run_inspect(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let options = open_files_dir(args.files_dir.as_deref())?;
    let mut loaded = load_config(args.input.as_deref(), &options)?;
    loaded.config = fleet::mask_secrets(loaded.config, &loaded.secret_paths);
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
        Format::Text => inspect::render(
            &listing,
            RenderOptions {
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

fn run_diff(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    if args.old == Path::new("-") && args.new == Path::new("-") {
        bail!("only one side of the diff can be standard input");
    }
    let options = open_files_dir(args.files_dir.as_deref())?;
    let old = load_config(Some(&args.old), &options)?;
    let new = load_config(Some(&args.new), &options)?;
    // A fleet host knows which files are secrets: hide them on both sides.
    let secrets: Vec<String> = old
        .secret_paths
        .iter()
        .chain(&new.secret_paths)
        .cloned()
        .collect();
    let diff = diff_configs(
        &fleet::mask_secrets(old.config, &secrets),
        &fleet::mask_secrets(new.config, &secrets),
    );
    if !args.quiet {
        let output = match args.format {
            Format::Text => diff.to_string(),
            Format::Json => {
                let mut json =
                    serde_json::to_string_pretty(&diff).context("serializing the diff")?;
                json.push('\n');
                json
            }
        };
        print(output.as_bytes())?;
    }
    Ok(if diff.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn run_completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "kindling", &mut script);
    print(&script)?;
    Ok(ExitCode::SUCCESS)
}

fn run_man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let command = Cli::command();
    match &args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("writing man pages to {}", dir.display()))?;
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .context("rendering the man page")?;
            print(&page)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints findings to stderr: annotated with source lines, or one per line.
fn report(diagnostics: &Diagnostics, source: &str, raw: bool) {
    let mut stderr = io::stderr().lock();
    for diagnostic in diagnostics {
        let text = if raw {
            diagnostic.raw()
        } else {
            diagnostic.pretty(Some(source))
        };
        // A closed stderr is no reason to fail the build.
        let _ = writeln!(stderr, "{}", text.trim_end());
        if !raw {
            let _ = writeln!(stderr);
        }
    }
}

fn read_input(input: Option<&Path>) -> anyhow::Result<(Vec<u8>, String)> {
    match input {
        None => read_stdin(),
        Some(path) if path == Path::new("-") => read_stdin(),
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Ok((bytes, path.display().to_string()))
        }
    }
}

fn read_stdin() -> anyhow::Result<(Vec<u8>, String)> {
    let mut bytes = Vec::new();
    io::stdin()
        .read_to_end(&mut bytes)
        .context("reading standard input")?;
    Ok((bytes, "<stdin>".to_owned()))
}

/// The input as text, or an error naming where the first invalid byte is.
fn decode_text(bytes: Vec<u8>, name: &str) -> anyhow::Result<String> {
    String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let bytes = error.as_bytes();
        let prefix = bytes.get(..valid).unwrap_or_default();
        let line = prefix.iter().filter(|b| **b == b'\n').count() + 1;
        let column = prefix.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        anyhow::anyhow!(
            "{name}:{line}:{column}: error: the file is not UTF-8 text (invalid byte 0x{:02x}); a Butane config must be YAML text",
            bytes.get(valid).copied().unwrap_or_default()
        )
    })
}

fn run_butane(args: &ButaneArgs) -> anyhow::Result<ExitCode> {
    let target = match &args.ignition_version {
        Some(text) => Some(Spec::parse(text).with_context(|| {
            format!(
                "unknown Ignition spec version {text}; use one of {}",
                Spec::ALL.map(Spec::as_str).join(", ")
            )
        })?),
        None => None,
    };
    let files_dir = match &args.files_dir {
        Some(dir) => Some(
            FilesDir::open(dir)
                .with_context(|| format!("opening files directory {}", dir.display()))?,
        ),
        None => None,
    };
    let (bytes, name) = read_input(args.input.as_deref())?;
    let source = decode_text(bytes, &name)?;
    let style = if args.pretty {
        butane::JsonStyle::Pretty
    } else {
        butane::JsonStyle::Compact
    };
    let options = butane::Options {
        files_dir,
        target,
        json: (!args.check).then_some(style),
    };
    let outcome = butane::compile(&source, &name, &options);
    report(&outcome.diagnostics, &source, args.raw_errors);
    let Some(config) = outcome.config else {
        bail!("Error translating config: the config has errors (see above)");
    };
    if args.strict && outcome.diagnostics.has_warnings() {
        bail!("Config produced warnings and --strict was specified");
    }
    if args.check {
        return Ok(ExitCode::SUCCESS);
    }
    let json = outcome
        .json
        .unwrap_or_else(|| butane::to_json(&config, style));
    match &args.output {
        Some(path) => write_atomic(path, &json, Visibility::Public)?,
        None => {
            let mut stdout = io::stdout().lock();
            if let Err(error) = stdout.write_all(&json).and_then(|()| stdout.flush()) {
                // A reader that went away (`| head`) is not a failure.
                if error.kind() != io::ErrorKind::BrokenPipe {
                    return Err(error).context("writing standard output");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_schema(args: &SchemaArgs) -> anyhow::Result<ExitCode> {
    use crate::fleet::manifest::{Kind, json_schema};
    let kind = match args.kind {
        SchemaKind::Fleet => Kind::Fleet,
        SchemaKind::Host => Kind::Host,
        SchemaKind::Service => Kind::Service,
    };
    print(json_schema(kind).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// A config ready to boot: where it is and what it holds.
struct VmConfig {
    path: std::path::PathBuf,
    /// Holds `path` when kindling wrote it; removed after the VM ends.
    _dir: Option<tempfile::TempDir>,
    version: String,
    secret: bool,
}

/// Compiles `args.host` (a fleet host, a `.bu` file, or an `.ign` file used
/// as it is) into a temporary file, 0600 when the config holds secrets.
fn vm_config(args: &VmArgs, target: Option<Spec>) -> anyhow::Result<VmConfig> {
    let host = Path::new(&args.host);
    let extension = host.extension().and_then(|e| e.to_str());
    if extension == Some("ign") {
        let text =
            std::fs::read_to_string(host).with_context(|| format!("reading {}", host.display()))?;
        let version = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["ignition"]["version"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "?".to_owned());
        return Ok(VmConfig {
            path: host.to_path_buf(),
            _dir: None,
            version,
            secret: false,
        });
    }
    let (name, config, secret) = if extension == Some("bu") || host.is_file() {
        let (bytes, name) = read_input(Some(host))?;
        let source = decode_text(bytes, &name)?;
        let dir = match &args.files_dir {
            Some(dir) => dir.clone(),
            None => match host.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            },
        };
        let files_dir = FilesDir::open(&dir)
            .with_context(|| format!("opening files directory {}", dir.display()))?;
        let options = butane::Options {
            files_dir: Some(files_dir),
            target,
            json: None,
        };
        let outcome = butane::compile(&source, &name, &options);
        report(&outcome.diagnostics, &source, args.fleet.raw_errors);
        let Some(config) = outcome.config else {
            bail!("cannot boot {name}: the config has errors (see above)");
        };
        let stem = host
            .file_stem()
            .map_or_else(|| "host".to_owned(), |s| s.to_string_lossy().into_owned());
        (stem, config, false)
    } else {
        let options = fleet_options(&args.fleet, vec![args.host.clone()], target)?;
        let build = fleet::compile(&options);
        report_fleet(&build, args.fleet.raw_errors);
        let Some(output) = build.outputs.into_iter().find(|o| o.name == args.host) else {
            bail!(
                "cannot boot {}: no such host compiled in {} ({} error(s)); \
                 HOST is a fleet host name, a .bu file or an .ign file",
                args.host,
                args.fleet.fleet.display(),
                build.diagnostics.iter().filter(|d| d.is_error()).count()
            );
        };
        if build.diagnostics.has_errors() {
            bail!(
                "cannot boot {}: the fleet has errors (see above)",
                args.host
            );
        }
        (output.name, output.config, output.secret)
    };
    let dir = tempfile::Builder::new()
        .prefix(&format!("kindling-vm-{name}-"))
        .tempdir()
        .context("creating a temporary directory")?;
    let path = dir.path().join(format!("{name}.ign"));
    let visibility = if secret {
        Visibility::Secret
    } else {
        Visibility::Public
    };
    write_atomic(
        &path,
        &butane::to_json(&config, butane::JsonStyle::Compact),
        visibility,
    )?;
    Ok(VmConfig {
        path,
        _dir: Some(dir),
        version: config.ignition.version,
        secret,
    })
}

fn run_vm(args: &VmArgs) -> anyhow::Result<ExitCode> {
    use crate::vm::{self, Accel, Boot, Console, VmError, VmSpec};
    use std::time::Duration;

    let target = parse_target(args.ignition_version.as_ref())?;
    // Fail on a missing image or kernel before compiling anything.
    let boot = match (&args.image, &args.kernel, &args.initrd) {
        (Some(image), _, _) => {
            if !image.is_file() {
                bail!("{}", VmError::ImageMissing(image.clone()));
            }
            Boot::Disk {
                image: image.clone(),
            }
        }
        (None, Some(kernel), Some(initrd)) => Boot::Kernel {
            kernel: kernel.clone(),
            initrd: initrd.clone(),
            append: args.append.clone(),
        },
        _ => bail!(
            "nothing to boot: pass --image DISK.qcow2, or --kernel FILE --initrd FILE; {}",
            vm::IMAGE_HINT
        ),
    };
    let config = vm_config(args, target)?;
    eprintln!(
        "kindling vm: {} → {} (Ignition {}{})",
        args.host,
        config.path.display(),
        config.version,
        if config.secret {
            ", mode 0600: it holds secrets"
        } else {
            ""
        }
    );
    let spec = VmSpec {
        config: config.path.clone(),
        boot: boot.clone(),
        memory_mib: args.memory,
        cpus: args.cpus,
        console: args
            .console
            .as_ref()
            .map_or(Console::Stdio, |p| Console::File(p.clone())),
        ssh_forward: true,
        accel: match args.accel {
            AccelArg::Auto => None,
            AccelArg::Kvm => Some(Accel::Kvm),
            AccelArg::Tcg => Some(Accel::Tcg),
        },
        timeout: args.timeout.map(Duration::from_secs),
    };
    let running = vm::start(&spec)?;
    let accel = match (running.accel(), args.accel) {
        (Accel::Tcg, AccelArg::Auto) => "TCG (KVM is not usable here)",
        (Accel::Tcg, _) => "TCG",
        (Accel::Kvm, _) => "KVM",
    };
    match &boot {
        Boot::Disk { image } => eprintln!(
            "kindling vm: booting {} on a throwaway overlay (the image is not modified), {accel}, {} MiB, {} CPU(s)",
            image.display(),
            args.memory,
            args.cpus
        ),
        Boot::Kernel { kernel, initrd, .. } => eprintln!(
            "kindling vm: booting kernel {} with initrd {}, {accel}, {} MiB, {} CPU(s)",
            kernel.display(),
            initrd.display(),
            args.memory,
            args.cpus
        ),
    }
    if let Some(port) = running.ssh_port() {
        eprintln!("kindling vm: ssh: ssh -p {port} core@127.0.0.1");
    }
    match &args.console {
        Some(path) => eprintln!("kindling vm: serial console → {}", path.display()),
        None => eprintln!("kindling vm: serial console below; Ctrl-a x quits qemu"),
    }
    let outcome = running.wait()?;
    eprintln!(
        "kindling vm: qemu exited ({}) after {:.1}s",
        outcome.status,
        outcome.elapsed.as_secs_f64()
    );
    Ok(if outcome.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
