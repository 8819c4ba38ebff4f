//! Live ISO embed areas (`kindling::provision::iso`) against ISOs mastered
//! with xorriso in each live-ISO generation's layout, and against
//! coreos-installer, the format's reference implementation, in both
//! directions.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;

use kindling::provision::initrd::{CONFIG_PATH, Initrd};
use kindling::provision::iso::{Customization, IgnitionFoundBy, IsoError, KargsFoundBy, LiveIso};
use kindling::write::Visibility;

use crate::support::cli::{Run, kindling};
use crate::support::example;
use crate::support::fleet;
use crate::support::liveiso::{self, DEFAULT_KARGS, Generation, IGNITION_SIZE, KARG_SIZE};
use crate::support::tools::{self, Tool};

const CONFIG: &str = r#"{"ignition":{"version":"3.4.0"},"storage":{"files":[{"path":"/etc/hello","contents":{"source":"data:,hi"}}]}}"#;

fn customization(iso: &LiveIso, config: &str, extra: &[&str]) -> Customization {
    let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    Customization {
        initrd: Initrd::with_config(config.as_bytes()).to_xz().expect("xz"),
        kargs: iso.kargs().map(|k| k.default_plus(&extra)),
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o777
}

#[test]
fn embed_areas_of_every_generation_are_found_where_xorriso_put_them() {
    if !tools::require(&[Tool::Xorriso]) {
        return;
    }
    let dir = tools::scratch("iso-areas-");
    for generation in Generation::ALL {
        let built = liveiso::build(dir.path(), &format!("{generation:?}"), generation, None);
        let iso = LiveIso::open(&built.path).unwrap_or_else(|e| panic!("{generation:?}: {e}"));
        let (area, found_by) = iso.ignition_area();
        assert_eq!((area.offset, area.length), built.ignition, "{generation:?}");
        assert_eq!(area.length, IGNITION_SIZE);
        let expected = match generation {
            Generation::Current => IgnitionFoundBy::IgnInfo,
            Generation::HeaderOnly => IgnitionFoundBy::LegacyHeader,
            _ => IgnitionFoundBy::DefaultFile,
        };
        assert_eq!(found_by, expected, "{generation:?}");
        match iso.kargs() {
            Some(kargs) => {
                assert!(generation.has_kargs(), "{generation:?}");
                let mut offsets: Vec<u64> = kargs.slots.iter().map(|s| s.offset).collect();
                offsets.sort_unstable();
                assert_eq!(offsets, built.karg_offsets, "{generation:?}");
                assert_eq!(kargs.size, KARG_SIZE);
                assert_eq!(kargs.default, DEFAULT_KARGS);
                assert_eq!(kargs.current, DEFAULT_KARGS);
                let by = if matches!(generation, Generation::Current | Generation::Kargs2021) {
                    KargsFoundBy::KargsJson
                } else {
                    KargsFoundBy::LegacyHeader
                };
                assert_eq!(kargs.found_by, by, "{generation:?}");
            }
            None => assert!(!generation.has_kargs(), "{generation:?}"),
        }
        assert_eq!(
            iso.features().installer_config,
            generation == Generation::Current
        );
        iso.check_pristine().expect("pristine");
        let embedded = iso.embedded().expect("embedded");
        assert!(embedded.initrd.is_empty());
        assert_eq!(embedded.used, 0);
    }
}

#[test]
fn a_customized_copy_differs_from_the_base_only_in_the_areas() {
    if !tools::require(&[Tool::Xorriso]) {
        return;
    }
    let dir = tools::scratch("iso-copy-");
    for generation in Generation::ALL {
        let built = liveiso::build(dir.path(), &format!("{generation:?}"), generation, None);
        let base_bytes = fs::read(&built.path).expect("read");
        let iso = LiveIso::open(&built.path).expect("open");
        let custom = customization(&iso, CONFIG, &["console=ttyS0,115200n8"]);
        let out = dir.path().join(format!("{generation:?}-out.iso"));
        iso.customize(&custom, &out, Visibility::Secret)
            .expect("customize");
        assert_eq!(mode(&out), 0o600);
        assert!(
            fs::read(&built.path).expect("read") == base_bytes,
            "base untouched"
        );

        let again = dir.path().join(format!("{generation:?}-again.iso"));
        iso.customize(&custom, &again, Visibility::Public)
            .expect("customize");
        assert_eq!(mode(&again), 0o644);
        let out_bytes = fs::read(&out).expect("read");
        assert!(
            out_bytes == fs::read(&again).expect("read"),
            "deterministic"
        );

        // Outside the areas, byte for byte the base.
        assert_eq!(out_bytes.len(), base_bytes.len());
        let mut changed: Vec<(u64, u64)> = vec![built.ignition];
        changed.extend(built.karg_offsets.iter().map(|&o| (o, KARG_SIZE as u64)));
        for (i, (a, b)) in base_bytes.iter().zip(&out_bytes).enumerate() {
            let i = i as u64;
            if a != b {
                assert!(
                    changed.iter().any(|&(o, l)| i >= o && i < o + l),
                    "{generation:?}: byte {i} changed outside the embed areas"
                );
            }
        }

        let back = LiveIso::open(&out).expect("reopen");
        let embedded = back.embedded().expect("embedded");
        assert_eq!(
            embedded.initrd.get(CONFIG_PATH),
            Some(CONFIG.as_bytes()),
            "{generation:?}"
        );
        assert_eq!(embedded.used, custom.initrd.len() as u64);
        if let Some(kargs) = back.kargs() {
            assert_eq!(
                kargs.current,
                format!("{DEFAULT_KARGS} console=ttyS0,115200n8")
            );
            assert_eq!(kargs.default, DEFAULT_KARGS);
        }
        let err = back.check_pristine().expect_err("customized");
        assert!(matches!(err, IsoError::AlreadyCustomized { .. }), "{err}");
        let err = back
            .customize(&custom, &dir.path().join("twice.iso"), Visibility::Public)
            .expect_err("customized");
        assert!(err.to_string().contains("already customized"), "{err}");
    }
}

#[test]
fn bases_that_cannot_take_the_config_are_refused_and_nothing_is_left_behind() {
    if !tools::require(&[Tool::Xorriso]) {
        return;
    }
    let dir = tools::scratch("iso-refuse-");
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).expect("mkdir");

    let plain = liveiso::build_plain(dir.path());
    let err = LiveIso::open(&plain).expect_err("plain ISO");
    assert!(matches!(err, IsoError::NoEmbedArea { .. }), "{err}");
    assert!(err.to_string().contains("not a CoreOS live ISO"), "{err}");

    let built = liveiso::build(dir.path(), "current", Generation::Current, None);
    let iso = LiveIso::open(&built.path).expect("open");
    // Incompressible bytes larger than the area.
    let mut noise = Vec::with_capacity(IGNITION_SIZE as usize + 4096);
    let mut x: u32 = 0x1234_5678;
    while noise.len() < IGNITION_SIZE as usize + 4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.extend(x.to_le_bytes());
    }
    let mut initrd = Initrd::new();
    initrd.add(CONFIG_PATH, noise, 0o600).expect("add");
    let too_big = Customization {
        initrd: initrd.to_xz().expect("xz"),
        kargs: None,
    };
    let err = iso
        .customize(&too_big, &out_dir.join("big.iso"), Visibility::Secret)
        .expect_err("too big");
    assert!(matches!(err, IsoError::TooLarge { .. }), "{err}");

    let long = Customization {
        initrd: Vec::new(),
        kargs: Some("x".repeat(KARG_SIZE)),
    };
    let err = iso
        .customize(&long, &out_dir.join("long.iso"), Visibility::Public)
        .expect_err("kargs too long");
    assert!(matches!(err, IsoError::KargsTooLong { .. }), "{err}");

    let old = liveiso::build(dir.path(), "old", Generation::Headers2020, None);
    let old_iso = LiveIso::open(&old.path).expect("open");
    let with_kargs = Customization {
        initrd: Vec::new(),
        kargs: Some("console=ttyS0".to_owned()),
    };
    let err = old_iso
        .customize(&with_kargs, &out_dir.join("old.iso"), Visibility::Public)
        .expect_err("no karg areas");
    assert!(matches!(err, IsoError::NoKargAreas { .. }), "{err}");

    // A write that fails leaves no temporary file.
    let err = iso
        .customize(
            &customization(&iso, CONFIG, &[]),
            &out_dir.join("no/such/dir/x.iso"),
            Visibility::Public,
        )
        .expect_err("no directory");
    assert!(matches!(err, IsoError::Write { .. }), "{err}");
    assert_eq!(fs::read_dir(&out_dir).expect("ls").count(), 0);
}

