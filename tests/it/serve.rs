//! `kindling serve` against real sockets: the security properties (plain
//! HTTP refusal, `--once`, tokens, path traversal, slow clients, oversized
//! headers, `--allow`), install state and re-arming, and atomic reloads.
//! The server runs in-process ([`kindling::serve::start`]) on a loopback
//! port the kernel picks; requests are raw HTTP/1.1 over `TcpStream`, so
//! nothing between the test and the server normalizes paths.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kindling::digest::sha256_hex;
use kindling::fleet::install::InstallPlan;
use kindling::provision::install;
use kindling::serve::log::LogFormat;
use kindling::serve::token::FleetKey;
use kindling::serve::{self, Config, HostInfo, Limits, ServeError};

const BEAM_MAC: &str = "52:54:00:be:a0:00";

/// Publishes a generation the way `kindling build` does: `.gen-<n>` with
/// the configs and `manifest.json`, then `.current` renamed over.
fn publish(build: &Path, n: u32, hosts: &[(&str, &[u8], bool)]) {
    let generation = build.join(format!(".gen-{n}"));
    fs::create_dir_all(&generation).expect("generation dir");
    let mut entries = serde_json::Map::new();
    for (name, bytes, secret) in hosts {
        fs::write(generation.join(format!("{name}.ign")), bytes).expect("config");
        entries.insert(
            (*name).to_owned(),
            serde_json::json!({
                "output": format!("{name}.ign"),
                "sha256": sha256_hex(bytes),
                "ignition_version": "3.4.0",
                "secret": secret,
                "inputs": {},
            }),
        );
    }
    let manifest = serde_json::json!({"generator": "test", "hosts": entries});
    fs::write(generation.join("manifest.json"), manifest.to_string()).expect("manifest");
    let temp = build.join(".current.tmp");
    let _ = fs::remove_file(&temp);
    symlink(format!(".gen-{n}"), &temp).expect("link");
    fs::rename(&temp, build.join(".current")).expect("publish");
}

fn hosts() -> Vec<HostInfo> {
    let mut beam = HostInfo::named("beam00");
    beam.macs = vec![BEAM_MAC.parse().expect("mac")];
    beam.install = Some(InstallPlan {
        device: Some("/dev/disk/by-id/virtio-beam00".to_owned()),
        macs: vec![BEAM_MAC.to_owned()],
        ..InstallPlan::default()
    });
    let mut mouse = HostInfo::named("mouse");
    mouse.macs = vec![
        "52:54:00:00:00:0a".parse().expect("mac"),
        "52:54:00:00:00:0b".parse().expect("mac"),
    ];
    vec![beam, mouse]
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let build = dir.path().join("build");
        fs::create_dir(&build).expect("build");
        publish(
            &build,
            1,
            &[
                (
                    "beam00",
                    b"{\"ignition\":{\"version\":\"3.4.0\"},\"secret\":1}\n",
                    true,
                ),
                ("mouse", b"{\"ignition\":{\"version\":\"3.4.0\"}}\n", false),
            ],
        );
        let assets = dir.path().join("assets");
        fs::create_dir(&assets).expect("assets");
        fs::write(assets.join("fedora-coreos-1-live-kernel-x86_64"), b"KERNEL").expect("kernel");
        fs::write(
            assets.join("fedora-coreos-1-live-rootfs.x86_64.img"),
            b"ROOTFS",
        )
        .expect("rootfs");
        fs::write(
            assets.join("fedora-coreos-1-live-initramfs.x86_64.img"),
            b"0123456789",
        )
        .expect("initrd");
        Fixture { dir }
    }

    fn build(&self) -> std::path::PathBuf {
        self.dir.path().join("build")
    }

    fn config(&self) -> Config {
        Config {
            build: self.build(),
            listen: "127.0.0.1:0".parse().expect("addr"),
            assets: Some(self.dir.path().join("assets")),
            tls: None,
            allow: Vec::new(),
            once: false,
            insecure_http: false,
            url: None,
            fleet_key: None,
            require_token: false,
            log_format: LogFormat::Json,
            limits: Limits::default(),
            hosts: Arc::new(|| Ok(hosts())),
            poll: Duration::from_millis(50),
        }
    }
}

struct Reply {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

fn request(addr: SocketAddr, raw: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(raw.as_bytes()).expect("send");
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(&bytes)));
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    Reply {
        status,
        head,
        body: bytes[split + 4..].to_vec(),
    }
}

fn get(addr: SocketAddr, target: &str, headers: &str) -> Reply {
    request(
        addr,
        &format!("GET {target} HTTP/1.1\r\nHost: pxe.test\r\n{headers}Connection: close\r\n\r\n"),
    )
}

