//! Load benchmark of `kindling serve` (issue 19's targets): the release
//! binary serves a 1,000-host fleet on loopback while 1,000 clients boot
//! over and over, each fetching its host's iPXE script and its ~100 KiB
//! config, 100,000 requests in all, and two rebuilds publish new configs
//! for every host meanwhile (through `write::generations`, as `kindling
//! build` publishes). Then 20 clients download one 1 GiB asset at once,
//! against `cp` of the same file.
//!
//! Two modes, one after the other on the same server (`BENCH_MODE`:
//! `both`, `closed`, `paced`), each 100,000 requests with two rebuilds:
//! - **closed**: every client boots again the moment its last answer
//!   arrives. This saturates the 2 cores (server and clients share them),
//!   so it measures throughput; its latency is 1,000 / throughput by
//!   Little's law, not what a machine sees.
//! - **paced**: as PXE machines do, a client boots, then waits a think time
//!   before it boots again: uniform in 0.5–1.5 × `BENCH_THINK_MS` (400), so
//!   1,000 clients offer about 1,000 × 2 requests / 0.4 s = 5,000 req/s, an
//!   open, fixed load well under saturation. Its latency is what a machine
//!   sees while a rack boots.
//!
//! Reported per mode, with the targets: errors (0); responses that mix
//! builds (none: every config body must be one generation's config of that
//! host, with that config's ETag, and a client never sees an older
//! generation after a newer one); p50/p90/p99/max latency (p99 < 20 ms);
//! the server's CPU time per request; the server's RSS (peak < 100 MiB and
//! flat: sampled every 100 ms, printed as the largest sample in each tenth
//! of the mode's requests); asset throughput. The server's stop by SIGTERM
//! is checked last (exit 0).
//!
//! `cargo bench --bench serve_load`. Loopback only (each client its own
//! 127.x.y.z source address, so 50,000 connections do not run out of
//! ports), bounded: every request times out after 30 s and the whole run
//! after `BENCH_DEADLINE_SECS`. Knobs: `BENCH_CLIENTS` (1000),
//! `BENCH_REQUESTS` (100000 per mode), `BENCH_CONFIG_KIB` (100),
//! `BENCH_MODE` (both), `BENCH_THINK_MS` (400), `BENCH_ASSET_MIB` (1024),
//! `BENCH_ASSET_CLIENTS` (20), `BENCH_DEADLINE_SECS` (600), `KINDLING_BIN`
//! (another binary). Figures: benches/README.md.

#[path = "common/logs.rs"]
mod logs;
#[path = "common/measure.rs"]
mod measure;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use kindling::digest::sha256_hex;
use kindling::write::Visibility;
use kindling::write::generations::{BuildDir, Content, Entry};
use logs::Rng;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

struct Knobs {
    clients: usize,
    requests: usize,
    modes: Vec<Mode>,
    think: Duration,
    config_kib: usize,
    asset_mib: usize,
    asset_clients: usize,
    deadline: Duration,
}

fn mac(host: usize) -> String {
    format!("52:54:00:be:{:02x}:{:02x}", host >> 8, host & 0xff)
}

fn host_name(host: usize) -> String {
    format!("h{host:04}")
}

/// A fleet whose hosts are known by one MAC each and boot live (no install
/// device: an installed host would get "boot from local disk" after its
/// first fetch); the server reads only that from it.
fn write_fleet(root: &Path, hosts: usize) -> anyhow::Result<()> {
    fs::create_dir_all(root.join("hosts"))?;
    fs::create_dir_all(root.join("containers"))?;
    fs::write(
        root.join("fleet.yaml"),
        "org: acme\nregistry: registry.example.com/acme\n",
    )?;
    fs::write(root.join("containers/web.yaml"), "version: 1.0.0\n")?;
    for host in 0..hosts {
        fs::write(
            root.join(format!("hosts/{}.yaml", host_name(host))),
            format!("services: [web]\ninstall:\n  macs: [\"{}\"]\n", mac(host)),
        )?;
    }
    Ok(())
}

