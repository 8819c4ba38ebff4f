//! Butane benchmarks (the two Butane targets), run against the
//! release binary and, when `just dist` has built it, the dist binary, as a
//! user would run them (the binaries take turns, so both see the same
//! machine):
//!
//! 1. one `kindling butane` process per typical corpus file: median wall
//!    time (target < 2 ms), with `/bin/true` and `kindling --version` as the
//!    process-start floor and an in-process breakdown (one-time setup such as
//!    the JSON schema vs the per-config work);
//! 2. a 64 MiB `contents.local` file of log-like text (`-d`): throughput
//!    against `gzip -9` on the same file (target >= 3x), payload size against
//!    `gzip -9` (target >= 2.6% smaller) and peak RSS against the input size
//!    (target < 3x).
//!
//! `cargo bench --bench butane` (builds the release binary first). Knobs:
//! `BENCH_RUNS` (default 300 per file), `BENCH_LARGE_RUNS` (default 3),
//! `BENCH_LARGE_MIB` (default 64), `BENCH_SKIP_LARGE=1`, `BENCH_SKIP_SMALL=1`,
//! `KINDLING_BIN` (another binary instead of the release one),
//! `BENCH_BINS=label=path,…` (exactly these binaries, e.g. a build of an
//! older commit beside this one), `BENCH_CORPUS` (default
//! `tests/corpus/butane`).

#[path = "common/logs.rs"]
mod logs;
#[path = "common/measure.rs"]
mod measure;

use std::ffi::OsStr;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use base64::Engine as _;
use measure::{Binary, mib, ms};

/// Typical configs (300 B – 10 KB, fcos and flatcar, 1.3.0 – 1.6.0, with
/// units, files, users, storage, trees); the files-dir is used when the
/// config needs one.
const TYPICAL: &[(&str, bool)] = &[
    ("deuill__coreos-home-server__host__base__logging.bu", false),
    ("deuill__coreos-home-server__service__gitea__spec.bu", true),
    (
        "coreos__fedora-coreos-config__tests__kola__containers__quadlet__config.bu",
        false,
    ),
    ("quickvm__bupy__examples__autologin.bu", false),
    (
        "coreos__coreos-installer__fixtures__customize__dest.bu",
        false,
    ),
    (
        "coreos__fedora-coreos-config__tests__kola__networking__mtu-on-bond-ignition__config.bu",
        false,
    ),
    (
        "ublue-os__ucore__examples__ucore-autorebase.butane.bu",
        false,
    ),
    (
        "hirnidrin__butane-configs__ucore-pulpo__pulpo-autorebase.butane.template.bu",
        false,
    ),
    ("rwaltr__home-ops__infra__flatcar__butane__test.bu", false),
    (
        "poseidon__typhoon__bare-metal__fedora-coreos__kubernetes__butane__controller.yaml.bu",
        false,
    ),
];

fn corpus() -> PathBuf {
    std::env::var_os("BENCH_CORPUS").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/butane"),
        PathBuf::from,
    )
}

fn args_for(corpus: &Path, file: &str, files_dir: bool) -> Vec<std::ffi::OsString> {
    let mut args = vec!["butane".into()];
    if files_dir {
        let stem = file.strip_suffix(".bu").unwrap_or(file);
        args.push("-d".into());
        args.push(corpus.join("files").join(stem).into_os_string());
    }
    args.push(corpus.join(file).into_os_string());
    args
}