#[test]
fn secret_configs_over_plain_http_on_a_reachable_address_are_refused_at_start() {
    let fixture = Fixture::new();
    let mut config = fixture.config();
    config.listen = "0.0.0.0:0".parse().expect("addr");
    let Err(error) = serve::start(config) else {
        panic!("started");
    };
    assert!(matches!(error, ServeError::PlainSecrets { .. }), "{error}");
    assert!(
        error.to_string().contains("beam00 embed decrypted secrets"),
        "{error}"
    );
    let mut config = fixture.config();
    config.listen = "0.0.0.0:0".parse().expect("addr");
    config.insecure_http = true;
    assert!(serve::start(config).is_ok());
    assert!(serve::start(fixture.config()).is_ok(), "loopback is fine");
}

#[test]
fn a_config_is_served_exactly_with_its_etag_and_unknown_macs_get_404() {
    let fixture = Fixture::new();
    let server = serve::start(fixture.config()).expect("start");
    let bytes = b"{\"ignition\":{\"version\":\"3.4.0\"}}\n";
    let reply = get(server.addr(), "/ignition?mac=52-54-00-00-00-0B", "");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, bytes);
    assert_eq!(
        reply.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(reply.header("cache-control").as_deref(), Some("no-store"));
    let etag = format!("\"sha256-{}\"", sha256_hex(bytes));
    assert_eq!(reply.header("etag"), Some(etag.clone()));
    let again = get(
        server.addr(),
        "/ignition?mac=52:54:00:00:00:0a",
        &format!("If-None-Match: {etag}\r\n"),
    );
    assert_eq!(again.status, 304);
    assert_eq!(
        get(server.addr(), "/ignition?mac=52:54:00:00:00:99", "").status,
        404
    );
    assert_eq!(
        get(server.addr(), "/ipxe?mac=52:54:00:00:00:99&mac=", "").status,
        404
    );
    assert_eq!(get(server.addr(), "/ignition", "").status, 404);
}

#[test]
fn once_serves_a_secret_config_once_per_arming() {
    let fixture = Fixture::new();
    let mut config = fixture.config();
    config.once = true;
    let server = serve::start(config).expect("start");
    let target = format!("/ignition?mac={BEAM_MAC}");
    assert_eq!(get(server.addr(), &target, "").status, 200);
    assert_eq!(get(server.addr(), &target, "").status, 410);
    // Public configs are not limited.
    assert_eq!(
        get(server.addr(), "/ignition?mac=52:54:00:00:00:0a", "").status,
        200
    );
    assert_eq!(
        get(server.addr(), "/ignition?mac=52:54:00:00:00:0a", "").status,
        200
    );
    serve::rearm(&fixture.build(), "beam00").expect("rearm");
    wait_for(|| get(server.addr(), &target, "").status == 200);
    assert_eq!(get(server.addr(), &target, "").status, 410);
}

fn wait_for(mut done: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < until, "timed out");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_installed_host_boots_local_until_rearmed_across_restarts() {
    let fixture = Fixture::new();
    let server = serve::start(fixture.config()).expect("start");
    let ipxe = format!("/ipxe?mac=&mac={}&arch=x86_64", BEAM_MAC.replace(':', "-"));
    let script = String::from_utf8(get(server.addr(), &ipxe, "").body).expect("utf-8");
    assert!(script.starts_with("#!ipxe\n"), "{script}");
    // The live system fetches the installer's live config (the guard runs
    // before anything is written), not a bare coreos.inst.install_dev.
    assert!(script.contains("kernel http://pxe.test/assets/fedora-coreos-1-live-kernel-x86_64 initrd=main ignition.firstboot ignition.platform.id=metal ignition.config.url=http://pxe.test/ignition?mac=52-54-00-be-a0-00&live=1 coreos.live.rootfs_url=http://pxe.test/assets/fedora-coreos-1-live-rootfs.x86_64.img\n"), "{script}");
    assert!(!script.contains("coreos.inst."), "{script}");
    assert!(
        script.contains(
            "initrd --name main http://pxe.test/assets/fedora-coreos-1-live-initramfs.x86_64.img\n"
        ),
        "{script}"
    );
    let live = get(
        server.addr(),
        &format!("/ignition?mac={BEAM_MAC}&live=1"),
        "",
    );
    assert_eq!(live.status, 200);
    let beam = hosts()
        .into_iter()
        .find(|h| h.name == "beam00")
        .expect("beam00");
    let own = fs::read(fixture.build().join(".current/beam00.ign")).expect("config");
    let expected = beam.pxe().live_config(&own).expect("live config");
    assert_eq!(live.body, expected, "the installer's live config");
    assert!(
        String::from_utf8_lossy(&live.body).contains(install::GUARD_PATH),
        "it carries the guard"
    );
    let local = String::from_utf8(get(server.addr(), &ipxe, "").body).expect("utf-8");
    assert!(
        local.contains("sanboot --no-describe --drive 0x80"),
        "{local}"
    );
    drop(server);
    let state = fs::read_to_string(fixture.build().join(".serve/state.json")).expect("state");
    assert!(state.contains("\"installed\": true"), "{state}");
    let server = serve::start(fixture.config()).expect("restart");
    let local = String::from_utf8(get(server.addr(), &ipxe, "").body).expect("utf-8");
    assert!(
        local.contains("sanboot"),
        "state survives a restart: {local}"
    );
    serve::rearm(&fixture.build(), "beam00").expect("rearm");
    wait_for(|| {
        String::from_utf8_lossy(&get(server.addr(), &ipxe, "").body)
            .contains("ignition.config.url=")
    });
    let status = String::from_utf8(get(server.addr(), "/", "").body).expect("utf-8");
    assert!(status.contains("beam00\tyes\tyes\tno\t0\t"), "{status}");
}

