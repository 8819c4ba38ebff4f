//! `kindling iso HOST... --base LIVE.iso`: one customized live ISO per host
//! ([`crate::provision::iso`]): by default an installer ISO whose live
//! system checks it is on the host's machine and installs the host's config
//! to `install.device` ([`crate::provision::install`]), with `--live` the
//! host's config as the live system's own; and `kindling iso show FILE.iso`:
//! what an ISO embeds.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use rayon::prelude::*;

use super::common::{compile_for_media, fleet_options, host_output, host_plans, out_dir, print};
use crate::cli::{IsoArgs, IsoCommand, IsoShowArgs};
use crate::dataurl;
use crate::fleet::HostOutput;
use crate::fleet::install::InstallPlan;
use crate::fleet::resolve::HostPlan;
use crate::provision::initrd::{CONFIG_PATH, Initrd};
use crate::provision::install::{self, DEST_PATH, GUARD_PATH, INSTALLER_DIR, Mode};
use crate::provision::iso::{Customization, Embedded, IgnitionFoundBy, KargsFoundBy, LiveIso};
use crate::serve::{self, token, token::FleetKey};
use crate::write::Visibility;
use crate::yaml;

pub fn run(args: &IsoArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        Some(IsoCommand::Show(show_args)) => show(show_args),
        None => write_isos(args),
    }
}

/// One host's ISO, ready to write.
struct Planned<'a> {
    output: &'a HostOutput,
    path: PathBuf,
    custom: Customization,
    /// For an installer ISO: where it installs, on which machine.
    installs: Option<&'a InstallPlan>,
    /// `--pointer`: it carries a token for the config, not the config.
    pointer: bool,
}

/// Fails unless `base`'s live image can run an installer config, and one
/// with consoles when `plan` gives some (coreos/features.json says so).
fn check_installer_features(base: &LiveIso, plan: &InstallPlan) -> anyhow::Result<()> {
    let features = base.features();
    if !features.installer_config {
        bail!(
            "{}'s live image cannot install from a config (its coreos/features.json lacks \
             installer-config: a live ISO from before 2021-12); start from a newer live ISO, \
             or pass --live",
            base.path().display()
        );
    }
    if !plan.console.is_empty() && !features.installer_config_directives.console {
        bail!(
            "{}'s installer cannot set the installed system's console (its \
             coreos/features.json lacks installer-config-directives.console); start from a \
             newer live ISO, or drop install.console",
            base.path().display()
        );
    }
    Ok(())
}