#[test]
fn a_broken_description_is_an_error_naming_it() {
    if !tools::require(&[Tool::Xorriso]) {
        return;
    }
    let dir = tools::scratch("iso-broken-");
    let built = liveiso::build(dir.path(), "current", Generation::Current, None);
    let iso = LiveIso::open(&built.path).expect("open");
    // Make the two kernel argument areas disagree.
    let mut bytes = fs::read(&built.path).expect("read");
    let second = built.karg_offsets[1] as usize;
    bytes[second..second + 5].copy_from_slice(b"quiet");
    let broken = dir.path().join("broken.iso");
    fs::write(&broken, &bytes).expect("write");
    let err = LiveIso::open(&broken).expect_err("disagree");
    assert!(err.to_string().contains("disagree"), "{err}");
    drop(iso);
}

/// What `coreos-installer ARGS ISO` prints; it must succeed.
fn coreos_installer(args: &[&str], iso: &Path) -> String {
    let args = args.iter().map(OsStr::new).chain([iso.as_os_str()]);
    String::from_utf8(tools::coreos_installer(args)).expect("utf-8")
}

#[test]
fn coreos_installer_reads_what_kindling_embeds() {
    if !tools::require(&[Tool::Xorriso, Tool::CoreosInstaller]) {
        return;
    }
    let dir = tools::scratch("iso-oracle-");
    for generation in [
        Generation::Current,
        Generation::Kargs2021,
        Generation::Headers2021,
        Generation::Headers2020,
    ] {
        let built = liveiso::build(dir.path(), &format!("{generation:?}"), generation, None);
        let iso = LiveIso::open(&built.path).expect("open");
        let out = dir.path().join(format!("{generation:?}-out.iso"));
        iso.customize(
            &customization(&iso, CONFIG, &["console=ttyS0,115200n8"]),
            &out,
            Visibility::Public,
        )
        .expect("customize");
        assert_eq!(
            coreos_installer(&["iso", "ignition", "show"], &out),
            CONFIG,
            "{generation:?}"
        );
        if generation.has_kargs() {
            assert_eq!(
                coreos_installer(&["iso", "kargs", "show"], &out).trim_end(),
                format!("{DEFAULT_KARGS} console=ttyS0,115200n8"),
                "{generation:?}"
            );
            assert_eq!(
                coreos_installer(&["iso", "kargs", "show", "--default"], &out).trim_end(),
                DEFAULT_KARGS
            );
        }
    }
}

