//! `kindling serve`: the build directory over HTTP(S) for PXE and ISO
//! installs ([`crate::serve`]); also `--rearm`, `--pointer` and
//! `--dnsmasq-example`, which print or write and exit.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

use super::common::print;
use crate::cli::{LogFormatArg, ServeArgs};
use crate::fleet;
use crate::fleet::load;
use crate::fleet::resolve::HostPlan;
use crate::serve::log::LogFormat;
use crate::serve::token::{FleetKey, pointer_config};
use crate::serve::{self, Config, HostInfo, HostSource, Limits, OsFamily, Tls};

/// The hosts' provisioning facts (`os:`, `install:`) from the fleet's
/// manifests, read again for every new build. Nothing is decrypted.
fn fleet_hosts(root: &Path, build: &Path) -> HostSource {
    let root = root.to_path_buf();
    let build = build.to_path_buf();
    Arc::new(move || {
        let (inventory, mut diagnostics) =
            load::load(&root, fleet::exclusions(&root, Some(&build), None));
        let (plans, findings) = fleet::fleetwide::plan_hosts(&inventory, &[]);
        diagnostics.extend(findings);
        if diagnostics.has_errors() {
            return Err(format!(
                "{}: the fleet does not load; `kindling check` says why",
                root.display()
            ));
        }
        let mut hosts = Vec::new();
        for (name, plan) in &plans {
            let mut info = HostInfo::named(name);
            if let HostPlan::Manifest(plan) = plan {
                info.os = OsFamily::of(&plan.os.0);
            }
            if let Some(install) = plan.install() {
                for mac in &install.macs {
                    info.macs
                        .push(mac.parse().map_err(|e| format!("{name}: {e}"))?);
                }
                info.install = Some(install.clone());
            }
            hosts.push(info);
        }
        Ok(hosts)
    })
}

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    if args.dnsmasq_example {
        let url = args
            .url
            .clone()
            .unwrap_or_else(|| format!("http://{}", args.listen));
        print(serve::dnsmasq_example(url.trim_end_matches('/')).as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(host) = &args.rearm {
        let hosts = fleet_hosts(&args.fleet, &args.build)().map_err(anyhow::Error::msg)?;
        if !hosts.iter().any(|h| h.name == *host) {
            bail!(
                "--rearm {host}: {} has no host {host:?} (hosts: {})",
                args.fleet.display(),
                hosts
                    .iter()
                    .map(|h| h.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let path = serve::rearm(&args.build, host)?;
        eprintln!(
            "kindling: {host} re-armed ({}); its next boot installs again",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let fleet_key = args
        .token_key
        .as_deref()
        .map(|path| FleetKey::read(path).with_context(|| format!("--token-key {}", path.display())))
        .transpose()?;
    if let Some(host) = &args.pointer {
        return pointer(args, host, fleet_key.as_ref());
    }
    let config = Config {
        build: args.build.clone(),
        listen: args.listen,
        assets: args.assets.clone(),
        tls: args
            .tls_cert
            .clone()
            .zip(args.tls_key.clone())
            .map(|(cert, key)| Tls { cert, key }),
        allow: args.allow.clone(),
        once: args.once,
        insecure_http: args.insecure_http,
        url: args.url.clone(),
        fleet_key,
        require_token: args.require_token,
        log_format: match args.log_format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        },
        limits: Limits {
            max_connections: args.max_connections.max(1),
            header_timeout: Duration::from_secs(args.header_timeout.max(1)),
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
            drain_timeout: Duration::from_secs(args.drain_timeout),
            ..Limits::default()
        },
        hosts: fleet_hosts(&args.fleet, &args.build),
        poll: Duration::from_millis(500),
    };
    // Registered before the server starts, so a signal never finds the
    // default action (death without saving the install state).
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
    let server = serve::start(config)?;
    let stopper = server.stopper();
    std::thread::spawn(move || {
        let mut received = signals.forever();
        if received.next().is_some() {
            stopper.stop();
        }
        // A second signal: the operator does not want to wait.
        if received.next().is_some() {
            eprintln!(
                "kindling serve: second signal: exiting without waiting for requests in flight"
            );
            std::process::exit(1);
        }
    });
    let stopped = server.wait();
    match stopped.state_error {
        Some(e) => bail!("the install state was not saved: {e}"),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// `--pointer HOST`: the small config an ISO embeds instead of HOST's.
fn pointer(args: &ServeArgs, host: &str, key: Option<&FleetKey>) -> anyhow::Result<ExitCode> {
    let (Some(key), Some(url)) = (key, &args.url) else {
        bail!("--pointer needs --token-key and --url");
    };
    let generation = serve::generation::load(&args.build, &[])
        .with_context(|| format!("reading the build in {}", args.build.display()))?;
    let Some(config) = generation.hosts.get(host).and_then(|h| h.config.as_ref()) else {
        bail!(
            "{host} is not in the build in {}; run `kindling build` first",
            args.build.display()
        );
    };
    let sha512 = config
        .sha512()
        .with_context(|| format!("reading {host}'s config in {}", args.build.display()))?;
    print(pointer_config(url, host, &sha512, key).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