/// Host `host`'s config in generation `generation`: a file whose path
/// names the generation and whose contents (a data URL) fill it to about
/// `kib` KiB, different for every host and generation.
fn config(host: usize, generation: usize, kib: usize) -> Vec<u8> {
    let mut rng = Rng::new(((host as u64) << 16) | generation as u64);
    let raw: Vec<u8> = (0..kib * 1024 * 3 / 4)
        .map(|_| (rng.next() & 0xff) as u8)
        .collect();
    let data = base64::engine::general_purpose::STANDARD.encode(raw);
    format!(
        "{{\"ignition\":{{\"version\":\"3.4.0\"}},\"storage\":{{\"files\":[{{\"path\":\"/etc/bench/{}/generation-{generation}\",\"contents\":{{\"source\":\"data:;base64,{data}\"}}}}]}}}}\n",
        host_name(host)
    )
    .into_bytes()
}

/// Every host's config in generation `generation`.
fn configs(hosts: usize, generation: usize, kib: usize) -> Vec<Vec<u8>> {
    (0..hosts).map(|h| config(h, generation, kib)).collect()
}

/// Publishes `configs` (one generation's, by host) with the build
/// directory writer `kindling build` uses.
fn publish(build: &Path, configs: &[Vec<u8>]) -> anyhow::Result<()> {
    let hosts = configs.len();
    let digests: Vec<String> = configs.iter().map(|c| sha256_hex(c)).collect();
    let names: Vec<String> = (0..hosts)
        .map(|h| format!("{}.ign", host_name(h)))
        .collect();
    let manifest_hosts: serde_json::Map<String, serde_json::Value> = (0..hosts)
        .map(|h| {
            (
                host_name(h),
                serde_json::json!({
                    "output": names[h],
                    "sha256": digests[h],
                    "ignition_version": "3.4.0",
                    "secret": false,
                }),
            )
        })
        .collect();
    let manifest = serde_json::to_vec(&serde_json::json!({ "hosts": manifest_hosts }))?;
    let mut entries: Vec<Entry> = names
        .iter()
        .zip(configs)
        .map(|(name, bytes)| Entry {
            name,
            content: Content::Bytes(bytes, Visibility::Public),
        })
        .collect();
    entries.push(Entry {
        name: "manifest.json",
        content: Content::Bytes(&manifest, Visibility::Public),
    });
    BuildDir::open(build)?.publish(&entries)?;
    Ok(())
}

/// `BENCH_ASSET_MIB` MiB of incompressible bytes; returns their sha256.
fn write_asset(path: &Path, mib: usize) -> anyhow::Result<String> {
    use sha2::{Digest, Sha256};
    let mut file = std::io::BufWriter::new(fs::File::create(path)?);
    let mut rng = Rng::new(19);
    let mut hash = Sha256::new();
    let mut block = vec![0u8; 1024 * 1024];
    for _ in 0..mib {
        for chunk in block.chunks_mut(8) {
            chunk.copy_from_slice(&rng.next().to_le_bytes());
        }
        hash.update(&block);
        file.write_all(&block)?;
    }
    file.flush()?;
    Ok(kindling::digest::hex(&hash.finalize()))
}

/// The server process; killed if the bench ends early.
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// User and system CPU time so far.
    fn cpu(&self) -> Option<Duration> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid())).ok()?;
        // The fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let hz = std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<u64>().ok())
            .unwrap_or(100);
        Some(Duration::from_secs_f64(ticks as f64 / hz as f64))
    }

    /// How many files it has open (each generation holds its configs
    /// open, so a generation kept after its last response would show).
    fn open_files(&self) -> Option<usize> {
        Some(
            fs::read_dir(format!("/proc/{}/fd", self.pid()))
                .ok()?
                .count(),
        )
    }

    /// `VmRSS` and `VmHWM` (peak) in KiB.
    fn rss(&self) -> Option<(u64, u64)> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        let field = |name: &str| {
            status.lines().find_map(|line| {
                line.strip_prefix(name)?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }
}

/// One response: status, the headers we look at, the body.
struct Reply {
    status: u16,
    etag: Option<String>,
    body: Vec<u8>,
}

/// Reads one HTTP/1.1 response with a `Content-Length` body.
async fn read_reply(stream: &mut BufReader<TcpStream>) -> anyhow::Result<Reply> {
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {line:?}"))?;
    let mut length = None;
    let mut etag = None;
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            bail!("connection closed in the headers");
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("etag") {
                etag = Some(value.trim().to_owned());
            }
        }
    }
    let mut body = vec![0; length.context("no Content-Length")?];
    stream.read_exact(&mut body).await?;
    Ok(Reply { status, etag, body })
}