fn post(addr: SocketAddr, target: &str, headers: &str) -> Reply {
    request(
        addr,
        &format!(
            "POST {target} HTTP/1.1\r\nHost: pxe.test\r\n{headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    )
}

#[test]
fn an_installed_system_reports_in_and_boots_local_across_restarts() {
    let fixture = Fixture::new();
    let server = serve::start(fixture.config()).expect("start");
    let ipxe = format!("/ipxe?mac={}", BEAM_MAC.replace(':', "-"));
    let script = |addr| String::from_utf8(get(addr, &ipxe, "").body).expect("utf-8");
    assert!(script(server.addr()).contains("ignition.config.url="));
    let installed = format!("/installed?mac={BEAM_MAC}");
    let reply = post(server.addr(), &installed, "");
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, b"beam00: installed\n");
    assert!(script(server.addr()).contains("sanboot --no-describe --drive 0x80"));
    // Again: the same answer, nothing else changes.
    assert_eq!(post(server.addr(), &installed, "").status, 200);
    assert_eq!(
        post(server.addr(), "/installed?mac=52:54:00:ff:ff:ff", "").status,
        404
    );
    assert_eq!(post(server.addr(), "/installed", "").status, 404);
    let with_body = request(
        server.addr(),
        &format!(
            "POST /installed?mac={BEAM_MAC} HTTP/1.1\r\nHost: pxe.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
        ),
    );
    assert_eq!(with_body.status, 413, "a body is refused, not ignored");
    let chunked = request(
        server.addr(),
        "GET /healthz HTTP/1.1\r\nHost: pxe.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    assert_eq!(chunked.status, 413);
    let wrong = get(server.addr(), &installed, "");
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow").as_deref(), Some("POST"));
    let elsewhere = post(server.addr(), "/ignition?mac=52:54:00:00:00:0a", "");
    assert_eq!(elsewhere.status, 405);
    assert_eq!(elsewhere.header("allow").as_deref(), Some("GET, HEAD"));
    let status = String::from_utf8(get(server.addr(), "/", "").body).expect("utf-8");
    assert!(status.contains("beam00\tyes\tyes\tyes\t0\t"), "{status}");
    drop(server);
    let state = fs::read_to_string(fixture.build().join(".serve/state.json")).expect("state");
    assert!(state.contains("\"installed\": true"), "{state}");
    assert!(state.contains("\"last_report\": "), "{state}");
    let server = serve::start(fixture.config()).expect("restart");
    assert!(
        script(server.addr()).contains("sanboot"),
        "the report survives a restart"
    );
}

#[test]
fn a_report_in_follows_the_allow_list_and_token_rules() {
    let fixture = Fixture::new();
    let mut config = fixture.config();
    config.allow = vec!["10.0.0.0/8".parse().expect("net")];
    let server = serve::start(config).expect("start");
    assert_eq!(
        post(server.addr(), &format!("/installed?mac={BEAM_MAC}"), "").status,
        403
    );
    drop(server);
    let key = || FleetKey::new(vec![42; 32]).expect("key");
    let mut config = fixture.config();
    config.fleet_key = Some(key());
    config.require_token = true;
    let server = serve::start(config).expect("start");
    let installed = format!("/installed?mac={BEAM_MAC}");
    assert_eq!(post(server.addr(), &installed, "").status, 401);
    let wrong = format!("Authorization: Bearer {}\r\n", key().token("mouse"));
    assert_eq!(post(server.addr(), &installed, &wrong).status, 401);
    let ipxe = format!("/ipxe?mac={BEAM_MAC}");
    assert!(!String::from_utf8_lossy(&get(server.addr(), &ipxe, "").body).contains("sanboot"));
    let right = format!("Authorization: Bearer {}\r\n", key().token("beam00"));
    assert_eq!(post(server.addr(), &installed, &right).status, 200);
    assert_eq!(
        post(server.addr(), "/installed?host=beam00", &right).status,
        200
    );
    assert!(String::from_utf8_lossy(&get(server.addr(), &ipxe, "").body).contains("sanboot"));
}

#[test]
fn missing_boot_files_are_named_at_start() {
    let fixture = Fixture::new();
    fs::remove_file(
        fixture
            .dir
            .path()
            .join("assets/fedora-coreos-1-live-rootfs.x86_64.img"),
    )
    .expect("remove rootfs");
    let (mut child, addr, lines) = serve_process(&fixture, &[]);
    let warning = wait_line(&lines, "live rootfs image");
    assert!(
        warning.contains("level=WARN")
            && warning.contains("has no Fedora CoreOS live rootfs image for x86_64 (a file named *-live-rootfs.x86_64.img): /ipxe answers 503 for beam00 until it is there; `coreos-installer download -f pxe -a x86_64"),
        "{warning}"
    );
    let reply = get(addr, &format!("/ipxe?mac={BEAM_MAC}"), "");
    assert_eq!(reply.status, 503);
    sigterm(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success());
    // With every file there, nothing is said.
    let fixture = Fixture::new();
    let (mut child, _, lines) = serve_process(&fixture, &[]);
    sigterm(&child);
    let mut said = Vec::new();
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a log line");
        let last = line.contains("stopped");
        said.push(line);
        if last {
            break;
        }
    }
    assert!(wait_exit(&mut child, Duration::from_secs(30)).success());
    assert!(!said.iter().any(|l| l.contains("has no")), "{said:?}");
}

#[test]
fn pointer_configs_need_the_hosts_token() {
    let fixture = Fixture::new();
    let key = || FleetKey::new(vec![42; 32]).expect("key");
    let mut config = fixture.config();
    config.fleet_key = Some(key());
    let server = serve::start(config).expect("start");
    let token = key().token("beam00");
    let target = "/ignition?host=beam00";
    assert_eq!(
        get(
            server.addr(),
            target,
            &format!("Authorization: Bearer {token}\r\n")
        )
        .status,
        200
    );
    assert_eq!(get(server.addr(), target, "").status, 401);
    assert_eq!(
        get(
            server.addr(),
            target,
            &format!("Authorization: Bearer {}\r\n", key().token("mouse"))
        )
        .status,
        401
    );
    assert_eq!(get(server.addr(), "/ignition?host=nobody", "").status, 404);
    // Without --require-token a MAC still fetches; with it, only the token.
    assert_eq!(
        get(server.addr(), &format!("/ignition?mac={BEAM_MAC}"), "").status,
        200
    );
    drop(server);
    let mut config = fixture.config();
    config.fleet_key = Some(key());
    config.require_token = true;
    let server = serve::start(config).expect("start");
    assert_eq!(
        get(server.addr(), &format!("/ignition?mac={BEAM_MAC}"), "").status,
        401
    );
    assert_eq!(
        get(
            server.addr(),
            &format!("/ignition?mac={BEAM_MAC}&token={token}"),
            ""
        )
        .status,
        200
    );
}

#[test]
fn pointer_config_cli_prints_hash_and_token() {
    let fixture = Fixture::new();
    let key = fixture.dir.path().join("fleet.key");
    fs::write(&key, [42u8; 32]).expect("key");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kindling"))
        .args(["serve", "--build"])
        .arg(fixture.build())
        .arg("--token-key")
        .arg(&key)
        .args(["--pointer", "beam00", "--url", "https://pxe.lan:8443/"])
        .output()
        .expect("run");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let pointer: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let replace = &pointer["ignition"]["config"]["replace"];
    assert_eq!(pointer["ignition"]["version"], "3.1.0");
    assert_eq!(
        replace["source"],
        "https://pxe.lan:8443/ignition?host=beam00"
    );
    assert!(
        replace["verification"]["hash"]
            .as_str()
            .is_some_and(|h| h.starts_with("sha512-") && h.len() == 7 + 128)
    );
    let token = FleetKey::new(vec![42; 32]).expect("key").token("beam00");
    assert_eq!(
        replace["httpHeaders"][0]["value"],
        format!("Bearer {token}")
    );
}

#[test]
fn assets_never_lead_out_of_the_assets_directory() {
    let fixture = Fixture::new();
    let assets = fixture.dir.path().join("assets");
    symlink(fixture.build().join("beam00.ign"), assets.join("escape")).expect("symlink");
    symlink(fixture.build(), assets.join("builddir")).expect("symlink");
    symlink("fedora-coreos-1-live-kernel-x86_64", assets.join("kernel")).expect("symlink");
    fs::create_dir(assets.join("sub")).expect("sub");
    fs::write(assets.join("sub/file"), b"inside").expect("file");
    let server = serve::start(fixture.config()).expect("start");
    for target in [
        "/assets/../build/beam00.ign",
        "/assets/%2e%2e/build/beam00.ign",
        "/assets/%2E%2E%2Fbuild%2Fbeam00.ign",
        "/assets/sub/..%2f..%2fbuild/beam00.ign",
        "/assets/sub%2f..%2f..%2fbuild%2fbeam00.ign",
        "/assets/..%5cbuild%5cbeam00.ign",
        "/assets/escape",
        "/assets/builddir/beam00.ign",
        "/assets//etc/passwd",
        "/assets/%2fetc%2fpasswd",
        "/assets/sub",
        "/assets/",
    ] {
        assert_eq!(get(server.addr(), target, "").status, 404, "{target}");
    }
    assert_eq!(get(server.addr(), "/assets/kernel", "").body, b"KERNEL");
    assert_eq!(get(server.addr(), "/assets/sub/file", "").body, b"inside");
    let part = get(
        server.addr(),
        "/assets/fedora-coreos-1-live-initramfs.x86_64.img",
        "Range: bytes=2-5\r\n",
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, b"2345");
    assert_eq!(
        part.header("content-range").as_deref(),
        Some("bytes 2-5/10")
    );
    let tail = get(
        server.addr(),
        "/assets/fedora-coreos-1-live-initramfs.x86_64.img",
        "Range: bytes=7-\r\n",
    );
    assert_eq!(tail.body, b"789");
    let past = get(
        server.addr(),
        "/assets/fedora-coreos-1-live-initramfs.x86_64.img",
        "Range: bytes=10-\r\n",
    );
    assert_eq!(past.status, 416);
    assert_eq!(past.header("content-range").as_deref(), Some("bytes */10"));
}

#[test]
fn a_slow_loris_client_is_cut_off_and_oversized_headers_refused() {
    let fixture = Fixture::new();
    let mut config = fixture.config();
    config.limits.header_timeout = Duration::from_secs(1);
    config.limits.idle_timeout = Duration::from_secs(2);
    let server = serve::start(config).expect("start");
    let started = Instant::now();
    let mut stream = TcpStream::connect(server.addr()).expect("connect");
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .expect("send");
    let mut closed = false;
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(250));
        if stream.write_all(b"X-Slow: y\r\n").is_err() {
            closed = true;
            break;
        }
        stream
            .set_read_timeout(Some(Duration::from_millis(1)))
            .expect("timeout");
        let mut byte = [0u8; 512];
        if stream.read(&mut byte).is_ok() {
            closed = true;
            break;
        }
    }
    assert!(closed, "a client trickling headers must be cut off");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    // A connection that sends nothing at all is closed after the idle timeout.
    let started = Instant::now();
    let mut idle = TcpStream::connect(server.addr()).expect("connect");
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = [0u8; 16];
    let _ = idle.read(&mut buf);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let big = format!("X-Big: {}\r\n", "a".repeat(64 * 1024));
    let reply = get(server.addr(), "/healthz", &big);
    assert_eq!(reply.status, 431);
    assert_eq!(get(server.addr(), "/healthz", "").status, 200);
}

