//! `kindling serve`: network provisioning from a build directory, after
//! `write` (it reads what a build published and nothing of the fleet's
//! sources but the hosts' provisioning facts).
//!
//! Routes (see README "Serving over the network"): `/boot.ipxe`, `/ipxe`,
//! `/ignition`, `/assets/...`, `/healthz` and a status page at `/`.
//! Every request is answered from one [`generation::Generation`] (an `Arc`
//! taken once per request), so a build published meanwhile is seen whole
//! or not at all. A watcher swaps in the new generation when
//! `build/.current` changes, applies re-arm requests and flushes the
//! install state ([`state`]).
//!
//! HTTP/1.1 by hyper on tokio, TLS by rustls. What a client can cost is
//! bounded: header size (`max_buf_size`), header-read timeout, an idle
//! timeout on every connection (`io::Guarded`), a connection limit, no
//! request bodies.
//!
//! [`Server::stop`] stops gracefully: the listener closes, idle
//! connections close, requests in flight finish (within
//! [`Limits::drain_timeout`]), then the install state is written.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use ipnet::IpNet;
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

pub mod assets;
pub mod generation;
mod http;
mod io;
pub mod ipxe;
pub mod log;
pub mod mac;
pub mod state;
pub mod token;

use crate::fleet::install::InstallPlan;
use crate::provision::pxe::PxeHost;
use generation::Generation;
use log::{Level, Log, LogFormat};
use mac::Mac;
use state::InstallState;
use token::FleetKey;

pub use crate::provision::pxe::OsFamily;

/// What the fleet says about provisioning one host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostInfo {
    pub name: String,
    pub macs: Vec<Mac>,
    pub os: OsFamily,
    /// Its `install:`; none (or no device): the host runs live.
    pub install: Option<InstallPlan>,
}

impl HostInfo {
    /// A Fedora CoreOS host with no NIC known and nothing to install to.
    pub fn named(name: &str) -> HostInfo {
        HostInfo {
            name: name.to_owned(),
            macs: Vec::new(),
            os: OsFamily::CoreOs,
            install: None,
        }
    }

    /// The host as its network boot sees it.
    pub fn pxe(&self) -> PxeHost<'_> {
        PxeHost {
            name: &self.name,
            os: self.os,
            install: self.install.as_ref(),
        }
    }
}

/// Where the hosts' provisioning facts come from; asked again for every
/// new build.
pub type HostSource = Arc<dyn Fn() -> Result<Vec<HostInfo>, String> + Send + Sync>;

/// What a client may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    /// A request's line and headers, in bytes (at least 8 KiB).
    pub max_header_bytes: usize,
    /// A request's headers must arrive whole within this.
    pub header_timeout: Duration,
    /// A connection that neither reads nor writes for this long is closed.
    pub idle_timeout: Duration,
    /// How long requests in flight may take to finish once the server is
    /// asked to stop.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 2048,
            max_header_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// TLS certificate chain and key (PEM files).
#[derive(Clone, Debug)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Everything the server is told.
pub struct Config {
    pub build: PathBuf,
    pub listen: SocketAddr,
    pub assets: Option<PathBuf>,
    pub tls: Option<Tls>,
    /// Who may connect at all (empty: anyone).
    pub allow: Vec<IpNet>,
    /// Serve each secret-bearing config once per arming.
    pub once: bool,
    /// Serve secret-bearing configs over plain HTTP on a non-loopback
    /// address anyway.
    pub insecure_http: bool,
    /// The URL machines reach this server at (default: from each
    /// request's `Host`).
    pub url: Option<String>,
    pub fleet_key: Option<FleetKey>,
    /// Every config fetch needs its host's token.
    pub require_token: bool,
    pub log_format: LogFormat,
    pub limits: Limits,
    pub hosts: HostSource,
    /// How often `build/.current` and the re-arm directory are checked.
    pub poll: Duration,
}