fn small(bins: &[Binary]) -> anyhow::Result<()> {
    let corpus = corpus();
    let runs = measure::env_usize("BENCH_RUNS", 300);
    let warmup = 20;
    println!("== kindling butane: one process per typical corpus file");
    println!(
        "   {} runs each after {warmup} warm-up runs, the binaries taking turns; wall = spawn to \
         exit as the parent sees it; CPU = user+sys of the child, mean; load average {}; {} cores",
        runs,
        measure::loadavg(),
        measure::cores()
    );
    let true_sample = measure::sample(Path::new("/bin/true"), &[], warmup, runs)?;
    let version = measure::sample_each(bins, &[OsStr::new("--version")], warmup, runs)?;
    let minimal_dir = tempfile::tempdir()?;
    let minimal = minimal_dir.path().join("minimal.bu");
    std::fs::write(&minimal, "variant: fcos\nversion: 1.5.0\n")?;
    let minimal_samples = measure::sample_each(
        bins,
        &[OsStr::new("butane"), minimal.as_os_str()],
        warmup,
        runs,
    )?;
    println!(
        "   {:<86} {:>8} {:>7} {:>11} {:>10} {:>10} {:>10}",
        "file", "binary", "bytes", "wall median", "wall min", "wall p90", "CPU mean"
    );
    let row = |name: &str, label: &str, bytes: &str, s: &measure::Sample| {
        println!(
            "   {:<86} {:>8} {:>7} {:>11} {:>10} {:>10} {:>10}",
            name,
            label,
            bytes,
            ms(s.median()),
            ms(s.min()),
            ms(s.p90()),
            ms(s.cpu_mean)
        );
    };
    row("/bin/true (fork+exec floor)", "-", "-", &true_sample);
    for (bin, sample) in bins.iter().zip(&version) {
        row(
            "kindling --version (process start, no work)",
            &bin.label,
            "-",
            sample,
        );
    }
    for (bin, sample) in bins.iter().zip(&minimal_samples) {
        row(
            "kindling butane minimal.bu (variant+version only)",
            &bin.label,
            "30",
            sample,
        );
    }
    let mut medians = vec![Vec::new(); bins.len()];
    let mut cpus = vec![Vec::new(); bins.len()];
    for (file, files_dir) in TYPICAL {
        let path = corpus.join(file);
        let bytes = std::fs::metadata(&path)
            .with_context(|| format!("{} (set BENCH_CORPUS)", path.display()))?
            .len();
        let args = args_for(&corpus, file, *files_dir);
        let refs: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let samples = measure::sample_each(bins, &refs, warmup, runs)?;
        let label = if *files_dir {
            format!("{file} -d")
        } else {
            (*file).to_owned()
        };
        for (index, (bin, sample)) in bins.iter().zip(&samples).enumerate() {
            row(&label, &bin.label, &bytes.to_string(), sample);
            medians[index].push(sample.median());
            cpus[index].push(sample.cpu_mean);
        }
    }
    for (index, bin) in bins.iter().enumerate() {
        let median = measure::median(&medians[index]);
        println!(
            "   {}: median over the {} files: wall {} (target < 2 ms: {}), CPU {}; \
             process start (kindling --version - /bin/true): wall {}, CPU {}",
            bin.label,
            medians[index].len(),
            ms(median),
            if median < 0.002 { "met" } else { "MISSED" },
            ms(measure::median(&cpus[index])),
            ms(version[index].median() - true_sample.median()),
            ms(version[index].cpu_mean - true_sample.cpu_mean)
        );
    }
    in_process(&corpus)?;
    Ok(())
}

