//! Measuring a spawned `kindling` process: wall time as the parent sees it
//! (fork + exec + run + exit), CPU time of the children, and peak RSS.
//!
//! CPU time comes from `/proc/self/stat` (`cutime + cstime` of waited-for
//! children), so it is exact over a batch even though each run is far below
//! the 10 ms tick. Peak RSS comes from GNU time (`/usr/bin/time -f %M`), the
//! only portable way to get a child's `ru_maxrss` without `unsafe`.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A kindling binary under test and the name it is reported under.
pub struct Binary {
    pub label: String,
    pub path: PathBuf,
}

/// The kindling binaries under test, measured in the same interleaved
/// rounds: `BENCH_BINS` (`label=path,label=path`) if set; else the release
/// binary cargo built for this bench (or `KINDLING_BIN`) and, when it has
/// been built (`just dist`), the dist binary `target/<host>/dist/kindling`.
pub fn binaries() -> anyhow::Result<Vec<Binary>> {
    if let Some(list) = std::env::var_os("BENCH_BINS") {
        let list = list.to_str().context("BENCH_BINS is not UTF-8")?.to_owned();
        return list
            .split(',')
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let (label, path) = entry
                    .split_once('=')
                    .with_context(|| format!("BENCH_BINS entry {entry:?} is not label=path"))?;
                Ok(Binary {
                    label: label.to_owned(),
                    path: PathBuf::from(path),
                })
            })
            .collect();
    }
    let release = std::env::var_os("KINDLING_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kindling")));
    let mut binaries = vec![Binary {
        label: "release".to_owned(),
        path: release,
    }];
    match dist_binary() {
        Some(path) => binaries.push(Binary {
            label: "dist".to_owned(),
            path,
        }),
        None => println!("(no dist build found: `just dist` builds one, measured alongside)"),
    }
    Ok(binaries)
}

/// `target/<host triple>/dist/kindling` next to the release binary cargo
/// built for this bench, if `just dist` has built it.
fn dist_binary() -> Option<PathBuf> {
    let release = PathBuf::from(env!("CARGO_BIN_EXE_kindling"));
    let target = release.parent()?.parent()?;
    let output = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "host-tuple"])
        .output()
        .ok()?;
    let host = String::from_utf8(output.stdout).ok()?;
    let dist = target.join(host.trim()).join("dist").join("kindling");
    dist.is_file().then_some(dist)
}

/// An integer from the environment, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `user + system` seconds of every child this process has waited for.
pub fn children_cpu() -> f64 {
    cpu_seconds("/proc/self/stat", 13)
}

/// `user + system` seconds of this process, all threads.
pub fn process_cpu() -> f64 {
    cpu_seconds("/proc/self/stat", 11)
}

/// `user + system` seconds of the calling thread.
pub fn thread_cpu() -> f64 {
    cpu_seconds("/proc/thread-self/stat", 11)
}

/// The sum of the two tick counts from field `first` on (counted after the
/// `(comm)` field) of a `stat` file, in seconds: utime/stime at 11, the
/// waited-for children's cutime/cstime at 13.
fn cpu_seconds(stat: &str, first: usize) -> f64 {
    let Ok(stat) = std::fs::read_to_string(stat) else {
        return 0.0;
    };
    let rest = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Linux reports in USER_HZ, which is 100 on every supported ABI.
    (ticks(first) + ticks(first + 1)) / 100.0
}

/// Runs `program args` once, output discarded; fails if it fails.
pub fn run_once(program: &Path, args: &[&OsStr]) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .with_context(|| format!("running {}", program.display()))?;
    let elapsed = start.elapsed();
    if !status.success() {
        bail!("{} {:?} failed: {status}", program.display(), args);
    }
    Ok(elapsed)
}

/// Wall-time samples and mean CPU time of `runs` runs after `warmup` runs.
pub struct Sample {
    pub wall: Vec<f64>,
    pub cpu_mean: f64,
}

impl Sample {
    pub fn median(&self) -> f64 {
        percentile(&self.wall, 50.0)
    }
    pub fn min(&self) -> f64 {
        percentile(&self.wall, 0.0)
    }
    pub fn p90(&self) -> f64 {
        percentile(&self.wall, 90.0)
    }
}

