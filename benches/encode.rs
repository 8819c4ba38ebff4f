//! Compression benchmark for the encode stage (not a timed test).
//!
//! Run: `cargo bench --bench encode`
//!
//! Generates a deterministic log-like text file (64 MiB by default), then
//! times `gzip -9 -n` on it (a process reading the file) and
//! `kindling::encode::encode_data_url` on the same file's bytes (the full
//! data-URL work; the file read is timed and printed separately), median of a
//! few runs, and prints throughput, the throughput ratio, compressed sizes and
//! the size difference. Also prints per-call latency for small inputs.
//!
//! Environment knobs:
//! * `KINDLING_BENCH_MIB`   input size in MiB (default 64)
//! * `KINDLING_BENCH_RUNS`  gzip runs (default 3; ours use at least 5)
//! * `KINDLING_BENCH_KEEP`  keep the generated file at this path

#[path = "support/logtext.rs"]
mod logtext;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kindling::encode::{decode_resource, encode_data_url};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

/// (own, waited-for children) CPU seconds from `/proc/self/stat`, if
/// available (Linux; USER_HZ is 100 on every mainstream kernel).
fn cpu_seconds() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_comm = &stat[stat.rfind(')')? + 1..];
    let f: Vec<u64> = after_comm
        .split_whitespace()
        .skip(11)
        .take(4)
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let hz = 100.0;
    Some(((f[0] + f[1]) as f64 / hz, (f[2] + f[3]) as f64 / hz))
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / d.as_secs_f64() / 1e6
}