#[test]
fn kindling_reads_what_coreos_installer_embeds() {
    if !tools::require(&[Tool::Xorriso, Tool::CoreosInstaller]) {
        return;
    }
    let dir = tools::scratch("iso-reverse-");
    let config_path = dir.path().join("config.ign");
    fs::write(&config_path, CONFIG).expect("write");
    for generation in [
        Generation::Current,
        Generation::Kargs2021,
        Generation::Headers2020,
    ] {
        let built = liveiso::build(dir.path(), &format!("{generation:?}"), generation, None);
        let out = dir.path().join(format!("{generation:?}-ci.iso"));
        let kargs: &[&str] = if generation.has_kargs() {
            &["--live-karg-append", "console=ttyS0,115200n8"]
        } else {
            &[]
        };
        let customize = ["iso", "customize", "--live-ignition"].map(OsStr::new);
        tools::coreos_installer(
            customize
                .into_iter()
                .chain([config_path.as_os_str(), OsStr::new("-o"), out.as_os_str()])
                .chain(kargs.iter().map(OsStr::new))
                .chain([built.path.as_os_str()]),
        );
        let iso = LiveIso::open(&out).expect("open");
        let embedded = iso.embedded().expect("embedded");
        let live = embedded.initrd.get(CONFIG_PATH).expect("config.ign");
        let live: serde_json::Value = serde_json::from_slice(live).expect("json");
        let want: serde_json::Value = serde_json::from_str(CONFIG).expect("json");
        // coreos-installer wraps --live-ignition in a config of its own that
        // merges it from a gzip data URL: unwrap it and compare.
        let merged = &live["ignition"]["config"]["merge"][0];
        let source = merged["source"].as_str().expect("merge source");
        let inner = kindling::dataurl::decode_resource(
            source,
            merged["compression"].as_str(),
            kindling::dataurl::MAX_DECODED_BYTES,
        )
        .expect("decodes");
        let inner: serde_json::Value = serde_json::from_slice(&inner).expect("json");
        assert_eq!(
            inner["storage"]["files"][0]["path"], want["storage"]["files"][0]["path"],
            "{generation:?}: {live}"
        );
        if generation.has_kargs() {
            assert_eq!(
                iso.kargs().expect("kargs").current,
                format!("{DEFAULT_KARGS} console=ttyS0,115200n8")
            );
        }
        let err = iso.check_pristine().expect_err("customized");
        assert!(matches!(err, IsoError::AlreadyCustomized { .. }), "{err}");

        // `iso ignition embed` writes the config verbatim.
        let embedded_path = dir.path().join(format!("{generation:?}-embed.iso"));
        let embed = ["iso", "ignition", "embed", "-i"].map(OsStr::new);
        tools::coreos_installer(embed.into_iter().chain([
            config_path.as_os_str(),
            OsStr::new("-o"),
            embedded_path.as_os_str(),
            built.path.as_os_str(),
        ]));
        let iso = LiveIso::open(&embedded_path).expect("open");
        assert_eq!(
            iso.embedded().expect("embedded").initrd.get(CONFIG_PATH),
            Some(CONFIG.as_bytes())
        );
    }
}

