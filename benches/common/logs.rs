//! Deterministic, realistic log-like text for the large-file benchmark.
//!
//! The output is a pure function of `(size, seed)`: no clock, no OS entropy,
//! no dependence on the platform. Lines mix the formats a node's logs really
//! hold (journal short-iso, RFC 3164 syslog, kernel, containerd logfmt,
//! kubelet klog, nginx access logs, audit records, JSON application logs,
//! postgres) with high-entropy fields (IPv4/IPv6 addresses, UUIDs, container
//! ids, trace ids, durations, byte counts, ports, pids). Identifiers are drawn
//! partly from small pools (a host, a pod or a request id recurs, as in real
//! logs) and partly fresh, so the text compresses like a real log (gzip -9
//! around 4-5x), not like repeated lines.

#![allow(dead_code)]

use std::fmt::Write as _;

/// The seed the benchmark uses.
pub const SEED: u64 = 0x6b69_6e64_6c69_6e67;

/// SplitMix64: tiny, fast, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }

    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }

    /// Earlier items are more likely (Zipf-ish), as in real logs.
    pub fn skewed<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        let a = self.below(items.len() as u64);
        let b = self.below(items.len() as u64);
        items[usize::try_from(a.min(b)).unwrap_or(0)]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const HOSTS: &[&str] = &[
    "node01",
    "node02",
    "node03",
    "node04",
    "web-01",
    "web-02",
    "web-03",
    "db-primary",
    "db-replica-1",
    "edge-fra-1",
    "edge-ams-2",
    "ci-runner-17",
    "storage-a",
    "bastion",
    "monitor-01",
    "kafka-0",
    "kafka-1",
    "kafka-2",
];
const UNITS: &[&str] = &[
    "sshd.service",
    "containerd.service",
    "kubelet.service",
    "zincati.service",
    "chronyd.service",
    "NetworkManager.service",
    "systemd-journald.service",
    "podman-auto-update.service",
    "rpm-ostreed.service",
    "fstrim.service",
    "node-exporter.service",
    "nginx.service",
    "postgresql.service",
    "etcd.service",
    "afterburn.service",
    "logrotate.service",
];
const USERS: &[&str] = &[
    "core", "root", "deploy", "alice", "bob", "backup", "ansible", "git",
];
const PATHS: &[&str] = &[
    "/api/v1/items",
    "/api/v1/users",
    "/api/v2/orders",
    "/healthz",
    "/metrics",
    "/static/js/app.bundle.js",
    "/static/css/main.css",
    "/login",
    "/api/v1/search",
    "/favicon.ico",
    "/api/v2/orders/export",
    "/.well-known/acme-challenge",
];
const METHODS: &[&str] = &[
    "GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD", "PATCH",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "curl/8.6.0",
    "Prometheus/2.53.0",
    "kube-probe/1.30",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
];
const IFACES: &[&str] = &["eth0", "eth1", "ens3", "enp0s31f6", "bond0", "cni0"];
const IMAGES: &[&str] = &[
    "quay.io/fedora/fedora:40",
    "docker.io/library/nginx:1.27",
    "docker.io/library/redis:7.2",
    "quay.io/prometheus/node-exporter:v1.8.1",
    "registry.k8s.io/pause:3.9",
    "ghcr.io/example/api-server:2.14.3",
    "quay.io/coreos/etcd:v3.5.14",
];
const SQL: &[&str] = &[
    "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 50",
    "UPDATE inventory SET quantity = quantity - $1 WHERE sku = $2",
    "INSERT INTO events (id, kind, payload) VALUES ($1, $2, $3)",
    "DELETE FROM sessions WHERE expires_at < now()",
];
const KLOG: &[&str] = &[
    "reconciler_common.go",
    "kubelet.go",
    "pod_workers.go",
    "kuberuntime_manager.go",
    "prober.go",
    "volume_manager.go",
    "eviction_manager.go",
];
const LEVELS: &[&str] = &["info", "info", "info", "debug", "warning", "error"];
const APP_MSGS: &[&str] = &[
    "request completed",
    "slow request",
    "cache miss",
    "retrying upstream call",
    "connection reset by peer",
    "token refreshed",
    "job finished",
    "queue depth high",
];
const KERNEL: &[&str] = &[
    "link becomes ready",
    "renamed from veth",
    "entered promiscuous mode",
    "left promiscuous mode",
    "Link is Up - 10Gbps/Full - flow control rx/tx",
];
const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const HEX: &[u8] = b"0123456789abcdef";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct Gen {
    rng: Rng,
    /// Milliseconds since 2025-03-01T00:00:00Z.
    clock_ms: u64,
    /// Recurring ids (pods, containers, request ids, sessions).
    pool: Vec<String>,
    pids: Vec<u64>,
}

