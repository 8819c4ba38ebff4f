//! Compression benchmark for the encode stage, in process (not a timed
//! test). `cargo bench --bench butane` measures the same work as a whole
//! `kindling butane` run; this one isolates `encode_data_url` and backs the
//! figures in `benches/README.md` (encode section).
//!
//! 1. The 64 MiB log-like text of `benches/common/logs.rs` (the Butane
//!    benchmark's file): `gzip -9 -n` (a process reading the file) against
//!    `kindling::encode::encode_data_url` on the file's bytes (the file read
//!    is timed apart), medians, throughput and size ratios, CPU time.
//! 2. With `BENCH_SWEEP=1`: compressed size and single-thread CPU time of
//!    libdeflate levels 6–10 at 1 MiB, 4 MiB and whole-file members, the
//!    table behind the choice of level and chunk size.
//! 3. With `BENCH_FILES=a:b:…`: the same comparison against `gzip -9` on
//!    files of one's own (real logs), which synthetic text cannot stand in
//!    for.
//! 4. Per-call latency for small inputs.
//!
//! Knobs: `BENCH_LARGE_MIB` (default 64), `BENCH_RUNS` (gzip runs, default
//! 3; ours use at least 5), `BENCH_KEEP` (keep the generated file at this
//! path), `BENCH_SWEEP`, `BENCH_FILES`.

#[path = "common/logs.rs"]
mod logs;
#[path = "common/measure.rs"]
mod measure;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use kindling::dataurl::decode_resource;
use kindling::encode::encode_data_url;
use kindling::encode::gzip::{CHUNK_SIZE, LARGE_LEVEL};
use libdeflater::{CompressionLvl, Compressor};
use measure::{median, ms};

fn mb_per_s(bytes: usize, seconds: f64) -> f64 {
    bytes as f64 / seconds / 1e6
}

/// Percent by which `ours` is smaller than `theirs`.
fn smaller(ours: usize, theirs: usize) -> f64 {
    (theirs as f64 - ours as f64) / theirs as f64 * 100.0
}

/// Times `gzip -9 -n -c input > out` `runs` times: (wall seconds, mean CPU
/// seconds, output size).
fn gzip9(input: &Path, out: &Path, runs: usize) -> anyhow::Result<(Vec<f64>, f64, usize)> {
    let cpu_before = measure::children_cpu();
    let mut walls = Vec::with_capacity(runs);
    for _ in 0..runs {
        let sink = std::fs::File::create(out)?;
        let start = Instant::now();
        let status = Command::new("gzip")
            .args(["-9", "-n", "-c"])
            .arg(input)
            .stdout(Stdio::from(sink))
            .status()
            .context("running gzip (apt-get install -y gzip)")?;
        walls.push(start.elapsed().as_secs_f64());
        if !status.success() {
            bail!("gzip -9 failed on {}: {status}", input.display());
        }
    }
    let cpu = (measure::children_cpu() - cpu_before) / runs.max(1) as f64;
    Ok((walls, cpu, usize::try_from(std::fs::metadata(out)?.len())?))
}

/// The gzip payload of a data URL made by `encode_data_url`.
fn payload_len(source: &str) -> anyhow::Result<usize> {
    let b64 = source
        .strip_prefix("data:;base64,")
        .context("the data URL is not in base64 form")?;
    let padding = b64.bytes().rev().take_while(|&c| c == b'=').count();
    Ok(b64.len() / 4 * 3 - padding)
}

/// Deflate size of `data` cut into `chunk`-byte gzip members at `level`,
/// and the CPU seconds it took on this thread.
fn members_at(data: &[u8], level: i32, chunk: usize) -> anyhow::Result<(usize, f64)> {
    let level = CompressionLvl::new(level).map_err(|e| anyhow::anyhow!("level {level}: {e:?}"))?;
    let mut compressor = Compressor::new(level);
    let mut out = vec![0; compressor.deflate_compress_bound(chunk.min(data.len()))];
    let before = measure::thread_cpu();
    let mut total = 0;
    for piece in data.chunks(chunk) {
        // 18 bytes of gzip header and trailer per member.
        total += compressor
            .deflate_compress(piece, &mut out)
            .map_err(|e| anyhow::anyhow!("deflate: {e:?}"))?
            + 18;
    }
    Ok((total, measure::thread_cpu() - before))
}