#[test]
fn kindling_iso_live_writes_each_host_and_iso_show_reads_it_back() {
    if !tools::require(&[Tool::Xorriso]) {
        return;
    }
    let dir = tools::scratch("iso-cli-");
    let base = liveiso::build(dir.path(), "base", Generation::Current, None);
    let base_bytes = fs::read(&base.path).expect("read");
    let (_example, root) = example::copy();
    let out = dir.path().join("out");
    let run = kindling_iso(&["beam00", "relay01", "--live"], &root, &base.path, &out);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        fs::read(&base.path).expect("read") == base_bytes,
        "base untouched"
    );
    let hosts = example::compile(&["beam00", "relay01"], None);
    for host in &hosts {
        let iso = out.join(format!("{}.iso", host.name));
        let secret = host.secrets.any();
        assert_eq!(
            mode(&iso),
            if secret { 0o600 } else { 0o644 },
            "{}",
            host.name
        );
        let warned = run.stderr.contains(&format!(
            "warning: {} embeds secrets; it is mode 0600",
            iso.display()
        ));
        assert_eq!(warned, secret, "{}", run.stderr);
        // The live config is the published config, byte for byte.
        let shown = iso_show(&["--live-config"], &iso);
        assert_eq!(shown.code, Some(0), "{}", shown.stderr);
        assert!(shown.stdout.as_bytes() == host.json, "{}", host.name);
        let shown = iso_show(&[], &iso);
        assert_eq!(shown.code, Some(0), "{}", shown.stderr);
        assert!(
            shown
                .stdout
                .contains("live ISO: the config applies to the live system"),
            "{}",
            shown.stdout
        );
        assert!(
            shown.stdout.contains("found by coreos/igninfo.json"),
            "{}",
            shown.stdout
        );
        let dest = iso_show(&["--dest-config"], &iso);
        assert_eq!(dest.code, Some(1));
        assert!(
            dest.stderr.contains("not an installer ISO"),
            "{}",
            dest.stderr
        );
    }
    // The same inputs give the same bytes.
    let again = dir.path().join("again");
    let run = kindling_iso(&["relay01", "--live"], &root, &base.path, &again);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        fs::read(out.join("relay01.iso")).expect("read")
            == fs::read(again.join("relay01.iso")).expect("read")
    );

    // A customized ISO is no base; nothing is compiled or written.
    let refused = dir.path().join("refused");
    let run = kindling_iso(
        &["relay01", "--live"],
        &root,
        &out.join("relay01.iso"),
        &refused,
    );
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("is already customized"),
        "{}",
        run.stderr
    );
    assert!(!refused.exists());
    // An unknown host: nothing written.
    let run = kindling_iso(&["nosuchhost", "--live"], &root, &base.path, &refused);
    assert_eq!(run.code, Some(1));
    assert!(!refused.exists());
}

