//! Butane benchmarks (the two Butane targets), run against the
//! release binary as a user would run it:
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
//! `KINDLING_BIN` (another binary), `BENCH_CORPUS` (default
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
use measure::{kindling, mib, ms};

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

fn small(bin: &Path) -> anyhow::Result<()> {
    let corpus = corpus();
    let runs = measure::env_usize("BENCH_RUNS", 300);
    let warmup = 20;
    println!("== kindling butane: one process per typical corpus file");
    println!(
        "   {} runs each after {warmup} warm-up runs; wall = spawn to exit as the parent sees it; \
         CPU = user+sys of the child, mean; load average {}; {} cores",
        runs,
        measure::loadavg(),
        measure::cores()
    );
    let true_sample = measure::sample(Path::new("/bin/true"), &[], warmup, runs)?;
    let version_sample = measure::sample(bin, &[OsStr::new("--version")], warmup, runs)?;
    let minimal_dir = tempfile::tempdir()?;
    let minimal = minimal_dir.path().join("minimal.bu");
    std::fs::write(&minimal, "variant: fcos\nversion: 1.5.0\n")?;
    let minimal_sample = measure::sample(
        bin,
        &[OsStr::new("butane"), minimal.as_os_str()],
        warmup,
        runs,
    )?;
    println!(
        "   {:<86} {:>7} {:>11} {:>10} {:>10} {:>10}",
        "file", "bytes", "wall median", "wall min", "wall p90", "CPU mean"
    );
    let row = |name: &str, bytes: String, s: &measure::Sample| {
        println!(
            "   {:<86} {:>7} {:>11} {:>10} {:>10} {:>10}",
            name,
            bytes,
            ms(s.median()),
            ms(s.min()),
            ms(s.p90()),
            ms(s.cpu_mean)
        );
    };
    row("/bin/true (fork+exec floor)", "-".into(), &true_sample);
    row(
        "kindling --version (process start, no work)",
        "-".into(),
        &version_sample,
    );
    row(
        "kindling butane minimal.bu (variant+version only)",
        "30".into(),
        &minimal_sample,
    );
    let mut medians = Vec::new();
    let mut cpus = Vec::new();
    for (file, files_dir) in TYPICAL {
        let path = corpus.join(file);
        let bytes = std::fs::metadata(&path)
            .with_context(|| format!("{} (set BENCH_CORPUS)", path.display()))?
            .len();
        let args = args_for(&corpus, file, *files_dir);
        let refs: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        let s = measure::sample(bin, &refs, warmup, runs)?;
        let label = if *files_dir {
            format!("{file} -d")
        } else {
            (*file).to_owned()
        };
        row(&label, bytes.to_string(), &s);
        medians.push(s.median());
        cpus.push(s.cpu_mean);
    }
    let median = measure::median(&medians);
    println!(
        "   median over the {} files: wall {} (target < 2 ms: {}), CPU {}",
        medians.len(),
        ms(median),
        if median < 0.002 { "met" } else { "MISSED" },
        ms(measure::median(&cpus))
    );
    println!(
        "   process start (kindling --version - /bin/true): wall {}, CPU {}",
        ms(version_sample.median() - true_sample.median()),
        ms(version_sample.cpu_mean - true_sample.cpu_mean)
    );
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
            let [a, b, c, d] = numbers[..] else {
                bail!("probe of {file} printed {text:?}");
            };
            firsts.push(a);
            agains.push(b);
            schema_first.push(c);
            encode_first.push(d);
        }
        first.push(measure::median(&firsts));
        again.push(measure::median(&agains));
    }
    let setup: Vec<f64> = first.iter().zip(&again).map(|(a, b)| a - b).collect();
    println!(
        "   in a fresh process (median of {probes} probes per file, then median over the files):\n\
         \x20    gzip compressor set-up (first encode of a 330-byte unit) {}\n\
         \x20    then: first compile + to_json {}, second {}, so one-time setup {}\n\
         \x20    (the JSON schema check's first call, measured on another spec: {})",
        ms(measure::median(&encode_first)),
        ms(measure::median(&first)),
        ms(measure::median(&again)),
        ms(measure::median(&setup)),
        ms(measure::median(&schema_first))
    );
    Ok(())
}

/// `probe FILE [FILES_DIR]`: prints the seconds of the first and second
/// compile + to_json of FILE in this process, of a schema check run first
/// in another spec (its one-time setup), and of the first gzip encode (run
/// before the compiles).
fn probe(file: &Path, files_dir: Option<&Path>) -> anyhow::Result<()> {
    use kindling::butane::{self, Options, files_dir::FilesDir};
    use kindling::ignition::spec::Spec;
    let source = std::fs::read_to_string(file)?;
    let options = Options {
        files_dir: files_dir.map(FilesDir::open).transpose()?,
        target: None,
        json: Some(butane::JsonStyle::Compact),
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
    println!("{} {} {schema} {encode}", times[0], times[1]);
    Ok(())
}

fn large(bin: &Path) -> anyhow::Result<()> {
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
    let mut walls = Vec::new();
    let mut rss = Vec::new();
    let gz = dir.path().join("logs.txt.gz");
    let mut gzip_walls = Vec::new();
    // Alternating the two exposes both to the same drift in the VM's speed.
    for _ in 0..runs {
        let (wall, peak) = measure::run_with_rss(bin, &args, None)?;
        walls.push(wall);
        rss.push(peak as f64);
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
    let wall = measure::median(&walls);
    let gzip_wall = measure::median(&gzip_walls);
    let mb = size as f64 / 1e6;
    let ours = mb / wall;
    let theirs = mb / gzip_wall;
    let saving = (gzip_size as f64 - payload as f64) / gzip_size as f64 * 100.0;
    let peak = measure::median(&rss);
    let rss_ratio = peak / size as f64;
    println!(
        "   kindling: {} wall, {ours:.1} MB/s   gzip -9: {} wall, {theirs:.1} MB/s   ratio {:.2}x (target >= 3x: {})",
        ms(wall),
        ms(gzip_wall),
        ours / theirs,
        if ours / theirs >= 3.0 {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "   payload (base64-decoded data URL): {payload} bytes   gzip -9 -n: {gzip_size} bytes   {saving:+.2}% smaller (target >= 2.6%: {})",
        if saving >= 2.6 { "met" } else { "MISSED" }
    );
    println!(
        "   peak RSS: {:.1} MiB for a {size_mib} MiB input = {rss_ratio:.2}x (target < 3x: {}); output {:.1} MiB",
        peak / 1048576.0,
        if rss_ratio < 3.0 { "met" } else { "MISSED" },
        mib(std::fs::metadata(&out)?.len())
    );
    println!(
        "   all runs: kindling {:?} s, RSS {:?} MiB; gzip -9 {:?} s",
        measure::rounded_seconds(&walls),
        measure::rounded_mib(&rss),
        measure::rounded_seconds(&gzip_walls)
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
    let bin = kindling();
    println!("binary: {}", bin.display());
    if std::env::var_os("BENCH_SKIP_SMALL").is_none() {
        small(&bin)?;
    }
    if std::env::var_os("BENCH_SKIP_LARGE").is_none() {
        large(&bin)?;
    }
    Ok(())
}
