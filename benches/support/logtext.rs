//! Deterministic generator of realistic, log-like text (syslog / journal
//! style lines) for compression benchmarks.
//!
//! The output is a pure function of `(size, seed)`: no clock, no OS entropy,
//! no dependence on the platform or thread count. Lines mix several real-world
//! formats (journald short-iso, sshd, kernel, containerd logfmt, kubelet klog,
//! nginx access logs, audit records) with high-entropy fields (IPs, UUIDs,
//! hex ids, base64 fingerprints, durations, byte counts), so the text is
//! compressible like a real log but not trivially repetitive.
//!
//! Shared by benches (`#[path = "support/logtext.rs"] mod logtext;`); keep it
//! free of crate-internal imports.

#![allow(dead_code)]

use std::io::{self, Write};
use std::path::Path;

/// Default seed used by the benchmarks.
pub const DEFAULT_SEED: u64 = 0x6b69_6e64_6c69_6e67; // "kindling"

/// Small, fast, deterministic PRNG (SplitMix64).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-ish value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() >> 32) * n) >> 32
    }

    pub fn range(&mut self, lo: u64, hi_inclusive: u64) -> u64 {
        lo + self.below(hi_inclusive - lo + 1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Skewed index in `0..len`: earlier indices are more likely.
    pub fn pick_skewed_index(&mut self, len: usize) -> usize {
        let a = self.below(len as u64);
        let b = self.below(len as u64);
        a.min(b) as usize
    }

    /// Skewed pick: earlier items are more likely.
    pub fn pick_skewed<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.pick_skewed_index(items.len())]
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
    "node05",
    "node06",
    "node07",
    "node08",
    "web-01",
    "web-02",
    "web-03",
    "db-primary",
    "db-replica-1",
    "db-replica-2",
    "edge-fra-1",
    "edge-ams-2",
    "edge-iad-1",
    "ci-runner-17",
    "ci-runner-23",
    "storage-a",
    "storage-b",
    "bastion",
    "monitor-01",
    "kafka-0",
    "kafka-1",
    "kafka-2",
];

const DOMAINS: &[&str] = &["prod.example.net", "stage.example.net", "lab.internal"];

const USERS: &[&str] = &[
    "core", "root", "deploy", "alice", "bob", "backup", "ansible", "git",
];