/// `kindling iso ARGS --fleet FLEET --base BASE --out OUT`.
fn kindling_iso(args: &[&str], fleet: &Path, base: &Path, out: &Path) -> Run {
    Run::of(
        kindling()
            .arg("iso")
            .args(args)
            .arg("--fleet")
            .arg(fleet)
            .arg("--base")
            .arg(base)
            .arg("--out")
            .arg(out),
    )
}

/// `kindling iso show FLAGS ISO`.
fn iso_show(flags: &[&str], iso: &Path) -> Run {
    Run::of(kindling().args(["iso", "show"]).args(flags).arg(iso))
}

#[test]
fn kindling_iso_writes_installer_isos_coreos_installer_reads() {
    if !tools::require(&[Tool::Xorriso, Tool::CoreosInstaller]) {
        return;
    }
    use sha2::Digest as _;
    let dir = tools::scratch("iso-installer-");
    let base = liveiso::build(dir.path(), "base", Generation::Current, None);
    let (_example, root) = example::copy();
    let out = dir.path().join("out");
    let run = kindling_iso(&["beam00", "relay01", "mouse"], &root, &base.path, &out);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let devices = [
        (
            "beam00",
            "/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T000000X",
        ),
        (
            "relay01",
            "/dev/disk/by-id/ata-Samsung_SSD_870_EVO_250GB_S6PENL0T000000A",
        ),
        (
            "mouse",
            "/dev/disk/by-id/ata-WDC_WD40EFPX-68C6CN0_WD-WX12D0000000",
        ),
    ];
    let hosts = example::compile(&["beam00", "relay01", "mouse"], None);
    for host in &hosts {
        let device = devices
            .iter()
            .find(|(name, _)| *name == host.name)
            .map(|(_, d)| *d)
            .expect("device");
        let iso = out.join(format!("{}.iso", host.name));
        assert!(
            run.stderr.contains(&format!(
                "{} installs {} to {device} without asking",
                iso.display(),
                host.name
            )),
            "{}",
            run.stderr
        );
        // coreos-installer reads the live config kindling wrote itself...
        let live_text = coreos_installer(&["iso", "ignition", "show"], &iso);
        let live: serde_json::Value = serde_json::from_str(&live_text).expect("live config JSON");
        let live_file = |path| fleet::json_config_file(live_text.as_bytes(), path);
        assert_eq!(live["ignition"]["version"], "3.3.0");
        // ...whose destination config is build/<host>.ign byte for byte,
        let dest = live_file("/etc/coreos/dest.ign").expect("dest.ign");
        assert!(
            dest == host.json,
            "{}: destination config differs",
            host.name
        );
        // handed to the installer with its sha512 and the device.
        let config =
            live_file("/etc/coreos/installer.d/50-kindling.yaml").expect("installer config");
        let config = String::from_utf8(config).expect("utf-8");
        let sha512: String = sha2::Sha512::digest(&host.json)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        for line in [
            format!("dest-device: \"{device}\""),
            "ignition-file: \"/etc/coreos/dest.ign\"".to_owned(),
            format!("ignition-hash: \"sha512-{sha512}\""),
            "console: [\"tty0\", \"ttyS0,115200n8\"]".to_owned(),
        ] {
            assert!(config.lines().any(|l| l == line), "{line}:\n{config}");
        }
        // coreos-installer itself accepts the installer config: every key
        // and value parses (it has deny_unknown_fields), so it gets as far
        // as opening the destination config, which only the live system has.
        let config_path = dir.path().join(format!("{}.yaml", host.name));
        fs::write(&config_path, &config).expect("write");
        let installed = tools::coreos_installer_output([
            OsStr::new("install"),
            OsStr::new("--config-file"),
            config_path.as_os_str(),
        ]);
        let stderr = String::from_utf8_lossy(&installed.stderr);
        assert!(!installed.status.success());
        assert!(
            stderr.contains("opening source Ignition config /etc/coreos/dest.ign"),
            "{stderr}"
        );
        // The live system speaks on the installed system's consoles.
        assert_eq!(
            coreos_installer(&["iso", "kargs", "show"], &iso).trim_end(),
            format!("{DEFAULT_KARGS} console=tty0 console=ttyS0,115200n8")
        );
        // kindling reads it back the same way.
        let shown = iso_show(&["--dest-config"], &iso);
        assert_eq!(shown.code, Some(0), "{}", shown.stderr);
        assert!(shown.stdout.as_bytes() == host.json, "{}", host.name);
        let shown = iso_show(&[], &iso);
        for want in [
            format!("installer ISO: installs to {device} without asking"),
            "wrong-machine guard: /usr/local/bin/kindling-install-guard".to_owned(),
        ] {
            assert!(shown.stdout.contains(&want), "{want}:\n{}", shown.stdout);
        }
    }

    // A host without install: gets no installer ISO, and says how to get
    // a live one; nothing is written.
    let (_fleet, bare) = example::copy();
    let relay = fs::read_to_string(bare.join("hosts/relay01.yaml")).expect("read");
    let cut: String = relay
        .lines()
        .filter(|l| !l.starts_with("install:") && !l.starts_with("  device:"))
        .filter(|l| !l.starts_with("  macs:") && !l.starts_with("  kargs:"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(bare.join("hosts/relay01.yaml"), cut).expect("write");
    let refused = dir.path().join("refused");
    let run = kindling_iso(&["relay01"], &bare, &base.path, &refused);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("relay01 has no install.device") && run.stderr.contains("live-only"),
        "{}",
        run.stderr
    );
    assert!(!refused.exists());
    // A live image without installer.d support: refused before writing.
    let old = liveiso::build(dir.path(), "old", Generation::Kargs2021, None);
    let run = kindling_iso(&["relay01"], &root, &old.path, &refused);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot install from a config"),
        "{}",
        run.stderr
    );
    assert!(!refused.exists());
}