async fn get(stream: &mut BufReader<TcpStream>, target: &str, last: bool) -> anyhow::Result<Reply> {
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: serve_load{}\r\n\r\n",
        if last { "\r\nConnection: close" } else { "" }
    );
    stream.get_mut().write_all(request.as_bytes()).await?;
    read_reply(stream).await
}

/// What the load clients saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: usize,
    first_errors: Vec<String>,
    /// Config bodies that are no generation's config of that host, or
    /// whose ETag is not their own sha256.
    mixed: usize,
    /// A client saw an older generation after a newer one.
    went_back: usize,
    by_generation: BTreeMap<usize, usize>,
}

impl Tally {
    fn error(&mut self, what: String) {
        self.errors += 1;
        if self.first_errors.len() < 5 {
            self.first_errors.push(what);
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        for e in other.first_errors {
            if self.first_errors.len() < 5 {
                self.first_errors.push(e);
            }
        }
        self.mixed += other.mixed;
        self.went_back += other.went_back;
        for (g, n) in other.by_generation {
            *self.by_generation.entry(g).or_default() += n;
        }
    }
}

/// The configs' sha256s by generation, then host. A generation is added
/// before its publishing starts: the server may serve it from the moment
/// `build/.current` switches, before `publish` returns, and a body judged
/// against the generations known only after that would count as mixed.
type Digests = Arc<Mutex<Vec<(usize, Vec<String>)>>>;

/// Which known generation `body` is host `host`'s config of, with `etag`
/// its own; `None` (a mixed build) when its bytes are no known
/// generation's config of that host (half of one build and half of
/// another among them: its sha256 is neither's) or the ETag is not
/// theirs.
fn judge(
    known: &[(usize, Vec<String>)],
    host: usize,
    body: &[u8],
    etag: Option<&str>,
) -> Option<usize> {
    let digest = sha256_hex(body);
    if etag != Some(format!("\"sha256-{digest}\"").as_str()) {
        return None;
    }
    known
        .iter()
        .find(|(_, hosts)| hosts.get(host) == Some(&digest))
        .map(|(g, _)| *g)
}

/// The check above can fail: a body spliced from two builds, a body of
/// another host, and a whole body under the other build's ETag are all
/// mixed; whole bodies are their generation.
fn self_check() -> anyhow::Result<()> {
    let old = config(3, 1, 4);
    let new = config(3, 2, 4);
    let known = vec![
        (
            1,
            vec![
                String::new(),
                String::new(),
                String::new(),
                sha256_hex(&old),
            ],
        ),
        (
            2,
            vec![
                String::new(),
                String::new(),
                String::new(),
                sha256_hex(&new),
            ],
        ),
    ];
    let tag = |b: &[u8]| format!("\"sha256-{}\"", sha256_hex(b));
    let mut spliced = old[..old.len() / 2].to_vec();
    spliced.extend_from_slice(&new[new.len() / 2..]);
    let other_host = config(2, 1, 4);
    let cases = [
        (judge(&known, 3, &old, Some(&tag(&old))), Some(1)),
        (judge(&known, 3, &new, Some(&tag(&new))), Some(2)),
        (judge(&known, 3, &spliced, Some(&tag(&spliced))), None),
        (judge(&known, 3, &other_host, Some(&tag(&other_host))), None),
        (judge(&known, 3, &old, Some(&tag(&new))), None),
        (judge(&known, 3, &old, None), None),
    ];
    for (i, (got, want)) in cases.iter().enumerate() {
        if got != want {
            bail!("self-check {i} of the mixed-build judge: got {got:?}, want {want:?}");
        }
    }
    Ok(())
}

/// How clients ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Again as soon as the last answer arrived.
    Closed,
    /// After a think time.
    Paced,
}

struct Load {
    addr: SocketAddr,
    boots: usize,
    next: AtomicUsize,
    done: AtomicUsize,
    digests: Digests,
    stop: AtomicBool,
    /// The mean think time between a client's boots (paced mode).
    think: Option<Duration>,
}