#[derive(Debug, Error)]
pub enum ServeError {
    #[error(transparent)]
    Generation(#[from] generation::GenerationError),
    #[error(transparent)]
    State(#[from] crate::write::WriteError),
    #[error("hosts: {0}")]
    Hosts(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("--assets {}: {source}", path.display())]
    Assets {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("TLS: {0}")]
    Tls(String),
    #[error(
        "{hosts} embed decrypted secrets and {listen} is not a loopback address: \
         serving them over plain HTTP gives them to anyone on the path. \
         Give --tls-cert and --tls-key, listen on 127.0.0.1, or pass --insecure-http"
    )]
    PlainSecrets { hosts: String, listen: SocketAddr },
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

/// Whether secret-bearing configs must be withheld: plain HTTP on an
/// address other hosts can reach, without `--insecure-http`.
fn plain_exposed(config: &Config) -> bool {
    config.tls.is_none() && !config.listen.ip().is_loopback() && !config.insecure_http
}

/// The state every request shares.
pub(crate) struct Shared {
    config: Config,
    generation: RwLock<Arc<Generation>>,
    state: InstallState,
    assets: Option<assets::Assets>,
    boot_files: RwLock<Arc<ipxe::BootFiles>>,
    withhold_secrets: bool,
    scheme: &'static str,
    log: Log,
}

impl Shared {
    fn generation(&self) -> Arc<Generation> {
        self.generation
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn boot_files(&self) -> Arc<ipxe::BootFiles> {
        self.boot_files
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn event(&self, level: Level, message: &str) {
        self.log.event(level, message);
    }
}

/// How a server ended.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Stopped {
    /// Connections still busy when the drain timeout ran out, cut off.
    pub cut: usize,
    /// Writing the install state at the end failed: why.
    pub state_error: Option<String>,
}

/// A running server; dropping it stops it (see [`Server::stop`]).
pub struct Server {
    addr: SocketAddr,
    stopper: Stopper,
    thread: Option<std::thread::JoinHandle<Stopped>>,
}

/// Asks a running server to stop, from any thread (a signal handler's).
#[derive(Clone)]
pub struct Stopper(Arc<watch::Sender<bool>>);

impl Stopper {
    /// Stops accepting connections and lets requests in flight finish.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

impl Server {
    /// Where it listens (the port chosen when `--listen` gave 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Runs until a [`Stopper`] stops it; returns once requests in flight
    /// finished (or the drain timeout cut them off) and the install state
    /// is written.
    pub fn wait(mut self) -> Stopped {
        let stopped = self.thread.take().map(std::thread::JoinHandle::join);
        match stopped {
            Some(Ok(stopped)) => stopped,
            _ => Stopped {
                cut: 0,
                state_error: Some("the server thread failed".to_owned()),
            },
        }
    }