#[test]
fn allow_and_methods() {
    let fixture = Fixture::new();
    let mut config = fixture.config();
    config.allow = vec!["10.0.0.0/8".parse().expect("net")];
    let server = serve::start(config).expect("start");
    assert_eq!(
        get(server.addr(), "/ignition?mac=52:54:00:00:00:0a", "").status,
        403
    );
    drop(server);
    let server = serve::start(fixture.config()).expect("start");
    let reply = request(
        server.addr(),
        "POST /ignition HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(reply.status, 405);
}

#[test]
fn a_new_build_is_picked_up_whole() {
    let fixture = Fixture::new();
    let server = serve::start(fixture.config()).expect("start");
    let target = "/ignition?mac=52:54:00:00:00:0a";
    assert_eq!(
        get(server.addr(), target, "").body,
        b"{\"ignition\":{\"version\":\"3.4.0\"}}\n"
    );
    publish(
        &fixture.build(),
        2,
        &[(
            "mouse",
            b"{\"ignition\":{\"version\":\"3.4.0\"},\"v\":2}\n",
            false,
        )],
    );
    wait_for(|| {
        get(server.addr(), target, "").body == b"{\"ignition\":{\"version\":\"3.4.0\"},\"v\":2}\n"
    });
    assert!(
        get(server.addr(), "/healthz", "")
            .body
            .starts_with(b"ok .gen-2")
    );
    // A build whose bytes do not match its manifest is not served; the
    // previous one stays.
    publish(&fixture.build(), 3, &[("mouse", b"{}", false)]);
    fs::write(
        fixture.build().join(".gen-3/mouse.ign"),
        b"{\"tampered\":1}",
    )
    .expect("tamper");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        get(server.addr(), target, "").body,
        b"{\"ignition\":{\"version\":\"3.4.0\"},\"v\":2}\n"
    );
}

