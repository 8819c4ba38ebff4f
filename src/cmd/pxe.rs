//! `kindling pxe HOST...`: per host the files a network boot needs
//! ([`crate::provision::pxe`]): `<host>.ipxe`, `<host>.kargs` (the same
//! kernel arguments, for other boot loaders) and, for Fedora CoreOS hosts,
//! `<host>.ignition.img`, the live system's config as an initrd.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};

use super::common::{compile_for_media, fleet_options, host_output, host_plans, out_dir};
use crate::cli::PxeArgs;
use crate::fleet::HostOutput;
use crate::fleet::install::InstallPlan;
use crate::fleet::resolve::HostPlan;
use crate::provision::initrd::Initrd;
use crate::provision::pxe::{self, ConfigFrom, Media, OsFamily, PxeHost, Rootfs};
use crate::write::{Visibility, write_atomic};

/// The distributions' PXE files, by the names the scripts use (Fedora
/// CoreOS publishes them with the version in the name: rename or link).
const FCOS_KERNEL: &str = "fedora-coreos-live-kernel-x86_64";
const FCOS_INITRAMFS: &str = "fedora-coreos-live-initramfs.x86_64.img";
const FCOS_ROOTFS: &str = "fedora-coreos-live-rootfs.x86_64.img";
const FLATCAR_KERNEL: &str = "flatcar_production_pxe.vmlinuz";
const FLATCAR_INITRAMFS: &str = "flatcar_production_pxe_image.cpio.gz";

/// One host's files, ready to write.
struct Planned<'a> {
    output: &'a HostOutput,
    /// (path, contents, visibility).
    files: Vec<(PathBuf, Vec<u8>, Visibility)>,
    /// What the live system does, for the report.
    does: String,
}

pub fn run(args: &PxeArgs) -> anyhow::Result<ExitCode> {
    let out = out_dir(&args.fleet, &args.out);
    let url = args.url.as_deref().map(|u| u.trim_end_matches('/'));
    let options = fleet_options(&args.fleet, args.hosts.clone(), args.ignition_version)?;
    let build = compile_for_media(&options, &args.fleet)?;
    let plans = host_plans(&args.fleet, &args.hosts, &out);
    let mut planned = Vec::new();
    for host in &args.hosts {
        let output = host_output(&build, host, &args.fleet)?;
        let plan = plans.get(host);
        let os = match plan {
            Some(HostPlan::Manifest(plan)) => OsFamily::of(&plan.os.0),
            _ => OsFamily::CoreOs,
        };
        // --live keeps the consoles and drops the install.
        let install: Option<InstallPlan> = plan.and_then(HostPlan::install).map(|plan| {
            let mut plan = plan.clone();
            if args.live {
                plan.device = None;
            }
            plan
        });
        let pxe_host = PxeHost {
            name: host,
            os,
            install: install.as_ref(),
        };
        planned.push(plan_host(&pxe_host, output, &out, url)?);
    }

    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    for plan in &planned {
        for (path, bytes, visibility) in &plan.files {
            write_atomic(path, bytes, *visibility)
                .with_context(|| format!("writing {}'s PXE files", plan.output.name))?;
        }
        report(plan);
    }
    Ok(ExitCode::SUCCESS)
}

/// `host`'s files under `out`, the scripts naming the boot files under
/// `url` (or relative to the script).
fn plan_host<'a>(
    host: &PxeHost,
    output: &'a HostOutput,
    out: &Path,
    url: Option<&str>,
) -> anyhow::Result<Planned<'a>> {
    let name = host.name;
    let at = |file: &str| match url {
        Some(url) => format!("{url}/{file}"),
        None => file.to_owned(),
    };
    let secret = if output.secrets.any() {
        Visibility::Secret
    } else {
        Visibility::Public
    };
    let mut files = Vec::new();
    let (kernel, initramfs, rootfs, config) = match host.os {
        OsFamily::CoreOs => {
            let live = host
                .live_config(&output.json)
                .map_err(|e| anyhow!("{e} ({})", e.help()))?;
            let image = Initrd::with_config(&live)
                .to_xz()
                .with_context(|| format!("packing {name}'s live config"))?;
            files.push((out.join(format!("{name}.ignition.img")), image, secret));
            (
                at(FCOS_KERNEL),
                at(FCOS_INITRAMFS),
                Some(at(FCOS_ROOTFS)),
                at(&format!("{name}.ignition.img")),
            )
        }
        OsFamily::Flatcar => {
            let Some(url) = url else {
                let e = pxe::PxeError::FlatcarNeedsUrl {
                    host: name.to_owned(),
                };
                bail!("{e} ({}); nothing written", e.help());
            };
            let published = out.join(format!("{name}.ign"));
            if fs::read(&published).ok().as_deref() != Some(output.json.as_slice()) {
                eprintln!(
                    "kindling pxe: warning: {} is not {name}'s config as built now; Flatcar \
                     fetches it from {url}/{name}.ign: run `kindling build --out {}`",
                    published.display(),
                    out.display()
                );
            }
            (
                at(FLATCAR_KERNEL),
                at(FLATCAR_INITRAMFS),
                None,
                format!("{url}/{name}.ign"),
            )
        }
    };
    let media = Media {
        kernel: &kernel,
        initramfs: &initramfs,
        rootfs: rootfs.as_deref().map(|r| match url {
            Some(_) => Rootfs::Url(r),
            None => Rootfs::Initrd(r),
        }),
        config: match host.os {
            OsFamily::CoreOs => ConfigFrom::Initrd(&config),
            OsFamily::Flatcar => ConfigFrom::Url(&config),
        },
    };
    let device = host
        .install
        .and_then(|plan| plan.device.as_deref())
        .filter(|_| host.installs());
    let does = match device {
        Some(device) => format!("installs to {device} once the machine's MACs check out"),
        None => format!("runs {} live", host.os.distribution()),
    };
    let wrap = |e: pxe::PxeError| anyhow!("{e} ({})", e.help());
    let script =
        pxe::ipxe_script(host, &media, &format!("kindling pxe: {name} {does}")).map_err(wrap)?;
    let mut kargs = pxe::kernel_args(host, &media).map_err(wrap)?.join(" ");
    kargs.push('\n');
    files.push((
        out.join(format!("{name}.ipxe")),
        script.into_bytes(),
        Visibility::Public,
    ));
    files.push((
        out.join(format!("{name}.kargs")),
        kargs.into_bytes(),
        Visibility::Public,
    ));
    Ok(Planned {
        output,
        files,
        does,
    })
}

fn report(plan: &Planned) {
    let paths: Vec<String> = plan
        .files
        .iter()
        .map(|(path, _, _)| path.display().to_string())
        .collect();
    eprintln!(
        "kindling pxe: {} → {} ({})",
        plan.output.name,
        paths.join(", "),
        plan.does
    );
    for (path, _, visibility) in &plan.files {
        if *visibility == Visibility::Secret {
            eprintln!(
                "kindling pxe: warning: {} embeds secrets; it is mode 0600, but any machine \
                 that can fetch it can read the config (`coreos-installer pxe ignition \
                 unwrap`): serve it only to the machine, or use `kindling serve --once`",
                path.display()
            );
        }
    }
}