/// One machine booting: its script, then its config, on one connection
/// from its own source address.
async fn boot(load: &Load, client: usize, host: usize, tally: &mut Tally, newest: &mut usize) {
    let source = Ipv4Addr::new(127, 1 + (client / 250) as u8, 0, 1 + (client % 250) as u8);
    let started = Instant::now();
    let connect = async {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from((source, 0)))?;
        anyhow::Ok(BufReader::new(socket.connect(load.addr).await?))
    };
    let mut stream = match tokio::time::timeout(REQUEST_TIMEOUT, connect).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return tally.error(format!("connect: {e}")),
        Err(_) => return tally.error("connect: timed out".to_owned()),
    };
    let mac = mac(host).replace(':', "-");
    let script = tokio::time::timeout(
        REQUEST_TIMEOUT,
        get(&mut stream, &format!("/ipxe?mac={mac}"), false),
    )
    .await;
    match script {
        Ok(Ok(reply))
            if reply.status == 200
                && reply.body.starts_with(b"#!ipxe")
                && reply.body.windows(mac.len()).any(|w| w == mac.as_bytes()) =>
        {
            tally.latencies_us.push(micros(started.elapsed()));
        }
        Ok(Ok(reply)) => return tally.error(format!("/ipxe: status {}", reply.status)),
        Ok(Err(e)) => return tally.error(format!("/ipxe: {e}")),
        Err(_) => return tally.error("/ipxe: timed out".to_owned()),
    }
    let started = Instant::now();
    let reply = match tokio::time::timeout(
        REQUEST_TIMEOUT,
        get(&mut stream, &format!("/ignition?mac={mac}"), true),
    )
    .await
    {
        Ok(Ok(reply)) if reply.status == 200 => reply,
        Ok(Ok(reply)) => return tally.error(format!("/ignition: status {}", reply.status)),
        Ok(Err(e)) => return tally.error(format!("/ignition: {e}")),
        Err(_) => return tally.error("/ignition: timed out".to_owned()),
    };
    tally.latencies_us.push(micros(started.elapsed()));
    let generation = load
        .digests
        .lock()
        .map(|known| judge(&known, host, &reply.body, reply.etag.as_deref()))
        .unwrap_or(None);
    let Some(generation) = generation else {
        tally.mixed += 1;
        return;
    };
    *tally.by_generation.entry(generation).or_default() += 1;
    if generation < *newest {
        tally.went_back += 1;
    }
    *newest = generation.max(*newest);
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

async fn client(load: Arc<Load>, client: usize, hosts: usize) -> Tally {
    let mut tally = Tally::default();
    let mut newest = 0;
    let mut rng = Rng::new(client as u64 + 1);
    // A random fraction of `think`, between `from` and `from + 1` times it.
    let mut jitter = |think: Duration, from: f64| {
        think.mul_f64(from + (rng.next() >> 11) as f64 / (1u64 << 53) as f64)
    };
    if let Some(think) = load.think {
        // Machines power on spread over a think time, not all at once.
        tokio::time::sleep(jitter(think, 0.0)).await;
    }
    while !load.stop.load(Ordering::Relaxed)
        && load.next.fetch_add(1, Ordering::Relaxed) < load.boots
    {
        boot(&load, client, client % hosts, &mut tally, &mut newest).await;
        load.done.fetch_add(1, Ordering::Relaxed);
        if let Some(think) = load.think {
            tokio::time::sleep(jitter(think, 0.5)).await;
        }
    }
    tally
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() - 1) as f64 * p / 100.0).round() as usize;
    f64::from(sorted[index.min(sorted.len() - 1)]) / 1000.0
}

/// Samples the server's RSS every 100 ms until `stop`, with how many
/// boots were done then.
fn sample_rss(
    pid: u32,
    done: Arc<dyn Fn() -> usize + Send + Sync>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<(usize, u64)>> {
    std::thread::spawn(move || {
        let mut samples = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            if let Some(kib) = fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("VmRSS:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                })
            {
                samples.push((done(), kib));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        samples
    })
}

/// The largest RSS sample in each tenth of `total` boots, in MiB.
fn tenths(samples: &[(usize, u64)], total: usize) -> Vec<f64> {
    let mut max = [0u64; 10];
    for &(done, kib) in samples {
        let i = (done * 10 / total.max(1)).min(9);
        max[i] = max[i].max(kib);
    }
    max.iter().map(|k| *k as f64 / 1024.0).collect()
}

fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

async fn wait_healthy(addr: SocketAddr, server: &mut Server) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = server.child.try_wait()? {
            bail!("the server exited at start: {status}");
        }
        if let Ok(stream) = TcpStream::connect(addr).await {
            let mut stream = BufReader::new(stream);
            if get(&mut stream, "/healthz", true)
                .await
                .is_ok_and(|r| r.status == 200)
            {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not answer /healthz within 60 s")
}

/// Downloads `target` whole; returns the bytes read and, if `hash`, their
/// sha256.
async fn download(
    addr: SocketAddr,
    target: &str,
    hash: bool,
) -> anyhow::Result<(u64, Option<String>)> {
    use sha2::{Digest, Sha256};
    let mut stream = BufReader::with_capacity(256 * 1024, TcpStream::connect(addr).await?);
    let request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.get_mut().write_all(request.as_bytes()).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    if !line.contains(" 200 ") {
        bail!("{target}: {}", line.trim());
    }
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        if line.trim_end().is_empty() {
            break;
        }
    }
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    let mut sha = hash.then(Sha256::new);
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        if let Some(sha) = &mut sha {
            sha.update(&buf[..n]);
        }
        total += n as u64;
    }
    Ok((total, sha.map(|s| kindling::digest::hex(&s.finalize()))))
}

fn kindling_bin() -> PathBuf {
    std::env::var_os("KINDLING_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kindling")))
}