fn fmt_runs(v: &[Duration]) -> String {
    v.iter()
        .map(|d| format!("{:.3}s", d.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Time `gzip -9 -n -c input > out`; returns (run times, output size).
fn bench_gzip(input: &Path, out: &Path, runs: usize) -> (Vec<Duration>, u64) {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let sink = std::fs::File::create(out).expect("create gzip output");
        let t = Instant::now();
        let status = Command::new("gzip")
            .args(["-9", "-n", "-c"])
            .arg(input)
            .stdout(Stdio::from(sink))
            .status()
            .expect("run gzip (is it installed?)");
        times.push(t.elapsed());
        assert!(status.success(), "gzip failed: {status}");
    }
    let size = std::fs::metadata(out).expect("gzip output").len();
    (times, size)
}

fn main() {
    let mib = env_usize("KINDLING_BENCH_MIB", 64);
    let runs = env_usize("KINDLING_BENCH_RUNS", 3);
    let size = mib << 20;
    let dir = tempfile::tempdir().expect("tempdir");
    let input = std::env::var_os("KINDLING_BENCH_KEEP")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("log.txt"));

    let t = Instant::now();
    logtext::write_file(&input, size, logtext::DEFAULT_SEED).expect("write input");
    println!(
        "input: {} ({} MiB of log-like text, seed {:#x}, generated in {:.2}s)",
        input.display(),
        mib,
        logtext::DEFAULT_SEED,
        t.elapsed().as_secs_f64()
    );
    println!(
        "threads available: {}",
        std::thread::available_parallelism().map_or(1, usize::from)
    );

    println!(
        "load average before: {} (other CPU load skews the parallel side most)",
        loadavg()
    );

    // gzip -9 (warm the page cache first so both sides read from memory).
    let _ = std::fs::read(&input).expect("read input");
    let cpu0 = cpu_seconds();
    let (gz_times, gz_size) = bench_gzip(&input, &dir.path().join("log.txt.gz"), runs);
    let gz_med = median(gz_times.clone());
    let cpu1 = cpu_seconds();

    // Ours: encode_data_url on the file's bytes (median of at least 5 runs);
    // reading the file is timed separately.
    let our_runs = runs.max(5);
    let mut our_times = Vec::with_capacity(our_runs);
    let mut read_times = Vec::with_capacity(our_runs);
    let mut last = None;
    for _ in 0..our_runs {
        drop(last.take());
        let t = Instant::now();
        let data = std::fs::read(&input).expect("read input");
        read_times.push(t.elapsed());
        let t = Instant::now();
        let r = encode_data_url(&data, None, true);
        our_times.push(t.elapsed());
        last = Some(r);
    }
    let r = last.expect("at least one run");
    let our_med = median(our_times.clone());
    let read_med = median(read_times);
    let cpu2 = cpu_seconds();

    // Verify and measure outside the timed region.
    let original = std::fs::read(&input).expect("read input");
    assert_eq!(r.compression.as_deref(), Some("gzip"), "log text must gzip");
    let b64 = r.source.strip_prefix("data:;base64,").expect("base64 form");
    let our_gz = b64.len() / 4 * 3 - b64.bytes().rev().take_while(|&c| c == b'=').count();
    let decoded = decode_resource(&r.source, r.compression.as_deref()).expect("decode");
    assert!(decoded == original, "round trip mismatch");
    drop((decoded, original));

    let gz_rate = mb_per_s(size, gz_med);
    let our_rate = mb_per_s(size, our_med);
    let smaller = (1.0 - our_gz as f64 / gz_size as f64) * 100.0;
    println!();
    println!(
        "gzip -9 -n        : median {:.3}s  ({})",
        gz_med.as_secs_f64(),
        fmt_runs(&gz_times)
    );
    println!(
        "encode_data_url   : median {:.3}s  ({})",
        our_med.as_secs_f64(),
        fmt_runs(&our_times)
    );
    println!(
        "  + file read      : median {:.3}s (not in the headline figure)",
        read_med.as_secs_f64()
    );
    println!();
    println!("throughput  gzip -9: {gz_rate:8.1} MB/s");
    println!("throughput  ours   : {our_rate:8.1} MB/s");
    println!(
        "throughput ratio   : {:8.2}x  (target >= 3x)",
        our_rate / gz_rate
    );
    println!(
        "  incl. file read  : {:8.2}x  ({:.1} MB/s)",
        gz_med.as_secs_f64() / (our_med + read_med).as_secs_f64(),
        mb_per_s(size, our_med + read_med)
    );
    println!(
        "compressed  gzip -9: {gz_size:>12} bytes ({:.2}% of input)",
        gz_size as f64 * 100.0 / size as f64
    );
    println!(
        "compressed  ours   : {our_gz:>12} bytes ({:.2}% of input)",
        our_gz as f64 * 100.0 / size as f64
    );
    println!("ours smaller by    : {smaller:8.2}%  (target >= 2.6%)");
    println!("data URL length    : {:>12} chars", r.source.len());
    if let (Some(a), Some(b), Some(c)) = (cpu0, cpu1, cpu2) {
        println!(
            "CPU time per run   : gzip -9 {:.2}s, ours {:.2}s incl. read (user+sys, all threads)",
            (b.1 - a.1) / runs as f64,
            (c.0 - b.0) / our_runs as f64
        );
    }
    println!("load average after : {}", loadavg());

    // Small inputs: per-call latency (<= 4 KiB: level 9, above: level 8).
    println!();
    let text = logtext::generate(64 * 1024, 42);
    for n in [300usize, 1024, 2048, 4096, 8192, 16384] {
        let sample = &text[..n];
        let iters = 2000usize.min(4_000_000 / n).max(20);
        let mut per_call = Vec::with_capacity(9);
        for _ in 0..9 {
            let t = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(encode_data_url(std::hint::black_box(sample), None, true));
            }
            per_call.push(t.elapsed() / iters as u32);
        }
        let r = encode_data_url(sample, None, true);
        println!(
            "small input {n:>6} B: {:>8.1} us/call  -> {} chars, compression {:?}",
            median(per_call).as_secs_f64() * 1e6,
            r.source.len(),
            r.compression.unwrap_or_default()
        );
    }
}