impl Gen {
    fn hex(&mut self, out: &mut String, len: usize) {
        for _ in 0..len {
            out.push(char::from(
                HEX[usize::try_from(self.rng.below(16)).unwrap_or(0)],
            ));
        }
    }

    fn uuid(&mut self, out: &mut String) {
        for (i, len) in [8, 4, 4, 4, 12].into_iter().enumerate() {
            if i > 0 {
                out.push('-');
            }
            self.hex(out, len);
        }
    }

    /// A pooled id (often) or a fresh one that joins the pool.
    fn id(&mut self, out: &mut String) {
        if !self.pool.is_empty() && self.rng.chance(70) {
            let index = usize::try_from(self.rng.below(self.pool.len() as u64)).unwrap_or(0);
            out.push_str(&self.pool[index]);
            return;
        }
        let mut fresh = String::new();
        self.uuid(&mut fresh);
        out.push_str(&fresh);
        if self.pool.len() < 512 {
            self.pool.push(fresh);
        } else {
            let index = usize::try_from(self.rng.below(512)).unwrap_or(0);
            self.pool[index] = fresh;
        }
    }

    fn ipv4(&mut self, out: &mut String) {
        let (a, b) = match self.rng.below(4) {
            0 => (10, self.rng.below(4)),
            1 => (192, 168),
            2 => (172, 16 + self.rng.below(16)),
            _ => (self.rng.range(1, 223), self.rng.below(256)),
        };
        let _ = write!(
            out,
            "{a}.{b}.{}.{}",
            self.rng.below(256),
            self.rng.range(1, 254)
        );
    }

    fn ipv6(&mut self, out: &mut String) {
        out.push_str("2001:db8:");
        let _ = write!(
            out,
            "{:x}:{:x}::{:x}",
            self.rng.below(65536),
            self.rng.below(65536),
            self.rng.below(65536)
        );
    }

    fn pid(&mut self) -> u64 {
        if self.rng.chance(80) {
            self.pids[usize::try_from(self.rng.below(self.pids.len() as u64)).unwrap_or(0)]
        } else {
            let pid = self.rng.range(300, 4_194_303);
            let index = usize::try_from(self.rng.below(self.pids.len() as u64)).unwrap_or(0);
            self.pids[index] = pid;
            pid
        }
    }

    fn tick(&mut self) {
        self.clock_ms += if self.rng.chance(90) {
            self.rng.below(40)
        } else {
            self.rng.below(4000)
        };
    }

    /// (month 0-11, day 1-31, h, m, s, ms) — a simple 31-day calendar.
    fn parts(&self) -> (u64, u64, u64, u64, u64, u64) {
        let total_s = self.clock_ms / 1000;
        let day = total_s / 86_400;
        (
            2 + (day / 31) % 10,
            1 + day % 31,
            (total_s / 3600) % 24,
            (total_s / 60) % 60,
            total_s % 60,
            self.clock_ms % 1000,
        )
    }

    fn iso(&mut self, out: &mut String) {
        let (mo, d, h, m, s, ms) = self.parts();
        let micro = ms * 1000 + self.rng.below(1000);
        let _ = write!(
            out,
            "2025-{:02}-{d:02}T{h:02}:{m:02}:{s:02}.{micro:06}",
            mo + 1
        );
    }

    fn line(&mut self, out: &mut String) {
        self.tick();
        let host = self.rng.skewed(HOSTS);
        match self.rng.below(100) {
            0..=21 => self.journal(out, host),
            22..=33 => self.sshd(out, host),
            34..=43 => self.kernel(out, host),
            44..=55 => self.containerd(out),
            56..=65 => self.klog(out),
            66..=79 => self.nginx(out),
            80..=85 => self.audit(out),
            86..=94 => self.json(out, host),
            _ => self.postgres(out, host),
        }
        out.push('\n');
    }

    fn journal(&mut self, out: &mut String, host: &str) {
        self.iso(out);
        let unit = self.rng.skewed(UNITS);
        let _ = write!(out, "+0000 {host} systemd[1]: ");
        match self.rng.below(5) {
            0 => {
                let _ = write!(out, "Started {unit}.");
            }
            1 => {
                let _ = write!(out, "Stopping {unit}...");
            }
            2 => {
                let _ = write!(out, "{unit}: Deactivated successfully.");
            }
            3 => {
                let _ = write!(
                    out,
                    "{unit}: Consumed {}.{:03}s CPU time, {}.{}M memory peak.",
                    self.rng.below(90),
                    self.rng.below(1000),
                    self.rng.below(900),
                    self.rng.below(10)
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "{unit}: Scheduled restart job, restart counter is at {}.",
                    self.rng.range(1, 9)
                );
            }
        }
    }