fn large(dir: &Path) -> anyhow::Result<()> {
    let mib = measure::env_usize("BENCH_LARGE_MIB", 64).max(1);
    let runs = measure::env_usize("BENCH_RUNS", 3).max(1);
    let size = mib << 20;
    let input = std::env::var_os("BENCH_KEEP")
        .map_or_else(|| dir.join("logs.txt"), std::path::PathBuf::from);
    let start = Instant::now();
    let text = logs::generate(size, logs::SEED);
    std::fs::write(&input, &text)?;
    println!(
        "== encode_data_url on {mib} MiB of log text ({}, generated in {}); {} cores, load {}",
        input.display(),
        ms(start.elapsed().as_secs_f64()),
        measure::cores(),
        measure::loadavg()
    );

    let (gz_walls, gz_cpu, gz_size) = gzip9(&input, &dir.join("logs.txt.gz"), runs)?;

    // Ours: median of at least 5 runs; the file read is timed apart.
    let our_runs = runs.max(5);
    let mut walls = Vec::with_capacity(our_runs);
    let mut reads = Vec::with_capacity(our_runs);
    let cpu_before = measure::process_cpu();
    let mut last = None;
    for _ in 0..our_runs {
        drop(last.take());
        let start = Instant::now();
        let data = std::fs::read(&input)?;
        reads.push(start.elapsed().as_secs_f64());
        let start = Instant::now();
        let encoded = encode_data_url(&data, None, true);
        walls.push(start.elapsed().as_secs_f64());
        last = Some(encoded);
    }
    let cpu = (measure::process_cpu() - cpu_before) / our_runs as f64;
    let encoded = last.context("no run")?;
    if encoded.compression.as_deref() != Some("gzip") {
        bail!("log text did not gzip: {:?}", encoded.compression);
    }
    if decode_resource(&encoded.source, encoded.compression.as_deref(), usize::MAX)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        != text
    {
        bail!("the data URL does not decode to the input");
    }
    let ours = payload_len(&encoded.source)?;

    let (gz_wall, our_wall, read) = (median(&gz_walls), median(&walls), median(&reads));
    println!(
        "   gzip -9 -n      : {} median ({:.1} MB/s), {gz_cpu:.2} CPU-s; runs {gz_walls:.3?}",
        ms(gz_wall),
        mb_per_s(size, gz_wall)
    );
    println!(
        "   encode_data_url : {} median ({:.1} MB/s), {cpu:.2} CPU-s incl. read; runs {walls:.3?}",
        ms(our_wall),
        mb_per_s(size, our_wall)
    );
    println!(
        "   file read       : {} median (not in the ratio)",
        ms(read)
    );
    println!(
        "   throughput ratio: {:.2}x (incl. read {:.2}x); CPU ratio {:.2}x",
        gz_wall / our_wall,
        gz_wall / (our_wall + read),
        gz_cpu / cpu
    );
    println!(
        "   payload         : {ours} bytes vs gzip -9 {gz_size} bytes: {:+.2}% smaller",
        smaller(ours, gz_size)
    );
    drop(encoded);

    if std::env::var_os("BENCH_SWEEP").is_some() {
        sweep(&text, gz_size)?;
    }
    Ok(())
}

/// Size and CPU time per libdeflate level and member size.
fn sweep(text: &[u8], gz_size: usize) -> anyhow::Result<()> {
    println!(
        "\n== libdeflate levels on the same text, one thread (size, % smaller than gzip -9, CPU-s)"
    );
    for level in 6..=10 {
        let mut row = format!("   level {level:>2}:");
        for (name, chunk) in [
            ("1 MiB", 1 << 20),
            ("4 MiB", 4 << 20),
            ("whole", text.len()),
        ] {
            let (size, cpu) = members_at(text, level, chunk)?;
            row.push_str(&format!(
                "  {name} {size} ({:+.2}%, {cpu:.2} s)",
                smaller(size, gz_size)
            ));
        }
        println!("{row}");
    }
    Ok(())
}

/// kindling's payload and libdeflate levels 6–9 against `gzip -9` on
/// files of one's own.
fn files(list: &std::ffi::OsStr, dir: &Path) -> anyhow::Result<()> {
    println!("\n== BENCH_FILES: % smaller than gzip -9 (4 MiB members for the levels)");
    for path in std::env::split_paths(list) {
        let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let (_, _, gz_size) = gzip9(&path, &dir.join("file.gz"), 1)?;
        let encoded = encode_data_url(&data, None, true);
        let mut row = format!("   {} ({} bytes):", path.display(), data.len());
        match encoded.compression.as_deref() {
            Some("gzip") => row.push_str(&format!(
                " kindling {:+.2}%",
                smaller(payload_len(&encoded.source)?, gz_size)
            )),
            other => row.push_str(&format!(" kindling does not gzip it ({other:?})")),
        }
        for level in 6..=9 {
            let (size, _) = members_at(&data, level, CHUNK_SIZE)?;
            row.push_str(&format!("  L{level} {:+.2}%", smaller(size, gz_size)));
        }
        println!("{row}");
    }
    Ok(())
}

/// Per-call latency of small inputs (up to 4 KiB one member at level 9,
/// above that level 8).
fn small() {
    println!("\n== small inputs (level {LARGE_LEVEL} above 4 KiB)");
    let text = logs::generate(64 * 1024, 42);
    for n in [300usize, 1024, 2048, 4096, 8192, 16384] {
        let sample = &text[..n];
        let iters = (4_000_000 / n).clamp(20, 2000);
        let mut per_call = Vec::with_capacity(9);
        for _ in 0..9 {
            let start = Instant::now();
            for _ in 0..iters {
                std::hint::black_box(encode_data_url(std::hint::black_box(sample), None, true));
            }
            per_call.push(start.elapsed().as_secs_f64() / iters as f64);
        }
        let encoded = encode_data_url(sample, None, true);
        println!(
            "   {n:>6} B: {:>7.1} µs/call -> {} chars, compression {:?}",
            median(&per_call) * 1e6,
            encoded.source.len(),
            encoded.compression.unwrap_or_default()
        );
    }
}

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    large(dir.path())?;
    if let Some(list) = std::env::var_os("BENCH_FILES") {
        files(&list, dir.path())?;
    }
    small();
    Ok(())
}