const UNITS: &[&str] = &[
    "sshd.service",
    "containerd.service",
    "kubelet.service",
    "crio.service",
    "zincati.service",
    "chronyd.service",
    "NetworkManager.service",
    "systemd-journald.service",
    "systemd-logind.service",
    "podman-auto-update.service",
    "rpm-ostreed.service",
    "fstrim.service",
    "logrotate.service",
    "node-exporter.service",
    "nginx.service",
    "postgresql.service",
    "etcd.service",
    "afterburn.service",
    "coreos-metadata.service",
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
    "/logout",
    "/api/v1/search",
    "/favicon.ico",
    "/api/v2/orders/export",
    "/.well-known/acme-challenge",
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

const IFACES: &[&str] = &[
    "eth0",
    "eth1",
    "ens3",
    "enp0s31f6",
    "bond0",
    "cni0",
    "veth3f2a1b",
];

const CONTAINERS: &[&str] = &[
    "quay.io/fedora/fedora:40",
    "docker.io/library/nginx:1.27",
    "docker.io/library/redis:7.2",
    "quay.io/prometheus/node-exporter:v1.8.1",
    "registry.k8s.io/pause:3.9",
    "ghcr.io/example/api-server:2.14.3",
    "quay.io/coreos/etcd:v3.5.14",
];

const PG_STATEMENTS: &[&str] = &[
    "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT 50",
    "UPDATE inventory SET quantity = quantity - $1 WHERE sku = $2",
    "INSERT INTO events (id, kind, payload) VALUES ($1, $2, $3)",
    "DELETE FROM sessions WHERE expires_at < now()",
];

const KLOG_FILES: &[&str] = &[
    "reconciler_common.go",
    "kubelet.go",
    "pod_workers.go",
    "kuberuntime_manager.go",
    "prober.go",
    "volume_manager.go",
    "eviction_manager.go",
    "kubelet_node_status.go",
];

const MONTHS: &[&str] = &[
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const HEX: &[u8] = b"0123456789abcdef";

/// How a pooled identifier looks.
#[derive(Clone, Copy)]
enum Kind {
    Hex(usize),
    Uuid,
    B64(usize),
    /// Kubernetes pod-name suffix: `<10 hex>-<5 hex>`.
    PodSuffix,
}

/// Identifiers that live for a while (containers, pods, keys): real logs
/// mention the same id many times before it disappears.
struct Pool {
    kind: Kind,
    items: Vec<Vec<u8>>,
    /// Chance (percent) that a use retires the id and creates a fresh one.
    turnover_pct: u64,
}

fn fresh_id(rng: &mut Rng, kind: Kind) -> Vec<u8> {
    let mut out = Vec::new();
    let hex = |rng: &mut Rng, out: &mut Vec<u8>, n: usize| {
        for _ in 0..n {
            out.push(HEX[rng.below(16) as usize]);
        }
    };
    match kind {
        Kind::Hex(n) => hex(rng, &mut out, n),
        Kind::Uuid => {
            for (i, n) in [8, 4, 4, 4, 12].into_iter().enumerate() {
                if i > 0 {
                    out.push(b'-');
                }
                hex(rng, &mut out, n);
            }
        }
        Kind::B64(n) => {
            for _ in 0..n {
                out.push(B64[rng.below(64) as usize]);
            }
        }
        Kind::PodSuffix => {
            hex(rng, &mut out, 10);
            out.push(b'-');
            hex(rng, &mut out, 5);
        }
    }
    out
}

impl Pool {
    fn new(rng: &mut Rng, kind: Kind, size: usize, turnover_pct: u64) -> Self {
        let items = (0..size).map(|_| fresh_id(rng, kind)).collect();
        Pool {
            kind,
            items,
            turnover_pct,
        }
    }

    fn get(&mut self, rng: &mut Rng) -> usize {
        let i = rng.pick_skewed_index(self.items.len());
        if rng.chance(self.turnover_pct) {
            self.items[i] = fresh_id(rng, self.kind);
        }
        i
    }
}

const CONTAINER_IDS: usize = 0;
const POD_SUFFIXES: usize = 1;
const POD_UIDS: usize = 2;
const SSH_KEYS: usize = 3;
const IMAGE_DIGESTS: usize = 4;
const VETHS: usize = 5;
const FS_UUIDS: usize = 6;

struct Gen {
    rng: Rng,
    pools: Vec<Pool>,
    /// Milliseconds since 2025-01-01T00:00:00Z (kept simple: 30-day months).
    clock_ms: u64,
    buf: Vec<u8>,
}

impl Gen {
    fn w(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn num(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&digits[i..]);
    }

    fn pad(&mut self, n: u64, width: usize) {
        let s = format!("{n:0width$}");
        self.buf.extend_from_slice(s.as_bytes());
    }

    fn hex(&mut self, digits: usize) {
        for _ in 0..digits {
            let d = self.rng.below(16) as usize;
            self.buf.push(HEX[d]);
        }
    }

    fn b64(&mut self, chars: usize) {
        for _ in 0..chars {
            let d = self.rng.below(64) as usize;
            self.buf.push(B64[d]);
        }
    }

    /// Write an identifier from one of the pools.
    fn id(&mut self, pool: usize) {
        let i = self.pools[pool].get(&mut self.rng);
        self.buf.extend_from_slice(&self.pools[pool].items[i]);
    }

    fn uuid(&mut self) {
        self.hex(8);
        self.buf.push(b'-');
        self.hex(4);
        self.buf.push(b'-');
        self.hex(4);
        self.buf.push(b'-');
        self.hex(4);
        self.buf.push(b'-');
        self.hex(12);
    }

    fn ipv4(&mut self, private: bool) {
        if private {
            self.w("10.");
            let a = self.rng.below(4);
            self.num(a);
        } else {
            let a = self.rng.range(1, 223);
            self.num(a);
            self.w(".");
            let b = self.rng.below(256);
            self.num(b);
        }
        self.w(".");
        let c = self.rng.below(256);
        self.num(c);
        self.w(".");
        let d = self.rng.range(1, 254);
        self.num(d);
    }

    fn ip(&mut self) {
        let private = self.rng.chance(70);
        self.ipv4(private);
    }

    fn duration_ms(&mut self) {
        let ms = self.rng.below(2000);
        let frac = self.rng.below(1000);
        self.num(ms);
        self.w(".");
        self.pad(frac, 3);
        self.w("ms");
    }

    fn date_parts(&self) -> (u64, u64, u64, u64, u64, u64, u64) {
        let ms = self.clock_ms % 1000;
        let secs = self.clock_ms / 1000;
        let sec = secs % 60;
        let min = (secs / 60) % 60;
        let hour = (secs / 3600) % 24;
        let days = secs / 86400;
        let day = days % 30 + 1;
        let month = (days / 30) % 12 + 1;
        (month, day, hour, min, sec, ms, 2025 + days / 360)
    }

    fn iso_ts(&mut self) {
        let (mo, d, h, mi, s, ms, y) = self.date_parts();
        let micros = ms * 1000 + self.rng.below(1000);
        self.num(y);
        self.w("-");
        self.pad(mo, 2);
        self.w("-");
        self.pad(d, 2);
        self.w("T");
        self.pad(h, 2);
        self.w(":");
        self.pad(mi, 2);
        self.w(":");
        self.pad(s, 2);
        self.w(".");
        self.pad(micros, 6);
        self.w("+00:00");
    }

    fn syslog_ts(&mut self) {
        let (mo, d, h, mi, s, _, _) = self.date_parts();
        let m = MONTHS[(mo - 1) as usize];
        self.w(m);
        self.w(" ");
        let ds = format!("{d:>2}");
        self.w(&ds);
        self.w(" ");
        self.pad(h, 2);
        self.w(":");
        self.pad(mi, 2);
        self.w(":");
        self.pad(s, 2);
    }

    fn line(&mut self) {
        // Advance the clock by a bursty amount.
        let step = if self.rng.chance(80) {
            self.rng.below(40)
        } else {
            self.rng.below(5000)
        };
        self.clock_ms += step;

        // Like a central syslog aggregator: each host has its own timestamp
        // format (high-precision RFC 3339 or the traditional BSD one).
        let host_idx = self.rng.pick_skewed_index(HOSTS.len());
        if !host_idx.is_multiple_of(3) {
            self.iso_ts();
        } else {
            self.syslog_ts();
        }
        self.w(" ");
        self.w(HOSTS[host_idx]);
        if host_idx % 4 == 1 {
            self.w(".");
            self.w(DOMAINS[host_idx % DOMAINS.len()]);
        }
        self.w(" ");

        match self.rng.below(100) {
            0..=14 => self.sshd(),
            15..=29 => self.systemd(),
            30..=39 => self.kernel(),
            40..=54 => self.containerd(),
            55..=69 => self.kubelet(),
            70..=84 => self.nginx(),
            85..=91 => self.audit(),
            _ => self.postgres(),
        }
        self.buf.push(b'\n');
    }

    fn pid(&mut self, lo: u64, hi: u64) {
        self.w("[");
        let p = self.rng.range(lo, hi);
        self.num(p);
        self.w("]: ");
    }

    fn sshd(&mut self) {
        self.w("sshd");
        self.pid(1000, 65000);
        let user = *self.rng.pick_skewed(USERS);
        match self.rng.below(5) {
            0 | 1 => {
                self.w("Accepted publickey for ");
                self.w(user);
                self.w(" from ");
                self.ip();
                self.w(" port ");
                let p = self.rng.range(1024, 65535);
                self.num(p);
                self.w(" ssh2: ED25519 SHA256:");
                self.id(SSH_KEYS);
            }
            2 => {
                self.w("pam_unix(sshd:session): session opened for user ");
                self.w(user);
                self.w("(uid=");
                let u = self.rng.range(0, 1005);
                self.num(u);
                self.w(") by ");
                self.w(user);
                self.w("(uid=0)");
            }
            3 => {
                self.w("Invalid user ");
                let bad = *self
                    .rng
                    .pick(&["admin", "test", "oracle", "ubuntu", "user", "pi"]);
                self.w(bad);
                self.w(" from ");
                self.ipv4(false);
                self.w(" port ");
                let p = self.rng.range(1024, 65535);
                self.num(p);
            }
            _ => {
                self.w("Received disconnect from ");
                self.ip();
                self.w(" port ");
                let p = self.rng.range(1024, 65535);
                self.num(p);
                self.w(":11: disconnected by user");
            }
        }
    }

    fn systemd(&mut self) {
        self.w("systemd");
        if self.rng.chance(70) {
            self.w("[1]: ");
        } else {
            self.pid(900, 3000);
        }
        let unit = *self.rng.pick_skewed(UNITS);
        match self.rng.below(6) {
            0 => {
                self.w("Started ");
                self.w(unit);
                self.w(".");
            }
            1 => {
                self.w("Starting ");
                self.w(unit);
                self.w("...");
            }
            2 => {
                self.w(unit);
                self.w(": Deactivated successfully.");
            }
            3 => {
                self.w(unit);
                self.w(": Consumed ");
                let s = self.rng.below(120);
                self.num(s);
                self.w(".");
                let f = self.rng.below(1000);
                self.pad(f, 3);
                self.w("s CPU time, ");
                let m = self.rng.range(1, 900);
                self.num(m);
                self.w(".");
                let f = self.rng.below(10);
                self.num(f);
                self.w("M memory peak.");
            }
            4 => {
                self.w("Started session-");
                let n = self.rng.range(1, 9999);
                self.num(n);
                self.w(".scope - Session ");
                self.num(n);
                self.w(" of User ");
                let u = *self.rng.pick_skewed(USERS);
                self.w(u);
                self.w(".");
            }
            _ => {
                self.w("run-r");
                self.hex(32);
                self.w(".scope: Deactivated successfully.");
            }
        }
    }

    fn kernel(&mut self) {
        self.w("kernel: ");
        let up = self.clock_ms / 1000 + 1200;
        self.w("[");
        self.num(up);
        self.w(".");
        let f = self.rng.below(1_000_000);
        self.pad(f, 6);
        self.w("] ");
        let ifc = *self.rng.pick(IFACES);
        match self.rng.below(5) {
            0 => {
                self.w(ifc);
                self.w(": Link is Up - ");
                let sp = *self.rng.pick(&["1Gbps", "10Gbps", "25Gbps"]);
                self.w(sp);
                self.w("/Full - flow control rx/tx");
            }
            1 => {
                self.w("IPv6: ADDRCONF(NETDEV_CHANGE): ");
                self.w(ifc);
                self.w(": link becomes ready");
            }
            2 => {
                self.w("audit: type=1400 audit(");
                let t = self.clock_ms / 1000 + 1_735_689_600;
                self.num(t);
                self.w(".");
                let f = self.rng.below(1000);
                self.pad(f, 3);
                self.w(":");
                let n = self.rng.range(100, 99999);
                self.num(n);
                self.w("): avc:  denied  { read } for  pid=");
                let p = self.rng.range(1000, 65000);
                self.num(p);
                self.w(" comm=\"");
                let c = *self
                    .rng
                    .pick(&["node_exporter", "conmon", "runc", "python3"]);
                self.w(c);
                self.w("\" name=\"");
                let nm = *self.rng.pick(&["stat", "mounts", "meminfo", "cgroup"]);
                self.w(nm);
                self.w("\" dev=\"proc\" ino=");
                let i = self.rng.range(1000, 9_999_999);
                self.num(i);
                self.w(" scontext=system_u:system_r:container_t:s0:c");
                let a = self.rng.below(1024);
                self.num(a);
                self.w(",c");
                let b = self.rng.below(1024);
                self.num(b);
                self.w(" tcontext=system_u:system_r:kernel_t:s0 tclass=file permissive=0");
            }
            3 => {
                self.w("EXT4-fs (");
                let d = *self.rng.pick(&["sda4", "nvme0n1p4", "vdb1", "dm-0"]);
                self.w(d);
                self.w("): mounted filesystem ");
                self.id(FS_UUIDS);
                self.w(" r/w with ordered data mode. Quota mode: none.");
            }
            _ => {
                self.w("cni0: port ");
                let p = self.rng.range(1, 64);
                self.num(p);
                self.w("(veth");
                self.id(VETHS);
                self.w(") entered ");
                let st = *self.rng.pick(&["blocking", "forwarding", "disabled"]);
                self.w(st);
                self.w(" state");
            }
        }
    }

    fn containerd(&mut self) {
        self.w("containerd");
        self.pid(700, 900);
        self.w("time=\"");
        self.iso_ts();
        self.w("\" level=");
        let lvl = *self
            .rng
            .pick_skewed(&["info", "info", "debug", "warning", "error"]);
        self.w(lvl);
        match self.rng.below(4) {
            0 => {
                self.w(" msg=\"StartContainer for \\\"");
                self.id(CONTAINER_IDS);
                self.w("\\\" returns successfully\"");
            }
            1 => {
                self.w(" msg=\"PullImage \\\"");
                let img = *self.rng.pick(CONTAINERS);
                self.w(img);
                self.w("\\\" returns image reference \\\"sha256:");
                self.id(IMAGE_DIGESTS);
                self.w("\\\"\"");
            }
            2 => {
                self.w(" msg=\"shim disconnected\" id=");
                self.id(CONTAINER_IDS);
                self.w(" namespace=k8s.io");
            }
            _ => {
                self.w(" msg=\"RunPodSandbox for &PodSandboxMetadata{Name:");
                let app = *self
                    .rng
                    .pick(&["api-server", "worker", "redis", "ingress", "exporter"]);
                self.w(app);
                self.w("-");
                self.id(POD_SUFFIXES);
                self.w(",Uid:");
                self.id(POD_UIDS);
                self.w(",Namespace:");
                let ns = *self
                    .rng
                    .pick(&["default", "kube-system", "monitoring", "prod"]);
                self.w(ns);
                self.w(",Attempt:0,}\"");
            }
        }
    }

    fn kubelet(&mut self) {
        self.w("kubelet");
        self.pid(1100, 1400);
        let sev = *self.rng.pick_skewed(&["I", "I", "I", "W", "E"]);
        self.w(sev);
        let (mo, d, h, mi, s, ms, _) = self.date_parts();
        self.pad(mo, 2);
        self.pad(d, 2);
        self.w(" ");
        self.pad(h, 2);
        self.w(":");
        self.pad(mi, 2);
        self.w(":");
        self.pad(s, 2);
        self.w(".");
        let us = ms * 1000 + self.rng.below(1000);
        self.pad(us, 6);
        self.w("    ");
        let p = self.rng.range(1100, 1400);
        self.num(p);
        self.w(" ");
        let f = *self.rng.pick(KLOG_FILES);
        self.w(f);
        self.w(":");
        let l = self.rng.range(50, 1500);
        self.num(l);
        self.w("] ");
        let app = *self
            .rng
            .pick(&["api-server", "worker", "redis", "ingress", "exporter"]);
        match self.rng.below(4) {
            0 => {
                self.w("\"operationExecutor.VerifyControllerAttachedVolume started for volume \\\"kube-api-access-");
                self.hex(5);
                self.w("\\\" (UniqueName: \\\"kubernetes.io/projected/");
                self.id(POD_UIDS);
                self.w("-kube-api-access\\\")\" pod=\"prod/");
                self.w(app);
                self.w("-");
                self.id(POD_SUFFIXES);
                self.w("\"");
            }
            1 => {
                self.w("\"SyncLoop (PLEG): event for pod\" pod=\"prod/");
                self.w(app);
                self.w("-");
                self.id(POD_SUFFIXES);
                self.w("\" event={\"ID\":\"");
                self.id(POD_UIDS);
                self.w("\",\"Type\":\"ContainerStarted\",\"Data\":\"");
                self.id(CONTAINER_IDS);
                self.w("\"}");
            }
            2 => {
                self.w("\"Probe failed\" probeType=\"Readiness\" pod=\"prod/");
                self.w(app);
                self.w("-");
                self.id(POD_SUFFIXES);
                self.w("\" output=\"Get \\\"http://");
                self.ipv4(true);
                self.w(":8080/healthz\\\": context deadline exceeded\"");
            }
            _ => {
                self.w("\"Observed pod startup duration\" pod=\"prod/");
                self.w(app);
                self.w("-");
                self.id(POD_SUFFIXES);
                self.w("\" podStartSLOduration=");
                let s = self.rng.below(30);
                self.num(s);
                self.w(".");
                let f = self.rng.below(1_000_000_000);
                self.pad(f, 9);
            }
        }
    }

    fn nginx(&mut self) {
        self.w("nginx");
        self.pid(2000, 2010);
        self.ip();
        self.w(" - ");
        if self.rng.chance(20) {
            let u = *self.rng.pick(USERS);
            self.w(u);
        } else {
            self.w("-");
        }
        self.w(" [");
        let (mo, d, h, mi, s, _, y) = self.date_parts();
        self.pad(d, 2);
        self.w("/");
        self.w(MONTHS[(mo - 1) as usize]);
        self.w("/");
        self.num(y);
        self.w(":");
        self.pad(h, 2);
        self.w(":");
        self.pad(mi, 2);
        self.w(":");
        self.pad(s, 2);
        self.w(" +0000] \"");
        let m = *self
            .rng
            .pick_skewed(&["GET", "GET", "POST", "PUT", "DELETE", "HEAD"]);
        self.w(m);
        self.w(" ");
        let p = *self.rng.pick_skewed(PATHS);
        self.w(p);
        if self.rng.chance(40) {
            self.w("/");
            let id = self.rng.range(1, 999_999);
            self.num(id);
        }
        if self.rng.chance(30) {
            self.w("?page=");
            let pg = self.rng.range(1, 40);
            self.num(pg);
            self.w("&token=");
            self.b64(22);
        }
        self.w(" HTTP/1.1\" ");
        let st = *self
            .rng
            .pick_skewed(&[200u64, 200, 304, 201, 404, 500, 502]);
        self.num(st);
        self.w(" ");
        let bytes = self.rng.below(250_000);
        self.num(bytes);
        self.w(" \"-\" \"");
        let a = *self.rng.pick_skewed(AGENTS);
        self.w(a);
        self.w("\" rt=");
        let rt_ms = self.rng.below(3000);
        self.num(rt_ms / 1000);
        self.w(".");
        self.pad(rt_ms % 1000, 3);
        self.w(" upstream=");
        self.ipv4(true);
        self.w(":");
        let port = *self.rng.pick(&[8080u64, 8081, 9000]);
        self.num(port);
    }

    fn audit(&mut self) {
        self.w("audit[");
        let p = self.rng.range(1000, 65000);
        self.num(p);
        self.w("]: USER_");
        let kind = *self.rng.pick(&["LOGIN", "START", "END", "ACCT", "CMD"]);
        self.w(kind);
        self.w(" pid=");
        self.num(p);
        self.w(" uid=0 auid=");
        let a = self.rng.range(1000, 1005);
        self.num(a);
        self.w(" ses=");
        let s = self.rng.range(1, 5000);
        self.num(s);
        self.w(" subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=");
        let op = *self
            .rng
            .pick(&["login", "PAM:session_open", "PAM:accounting", "PAM:setcred"]);
        self.w(op);
        self.w(" acct=\"");
        let u = *self.rng.pick_skewed(USERS);
        self.w(u);
        self.w("\" exe=\"/usr/sbin/sshd\" hostname=? addr=");
        self.ip();
        self.w(" terminal=ssh res=");
        let r = if self.rng.chance(90) {
            "success"
        } else {
            "failed"
        };
        self.w(r);
        self.w("'");
    }

    fn postgres(&mut self) {
        self.w("postgres");
        self.pid(3000, 60000);
        let lvl = *self.rng.pick_skewed(&["LOG", "LOG", "WARNING", "ERROR"]);
        self.w(lvl);
        self.w(":  ");
        match self.rng.below(3) {
            0 => {
                self.w("duration: ");
                self.duration_ms();
                self.w("  statement: ");
                let st = *self.rng.pick(PG_STATEMENTS);
                self.w(st);
            }
            1 => {
                self.w("checkpoint complete: wrote ");
                let n = self.rng.below(20000);
                self.num(n);
                self.w(" buffers (");
                let pct = self.rng.below(100);
                self.num(pct);
                self.w(".");
                let f = self.rng.below(10);
                self.num(f);
                self.w("%); 0 WAL file(s) added, ");
                let r = self.rng.below(8);
                self.num(r);
                self.w(" removed, ");
                let c = self.rng.below(8);
                self.num(c);
                self.w(" recycled; write=");
                let w = self.rng.below(300);
                self.num(w);
                self.w(".");
                let wf = self.rng.below(1000);
                self.pad(wf, 3);
                self.w(" s, sync=0.");
                let sf = self.rng.below(1000);
                self.pad(sf, 3);
                self.w(" s, total=");
                self.num(w);
                self.w(".");
                let tf = self.rng.below(1000);
                self.pad(tf, 3);
                self.w(" s; lsn=");
                self.hex(2);
                self.w("/");
                self.hex(8);
            }
            _ => {
                self.w("connection authorized: user=");
                let u = *self
                    .rng
                    .pick(&["app", "replicator", "postgres", "metabase"]);
                self.w(u);
                self.w(" database=");
                let d = *self
                    .rng
                    .pick(&["orders", "inventory", "events", "postgres"]);
                self.w(d);
                self.w(" application_name=");
                let a = *self
                    .rng
                    .pick(&["psql", "pgbouncer", "api-server", "walreceiver"]);
                self.w(a);
                self.w(" SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)");
            }
        }
    }
}

/// Generate exactly `size` bytes of log-like text (whole lines, except that the
/// last line is cut at `size`). Deterministic for a given `(size, seed)`.
pub fn generate(size: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let pools = vec![
        Pool::new(&mut rng, Kind::Hex(64), 96, 3), // CONTAINER_IDS
        Pool::new(&mut rng, Kind::PodSuffix, 64, 2), // POD_SUFFIXES
        Pool::new(&mut rng, Kind::Uuid, 64, 2),    // POD_UIDS
        Pool::new(&mut rng, Kind::B64(43), 24, 1), // SSH_KEYS
        Pool::new(&mut rng, Kind::Hex(64), 12, 1), // IMAGE_DIGESTS
        Pool::new(&mut rng, Kind::Hex(8), 48, 5),  // VETHS
        Pool::new(&mut rng, Kind::Uuid, 6, 0),     // FS_UUIDS
    ];
    let mut g = Gen {
        rng,
        pools,
        clock_ms: 0,
        buf: Vec::with_capacity(size + 1024),
    };
    while g.buf.len() < size {
        g.line();
    }
    g.buf.truncate(size);
    g.buf
}

/// Write `generate(size, seed)` to `path`.
pub fn write_file(path: &Path, size: usize, seed: u64) -> io::Result<()> {
    let data = generate(size, seed);
    let mut f = std::fs::File::create(path)?;
    f.write_all(&data)?;
    f.sync_all()
}