/// What the work inside a process costs: each probe is a fresh process
/// (this bench re-run as `probe FILE`) timing its first and second
/// `butane::compile` + `to_json` of the same config; first - second is the
/// one-time setup (JSON schema, compressor, first allocations).
fn in_process(corpus: &Path) -> anyhow::Result<()> {
    let me = std::env::current_exe()?;
    let probes = measure::env_usize("BENCH_PROBES", 30);
    let mut first = Vec::new();
    let mut again = Vec::new();
    let mut schema_first = Vec::new();
    let mut official_first = Vec::new();
    let mut encode_first = Vec::new();
    for (file, files_dir) in TYPICAL {
        let mut firsts = Vec::new();
        let mut agains = Vec::new();
        for _ in 0..probes {
            let mut command = std::process::Command::new(&me);
            command.arg("probe").arg(corpus.join(file));
            if *files_dir {
                command.arg(corpus.join("files").join(file.trim_end_matches(".bu")));
            }
            let output = command.output()?;
            if !output.status.success() {
                bail!(
                    "probe of {file} failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            let text = String::from_utf8(output.stdout)?;
            let numbers: Vec<f64> = text
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            let [a, b, c, d, e] = numbers[..] else {
                bail!("probe of {file} printed {text:?}");
            };
            firsts.push(a);
            agains.push(b);
            schema_first.push(c);
            encode_first.push(d);
            official_first.push(e);
        }
        first.push(measure::median(&firsts));
        again.push(measure::median(&agains));
    }
    let setup: Vec<f64> = first.iter().zip(&again).map(|(a, b)| a - b).collect();
    println!(
        "   in a fresh process (median of {probes} probes per file, then median over the files):\n\
         \x20    gzip compressor set-up (first encode of a 330-byte unit) {}\n\
         \x20    then: first compile + to_json {}, second {}, so one-time setup {}\n\
         \x20    (the JSON schema check's first call, measured on another spec: {};\n\
         \x20    on a config the subset checker cannot prove valid, so the official\n\
         \x20    validator alone runs, as every run would without the checker: {})",
        ms(measure::median(&encode_first)),
        ms(measure::median(&first)),
        ms(measure::median(&again)),
        ms(measure::median(&setup)),
        ms(measure::median(&schema_first)),
        ms(measure::median(&official_first))
    );
    Ok(())
}

/// `probe FILE [FILES_DIR]`: prints the seconds of the first and second
/// compile + to_json of FILE in this process, of a schema check run first
/// in another spec (its one-time setup), of the first gzip encode (run
/// before the compiles), and of a schema check in a third spec on a config
/// the subset checker cannot prove valid (the official validator's set-up
/// and check, what a run would cost without the subset checker).
fn probe(file: &Path, files_dir: Option<&Path>) -> anyhow::Result<()> {
    use kindling::butane::{self, Options, files_dir::FilesDir};
    use kindling::ignition::spec::Spec;
    let source = std::fs::read_to_string(file)?;
    let options = Options {
        files_dir: files_dir.map(FilesDir::open).transpose()?,
        target: None,
        json: Some(butane::JsonStyle::Compact),
        raw: false,
    };
    let name = file.display().to_string();
    // The gzip compressor's set-up, on a typical small unit file.
    let unit = "[Unit]\nDescription=Example service\nAfter=network-online.target\nWants=network-online.target\n\n[Service]\nType=simple\nExecStartPre=-/usr/bin/podman rm --force example\nExecStart=/usr/bin/podman run --name example --publish 8080:80 docker.io/library/nginx:1.27\nExecStop=/usr/bin/podman stop example\nRestart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n";
    let start = Instant::now();
    std::hint::black_box(kindling::encode::encode_data_url(
        unit.as_bytes(),
        None,
        true,
    ));
    let encode = start.elapsed().as_secs_f64();
    let mut times = [0.0; 2];
    for time in &mut times {
        let start = Instant::now();
        let outcome = butane::compile(&source, &name, &options);
        std::hint::black_box(outcome.json.context("the config does not compile")?);
        *time = start.elapsed().as_secs_f64();
    }
    // A spec no typical file uses, so its schema is not set up yet.
    let tiny = serde_json::json!({ "ignition": { "version": "3.0.0" } });
    let start = Instant::now();
    std::hint::black_box(kindling::validate::schema(&tiny, Spec::V3_0));
    let schema = start.elapsed().as_secs_f64();
    // A spec no typical file uses either; `files` must be a list.
    let odd = serde_json::json!({ "ignition": { "version": "3.1.0" }, "storage": { "files": {} } });
    let start = Instant::now();
    let findings = kindling::validate::schema(&odd, Spec::V3_1);
    let official = start.elapsed().as_secs_f64();
    if findings.is_empty() {
        bail!("the official validator accepted a config it must reject");
    }
    println!("{} {} {schema} {encode} {official}", times[0], times[1]);
    Ok(())
}

fn large(bins: &[Binary]) -> anyhow::Result<()> {
    let size_mib = measure::env_usize("BENCH_LARGE_MIB", 64);
    let runs = measure::env_usize("BENCH_LARGE_RUNS", 3).max(1);
    let size = size_mib * 1024 * 1024;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("logs.txt");
    let start = Instant::now();
    let text = logs::generate(size, logs::SEED);
    std::fs::write(&data, &text)?;
    let config = dir.path().join("large.bu");
    std::fs::write(
        &config,
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /var/log/archive/node.log\n      mode: 0644\n      contents:\n        local: logs.txt\n",
    )?;
    println!(
        "== kindling butane -d: one {size_mib} MiB contents.local file of log text ({} lines, generated in {})",
        text.iter().filter(|b| **b == b'\n').count(),
        ms(start.elapsed().as_secs_f64())
    );
    println!(
        "   {runs} run(s) each, medians reported; load average {}; {} cores",
        measure::loadavg(),
        measure::cores()
    );
    let out = dir.path().join("large.ign");
    let args = [
        OsStr::new("butane"),
        OsStr::new("-d"),
        dir.path().as_os_str(),
        config.as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
    ];
    let mut walls = vec![Vec::new(); bins.len()];
    let mut rss = vec![Vec::new(); bins.len()];
    let gz = dir.path().join("logs.txt.gz");
    let mut gzip_walls = Vec::new();
    // Alternating the runs exposes all to the same drift in the VM's speed.
    for _ in 0..runs {
        for (index, bin) in bins.iter().enumerate() {
            let (wall, peak) = measure::run_with_rss(&bin.path, &args, None)?;
            walls[index].push(wall);
            rss[index].push(peak as f64);
        }
        let (wall, _) = measure::run_with_rss(
            Path::new("gzip"),
            &[
                OsStr::new("-9"),
                OsStr::new("-n"),
                OsStr::new("-c"),
                data.as_os_str(),
            ],
            Some(&gz),
        )?;
        gzip_walls.push(wall);
    }
    let gzip_size = std::fs::metadata(&gz)?.len();
    let payload = payload_of(&out, &text)?;
    let gzip_wall = measure::median(&gzip_walls);
    let mb = size as f64 / 1e6;
    let theirs = mb / gzip_wall;
    let saving = (gzip_size as f64 - payload as f64) / gzip_size as f64 * 100.0;
    println!(
        "   gzip -9: {} wall, {theirs:.1} MB/s; all runs {:?} s",
        ms(gzip_wall),
        measure::rounded_seconds(&gzip_walls)
    );
    for (index, bin) in bins.iter().enumerate() {
        let wall = measure::median(&walls[index]);
        let ours = mb / wall;
        let peak = measure::median(&rss[index]);
        let rss_ratio = peak / size as f64;
        println!(
            "   {}: {} wall, {ours:.1} MB/s, ratio to gzip -9 {:.2}x (target >= 3x: {}); \
             peak RSS {:.1} MiB = {rss_ratio:.2}x the input (target < 3x: {})",
            bin.label,
            ms(wall),
            ours / theirs,
            if ours / theirs >= 3.0 {
                "met"
            } else {
                "MISSED"
            },
            peak / 1048576.0,
            if rss_ratio < 3.0 { "met" } else { "MISSED" },
        );
        println!(
            "   {}: all runs {:?} s, RSS {:?} MiB",
            bin.label,
            measure::rounded_seconds(&walls[index]),
            measure::rounded_mib(&rss[index]),
        );
    }
    println!(
        "   payload (base64-decoded data URL, last binary): {payload} bytes   gzip -9 -n: {gzip_size} bytes   \
         {saving:+.2}% smaller (target >= 2.6%: {}); output {:.1} MiB",
        if saving >= 2.6 { "met" } else { "MISSED" },
        mib(std::fs::metadata(&out)?.len())
    );
    Ok(())
}

/// Size of the compressed payload in the output's data URL; checks that it
/// decompresses to the input.
fn payload_of(output: &Path, input: &[u8]) -> anyhow::Result<usize> {
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(output)?)?;
    let file = &json["storage"]["files"][0];
    let source = file["contents"]["source"]
        .as_str()
        .context("no contents.source in the output")?;
    if file["contents"]["compression"] != "gzip" {
        bail!("the output is not gzip-compressed");
    }
    let (_, data) = source
        .split_once(";base64,")
        .context("the data URL is not base64")?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(data)?;
    let mut decoded = Vec::with_capacity(input.len());
    flate2::read::MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut decoded)?;
    if decoded != input {
        bail!("the payload does not decompress to the input");
    }
    Ok(bytes.len())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if let [mode, file, rest @ ..] = args.as_slice()
        && mode.as_os_str() == "probe"
    {
        return probe(file, rest.first().map(PathBuf::as_path));
    }
    let bins = measure::binaries()?;
    for bin in &bins {
        println!("binary {}: {}", bin.label, bin.path.display());
    }
    if std::env::var_os("BENCH_SKIP_SMALL").is_none() {
        small(&bins)?;
    }
    if std::env::var_os("BENCH_SKIP_LARGE").is_none() {
        large(&bins)?;
    }
    Ok(())
}