#[test]
fn dnsmasq_example_and_rearm_cli() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kindling"))
        .args([
            "serve",
            "--dnsmasq-example",
            "--url",
            "http://192.168.1.10:8080",
        ])
        .output()
        .expect("run");
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).expect("utf-8");
    assert!(text.contains("dhcp-range=192.168.1.0,proxy"), "{text}");
    assert!(
        text.contains("dhcp-boot=tag:ipxe,http://192.168.1.10:8080/boot.ipxe"),
        "{text}"
    );
    // Every x86 firmware kind gets iPXE first and then the script.
    for arch in ["x86PC", "BC_EFI", "X86-64_EFI"] {
        assert!(
            text.contains(&format!("tag:!ipxe,{arch},")),
            "{arch}: {text}"
        );
        assert!(
            text.contains(&format!(
                "tag:ipxe,{arch},\"kindling\",http://192.168.1.10:8080/boot.ipxe"
            )),
            "{arch}: {text}"
        );
    }
    use crate::support::tools::{self, Tool};
    if tools::require(&[Tool::Dnsmasq]) {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("dnsmasq.conf");
        fs::write(&conf, &text).expect("conf");
        let checked = std::process::Command::new(Tool::Dnsmasq.locate().expect("dnsmasq"))
            .arg("--test")
            .arg(format!("--conf-file={}", conf.display()))
            .output()
            .expect("dnsmasq");
        assert!(
            checked.status.success(),
            "dnsmasq --test: {}",
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    let fixture = Fixture::new();
    let fleet = write_fleet(&fixture);
    let rearm = |host: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_kindling"))
            .args(["serve", "--build"])
            .arg(fixture.build())
            .arg("--fleet")
            .arg(&fleet)
            .args(["--rearm", host])
            .output()
            .expect("run")
    };
    assert!(rearm("beam00").status.success());
    assert!(fixture.build().join(".serve/rearm/beam00").exists());
    // A typo is an error, not a state record for a host nobody has.
    let output = rearm("beam0");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("has no host \"beam0\" (hosts: beam00)"),
        "{stderr}"
    );
    assert!(!fixture.build().join(".serve/rearm/beam0").exists());
}