fn write_isos(args: &IsoArgs) -> anyhow::Result<ExitCode> {
    let Some(base_path) = &args.base else {
        bail!("no base ISO: pass --base LIVE.iso (a pristine CoreOS live ISO)");
    };
    // The base is checked before anything is compiled.
    let base = LiveIso::open(base_path)?;
    base.check_pristine()?;
    let out = out_dir(&args.fleet, &args.out);

    let options = fleet_options(&args.fleet, args.hosts.clone(), args.ignition_version)?;
    let build = compile_for_media(&options, &args.fleet)?;
    let plans = if args.live {
        BTreeMap::new()
    } else {
        host_plans(&args.fleet, &args.hosts, &out)
    };
    let pointer_key = args
        .token_key
        .as_deref()
        .map(|path| FleetKey::read(path).with_context(|| format!("--token-key {}", path.display())))
        .transpose()?;
    let mut planned = Vec::new();
    for host in &args.hosts {
        let output = host_output(&build, host, &args.fleet)?;
        let installs = plans.get(host).and_then(HostPlan::install);
        let mode = if args.live { Mode::Live } else { Mode::Install };
        let dest = match (&args.pointer, &pointer_key) {
            (Some(url), Some(key)) => pointer_config(url, key, &out, output)?,
            _ => output.json.clone(),
        };
        let live_config = install::live_config(mode, host, installs, &dest)
            .map_err(|e| anyhow::anyhow!("{e}; nothing written\n  help: {}", e.help()))?;
        let (installs, kargs) = match (mode, installs) {
            (Mode::Install, Some(plan)) => {
                check_installer_features(&base, plan)?;
                let extra = install::live_kargs(Some(plan));
                let kargs = match base.kargs() {
                    Some(areas) if !extra.is_empty() => Some(areas.default_plus(&extra)),
                    _ => None,
                };
                (Some(plan), kargs)
            }
            _ => (None, None),
        };
        let initrd = Initrd::with_config(&live_config)
            .to_xz()
            .with_context(|| format!("packing {host}'s live config"))?;
        let custom = Customization { initrd, kargs };
        base.check_fits(&custom)
            .with_context(|| format!("{host}: nothing written"))?;
        planned.push(Planned {
            output,
            path: out.join(format!("{host}.iso")),
            custom,
            installs,
            pointer: args.pointer.is_some(),
        });
    }

    fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let results: Vec<anyhow::Result<()>> = planned
        .par_iter()
        .map(|plan| {
            base.customize(&plan.custom, &plan.path, visibility(plan.output))
                .with_context(|| format!("writing {}'s ISO", plan.output.name))
        })
        .collect();
    let mut failed = 0;
    for (plan, result) in planned.iter().zip(results) {
        match result {
            Ok(()) => report_written(&base, plan),
            Err(error) => {
                failed += 1;
                eprintln!("kindling: {error:#}");
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} ISO(s) not written", planned.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// `--pointer URL`: what is embedded instead of the host's config. Its
/// hash names the host's config published in `out`, which must be what the
/// fleet compiles to now: the machine refuses a config of another hash.
fn pointer_config(
    url: &str,
    key: &FleetKey,
    out: &Path,
    output: &HostOutput,
) -> anyhow::Result<Vec<u8>> {
    let compiled = crate::digest::sha512_verification(&output.json);
    let published = serve::generation::load(out, &[])
        .ok()
        .and_then(|generation| {
            let host = generation.hosts.get(&output.name)?;
            host.config.as_ref().and_then(|config| config.sha512().ok())
        });
    if published.as_deref() != Some(compiled.as_str()) {
        bail!(
            "{}: {} holds no published build of {} equal to what the fleet compiles to now, \
             and the pointer's hash must name what `kindling serve` serves; run `kindling build \
             --out {}` first; nothing written",
            output.name,
            out.display(),
            output.name,
            out.display()
        );
    }
    Ok(token::pointer_config(url, &output.name, &compiled, key).into_bytes())
}

fn visibility(output: &HostOutput) -> Visibility {
    if output.secrets.any() {
        Visibility::Secret
    } else {
        Visibility::Public
    }
}

fn report_written(base: &LiveIso, plan: &Planned) {
    let (area, _) = base.ignition_area();
    eprintln!(
        "kindling iso: {} → {} (config {} of {} bytes of the embed area{})",
        plan.output.name,
        plan.path.display(),
        plan.custom.initrd.len(),
        area.length,
        plan.custom
            .kargs
            .as_ref()
            .map(|k| format!("; kernel arguments: {k}"))
            .unwrap_or_default()
    );
    if let Some(installs) = plan.installs {
        eprintln!(
            "kindling iso: {} installs {} to {} without asking, on a machine with a NIC {}{}; \
             on any other it stops before touching a disk",
            plan.path.display(),
            plan.output.name,
            installs.device.as_deref().unwrap_or_default(),
            installs.macs.join(" or "),
            installs
                .uuid
                .as_deref()
                .map(|u| format!(" and DMI product UUID {u}"))
                .unwrap_or_default()
        );
    }
    if plan.pointer {
        eprintln!(
            "kindling iso: {} carries a pointer config: {}'s bearer token for `kindling serve`, \
             not its config",
            plan.path.display(),
            plan.output.name
        );
    } else if visibility(plan.output) == Visibility::Secret {
        eprintln!(
            "kindling iso: warning: {} embeds secrets; it is mode 0600, but anyone holding \
             the medium can read its config (`kindling iso show`, `coreos-installer iso \
             ignition show`)",
            plan.path.display()
        );
    }
}

/// What an installer live config carries for the installer.
#[derive(Debug, Default)]
struct InstallerView {
    dest_config: Option<Vec<u8>>,
    /// (path, contents) of each installer config file.
    installer_configs: Vec<(String, String)>,
    dest_device: Option<String>,
    /// The live config carries kindling's wrong-machine guard.
    guarded: bool,
}

/// Reads the destination config and installer configs out of a live
/// config's `storage.files` (data URLs only: that is how they are carried).
fn installer_view(live: &[u8]) -> anyhow::Result<InstallerView> {
    let config: serde_json::Value =
        serde_json::from_slice(live).context("the live config is not JSON")?;
    let mut view = InstallerView::default();
    let files = config
        .pointer("/storage/files")
        .and_then(|f| f.as_array())
        .map(Vec::as_slice)
        .unwrap_or_default();
    for file in files {
        let Some(path) = file.get("path").and_then(|p| p.as_str()) else {
            continue;
        };
        view.guarded |= path == GUARD_PATH;
        if path != DEST_PATH && !path.starts_with(INSTALLER_DIR) {
            continue;
        }
        let Some(source) = file.pointer("/contents/source").and_then(|s| s.as_str()) else {
            continue;
        };
        let compression = file
            .pointer("/contents/compression")
            .and_then(|c| c.as_str());
        let bytes = dataurl::decode_resource(source, compression, dataurl::MAX_DECODED_BYTES)
            .with_context(|| format!("decoding {path} in the live config"))?;
        if path == DEST_PATH {
            view.dest_config = Some(bytes);
        } else {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Ok(Some(node)) = yaml::parse(&text)
                && let Some(device) = node
                    .get("dest-device")
                    .and_then(|d| d.as_scalar())
                    .map(|s| s.text.clone())
            {
                view.dest_device = Some(device);
            }
            view.installer_configs.push((path.to_owned(), text));
        }
    }
    Ok(view)
}

fn show(args: &IsoShowArgs) -> anyhow::Result<ExitCode> {
    let iso = LiveIso::open(&args.iso)?;
    let embedded = iso.embedded()?;
    let live = embedded.initrd.get(CONFIG_PATH);
    if args.live_config {
        let Some(live) = live else {
            bail!("{} embeds no live config", args.iso.display());
        };
        print(live)?;
        return Ok(ExitCode::SUCCESS);
    }
    let view = live.map(installer_view).transpose()?.unwrap_or_default();
    if args.dest_config {
        let Some(dest) = &view.dest_config else {
            bail!(
                "{} embeds no destination config (it is not an installer ISO)",
                args.iso.display()
            );
        };
        print(dest)?;
        return Ok(ExitCode::SUCCESS);
    }
    print(show_text(&args.iso, &iso, &embedded, &view).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn show_text(path: &Path, iso: &LiveIso, embedded: &Embedded, view: &InstallerView) -> String {
    let mut text = format!("live ISO: {}\n", path.display());
    let (area, found_by) = iso.ignition_area();
    let found_by = match found_by {
        IgnitionFoundBy::IgnInfo => "coreos/igninfo.json",
        IgnitionFoundBy::DefaultFile => "images/ignition.img",
        IgnitionFoundBy::LegacyHeader => "the legacy coreiso+ header",
    };
    text.push_str(&format!(
        "Ignition embed area: {} bytes at offset {} (found by {found_by}), {} used\n",
        area.length, area.offset, embedded.used
    ));
    match &embedded.kargs {
        Some(kargs) => {
            let found_by = match kargs.found_by {
                KargsFoundBy::KargsJson => "coreos/kargs.json",
                KargsFoundBy::LegacyHeader => "the legacy coreKarg header",
            };
            text.push_str(&format!(
                "kernel arguments: {}\n  default: {}\n  ({} areas of {} bytes, found by {found_by})\n",
                kargs.current,
                kargs.default,
                kargs.slots.len(),
                kargs.size
            ));
        }
        None => text.push_str("kernel arguments: the image has no kernel argument areas\n"),
    }
    let others: Vec<&str> = embedded
        .initrd
        .members()
        .map(|(p, _)| p)
        .filter(|p| *p != CONFIG_PATH)
        .collect();
    if !others.is_empty() {
        text.push_str(&format!("other embedded files: {}\n", others.join(", ")));
    }
    let Some(live) = embedded.initrd.get(CONFIG_PATH) else {
        text.push_str("live config: none (the embed area is empty)\n");
        return text;
    };
    match (&view.dest_device, &view.dest_config) {
        (Some(device), _) => text.push_str(&format!(
            "installer ISO: installs to {device} without asking\n"
        )),
        (None, Some(_)) => text.push_str("installer ISO (no target device given)\n"),
        (None, None) => text.push_str("live ISO: the config applies to the live system\n"),
    }
    if view.guarded {
        text.push_str(&format!(
            "wrong-machine guard: {GUARD_PATH} runs before the installer and stops it on a \
             machine without a listed MAC\n"
        ));
    }
    text.push_str(&format!(
        "\nlive config ({CONFIG_PATH}, {} bytes):\n",
        live.len()
    ));
    push_config(&mut text, live);
    for (path, contents) in &view.installer_configs {
        text.push_str(&format!("\ninstaller config {path}:\n{contents}"));
        if !contents.ends_with('\n') {
            text.push('\n');
        }
    }
    if let Some(dest) = &view.dest_config {
        text.push_str(&format!(
            "\ndestination config ({DEST_PATH}, {} bytes, sha256 {}):\n",
            dest.len(),
            crate::digest::sha256_hex(dest)
        ));
        push_config(&mut text, dest);
    }
    text
}

/// A config pretty-printed when it is JSON, else as text.
fn push_config(text: &mut String, bytes: &[u8]) {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(value) => {
            text.push_str(&serde_json::to_string_pretty(&value).unwrap_or_default());
            text.push('\n');
        }
        Err(_) => {
            text.push_str(&String::from_utf8_lossy(bytes));
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
    }
}