    fn sshd(&mut self, out: &mut String, host: &str) {
        self.iso(out);
        let pid = self.pid();
        let user = self.rng.skewed(USERS);
        let _ = write!(out, "+0000 {host} sshd[{pid}]: ");
        match self.rng.below(4) {
            0 => {
                let _ = write!(out, "Accepted publickey for {user} from ");
                self.ipv4(out);
                let _ = write!(
                    out,
                    " port {} ssh2: ED25519 SHA256:",
                    self.rng.range(1024, 65535)
                );
                for _ in 0..43 {
                    out.push(char::from(
                        B64[usize::try_from(self.rng.below(64)).unwrap_or(0)],
                    ));
                }
            }
            1 => {
                let _ = write!(out, "Invalid user {user}{} from ", self.rng.below(100));
                self.ipv4(out);
                let _ = write!(out, " port {}", self.rng.range(1024, 65535));
            }
            2 => {
                let _ = write!(
                    out,
                    "pam_unix(sshd:session): session opened for user {user}(uid={}) by {user}(uid=0)",
                    self.rng.range(1000, 1010)
                );
            }
            _ => {
                out.push_str("Received disconnect from ");
                self.ipv4(out);
                let _ = write!(
                    out,
                    " port {}:11: disconnected by user",
                    self.rng.range(1024, 65535)
                );
            }
        }
    }

    fn kernel(&mut self, out: &mut String, host: &str) {
        let (mo, d, h, m, s, _) = self.parts();
        let uptime = self.clock_ms / 1000 % 10_000_000;
        let _ = write!(
            out,
            "{} {d:2} {h:02}:{m:02}:{s:02} {host} kernel: [{uptime:>6}.{:06}] ",
            MONTHS[usize::try_from(mo).unwrap_or(0)],
            self.rng.below(1_000_000)
        );
        let iface = self.rng.pick(IFACES);
        match self.rng.below(3) {
            0 => {
                let _ = write!(out, "{iface}: {}", self.rng.pick(KERNEL));
            }
            1 => {
                out.push_str("IN=");
                out.push_str(iface);
                out.push_str(" OUT= SRC=");
                self.ipv4(out);
                out.push_str(" DST=");
                self.ipv4(out);
                let _ = write!(
                    out,
                    " LEN={} TTL={} ID={} PROTO=TCP SPT={} DPT={} WINDOW={} SYN",
                    self.rng.range(40, 1500),
                    self.rng.range(32, 128),
                    self.rng.below(65536),
                    self.rng.range(1024, 65535),
                    self.rng.pick(&["22", "80", "443", "5432", "6443"]),
                    self.rng.range(1024, 65535)
                );
            }
            _ => {
                let _ = write!(
                    out,
                    "audit: type=1400 apparmor=\"DENIED\" operation=\"open\" pid={} comm=\"{}\"",
                    self.pid(),
                    self.rng.pick(&["node", "python3", "java", "nginx"])
                );
            }
        }
    }

    fn containerd(&mut self, out: &mut String) {
        out.push_str("time=\"");
        self.iso(out);
        let level = self.rng.skewed(LEVELS);
        let _ = write!(out, "Z\" level={level} msg=\"");
        match self.rng.below(4) {
            0 => {
                let image = self.rng.pick(IMAGES);
                let _ = write!(
                    out,
                    "PullImage \\\"{image}\\\" returns image reference \\\"sha256:"
                );
                self.hex(out, 64);
                out.push_str("\\\"\"");
            }
            1 => {
                out.push_str("StartContainer for \\\"");
                self.hex(out, 64);
                out.push_str("\\\" returns successfully\"");
            }
            2 => {
                out.push_str("shim disconnected\" id=");
                self.hex(out, 64);
                out.push_str(" namespace=k8s.io");
            }
            _ => {
                out.push_str("RunPodSandbox for &PodSandboxMetadata{Name:api-");
                self.hex(out, 5);
                out.push_str(",Uid:");
                self.id(out);
                out.push_str(",Namespace:default,Attempt:0,}\"");
            }
        }
    }

    fn klog(&mut self, out: &mut String) {
        let (mo, d, h, m, s, ms) = self.parts();
        let severity = self.rng.pick(&["I", "I", "I", "W", "E"]);
        let _ = write!(
            out,
            "{severity}{:02}{d:02} {h:02}:{m:02}:{s:02}.{:06} {:>7} {}:{}] ",
            mo + 1,
            ms * 1000 + self.rng.below(1000),
            self.pid(),
            self.rng.pick(KLOG),
            self.rng.range(100, 2999)
        );
        match self.rng.below(3) {
            0 => {
                out.push_str(
                    "\"SyncLoop (probe)\" probe=\"readiness\" status=\"ready\" pod=\"default/api-",
                );
                self.hex(out, 5);
                out.push('"');
            }
            1 => {
                out.push_str(
                    "\"MountVolume.SetUp succeeded for volume\" volume=\"kube-api-access-",
                );
                self.hex(out, 5);
                out.push_str("\" pod=\"");
                self.id(out);
                out.push('"');
            }
            _ => {
                let _ = write!(
                    out,
                    "\"Observed pod startup duration\" pod=\"kube-system/coredns-{}\" podStartSLOduration={}.{:09}",
                    self.rng.below(10_000),
                    self.rng.below(30),
                    self.rng.below(1_000_000_000)
                );
            }
        }
    }