/// Samples every binary of `binaries` on the same arguments (prefixed by
/// `args`), interleaved in blocks of [`BLOCK`] runs so all see the same
/// drift in the machine's speed; CPU time is read per block (`/proc`
/// counts whole clock ticks, so a per-run reading would be mostly rounding).
pub fn sample_each(
    binaries: &[Binary],
    args: &[&OsStr],
    warmup: usize,
    runs: usize,
) -> anyhow::Result<Vec<Sample>> {
    for binary in binaries {
        for _ in 0..warmup {
            run_once(&binary.path, args)?;
        }
    }
    let mut samples: Vec<Sample> = binaries
        .iter()
        .map(|_| Sample {
            wall: Vec::with_capacity(runs),
            cpu_mean: 0.0,
        })
        .collect();
    let mut done = 0;
    while done < runs {
        let block = BLOCK.min(runs - done);
        for (binary, sample) in binaries.iter().zip(&mut samples) {
            let cpu_before = children_cpu();
            for _ in 0..block {
                sample
                    .wall
                    .push(run_once(&binary.path, args)?.as_secs_f64());
            }
            sample.cpu_mean += children_cpu() - cpu_before;
        }
        done += block;
    }
    for sample in &mut samples {
        sample.cpu_mean /= runs.max(1) as f64;
    }
    Ok(samples)
}

/// Runs of one binary in a row in [`sample_each`].
const BLOCK: usize = 25;

pub fn sample(
    program: &Path,
    args: &[&OsStr],
    warmup: usize,
    runs: usize,
) -> anyhow::Result<Sample> {
    let binary = Binary {
        label: String::new(),
        path: program.to_path_buf(),
    };
    let mut samples = sample_each(std::slice::from_ref(&binary), args, warmup, runs)?;
    samples.pop().context("no sample")
}

/// `p`-th percentile (nearest rank on the sorted samples).
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

pub fn median(values: &[f64]) -> f64 {
    percentile(values, 50.0)
}

/// One run under GNU time: (wall seconds, peak RSS bytes).
pub fn run_with_rss(
    program: &Path,
    args: &[&OsStr],
    stdout: Option<&Path>,
) -> anyhow::Result<(f64, u64)> {
    run_with_usage(program, args, stdout).map(|usage| (usage.wall, usage.peak_rss))
}

/// What one run used.
#[derive(Clone)]
pub struct Usage {
    pub wall: f64,
    pub peak_rss: u64,
    /// User + system seconds (GNU time's resolution: 10 ms).
    pub cpu: f64,
}

/// One run under GNU time.
pub fn run_with_usage(
    program: &Path,
    args: &[&OsStr],
    stdout: Option<&Path>,
) -> anyhow::Result<Usage> {
    let report = tempfile::NamedTempFile::new()?;
    let mut command = Command::new("/usr/bin/time");
    command
        .arg("-f")
        .arg("%M %U %S")
        .arg("-o")
        .arg(report.path())
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    match stdout {
        Some(path) => command.stdout(std::fs::File::create(path)?),
        None => command.stdout(Stdio::null()),
    };
    let start = Instant::now();
    let status = command
        .status()
        .context("running /usr/bin/time (apt-get install -y time)")?;
    let wall = start.elapsed().as_secs_f64();
    if !status.success() {
        bail!("{} {:?} failed: {status}", program.display(), args);
    }
    let text = std::fs::read_to_string(report.path())?;
    // The last line; earlier ones are the child's exit status if it failed.
    let fields: Vec<f64> = text
        .lines()
        .next_back()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|field| field.parse().ok())
        .collect();
    let [kib, user, system] = fields[..] else {
        bail!("no peak RSS and CPU times in GNU time's report: {text:?}");
    };
    Ok(Usage {
        wall,
        peak_rss: kib as u64 * 1024,
        cpu: user + system,
    })
}

pub fn ms(seconds: f64) -> String {
    format!("{:.2} ms", seconds * 1e3)
}

/// Seconds rounded to the millisecond, for listing every run.
pub fn rounded_seconds(values: &[f64]) -> Vec<f64> {
    values
        .iter()
        .map(|s| (s * 1000.0).round() / 1000.0)
        .collect()
}

/// Byte counts in MiB rounded to a tenth, for listing every run.
pub fn rounded_mib(bytes: &[f64]) -> Vec<f64> {
    bytes
        .iter()
        .map(|b| (b / 104_857.6).round() / 10.0)
        .collect()
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// The load average, to judge how noisy the wall times are.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}