#[test]
fn boot_files_put_into_assets_after_the_start_are_found_without_a_new_build() {
    let fixture = Fixture::new();
    let kernel = fixture
        .dir
        .path()
        .join("assets/fedora-coreos-1-live-kernel-x86_64");
    fs::remove_file(&kernel).expect("no kernel yet");
    let server = serve::start(fixture.config()).expect("start");
    let ipxe = format!("/ipxe?mac={BEAM_MAC}&arch=x86_64");
    assert_eq!(get(server.addr(), &ipxe, "").status, 503);
    fs::write(&kernel, b"KERNEL").expect("kernel");
    wait_for(|| get(server.addr(), &ipxe, "").status == 200);
}

#[test]
fn a_state_file_replaced_by_a_symlink_or_fifo_is_refused_at_start() {
    let fixture = Fixture::new();
    let outside = fixture.dir.path().join("outside.json");
    fs::write(&outside, "{\"hosts\":{}}\n").expect("outside");
    let state_dir = fixture.build().join(".serve");
    fs::create_dir_all(&state_dir).expect("state dir");
    symlink(&outside, state_dir.join("state.json")).expect("symlink");
    let Err(error) = serve::start(fixture.config()) else {
        panic!("started on a symlinked state file");
    };
    assert!(error.to_string().contains("is a symlink"), "{error}");
    assert_eq!(
        fs::read_to_string(&outside).expect("outside"),
        "{\"hosts\":{}}\n"
    );
    fs::remove_file(state_dir.join("state.json")).expect("unlink");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        state_dir.join("state.json"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .expect("fifo");
    // Refused at once: reading a FIFO would block the start for good.
    assert!(serve::start(fixture.config()).is_err());
}

/// A fleet of one host, beam00, with its MAC and an install device.
fn write_fleet(fixture: &Fixture) -> std::path::PathBuf {
    let fleet = fixture.dir.path().join("fleet");
    fs::create_dir_all(fleet.join("hosts")).expect("fleet");
    fs::create_dir_all(fleet.join("containers")).expect("fleet");
    fs::write(
        fleet.join("fleet.yaml"),
        "org: acme\nregistry: registry.example.com/acme\n",
    )
    .expect("fleet.yaml");
    fs::write(fleet.join("containers/web.yaml"), "version: 1.0.0\n").expect("web");
    fs::write(
        fleet.join("hosts/beam00.yaml"),
        format!("services: [web]\ninstall:\n  device: /dev/vda\n  macs: [\"{BEAM_MAC}\"]\n"),
    )
    .expect("host");
    fleet
}

/// `kindling serve` as a process, with a fleet that knows beam00's MAC;
/// returns it, its address and its log lines as they come.
fn serve_process(
    fixture: &Fixture,
    extra: &[&str],
) -> (
    std::process::Child,
    SocketAddr,
    std::sync::mpsc::Receiver<String>,
) {
    serve_process_in(fixture, extra, None)
}

/// [`serve_process`], started with a soft limit of `soft_files` open
/// files if given.
fn serve_process_in(
    fixture: &Fixture,
    extra: &[&str],
    soft_files: Option<u32>,
) -> (
    std::process::Child,
    SocketAddr,
    std::sync::mpsc::Receiver<String>,
) {
    let fleet = write_fleet(fixture);
    let mut command = match soft_files {
        Some(limit) => {
            let mut sh = std::process::Command::new("sh");
            sh.arg("-c")
                .arg(format!("ulimit -Sn {limit} && exec \"$0\" \"$@\""))
                .arg(env!("CARGO_BIN_EXE_kindling"));
            sh
        }
        None => std::process::Command::new(env!("CARGO_BIN_EXE_kindling")),
    };
    let mut child = command
        .arg("serve")
        .arg("--fleet")
        .arg(&fleet)
        .arg("--build")
        .arg(fixture.build())
        .arg("--assets")
        .arg(fixture.dir.path().join("assets"))
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let listening = wait_line(&received, "listening on http://");
    let addr = listening
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {listening:?}"));
    (child, addr, received)
}

/// The first log line containing `needle` (lines before it are dropped).
fn wait_line(lines: &std::sync::mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        match lines.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(e) => panic!("no log line with {needle:?}: {e}"),
        }
    }
}