    fn nginx(&mut self, out: &mut String) {
        if self.rng.chance(15) {
            self.ipv6(out);
        } else {
            self.ipv4(out);
        }
        let (mo, d, h, m, s, _) = self.parts();
        let method = self.rng.skewed(METHODS);
        let path = self.rng.skewed(PATHS);
        let _ = write!(
            out,
            " - - [{d:02}/{}/2025:{h:02}:{m:02}:{s:02} +0000] \"{method} {path}",
            MONTHS[usize::try_from(mo).unwrap_or(0)]
        );
        if self.rng.chance(40) {
            let _ = write!(
                out,
                "?id={}&page={}",
                self.rng.below(100_000),
                self.rng.below(20)
            );
        }
        let status = self.rng.pick(&[
            "200", "200", "200", "200", "304", "404", "500", "201", "302",
        ]);
        let _ = write!(
            out,
            " HTTP/1.1\" {status} {} \"-\" \"{}\" rt={}.{:03} req=",
            self.rng.below(200_000),
            self.rng.skewed(AGENTS),
            self.rng.below(3),
            self.rng.below(1000)
        );
        self.id(out);
    }

    fn audit(&mut self, out: &mut String) {
        let seconds = 1_740_787_200 + self.clock_ms / 1000;
        let _ = write!(
            out,
            "type=SYSCALL msg=audit({seconds}.{:03}:{}): arch=c000003e syscall={} success={} exit={} a0={:x} a1={:x} items={} ppid={} pid={} auid={} uid=0 gid=0 comm=\"{}\" exe=\"{}\" key=(null)",
            self.clock_ms % 1000,
            self.rng.range(1000, 999_999),
            self.rng.pick(&["59", "257", "2", "42"]),
            self.rng.pick(&["yes", "yes", "no"]),
            self.rng.below(4),
            self.rng.next() >> 20,
            self.rng.next() >> 24,
            self.rng.range(1, 3),
            self.pid(),
            self.pid(),
            self.rng.pick(&["1000", "4294967295"]),
            self.rng.pick(&["runc", "conmon", "bash", "sshd"]),
            self.rng.pick(&[
                "/usr/bin/runc",
                "/usr/bin/conmon",
                "/usr/bin/bash",
                "/usr/sbin/sshd"
            ])
        );
    }

    fn json(&mut self, out: &mut String, host: &str) {
        out.push_str("{\"ts\":\"");
        self.iso(out);
        let _ = write!(
            out,
            "Z\",\"level\":\"{}\",\"host\":\"{host}\",\"service\":\"{}\",\"trace_id\":\"",
            self.rng.skewed(LEVELS),
            self.rng.pick(&["api", "worker", "billing", "search"])
        );
        self.hex(out, 32);
        out.push_str("\",\"request_id\":\"");
        self.id(out);
        let _ = write!(
            out,
            "\",\"msg\":\"{}\",\"path\":\"{}\",\"duration_ms\":{},\"bytes\":{}}}",
            self.rng.skewed(APP_MSGS),
            self.rng.skewed(PATHS),
            self.rng.below(5000),
            self.rng.below(1_000_000)
        );
    }

    fn postgres(&mut self, out: &mut String, host: &str) {
        self.iso(out);
        let pid = self.pid();
        let _ = write!(
            out,
            "+0000 {host} postgres[{pid}]: [{}-1] user=app,db=orders,client=",
            self.rng.range(1, 99)
        );
        self.ipv4(out);
        let _ = write!(
            out,
            " LOG:  duration: {}.{:03} ms  statement: {}",
            self.rng.below(2000),
            self.rng.below(1000),
            self.rng.pick(SQL)
        );
    }
}

/// `size` bytes of log text (whole lines; the last one is cut to fit).
pub fn generate(size: usize, seed: u64) -> Vec<u8> {
    let mut generator = Gen {
        rng: Rng::new(seed),
        clock_ms: 0,
        pool: Vec::new(),
        pids: vec![1234, 2345, 3456, 4567, 5678, 6789, 7890, 8901],
    };
    let mut text = String::with_capacity(size + 1024);
    while text.len() < size {
        generator.line(&mut text);
    }
    let mut bytes = text.into_bytes();
    bytes.truncate(size);
    if let Some(last) = bytes.last_mut() {
        *last = b'\n';
    }
    bytes
}