fn main() -> anyhow::Result<()> {
    self_check()?;
    let knobs = Knobs {
        clients: measure::env_usize("BENCH_CLIENTS", 1000).clamp(1, 60_000),
        requests: measure::env_usize("BENCH_REQUESTS", 100_000),
        modes: match std::env::var("BENCH_MODE").as_deref() {
            Ok("closed") => vec![Mode::Closed],
            Ok("paced") => vec![Mode::Paced],
            Ok("both") | Err(_) => vec![Mode::Closed, Mode::Paced],
            Ok(other) => bail!("BENCH_MODE={other}: give closed, paced or both"),
        },
        think: Duration::from_millis(measure::env_usize("BENCH_THINK_MS", 400).max(1) as u64),
        config_kib: measure::env_usize("BENCH_CONFIG_KIB", 100),
        asset_mib: measure::env_usize("BENCH_ASSET_MIB", 1024),
        asset_clients: measure::env_usize("BENCH_ASSET_CLIENTS", 20),
        deadline: Duration::from_secs(measure::env_usize("BENCH_DEADLINE_SECS", 600) as u64),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(knobs))
}

/// What every mode's run uses.
struct Shared<'a> {
    addr: SocketAddr,
    hosts: usize,
    build: &'a Path,
    digests: &'a Digests,
    server: &'a Server,
    deadline: Instant,
}