    /// Stops it gracefully (see [`Stopper::stop`]) and waits for the end.
    pub fn stop(self) -> Stopped {
        self.stopper.stop();
        self.wait()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stopper.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn load_generation(config: &Config) -> Result<Generation, ServeError> {
    let hosts = (config.hosts)().map_err(ServeError::Hosts)?;
    Ok(generation::load(&config.build, &hosts)?)
}

fn secret_hosts(generation: &Generation) -> Vec<&str> {
    generation
        .hosts
        .values()
        .filter(|h| h.config.as_ref().is_some_and(|c| c.secret))
        .map(|h| h.info.name.as_str())
        .collect()
}

/// Raises the soft limit on open files to the hard one and returns the
/// two: a generation holds each host's config open, two generations while
/// one replaces the other, and every connection is a file too, so a
/// thousand hosts already exceed the soft limit of 1024 that systemd and
/// most shells start with.
#[cfg(target_os = "linux")]
fn raise_open_files_limit() -> (Option<u64>, Option<u64>) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let before = limit.current;
    // An unlimited hard limit still stops at the kernel's nr_open, by
    // default 2^20.
    let target = Some(limit.maximum.unwrap_or(1 << 20));
    if before.is_some() && before < target {
        let raised = rustix::process::Rlimit {
            current: target,
            maximum: limit.maximum,
        };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return (before, target);
        }
    }
    (before, before)
}

#[cfg(not(target_os = "linux"))]
fn raise_open_files_limit() -> (Option<u64>, Option<u64>) {
    (None, None)
}

/// Checks the configuration, loads the current build and starts serving
/// on a thread of its own.
pub fn start(config: Config) -> Result<Server, ServeError> {
    let (files_before, files_now) = raise_open_files_limit();
    let generation = load_generation(&config)?;
    let withhold_secrets = plain_exposed(&config);
    if withhold_secrets && generation.any_secret() {
        return Err(ServeError::PlainSecrets {
            hosts: secret_hosts(&generation).join(", "),
            listen: config.listen,
        });
    }
    let tls = config.tls.as_ref().map(http::tls_acceptor).transpose()?;
    let assets = match &config.assets {
        Some(path) => Some(
            assets::Assets::open(path).map_err(|source| ServeError::Assets {
                path: path.clone(),
                source,
            })?,
        ),
        None => None,
    };
    let state = InstallState::open(&config.build)?;
    state.apply_rearms()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("kindling-serve")
        .build()
        .map_err(ServeError::Runtime)?;
    let listen_error = |source| ServeError::Listen {
        addr: config.listen,
        source,
    };
    let listener = {
        // The reactor the listener registers with is this runtime's.
        let _runtime = runtime.enter();
        listen(config.listen, config.limits.max_connections).map_err(listen_error)?
    };
    let addr = listener.local_addr().map_err(listen_error)?;
    let boot_files = ipxe::BootFiles::scan(config.assets.as_deref());
    let shared = Arc::new(Shared {
        scheme: if tls.is_some() { "https" } else { "http" },
        generation: RwLock::new(Arc::new(generation)),
        state,
        assets,
        boot_files: RwLock::new(Arc::new(boot_files)),
        withhold_secrets,
        log: Log::new(config.log_format),
        config,
    });
    let (stop, stopped) = watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("kindling-serve".to_owned())
        .spawn(move || {
            let stopped_server = runtime.block_on(async move {
                shared.event(
                    Level::Info,
                    &format!(
                        "listening on {}://{addr} (build {}, generation {:?}, {} hosts; open files: {})",
                        shared.scheme,
                        shared.config.build.display(),
                        shared.generation().name,
                        shared.generation().hosts.len(),
                        match (files_before, files_now) {
                            (Some(before), Some(now)) if before != now => format!("{now}, raised from {before}"),
                            (_, Some(now)) => now.to_string(),
                            (_, None) => "unlimited".to_owned(),
                        }
                    ),
                );
                for warning in missing_boot_files(&shared.generation(), &shared.boot_files(), shared.config.assets.as_deref()) {
                    shared.event(Level::Warn, &warning);
                }
                let watcher = tokio::spawn(watch_build(shared.clone(), stopped.clone()));
                let flusher = tokio::spawn(flush_log(shared.clone(), stopped.clone()));
                let cut = accept(shared.clone(), listener, tls, stopped).await;
                let _ = watcher.await;
                let _ = flusher.await;
                let state_error = shared.state.flush().err().map(|e| e.to_string());
                shared.event(
                    if cut > 0 || state_error.is_some() { Level::Warn } else { Level::Info },
                    &match (&state_error, cut) {
                        (Some(e), _) => format!("stopped; the install state was not saved: {e}"),
                        (None, 0) => "stopped: every request finished, install state saved".to_owned(),
                        (None, cut) => format!(
                            "stopped: {cut} connection(s) still busy after the drain timeout were cut off; install state saved"
                        ),
                    },
                );
                Stopped { cut, state_error }
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
            stopped_server
        })
        .map_err(ServeError::Runtime)?;
    Ok(Server {
        addr,
        stopper: Stopper(Arc::new(stop)),
        thread: Some(thread),
    })
}

/// One warning per boot file `/ipxe` needs that `--assets` lacks, naming
/// the hosts that need it (those with a MAC, which can ask `/ipxe`), the
/// file name expected and where to get it. Architectures are iPXE's to
/// say at boot; the check is for x86_64, the one most machines have.
fn missing_boot_files(
    generation: &Generation,
    files: &ipxe::BootFiles,
    assets: Option<&Path>,
) -> Vec<String> {
    let arch = "x86_64";
    let mut needed: std::collections::BTreeMap<ipxe::Wanted, Vec<&str>> =
        std::collections::BTreeMap::new();
    for host in generation.hosts.values() {
        if host.info.macs.is_empty() {
            continue;
        }
        for file in files.missing(host.info.os, arch) {
            needed.entry(file).or_default().push(&host.info.name);
        }
    }
    let lacking = match assets {
        Some(dir) => format!("--assets {} has no", dir.display()),
        None => "no --assets given, so no".to_owned(),
    };
    needed
        .into_iter()
        .map(|(file, hosts)| {
            let named = match hosts.len() {
                0..=5 => hosts.join(", "),
                n => format!("{} and {} more", hosts[..5].join(", "), n - 5),
            };
            format!(
                "{lacking} {} (a file named {}): /ipxe answers 503 for {named} until it is there; {}",
                file.what, file.name, file.source
            )
        })
        .collect()
}

/// A listening socket whose accept queue holds a burst of `connections`
/// (the kernel caps it at `net.core.somaxconn`). The standard library's
/// 128 is too few when a rack powers on at once: the connections beyond
/// it lose their SYN and retry after 1, 3, 7 seconds (`cargo bench
/// --bench serve_load`: p50 3 s, p99 13.6 s with 1,000 clients at once).
fn listen(addr: SocketAddr, connections: usize) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(u32::try_from(connections.clamp(128, 65_535)).unwrap_or(4096))
}

/// Whether `ip` may connect.
fn allowed(allow: &[IpNet], ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    };
    allow.is_empty() || allow.iter().any(|net| net.contains(&ip))
}

/// Accepts connections until asked to stop; then closes the listener and
/// waits, up to the drain timeout, for the open connections to finish
/// (idle ones close at once, busy ones after their response). Returns how
/// many were still busy when it ran out.
async fn accept(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut stopped: watch::Receiver<bool>,
) -> usize {
    // The drain waits for every permit at once, which takes a u32.
    let max = shared
        .config
        .limits
        .max_connections
        .clamp(1, u32::MAX as usize);
    let slots = Arc::new(Semaphore::new(max));
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stopped.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait, not spin.
                    shared.event(Level::Warn, &format!("accept: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopped.wait_for(|stop| *stop) => break,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        let stopped = stopped.clone();
        tokio::spawn(async move {
            http::connection(shared, stream, peer, tls, stopped).await;
            drop(permit);
        });
    }
    drop(listener);
    let drain = shared.config.limits.drain_timeout;
    let busy = max - slots.available_permits();
    shared.event(
        Level::Info,
        &format!(
            "stopping: no new connections; {busy} open connection(s) get up to {} s to finish",
            drain.as_secs_f64()
        ),
    );
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    match tokio::time::timeout(drain, slots.acquire_many(all)).await {
        Ok(_) => 0,
        Err(_) => max - slots.available_permits(),
    }
}

/// Writes out the request lines waiting in the log's buffer, at least
/// every [`log::FLUSH_EVERY`], until the server stops (its last event then
/// writes out the rest).
async fn flush_log(shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(log::FLUSH_EVERY);
    loop {
        tokio::select! {
            _ = ticker.tick() => shared.log.flush(),
            _ = stopped.wait_for(|stop| *stop) => return,
        }
    }
}

/// Picks up new builds, re-arm requests and changed assets; flushes the
/// install state.
async fn watch_build(shared: Arc<Shared>, mut stopped: watch::Receiver<bool>) {
    let mut seen = generation::current(&shared.config.build);
    let mut failed_on: Option<Option<PathBuf>> = None;
    let mut ticker = tokio::time::interval(shared.config.poll);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        let watched = shared.clone();
        let current = generation::current(&watched.config.build);
        let reload = current != seen && failed_on.as_ref() != Some(&current);
        let outcome = tokio::task::spawn_blocking(move || {
            let mut messages = Vec::new();
            if reload {
                match load_generation(&watched.config) {
                    Ok(generation) => {
                        let withheld = if watched.withhold_secrets {
                            secret_hosts(&generation).join(", ")
                        } else {
                            String::new()
                        };
                        messages.push((
                            Level::Info,
                            format!("new build: generation {:?}, {} hosts", generation.name, generation.hosts.len()),
                        ));
                        if !withheld.is_empty() {
                            messages.push((
                                Level::Warn,
                                format!("secret-bearing configs of {withheld} are withheld: plain HTTP on a non-loopback address"),
                            ));
                        }
                        *watched
                            .generation
                            .write()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(generation);
                    }
                    Err(e) => messages.push((Level::Warn, format!("new build not served, keeping the previous one: {e}"))),
                }
            }
            // Boot files put into --assets after the start (the 503's
            // advice) are found without a new build.
            let files = ipxe::BootFiles::scan(watched.config.assets.as_deref());
            if *watched.boot_files() != files {
                *watched
                    .boot_files
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(files);
                messages.push((Level::Info, "--assets: boot files changed".to_owned()));
            }
            match watched.state.apply_rearms() {
                Ok(hosts) => messages.extend(hosts.into_iter().map(|h| (Level::Info, format!("re-armed {h}: its next boot installs again")))),
                Err(e) => messages.push((Level::Warn, format!("re-arm: {e}"))),
            }
            if let Err(e) = watched.state.flush() {
                messages.push((Level::Warn, format!("install state: {e}")));
            }
            messages
        })
        .await;
        if let Ok(messages) = outcome {
            let ok = !messages
                .iter()
                .any(|(_, m)| m.starts_with("new build not served"));
            for (level, message) in messages {
                shared.event(level, &message);
            }
            if reload {
                if ok {
                    seen = current;
                    failed_on = None;
                } else {
                    failed_on = Some(current);
                }
            }
        }
    }
}

/// Re-arms `host` through the state directory of `build` (the running
/// server, or the next one started, applies it).
pub fn rearm(build: &Path, host: &str) -> Result<PathBuf, ServeError> {
    let plain = !host.is_empty() && !host.starts_with('.') && !host.contains(['/', '\0']);
    if !plain {
        return Err(ServeError::Hosts(format!("{host:?} is not a host name")));
    }
    Ok(state::request_rearm(build, host)?)
}

/// An example dnsmasq configuration: proxy DHCP next to the network's own
/// DHCP server, TFTP handing out iPXE, and iPXE sent on to `/boot.ipxe`.
/// In proxy mode the boot file goes out in PXE's boot menu, one
/// `pxe-service` per client architecture: x86PC is BIOS; x86-64 UEFI
/// firmware calls itself BC_EFI (7, OVMF and most boards) or X86-64_EFI
/// (9). `dnsmasq --test` accepts it (tests/it/serve.rs).
pub fn dnsmasq_example(url: &str) -> String {
    format!(
        "# dnsmasq: PXE next to an existing DHCP server (proxy mode), iPXE over TFTP,\n\
         # then iPXE chains to kindling serve. Adjust the subnet and the TFTP root.\n\
         port=0                          # no DNS\n\
         dhcp-range=192.168.1.0,proxy    # your LAN; proxy: the router keeps handing out addresses\n\
         enable-tftp\n\
         tftp-root=/var/lib/tftpboot     # holds undionly.kpxe and ipxe.efi (Debian: ipxe package)\n\
         # Machines that already run iPXE (user class iPXE) get the script; the rest get iPXE first.\n\
         dhcp-userclass=set:ipxe,iPXE\n\
         pxe-service=tag:!ipxe,x86PC,\"iPXE\",undionly.kpxe\n\
         pxe-service=tag:!ipxe,BC_EFI,\"iPXE\",ipxe.efi\n\
         pxe-service=tag:!ipxe,X86-64_EFI,\"iPXE\",ipxe.efi\n\
         dhcp-boot=tag:ipxe,{url}/boot.ipxe\n\
         pxe-service=tag:ipxe,x86PC,\"kindling\",{url}/boot.ipxe\n\
         pxe-service=tag:ipxe,BC_EFI,\"kindling\",{url}/boot.ipxe\n\
         pxe-service=tag:ipxe,X86-64_EFI,\"kindling\",{url}/boot.ipxe\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists() {
        let nets: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        assert!(allowed(&[], "192.0.2.1".parse().expect("ip")));
        assert!(allowed(&nets, "10.1.2.3".parse().expect("ip")));
        assert!(allowed(&nets, "::ffff:10.1.2.3".parse().expect("ip")));
        assert!(!allowed(&nets, "192.0.2.1".parse().expect("ip")));
    }

    #[test]
    fn rearm_names_a_host() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(rearm(dir.path(), "../x").is_err());
        assert!(rearm(dir.path(), ".x").is_err());
        assert!(rearm(dir.path(), "beam00").is_ok());
    }
}
