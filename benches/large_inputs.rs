//! Large-input benchmark (issue 16, item 14): the inputs that used to take
//! quadratic time or unbounded memory, each at two sizes, so that linear
//! behaviour shows as a time ratio near the size ratio.
//!
//! - a Butane mapping with 50,000 and 100,000 keys (duplicate-key check);
//! - `diff` of two unrelated texts of 40,000 and 80,000 lines;
//! - a fleet host whose `butane:` fragment has 40,000 and 80,000 files;
//! - an alias bomb: a 1 MB and a 2 MB string aliased 1,000 times (refused).
//!
//! `cargo bench --bench large_inputs`; `BENCH_RUNS` (3) runs per case, the
//! median is printed.

#[path = "common/measure.rs"]
mod measure;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use base64::Engine as _;
use kindling::butane::{self, Options};
use kindling::fleet::{self, secrets::Identities};
use kindling::ignition::model::Config;

fn median(runs: usize, mut case: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            case();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn many_keys(n: usize) -> String {
    let mut source = String::from("variant: fcos\nversion: 1.5.0\nunknown:\n");
    for key in 0..n {
        let _ = writeln!(source, "  key{key}: {key}");
    }
    source
}

fn text_config(prefix: &str, lines: usize) -> Config {
    let text: String = (0..lines).map(|i| format!("{prefix} line {i}\n")).collect();
    let data = base64::engine::general_purpose::STANDARD.encode(text);
    serde_json::from_str(&format!(
        r#"{{"ignition":{{"version":"3.4.0"}},"storage":{{"files":[{{"path":"/a","contents":{{"source":"data:;base64,{data}"}}}}]}}}}"#
    ))
    .expect("a config")
}

fn fleet_with_files(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |relative: &str, text: &str| {
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "fleet.yaml",
        "org: acme\nregistry: registry.example.com/acme\n",
    );
    let mut host = String::from("butane:\n  storage:\n    files:\n");
    for file in 0..n {
        let _ = writeln!(
            host,
            "      - path: /var/lib/many/{file}\n        contents: {{ inline: \"{file}\" }}"
        );
    }
    write("hosts/h1.yaml", &host);
    dir
}

fn alias_bomb(bytes: usize) -> String {
    let aliases = vec!["*big"; 1_000].join(", ");
    format!(
        "variant: fcos\nversion: 1.5.0\na: &big \"{}\"\nb: [{aliases}]\n",
        "x".repeat(bytes)
    )
}

fn main() {
    let runs = measure::env_usize("BENCH_RUNS", 3);
    println!("large inputs, median of {runs} runs");
    for n in [50_000, 100_000] {
        let source = many_keys(n);
        let took = median(runs, || {
            assert!(matches!(kindling::yaml::parse(&source), Ok(Some(_))));
        });
        println!(
            "mapping keys   {n:>7}: {:>9.1} ms",
            took.as_secs_f64() * 1e3
        );
    }
    for lines in [40_000, 80_000] {
        let (old, new) = (text_config("old", lines), text_config("new", lines));
        let took = median(runs, || {
            assert!(
                !kindling::diff::diff_configs(&old, &new)
                    .to_string()
                    .is_empty()
            );
        });
        println!(
            "diff lines     {lines:>7}: {:>9.1} ms",
            took.as_secs_f64() * 1e3
        );
    }
    for files in [40_000, 80_000] {
        let dir = fleet_with_files(files);
        let took = median(runs, || {
            let build = fleet::compile(&fleet::Options {
                root: dir.path().to_path_buf(),
                hosts: Vec::new(),
                target: None,
                identities: Identities::none(),
                now: None,
                out: None,
            });
            assert!(!build.diagnostics.has_errors(), "the fleet compiles");
        });
        println!(
            "fragment files {files:>7}: {:>9.1} ms",
            took.as_secs_f64() * 1e3
        );
    }
    for bytes in [1 << 20, 2 << 20] {
        let source = alias_bomb(bytes);
        let took = median(runs, || {
            let outcome = butane::compile(&source, "bomb.bu", &Options::default());
            assert!(outcome.config.is_none(), "the bomb is refused");
        });
        println!(
            "alias bomb {:>4} KiB x1000: {:>9.1} ms (refused)",
            bytes >> 10,
            took.as_secs_f64() * 1e3
        );
    }
}