/// One mode's 100,000 requests, with rebuilds at 30% and 60% of them
/// (generations after `generation`, which ends as the last published).
async fn phase(
    knobs: &Knobs,
    mode: Mode,
    shared: &Shared<'_>,
    generation: &mut usize,
) -> anyhow::Result<()> {
    let deadline = shared.deadline;
    let hosts = shared.hosts;
    let load = Arc::new(Load {
        addr: shared.addr,
        boots: knobs.requests / 2,
        next: AtomicUsize::new(0),
        done: AtomicUsize::new(0),
        digests: shared.digests.clone(),
        stop: AtomicBool::new(false),
        think: (mode == Mode::Paced).then_some(knobs.think),
    });
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let counted = load.clone();
    let sampler = sample_rss(
        shared.server.pid(),
        Arc::new(move || counted.done.load(Ordering::Relaxed)),
        stop_sampling.clone(),
    );
    let cpu_before = shared.server.cpu();
    let started = Instant::now();
    let tasks: Vec<_> = (0..knobs.clients)
        .map(|c| tokio::spawn(client(load.clone(), c, hosts)))
        .collect();
    let mut rebuilds = Vec::new();
    for at in [0.3, 0.6] {
        while (load.done.load(Ordering::Relaxed) as f64) < at * load.boots as f64 {
            if Instant::now() > deadline || load.done.load(Ordering::Relaxed) >= load.boots {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        *generation += 1;
        let new_generation = *generation;
        let build = shared.build.to_path_buf();
        let kib = knobs.config_kib;
        let known = shared.digests.clone();
        let took = Instant::now();
        tokio::task::spawn_blocking(move || {
            let new = configs(hosts, new_generation, kib);
            if let Ok(mut all) = known.lock() {
                all.push((new_generation, new.iter().map(|c| sha256_hex(c)).collect()));
            }
            publish(&build, &new)
        })
        .await??;
        rebuilds.push((new_generation, started.elapsed(), took.elapsed()));
    }
    let mut tally = Tally::default();
    for task in tasks {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, task).await {
            Ok(Ok(t)) => tally.merge(t),
            Ok(Err(e)) => tally.error(format!("client task: {e}")),
            Err(_) => {
                load.stop.store(true, Ordering::Relaxed);
                tally.error("the run hit BENCH_DEADLINE_SECS".to_owned());
                break;
            }
        }
    }
    let wall = started.elapsed();
    let cpu = shared
        .server
        .cpu()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    stop_sampling.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap_or_default();
    let (_, peak) = shared.server.rss().unwrap_or_default();
    tally.latencies_us.sort_unstable();
    let served = tally.latencies_us.len();
    println!(
        "{}",
        match mode {
            Mode::Closed => "closed loop (each client asks again at once: throughput)".to_owned(),
            Mode::Paced => format!(
                "paced (each client boots, then thinks {}-{} ms: offered ~{:.0} req/s)",
                knobs.think.as_millis() / 2,
                knobs.think.as_millis() * 3 / 2,
                knobs.clients as f64 * 2.0 / knobs.think.as_secs_f64()
            ),
        }
    );
    println!(
        "  {served} requests in {:.1} s ({:.0} req/s); rebuilds published at {}",
        wall.as_secs_f64(),
        served as f64 / wall.as_secs_f64(),
        rebuilds
            .iter()
            .map(|(g, at, took)| format!(
                "{:.1} s (generation {g}, {:.1} s to write)",
                at.as_secs_f64(),
                took.as_secs_f64()
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  errors: {} (target 0){}",
        tally.errors,
        if tally.first_errors.is_empty() {
            String::new()
        } else {
            format!("; first: {}", tally.first_errors.join("; "))
        }
    );
    println!(
        "  mixed builds: {} config bodies not one known generation's config of their host with its ETag, {} older after newer (target none); configs by generation: {:?}",
        tally.mixed, tally.went_back, tally.by_generation
    );
    println!(
        "  latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms (target < 20), max {:.2} ms",
        percentile(&tally.latencies_us, 50.0),
        percentile(&tally.latencies_us, 90.0),
        percentile(&tally.latencies_us, 99.0),
        percentile(&tally.latencies_us, 100.0)
    );
    if let Some(cpu) = cpu {
        println!(
            "  server CPU: {:.1} s user+system, {:.1} µs per request",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / served.max(1) as f64
        );
    }
    // Idle connections close at the clients' end; give the server a moment
    // to see it, then count what it holds open.
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "  server open files after the run: {} ({hosts} configs of the newest generation, plus listener, log and runtime)",
        shared
            .server
            .open_files()
            .map_or_else(|| "unknown".to_owned(), |n| n.to_string())
    );
    println!(
        "  server RSS: peak so far {:.1} MiB (target < 100); largest sample per tenth of the requests: {}",
        peak as f64 / 1024.0,
        tenths(&samples, load.boots)
            .iter()
            .map(|m| format!("{m:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}

async fn run(knobs: Knobs) -> anyhow::Result<()> {
    let deadline = Instant::now() + knobs.deadline;
    let hosts = knobs.clients;
    let dir = tempfile::tempdir()?;
    let fleet = dir.path().join("fleet");
    let build = dir.path().join("build");
    let assets = dir.path().join("assets");
    write_fleet(&fleet, hosts)?;
    fs::create_dir_all(&build)?;
    fs::create_dir_all(&assets)?;
    for (name, size) in [
        ("fedora-coreos-bench-live-kernel-x86_64", 1024),
        ("fedora-coreos-bench-live-initramfs.x86_64.img", 1024),
        ("fedora-coreos-bench-live-rootfs.x86_64.img", 1024),
    ] {
        fs::write(assets.join(name), vec![b'k'; size])?;
    }
    let first = configs(hosts, 1, knobs.config_kib);
    let digests: Digests = Arc::new(Mutex::new(vec![(
        1,
        first.iter().map(|c| sha256_hex(c)).collect(),
    )]));
    publish(&build, &first)?;
    drop(first);
    let config_bytes = fs::metadata(build.join(format!("{}.ign", host_name(0))))?.len();
    let asset = assets.join("big.img");
    let asset_sha = write_asset(&asset, knobs.asset_mib)?;

    let bin = kindling_bin();
    let addr = free_port()?;
    let log_path = dir.path().join("serve.log");
    let mut server = Server {
        child: Command::new(&bin)
            .arg("serve")
            .arg("--fleet")
            .arg(&fleet)
            .arg("--build")
            .arg(&build)
            .arg("--assets")
            .arg(&assets)
            .arg("--listen")
            .arg(addr.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log_path)?)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?,
    };
    wait_healthy(addr, &mut server).await?;
    println!(
        "kindling serve load: {} ({}), {hosts} hosts, configs {:.1} KiB, {} clients, {} requests per mode",
        bin.display(),
        std::env::consts::ARCH,
        config_bytes as f64 / 1024.0,
        knobs.clients,
        knobs.requests
    );
    let (rss_start, _) = server.rss().unwrap_or_default();
    println!("  server RSS idle: {:.1} MiB", rss_start as f64 / 1024.0);
    let mut generation = 1;
    for &mode in &knobs.modes {
        let shared = Shared {
            addr,
            hosts,
            build: &build,
            digests: &digests,
            server: &server,
            deadline,
        };
        phase(&knobs, mode, &shared, &mut generation).await?;
    }

    // One large asset to many clients at once, against cp.
    let size = knobs.asset_mib as u64 * 1024 * 1024;
    let copy = dir.path().join("big.copy");
    let cp_started = Instant::now();
    let status = Command::new("cp").arg(&asset).arg(&copy).status()?;
    let cp = cp_started.elapsed();
    let _ = fs::remove_file(&copy);
    if !status.success() {
        bail!("cp failed: {status}");
    }
    let stop_sampling = Arc::new(AtomicBool::new(false));
    let sampler = sample_rss(server.pid(), Arc::new(|| 0), stop_sampling.clone());
    let started = Instant::now();
    let downloads: Vec<_> = (0..knobs.asset_clients)
        .map(|i| tokio::spawn(download(addr, "/assets/big.img", i == 0)))
        .collect();
    let mut asset_errors = Vec::new();
    let mut total = 0u64;
    for d in downloads {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, d).await {
            Ok(Ok(Ok((n, sha)))) => {
                total += n;
                if n != size || sha.is_some_and(|s| s != asset_sha) {
                    asset_errors.push(format!("a download got {n} bytes or other contents"));
                }
            }
            Ok(Ok(Err(e))) => asset_errors.push(e.to_string()),
            Ok(Err(e)) => asset_errors.push(e.to_string()),
            Err(_) => {
                asset_errors.push("the run hit BENCH_DEADLINE_SECS".to_owned());
                break;
            }
        }
    }
    let took = started.elapsed();
    stop_sampling.store(true, Ordering::Relaxed);
    let asset_peak = sampler
        .join()
        .unwrap_or_default()
        .iter()
        .map(|(_, kib)| *kib)
        .max()
        .unwrap_or(0);
    let gib = |bytes: u64, d: Duration| bytes as f64 / f64::from(1 << 30) / d.as_secs_f64();
    println!(
        "  asset: {} MiB to {} clients at once in {:.1} s: {:.2} GiB/s in all, {:.3} GiB/s each; cp of the file: {:.1} s, {:.2} GiB/s; server RSS max {:.1} MiB; errors: {}",
        knobs.asset_mib,
        knobs.asset_clients,
        took.as_secs_f64(),
        gib(total, took),
        gib(total, took) / knobs.asset_clients.max(1) as f64,
        cp.as_secs_f64(),
        gib(size, cp),
        asset_peak as f64 / 1024.0,
        if asset_errors.is_empty() {
            "0".to_owned()
        } else {
            asset_errors.join("; ")
        }
    );

    let log = fs::read_to_string(&log_path).unwrap_or_default();
    let warnings = log.lines().filter(|l| l.contains("level=WARN")).count();
    println!(
        "  server log: {} lines, {warnings} warnings{}",
        log.lines().count(),
        log.lines()
            .find(|l| l.contains("level=WARN"))
            .map(|l| format!(" (first: {l})"))
            .unwrap_or_default()
    );
    let stopped = stop(&mut server)?;
    println!("  SIGTERM: {stopped}");
    Ok(())
}

/// Stops the server with SIGTERM and says how it exited.
fn stop(server: &mut Server) -> anyhow::Result<String> {
    let started = Instant::now();
    Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()?;
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = server.child.try_wait()? {
            return Ok(format!(
                "exited in {:.2} s with {status}",
                started.elapsed().as_secs_f64()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok("still running 30 s after SIGTERM (killed)".to_owned())
}