fn sigterm(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_exit(child: &mut std::process::Child, within: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("still running {within:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An asset larger than loopback's socket buffers, so a client that stops
/// reading keeps its download in flight.
fn large_asset(fixture: &Fixture) -> u64 {
    let size = 64 * 1024 * 1024;
    let file = fs::File::create(fixture.dir.path().join("assets/big.img")).expect("asset");
    file.set_len(size).expect("size");
    size
}

#[test]
fn sigterm_lets_a_slow_download_finish_refuses_new_connections_and_saves_the_state() {
    let fixture = Fixture::new();
    let size = large_asset(&fixture);
    let (mut child, addr, lines) = serve_process(&fixture, &["--drain-timeout", "30"]);
    let script = get(addr, &format!("/ipxe?mac={BEAM_MAC}"), "");
    assert_eq!(script.status, 200);
    let mut download = TcpStream::connect(addr).expect("connect");
    download
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    download
        .write_all(b"GET /assets/big.img HTTP/1.1\r\nHost: pxe.test\r\n\r\n")
        .expect("send");
    let mut received = vec![0u8; 64 * 1024];
    download.read_exact(&mut received).expect("first bytes");
    sigterm(&child);
    wait_line(&lines, "stopping: no new connections");
    assert!(
        TcpStream::connect(addr).is_err(),
        "a stopping server accepts no new connection"
    );
    // The slow client takes its time; the server waits for it.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().expect("wait").is_none());
    let mut rest = Vec::new();
    download.read_to_end(&mut rest).expect("the rest");
    let all = [received, rest].concat();
    let body = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |head| all.len() - head - 4);
    assert_eq!(body as u64, size, "the download in flight finished whole");
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status}");
    wait_line(
        &lines,
        "stopped: every request finished, install state saved",
    );
    let state: serde_json::Value = serde_json::from_slice(
        &fs::read(fixture.build().join(".serve/state.json")).expect("state file"),
    )
    .expect("json");
    assert!(state["hosts"]["beam00"]["last_ipxe"].is_u64(), "{state}");
}

#[test]
fn a_client_that_stops_reading_is_cut_off_at_the_drain_timeout() {
    let fixture = Fixture::new();
    large_asset(&fixture);
    let (mut child, addr, lines) = serve_process(&fixture, &["--drain-timeout", "1"]);
    let mut stuck = TcpStream::connect(addr).expect("connect");
    stuck
        .write_all(b"GET /assets/big.img HTTP/1.1\r\nHost: pxe.test\r\n\r\n")
        .expect("send");
    let mut first = [0u8; 1024];
    stuck.read_exact(&mut first).expect("first bytes");
    let started = Instant::now();
    sigterm(&child);
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    wait_line(&lines, "1 connection(s) still busy after the drain timeout");
}

/// A one-host fleet whose config the Ignition harness applies as it is,
/// built into `root/build` for spec 3.3.0 (Debian's Ignition 2.14 reads
/// up to 3.3).
fn built_pointer_fleet(root: &Path) {
    fs::create_dir_all(root.join("hosts")).expect("fleet");
    fs::write(
        root.join("fleet.yaml"),
        "org: acme\nregistry: registry.example.com/acme\n",
    )
    .expect("fleet.yaml");
    fs::write(
        root.join("hosts/beam00.bu"),
        "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/pointer-proof\n      contents:\n        inline: fetched from kindling serve\n",
    )
    .expect("host");
    let run = crate::support::cli::Run::of(
        crate::support::cli::kindling()
            .args(["build", "--ignition-version", "3.3.0", "--fleet"])
            .arg(root),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
}

#[test]
fn an_iso_pointer_config_fetches_the_real_config_with_its_token() {
    use crate::support::tools::{self, Tool};
    if !tools::require(&[Tool::Xorriso, Tool::CoreosInstaller, Tool::IgnitionValidate]) {
        return;
    }
    let dir = tools::scratch("serve-pointer-");
    let root = dir.path().join("fleet");
    built_pointer_fleet(&root);
    let build = root.join("build");
    let key = dir.path().join("fleet.key");
    fs::write(&key, [9u8; 32]).expect("key");
    let mut config = Fixture::new().config();
    config.build = build.clone();
    config.assets = None;
    config.hosts = Arc::new(|| Ok(Vec::new()));
    config.fleet_key = Some(FleetKey::read(&key).expect("key"));
    let server = serve::start(config).expect("start");
    let url = format!("http://{}", server.addr());

    let base = crate::support::liveiso::build(
        dir.path(),
        "base",
        crate::support::liveiso::Generation::Current,
        None,
    );
    // beam00's live ISO carrying a pointer to `url`.
    let pointer_iso = || {
        crate::support::cli::Run::of(
            crate::support::cli::kindling()
                .args(["iso", "beam00", "--live", "--ignition-version", "3.3.0"])
                .arg("--fleet")
                .arg(&root)
                .arg("--base")
                .arg(&base.path)
                .args(["--pointer", &url, "--token-key"])
                .arg(&key),
        )
    };
    let run = pointer_iso();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains("carries a pointer config"),
        "{}",
        run.stderr
    );
    let iso = build.join("beam00.iso");
    // What coreos-installer reads out of the ISO is the pointer config.
    let show = ["iso", "ignition", "show"].map(std::ffi::OsStr::new);
    let shown = tools::coreos_installer(show.into_iter().chain([iso.as_os_str()]));
    let pointer: serde_json::Value = serde_json::from_slice(&shown).expect("json");
    let replace = &pointer["ignition"]["config"]["replace"];
    assert_eq!(
        replace["source"].as_str(),
        Some(format!("{url}/ignition?host=beam00").as_str())
    );
    let pointer_path = dir.path().join("pointer.ign");
    fs::write(&pointer_path, &shown).expect("pointer");
    crate::support::ignition::validate(&pointer_path).expect("ignition-validate accepts it");
    // The server gives the real config for the header the pointer carries,
    // and its hash is the pointer's; nothing without the token.
    let header = replace["httpHeaders"][0]["value"].as_str().expect("header");
    let target = "/ignition?host=beam00";
    let fetched = get(
        server.addr(),
        target,
        &format!("Authorization: {header}\r\n"),
    );
    assert_eq!(fetched.status, 200);
    assert_eq!(
        fetched.body,
        fs::read(build.join("beam00.ign")).expect("config")
    );
    assert_eq!(
        replace["verification"]["hash"].as_str(),
        Some(kindling::digest::sha512_verification(&fetched.body).as_str())
    );
    assert_eq!(get(server.addr(), target, "").status, 401);
    // The real Ignition follows the pointer, with the header, to the config.
    if tools::require(tools::VALIDATE_AND_APPLY_TOOLS) {
        let applied = crate::support::ignition::apply(&pointer_path).expect("ignition applies");
        assert_eq!(
            applied.read_string("/etc/pointer-proof").as_deref(),
            Some("fetched from kindling serve"),
            "{}",
            applied.log()
        );
    }
    // A fleet changed since its build would give the machine a hash the
    // server's config does not have: refused.
    fs::write(
        root.join("hosts/beam00.bu"),
        "variant: fcos\nversion: 1.5.0\n",
    )
    .expect("host");
    let stale = pointer_iso();
    assert_eq!(stale.code, Some(1), "{}", stale.stderr);
    assert!(
        stale.stderr.contains("run `kindling build"),
        "{}",
        stale.stderr
    );
}

#[test]
fn a_fleet_with_more_configs_than_the_soft_open_file_limit_is_served() {
    let fixture = Fixture::new();
    let configs: Vec<(String, Vec<u8>)> = (0..200)
        .map(|n| {
            (
                format!("h{n:03}"),
                format!("{{\"ignition\":{{\"version\":\"3.4.0\"}},\"n\":{n}}}\n").into_bytes(),
            )
        })
        .collect();
    let hosts: Vec<(&str, &[u8], bool)> = configs
        .iter()
        .map(|(name, bytes)| (name.as_str(), bytes.as_slice(), false))
        .collect();
    publish(&fixture.build(), 2, &hosts);
    // 200 configs held open need more than 64 files: the server raises
    // its soft limit, or it could not load the build at all.
    let (mut child, addr, _lines) = serve_process_in(&fixture, &[], Some(64));
    let status = get(addr, "/", "");
    assert_eq!(status.status, 200);
    let page = String::from_utf8_lossy(&status.body);
    assert!(page.matches("\tyes\t").count() >= 200, "{page}");
    assert_eq!(get(addr, "/ignition?host=h199", "").status, 401);
    sigterm(&child);
    assert!(wait_exit(&mut child, Duration::from_secs(10)).success());
}
