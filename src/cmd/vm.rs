//! `kindling vm HOST`: compile a host (a fleet host name, or a file loaded
//! through [`crate::source`]: Butane, a fleet host manifest, or Ignition
//! used as it is) and boot it in qemu through [`crate::vm`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};

use super::common::{compile_reported, fleet_options, identity_env, load_reported, open_files_dir};
use crate::butane;
use crate::cli::{AccelArg, VmArgs};
use crate::ignition::model::Config;
use crate::source::{self, ConfigSource, LoadOptions, SourceError, SourceKind};
use crate::vm::{self, Accel, Boot, Console, VmError, VmSpec};
use crate::write::{Visibility, write_atomic};

/// A config ready to boot: where it is and what it holds.
struct VmConfig {
    path: PathBuf,
    /// Holds `path` when kindling wrote it; removed after the VM ends.
    _dir: Option<tempfile::TempDir>,
    version: String,
    secret: bool,
}

/// A config kindling compiled for the VM, before it is written.
struct Compiled {
    /// Names the temporary directory and file.
    name: String,
    config: Config,
    secret: bool,
}

/// Compiles `args.host` (a fleet host, or a file: Butane, a fleet host
/// manifest, or Ignition used as it is) into a temporary file, 0600 when
/// the config holds secrets.
fn vm_config(args: &VmArgs) -> anyhow::Result<VmConfig> {
    let host = Path::new(&args.host);
    let extension = host.extension().and_then(|e| e.to_str());
    let compiled = if matches!(extension, Some("ign" | "bu")) || host.is_file() {
        let source = ConfigSource::read(Some(host))?;
        if source.kind == SourceKind::Ignition {
            return Ok(VmConfig {
                path: host.to_path_buf(),
                _dir: None,
                version: source::ignition_version(source.bytes()).unwrap_or_else(|| "?".to_owned()),
                secret: false,
            });
        }
        compile_file(args, host, &source)?
    } else {
        compile_fleet_host(args)?
    };
    write_config(compiled)
}

/// A Butane file or a fleet host manifest, loaded through [`crate::source`].
fn compile_file(args: &VmArgs, host: &Path, source: &ConfigSource) -> anyhow::Result<Compiled> {
    let files_dir = if source.kind == SourceKind::Butane {
        // `local` paths are relative to the Butane file by default.
        let dir = match &args.files_dir {
            Some(dir) => dir.clone(),
            None => match host.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
                _ => PathBuf::from("."),
            },
        };
        open_files_dir(Some(&dir))?
    } else {
        None
    };
    let options = LoadOptions {
        files_dir,
        target: args.ignition_version,
        identity: args.fleet.identity.clone(),
        identity_env: identity_env(),
    };
    let loaded = match load_reported(source, &options, args.fleet.raw_errors) {
        Ok(loaded) => loaded,
        Err(SourceError::Butane { name, .. }) => {
            bail!("cannot boot {name}: the config has errors (see above)")
        }
        Err(error) => return Err(error.into()),
    };
    Ok(Compiled {
        name: host
            .file_stem()
            .map_or_else(|| "host".to_owned(), |s| s.to_string_lossy().into_owned()),
        config: loaded.config,
        secret: loaded.secrets.any(),
    })
}

/// The host named `args.host` in the fleet at `--fleet`.
fn compile_fleet_host(args: &VmArgs) -> anyhow::Result<Compiled> {
    let options = fleet_options(&args.fleet, vec![args.host.clone()], args.ignition_version)?;
    let build = compile_reported(&options, &args.fleet);
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
    Ok(Compiled {
        name: output.name,
        config: output.config,
        secret: output.secrets.any(),
    })
}

/// Writes `compiled` into a temporary directory that lives as long as the
/// returned [`VmConfig`].
fn write_config(compiled: Compiled) -> anyhow::Result<VmConfig> {
    let Compiled {
        name,
        config,
        secret,
    } = compiled;
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

/// What to boot, checked before anything is compiled.
fn boot(args: &VmArgs) -> anyhow::Result<Boot> {
    Ok(match (&args.image, &args.kernel, &args.initrd) {
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
            "nothing to boot: pass --image DISK.qcow2, --kernel FILE --initrd FILE, or --iso FILE.iso; {}",
            vm::IMAGE_HINT
        ),
    })
}

/// `--iso`: the ISO carries its config; nothing is compiled.
fn run_iso(args: &VmArgs, iso: &Path) -> anyhow::Result<ExitCode> {
    let uefi = if args.uefi {
        Some(vm::uefi_firmware()?)
    } else {
        None
    };
    let boot = Boot::Iso {
        iso: iso.to_path_buf(),
        target: args.target_disk.clone(),
        mac: args.mac.clone(),
        uefi: uefi.clone(),
        uuid: args.uuid.clone(),
    };
    let spec = spec(args, None, boot);
    let running = vm::start(&spec)?;
    let target = match (&args.target_disk, running.target()) {
        (Some(disk), _) => format!("target disk {}", disk.display()),
        (None, Some(blank)) => format!(
            "a blank {} target disk ({}, removed afterwards)",
            vm::BLANK_DISK_SIZE,
            blank.display()
        ),
        (None, None) => "no target disk".to_owned(),
    };
    eprintln!(
        "kindling vm: {}: booting {} from a CD drive{}, {target} (/dev/disk/by-id/virtio-{}), {}, {} MiB, {} CPU(s){}",
        args.host,
        iso.display(),
        uefi.map(|f| format!(" with UEFI ({})", f.display()))
            .unwrap_or_default(),
        vm::TARGET_SERIAL,
        accel_text(running.accel(), args.accel),
        args.memory,
        args.cpus,
        args.mac
            .as_ref()
            .map(|m| format!(", NIC {m}"))
            .unwrap_or_default()
    );
    finish(args, running)
}

/// The VM `args` ask for, booting `boot` with `config` (if any) on fw_cfg.
fn spec(args: &VmArgs, config: Option<PathBuf>, boot: Boot) -> VmSpec {
    VmSpec {
        config,
        boot,
        memory_mib: args.memory,
        cpus: args.cpus,
        console: args
            .console
            .as_ref()
            .map_or(Console::Stdio, |p| Console::File(p.clone())),
        ssh_forward: true,
        accel: accel(args),
        timeout: args.timeout.map(Duration::from_secs),
    }
}

fn accel(args: &VmArgs) -> Option<Accel> {
    match args.accel {
        AccelArg::Auto => None,
        AccelArg::Kvm => Some(Accel::Kvm),
        AccelArg::Tcg => Some(Accel::Tcg),
    }
}

fn accel_text(accel: Accel, asked: AccelArg) -> &'static str {
    match (accel, asked) {
        (Accel::Tcg, AccelArg::Auto) => "TCG (KVM is not usable here)",
        (Accel::Tcg, _) => "TCG",
        (Accel::Kvm, _) => "KVM",
    }
}

/// Prints where the console and ssh are, waits for qemu, and turns its
/// exit into ours.
fn finish(args: &VmArgs, running: vm::RunningVm) -> anyhow::Result<ExitCode> {
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

pub fn run(args: &VmArgs) -> anyhow::Result<ExitCode> {
    if let Some(iso) = &args.iso {
        return run_iso(args, iso);
    }
    let boot = boot(args)?;
    let config = vm_config(args)?;
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
    let spec = spec(args, Some(config.path.clone()), boot.clone());
    let running = vm::start(&spec)?;
    let accel = accel_text(running.accel(), args.accel);
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
        // `run_iso` boots ISOs.
        Boot::Iso { .. } => {}
    }
    finish(args, running)
}
