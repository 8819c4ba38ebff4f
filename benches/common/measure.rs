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

/// The kindling binary under test: `KINDLING_BIN`, else the release binary
/// cargo built for this bench.
pub fn kindling() -> PathBuf {
    std::env::var_os("KINDLING_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kindling")))
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

pub fn sample(
    program: &Path,
    args: &[&OsStr],
    warmup: usize,
    runs: usize,
) -> anyhow::Result<Sample> {
    for _ in 0..warmup {
        run_once(program, args)?;
    }
    let cpu_before = children_cpu();
    let mut wall = Vec::with_capacity(runs);
    for _ in 0..runs {
        wall.push(run_once(program, args)?.as_secs_f64());
    }
    let cpu_mean = (children_cpu() - cpu_before) / runs.max(1) as f64;
    Ok(Sample { wall, cpu_mean })
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
    let report = tempfile::NamedTempFile::new()?;
    let mut command = Command::new("/usr/bin/time");
    command
        .arg("-f")
        .arg("%M")
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
    let kib: u64 = text
        .lines()
        .rev()
        .find_map(|l| l.trim().parse().ok())
        .with_context(|| format!("no peak RSS in GNU time's report: {text:?}"))?;
    Ok((wall, kib * 1024))
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