#[test]
fn iso_commands_have_help_man_pages_and_completions() {
    let help = Run::of(kindling().args(["iso", "--help"]));
    assert_eq!(help.code, Some(0));
    for word in [
        "--base",
        "--live",
        "--out",
        "show",
        "never re-mastered",
        "install.macs",
        "without touching any",
    ] {
        assert!(help.stdout.contains(word), "{word}: {}", help.stdout);
    }
    let help = Run::of(kindling().args(["iso", "show", "--help"]));
    for word in ["--live-config", "--dest-config", "secrets included"] {
        assert!(help.stdout.contains(word), "{word}: {}", help.stdout);
    }
    let help = Run::of(kindling().args(["vm", "--help"]));
    for word in ["--iso", "--target-disk", "--mac", "--uefi", "--uuid"] {
        assert!(help.stdout.contains(word), "{word}: {}", help.stdout);
    }
    let pages = tempfile::tempdir().expect("tempdir");
    let run = Run::of(kindling().arg("man").arg("--out-dir").arg(pages.path()));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(pages.path().join("kindling-iso.1").is_file());
    assert!(pages.path().join("kindling-iso-show.1").is_file());
    let bash = Run::of(kindling().args(["completions", "bash"]));
    assert!(bash.stdout.contains("--live-config"));
    // Without --base there is nothing to start from.
    let run = Run::of(kindling().args(["iso", "h1"]));
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("--base"), "{}", run.stderr);
}
