//! Fleet benchmark (the issue's fleet target): generates a realistic fleet
//! of 1,000 hosts x 20 services, runs `kindling build` on it and reports
//! wall time and peak RSS (targets: < 1 s and < 200 MiB).
//!
//! The fleet: `fleet.yaml` (org, registry, Ignition version, path patterns,
//! a fleet-wide user, a Butane snippet), 24 service definitions with ports,
//! volumes, env, health checks, dependencies, extra Quadlet keys, drop-ins,
//! trust anchors (a real CA) and one per-host (plain) TLS certificate it issues, an override of
//! the env template, and 1,000 host manifests listing 20 services each,
//! about one in eight with per-host overrides (version, env, ports), some
//! with extra directories, a host `paths:` override or users, and each with
//! a `butane:` fragment. No age secrets. Deterministic.
//!
//! `cargo bench --bench fleet`. Knobs: `BENCH_HOSTS` (1000),
//! `BENCH_SERVICES_PER_HOST` (20), `BENCH_RUNS` (5), `BENCH_FLEET_DIR`
//! (generate there and keep it, instead of a temporary directory),
//! `KINDLING_BIN` (another binary instead of the release one),
//! `BENCH_BINS=label=path,…` (exactly these binaries). The release binary
//! and, when `just dist` has built it, the dist binary take turns, so both
//! see the same machine. The digest printed covers every output byte; the
//! bench fails if two binaries' Ignition configs differ (a build manifest
//! that differs is reported: an older binary writes an older format).

#[path = "common/logs.rs"]
mod logs;
#[path = "common/measure.rs"]
mod measure;

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use logs::Rng;
use measure::ms;
use sha2::{Digest, Sha256};

/// A service of the generated fleet.
struct Svc {
    name: &'static str,
    image: Option<&'static str>,
    version: &'static str,
    description: &'static str,
    /// Container port; the host port is unique per service.
    port: u32,
    public: bool,
    uid: Option<u32>,
    env: &'static [(&'static str, &'static str)],
    health: Option<&'static str>,
    after: &'static [&'static str],
    extra: &'static str,
}

const SERVICES: &[Svc] = &[
    Svc {
        name: "postgres",
        image: Some("docker.io/library/postgres"),
        version: "16.4",
        description: "PostgreSQL database",
        port: 5432,
        public: false,
        uid: Some(2600),
        env: &[
            ("POSTGRES_DB", "app"),
            ("POSTGRES_USER", "app"),
            ("PGDATA", "/var/lib/postgresql/data/pgdata"),
            ("POSTGRES_INITDB_ARGS", "--data-checksums"),
        ],
        health: Some("pg_isready -U app"),
        after: &[],
        extra: "quadlet:\n  Container:\n    ShmSize: 256m\n  Service:\n    TimeoutStartSec: 300\n",
    },
    Svc {
        name: "redis",
        image: Some("docker.io/library/redis"),
        version: "7.2.5",
        description: "Redis cache",
        port: 6379,
        public: false,
        uid: Some(2601),
        env: &[("REDIS_MAXMEMORY", "512mb"), ("REDIS_APPENDONLY", "yes")],
        health: Some("redis-cli ping"),
        after: &[],
        extra: "",
    },
    Svc {
        name: "nginx",
        image: Some("docker.io/library/nginx"),
        version: "1.27.1",
        description: "nginx reverse proxy",
        port: 8443,
        public: true,
        uid: None,
        env: &[
            ("NGINX_WORKER_PROCESSES", "auto"),
            ("NGINX_CLIENT_MAX_BODY_SIZE", "64m"),
        ],
        health: Some("curl -fsS http://127.0.0.1/healthz"),
        after: &["api-server.service"],
        extra: "dropins:\n  10-limits.conf: |\n    [Service]\n    LimitNOFILE=65536\n",
    },
    Svc {
        name: "grafana",
        image: None,
        version: "11.2.0",
        description: "Grafana dashboards",
        port: 3000,
        public: false,
        uid: Some(2602),
        env: &[
            ("GF_SERVER_ROOT_URL", "https://grafana.example.net"),
            ("GF_ANALYTICS_REPORTING_ENABLED", "false"),
            ("GF_LOG_LEVEL", "info"),
        ],
        health: Some("wget -qO- http://127.0.0.1:3000/api/health"),
        after: &["prometheus.service"],
        extra: "",
    },
    Svc {
        name: "prometheus",
        image: None,
        version: "2.54.1",
        description: "Prometheus metrics",
        port: 9090,
        public: false,
        uid: Some(2603),
        env: &[("PROM_RETENTION", "15d"), ("PROM_SCRAPE_INTERVAL", "30s")],
        health: Some("wget -qO- http://127.0.0.1:9090/-/ready"),
        after: &[],
        extra: "quadlet:\n  Container:\n    PodmanArgs: --cpus=2\n",
    },
    Svc {
        name: "node-exporter",
        image: Some("quay.io/prometheus/node-exporter"),
        version: "1.8.2",
        description: "node metrics exporter",
        port: 9100,
        public: false,
        uid: Some(2604),
        env: &[("NODE_EXPORTER_COLLECTORS", "systemd,processes")],
        health: None,
        after: &[],
        extra: "",
    },
    Svc {
        name: "loki",
        image: None,
        version: "3.1.1",
        description: "Loki log store",
        port: 3100,
        public: false,
        uid: Some(2605),
        env: &[("LOKI_RETENTION", "720h"), ("LOKI_TARGET", "all")],
        health: Some("wget -qO- http://127.0.0.1:3100/ready"),
        after: &[],
        extra: "",
    },
    Svc {
        name: "promtail",
        image: None,
        version: "3.1.1",
        description: "log shipper",
        port: 9080,
        public: false,
        uid: Some(2606),
        env: &[(
            "PROMTAIL_LOKI_URL",
            "http://127.0.0.1:3100/loki/api/v1/push",
        )],
        health: None,
        after: &["loki.service"],
        extra: "",
    },
    Svc {
        name: "traefik",
        image: Some("docker.io/library/traefik"),
        version: "3.1.2",
        description: "Traefik edge router",
        port: 443,
        public: true,
        uid: Some(2607),
        env: &[
            ("TRAEFIK_LOG_LEVEL", "INFO"),
            ("TRAEFIK_ENTRYPOINTS_WEBSECURE_ADDRESS", ":443"),
        ],
        health: Some("traefik healthcheck --ping"),
        after: &[],
        extra: "dropins:\n  20-restart.conf: |\n    [Service]\n    RestartSec=5\n",
    },
    Svc {
        name: "vault-agent",
        image: Some("docker.io/hashicorp/vault"),
        version: "1.17.3",
        description: "Vault agent",
        port: 8200,
        public: false,
        uid: Some(2608),
        env: &[
            ("VAULT_ADDR", "https://vault.example.net:8200"),
            ("VAULT_LOG_LEVEL", "info"),
        ],
        health: None,
        after: &[],
        extra: "",
    },
    Svc {
        name: "consul",
        image: Some("docker.io/hashicorp/consul"),
        version: "1.19.2",
        description: "Consul agent",
        port: 8500,
        public: false,
        uid: Some(2609),
        env: &[
            ("CONSUL_BIND_INTERFACE", "eth0"),
            ("CONSUL_DATACENTER", "fra1"),
        ],
        health: Some("consul members"),
        after: &[],
        extra: "",
    },
    Svc {
        name: "minio",
        image: Some("quay.io/minio/minio"),
        version: "RELEASE.2024-08-29T01-40-52Z",
        description: "MinIO object store",
        port: 9000,
        public: false,
        uid: Some(2610),
        env: &[
            ("MINIO_BROWSER", "off"),
            ("MINIO_REGION", "eu-central-1"),
            ("MINIO_VOLUMES", "/data"),
        ],
        health: Some("curl -fsS http://127.0.0.1:9000/minio/health/live"),
        after: &[],
        extra: "",
    },
    Svc {
        name: "keycloak",
        image: Some("quay.io/keycloak/keycloak"),
        version: "25.0.4",
        description: "Keycloak identity",
        port: 8080,
        public: false,
        uid: Some(2611),
        env: &[
            ("KC_DB", "postgres"),
            ("KC_HOSTNAME", "sso.example.net"),
            ("KC_PROXY_HEADERS", "xforwarded"),
        ],
        health: None,
        after: &["postgres.service"],
        extra: "quadlet:\n  Service:\n    TimeoutStartSec: 600\n",
    },
    Svc {
        name: "gitea",
        image: Some("docker.io/gitea/gitea"),
        version: "1.22.2",
        description: "Gitea forge",
        port: 3001,
        public: false,
        uid: Some(2612),
        env: &[
            ("GITEA__database__DB_TYPE", "postgres"),
            ("GITEA__server__ROOT_URL", "https://git.example.net/"),
            ("USER_UID", "2612"),
        ],
        health: Some("curl -fsS http://127.0.0.1:3000/api/healthz"),
        after: &["postgres.service"],
        extra: "",
    },
    Svc {
        name: "registry",
        image: Some("docker.io/library/registry"),
        version: "2.8.3",
        description: "container registry mirror",
        port: 5000,
        public: false,
        uid: Some(2613),
        env: &[
            ("REGISTRY_PROXY_REMOTEURL", "https://registry-1.docker.io"),
            ("REGISTRY_STORAGE_DELETE_ENABLED", "true"),
        ],
        health: None,
        after: &[],
        extra: "",
    },
    Svc {
        name: "mosquitto",
        image: Some("docker.io/library/eclipse-mosquitto"),
        version: "2.0.18",
        description: "MQTT broker",
        port: 1883,
        public: true,
        uid: Some(2614),
        env: &[("MOSQUITTO_LOG_TYPE", "notice")],
        health: None,
        after: &[],
        extra: "",
    },
    Svc {
        name: "influxdb",
        image: Some("docker.io/library/influxdb"),
        version: "2.7.10",
        description: "InfluxDB time series",
        port: 8086,
        public: false,
        uid: Some(2615),
        env: &[
            ("DOCKER_INFLUXDB_INIT_MODE", "setup"),
            ("DOCKER_INFLUXDB_INIT_ORG", "example"),
            ("DOCKER_INFLUXDB_INIT_BUCKET", "metrics"),
        ],
        health: Some("influx ping"),
        after: &[],
        extra: "",
    },
    Svc {
        name: "telegraf",
        image: Some("docker.io/library/telegraf"),
        version: "1.31.3",
        description: "Telegraf collector",
        port: 8125,
        public: false,
        uid: Some(2616),
        env: &[("TELEGRAF_INTERVAL", "10s")],
        health: None,
        after: &["influxdb.service"],
        extra: "",
    },
    Svc {
        name: "alertmanager",
        image: Some("quay.io/prometheus/alertmanager"),
        version: "0.27.0",
        description: "Alertmanager",
        port: 9093,
        public: false,
        uid: Some(2617),
        env: &[("ALERTMANAGER_CLUSTER_LISTEN", "0.0.0.0:9094")],
        health: Some("wget -qO- http://127.0.0.1:9093/-/healthy"),
        after: &["prometheus.service"],
        extra: "",
    },
    Svc {
        name: "jaeger",
        image: Some("docker.io/jaegertracing/all-in-one"),
        version: "1.60.0",
        description: "Jaeger tracing",
        port: 16686,
        public: false,
        uid: Some(2618),
        env: &[
            ("COLLECTOR_OTLP_ENABLED", "true"),
            ("SPAN_STORAGE_TYPE", "badger"),
        ],
        health: None,
        after: &[],
        extra: "",
    },
    Svc {
        name: "otel-collector",
        image: Some("docker.io/otel/opentelemetry-collector-contrib"),
        version: "0.108.0",
        description: "OpenTelemetry collector",
        port: 4317,
        public: false,
        uid: Some(2619),
        env: &[("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod")],
        health: None,
        after: &["jaeger.service"],
        extra: "",
    },
    Svc {
        name: "nats",
        image: Some("docker.io/library/nats"),
        version: "2.10.20",
        description: "NATS messaging",
        port: 4222,
        public: false,
        uid: Some(2620),
        env: &[("NATS_CLUSTER_NAME", "fleet")],
        health: None,
        after: &[],
        extra: "",
    },
    Svc {
        name: "api-server",
        image: None,
        version: "2.14.3",
        description: "the application API",
        port: 8470,
        public: false,
        uid: Some(2621),
        env: &[
            ("API_LISTEN", "0.0.0.0:8470"),
            ("API_DATABASE_URL", "postgres://app@127.0.0.1:5432/app"),
            ("API_CACHE_URL", "redis://127.0.0.1:6379/0"),
            ("API_LOG_FORMAT", "json"),
            ("API_WORKERS", "8"),
        ],
        health: Some("wget -qO- http://127.0.0.1:8470/health"),
        after: &["postgres.service", "redis.service"],
        extra: "",
    },
    Svc {
        name: "worker",
        image: None,
        version: "2.14.3",
        description: "the application's job worker",
        port: 8471,
        public: false,
        uid: Some(2622),
        env: &[
            ("WORKER_QUEUE", "default,mail,reports"),
            ("WORKER_CONCURRENCY", "16"),
            ("WORKER_DATABASE_URL", "postgres://app@127.0.0.1:5432/app"),
        ],
        health: None,
        after: &["api-server.service", "nats.service"],
        extra: "",
    },
];

/// Ed25519 keys of the fleet's CA and of every host's leaf certificate:
/// Ed25519 signatures are deterministic, so the certificates (and the
/// fleet) are the same bytes on every run. Bench keys, not secrets.
const CA_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIF8grXhSINwZjToBQgDhXTru7ac+EHEBfDWRpuhMkmyt\n-----END PRIVATE KEY-----\n";
const LEAF_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIMomkdeSDKmmjgJWxHz5tu5hkGTVoy/7sGIjlZFhISpo\n-----END PRIVATE KEY-----\n";

/// The fleet's CA (`secrets/fleet/fleet-root.crt`, a trust anchor of most
/// services) and the node-exporter TLS certificates it issues per host,
/// valid 2026-01-01..2036-01-01: real X.509 that kindling's certificate
/// checks parse and chain.
struct Certs {
    ca: rcgen::CertificateParams,
    ca_key: rcgen::KeyPair,
    leaf_key: rcgen::KeyPair,
}

impl Certs {
    fn new() -> anyhow::Result<Certs> {
        let ca_key = rcgen::KeyPair::from_pem(CA_KEY)?;
        let mut ca = Certs::params("fleet-root", 1)?;
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        Ok(Certs {
            ca,
            ca_key,
            leaf_key: rcgen::KeyPair::from_pem(LEAF_KEY)?,
        })
    }

    fn params(cn: &str, serial: u64) -> anyhow::Result<rcgen::CertificateParams> {
        let mut params = rcgen::CertificateParams::new(vec![format!("{cn}.example")])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        params.not_before = rcgen::date_time_ymd(2026, 1, 1);
        params.not_after = rcgen::date_time_ymd(2036, 1, 1);
        params.serial_number = Some(rcgen::SerialNumber::from(serial));
        Ok(params)
    }

    fn ca_pem(&self) -> anyhow::Result<String> {
        Ok(self.ca.self_signed(&self.ca_key)?.pem())
    }

    fn leaf_pem(&self, host: &str, serial: u64) -> anyhow::Result<String> {
        let issuer = rcgen::Issuer::from_params(&self.ca, &self.ca_key);
        Ok(Certs::params(host, serial)?
            .signed_by(&self.leaf_key, &issuer)?
            .pem())
    }
}

fn service_yaml(index: usize, svc: &Svc) -> String {
    let mut y = String::new();
    let _ = writeln!(y, "# {} — generated by benches/fleet.rs", svc.name);
    let _ = writeln!(y, "description: {}", svc.description);
    if let Some(image) = svc.image {
        let _ = writeln!(y, "image: {image}");
    }
    let _ = writeln!(y, "version: \"{}\"", svc.version);
    if index % 3 != 2 {
        y.push_str("auto_update: registry\n");
    }
    if !svc.after.is_empty() {
        let _ = writeln!(y, "after: [{}]", svc.after.join(", "));
        let _ = writeln!(y, "requires: [{}]", svc.after.join(", "));
    }
    if let Some(uid) = svc.uid {
        let _ = writeln!(y, "uid: {uid}");
    }
    let host_port = 10_000 + index * 10;
    if svc.public {
        let _ = writeln!(
            y,
            "ports: [ \"{host_port}:{}/tcp\", \"{}:{}/udp\" ]",
            svc.port,
            host_port + 1,
            svc.port
        );
        y.push_str("expose: public\n");
    } else {
        let _ = writeln!(y, "ports: [ \"127.0.0.1:{host_port}:{}\" ]", svc.port);
    }
    y.push_str("volumes:\n");
    let _ = writeln!(y, "  - \"{{{{ data_dir }}}}:/var/lib/{}:Z\"", svc.name);
    if index.is_multiple_of(4) {
        let _ = writeln!(
            y,
            "  - \"{{{{ data_dir }}}}/cache:/var/cache/{}:Z\"",
            svc.name
        );
    }
    if index % 5 == 1 {
        y.push_str("  - \"{{ trust_dir }}:/etc/pki/fleet:ro,z\"\n");
    }
    y.push_str("  - /etc/localtime:/etc/localtime:ro\n");
    y.push_str("env:\n");
    for (key, value) in svc.env {
        let _ = writeln!(y, "  {key}: \"{value}\"");
    }
    let _ = writeln!(y, "  LOG_LEVEL: info\n  TZ: UTC");
    if let Some(cmd) = svc.health {
        let _ = writeln!(
            y,
            "health:\n  cmd: {cmd}\n  interval: {}s\n  retries: 3",
            15 + 15 * (index % 3)
        );
        if index.is_multiple_of(2) {
            y.push_str("  timeout: 5s\n  start_period: 30s\n");
        }
    }
    if index % 5 == 1 {
        y.push_str("trust:\n  - file: fleet-root.crt\n    from: fleet/fleet-root.crt\n");
    }
    if svc.name == "node-exporter" {
        y.push_str("secrets:\n  - file: tls.crt\n    from: \"node-exporter/{{ host }}/tls.crt\"\n");
    }
    if index.is_multiple_of(6) {
        y.push_str("restart: always\n");
    }
    if index % 7 == 3 {
        y.push_str("install:\n  wanted_by: [multi-user.target, default.target]\n");
    }
    y.push_str(svc.extra);
    y
}

const FLEET_YAML: &str = r#"# Generated by benches/fleet.rs: 1,000 hosts x 20 services.
org: acme
ignition_version: 3.4.0
registry: ghcr.io/acme
image_policy: pinned
paths:
  quadlet_dir: /etc/containers/systemd
  env_file: /etc/{{ org }}/env/{{ service }}.env
  secrets_dir: /etc/{{ org }}/secrets/{{ service }}
  data_dir: /var/lib/{{ org }}/{{ service }}
  trust_dir: /etc/{{ org }}/trust
users:
  - name: core
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchFleetOpsKeyNotARealKey0000000000 ops@acme
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchFleetCiKeyNotARealKey00000000000 ci@acme
include:
  - snippets/base.bu
"#;

const BASE_BU: &str = r#"# Fleet-wide Butane snippet, merged into every host.
variant: fcos
version: 1.5.0
storage:
  files:
    - path: /etc/zincati/config.d/55-updates-strategy.toml
      mode: 0644
      contents:
        inline: |
          [updates]
          strategy = "periodic"
          [[updates.periodic.window]]
          days = [ "Sat", "Sun" ]
          start_time = "03:00"
          length_minutes = 120
    - path: /etc/sysctl.d/90-fleet.conf
      mode: 0644
      contents:
        inline: |
          net.core.rmem_max = 7500000
          net.core.wmem_max = 7500000
          vm.max_map_count = 262144
    - path: /etc/systemd/journald.conf.d/10-size.conf
      mode: 0644
      contents:
        inline: |
          [Journal]
          SystemMaxUse=2G
          MaxRetentionSec=2week
systemd:
  units:
    - name: podman-auto-update.timer
      enabled: true
    - name: fleet-motd.service
      enabled: true
      contents: |
        [Unit]
        Description=Write the fleet banner
        [Service]
        Type=oneshot
        ExecStart=/usr/bin/sh -c 'echo "managed by kindling" > /etc/motd.d/fleet'
        [Install]
        WantedBy=multi-user.target
"#;

const ENV_TEMPLATE: &str = "# {{ service }} environment for {{ host }} — generated by kindling.\n{% for key, value in env|items %}\n{{ key }}={{ value }}\n{% endfor %}\n";

fn host_yaml(rng: &mut Rng, index: usize, per_host: usize) -> String {
    let name = format!("node-{index:04}");
    let mut y = String::new();
    let site = ["fra1", "ams2", "iad1", "sfo3"][index % 4];
    let _ = writeln!(y, "# {name}: {site} rack {}", index / 40);
    if index % 50 == 7 {
        y.push_str("paths:\n  data_dir: /srv/{{ org }}/{{ service }}\n");
    }
    y.push_str("services:\n");
    // `per_host` consecutive services (of 24), starting at a rotating one.
    let chosen = (0..per_host.min(SERVICES.len())).map(|k| &SERVICES[(index + k) % SERVICES.len()]);
    for svc in chosen {
        if rng.chance(12) {
            match rng.below(3) {
                0 => {
                    let _ = writeln!(
                        y,
                        "  - {}: {{ env: {{ LOG_LEVEL: debug, SITE: {site} }} }}",
                        svc.name
                    );
                }
                1 => {
                    let _ = writeln!(
                        y,
                        "  - {}:\n      version: \"{}-hotfix.{}\"",
                        svc.name,
                        svc.version,
                        rng.below(9) + 1
                    );
                }
                _ => {
                    let _ = writeln!(
                        y,
                        "  - {}:\n      restart: always\n      env:\n        SITE: {site}\n        NODE_INDEX: \"{index}\"",
                        svc.name
                    );
                }
            }
        } else {
            let _ = writeln!(y, "  - {}", svc.name);
        }
    }
    if index % 10 == 3 {
        y.push_str("directories:\n  - { path: /var/lib/acme/scratch, mode: 0750, user: core, group: core }\n");
    }
    if index % 25 == 4 {
        let _ = writeln!(
            y,
            "users:\n  - name: oncall\n    groups: [wheel]\n    ssh_authorized_keys:\n      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOncall{index:04}NotARealKey000000000000000 oncall@acme"
        );
    }
    let _ = writeln!(
        y,
        "butane:\n  storage:\n    files:\n      - path: /etc/hostname\n        mode: 0644\n        contents:\n          inline: {name}\n      - path: /etc/acme/site\n        mode: 0644\n        contents:\n          inline: |\n            site={site}\n            rack={}\n            serial={:012x}",
        index / 40,
        rng.next() >> 16
    );
    if index.is_multiple_of(9) {
        y.push_str(
            "  systemd:\n    units:\n      - name: zincati.service\n        enabled: false\n",
        );
    }
    y
}

fn generate(root: &Path, hosts: usize, per_host: usize) -> anyhow::Result<()> {
    let mut rng = Rng::new(logs::SEED);
    for dir in [
        "hosts",
        "containers",
        "templates",
        "snippets",
        "secrets/fleet",
    ] {
        std::fs::create_dir_all(root.join(dir))?;
    }
    std::fs::write(root.join("fleet.yaml"), FLEET_YAML)?;
    std::fs::write(root.join("snippets/base.bu"), BASE_BU)?;
    std::fs::write(root.join("templates/service.env.j2"), ENV_TEMPLATE)?;
    let certs = Certs::new()?;
    std::fs::write(root.join("secrets/fleet/fleet-root.crt"), certs.ca_pem()?)?;
    for (index, svc) in SERVICES.iter().enumerate() {
        std::fs::write(
            root.join(format!("containers/{}.yaml", svc.name)),
            service_yaml(index, svc),
        )?;
    }
    for index in 0..hosts {
        let name = format!("node-{index:04}");
        std::fs::write(
            root.join(format!("hosts/{name}.yaml")),
            host_yaml(&mut rng, index, per_host),
        )?;
        let dir = root.join(format!("secrets/node-exporter/{name}"));
        std::fs::create_dir_all(&dir)?;
        std::fs::write(
            dir.join("tls.crt"),
            certs.leaf_pem(&name, 2 + index as u64)?,
        )?;
    }
    Ok(())
}

/// What a build wrote: file count, bytes, and sha256 over every output
/// file (name and bytes, sorted by name) and over the configs alone.
#[derive(Clone)]
struct Outputs {
    files: usize,
    bytes: u64,
    all: String,
    configs: String,
}

fn digest(out: &Path) -> anyhow::Result<Outputs> {
    // What readers see: the outputs and manifest, not the generations.
    let mut names: Vec<PathBuf> = std::fs::read_dir(out)?
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
        .map(|e| e.path())
        .collect();
    names.sort();
    let mut all = Sha256::new();
    let mut configs = Sha256::new();
    let mut bytes = 0;
    for name in &names {
        let data = std::fs::read(name)?;
        bytes += data.len() as u64;
        let file_name = name
            .file_name()
            .map(|n| n.as_encoded_bytes())
            .unwrap_or_default();
        all.update(file_name);
        all.update(&data);
        if file_name.ends_with(b".ign") {
            configs.update(file_name);
            configs.update(&data);
        }
    }
    Ok(Outputs {
        files: names.len(),
        bytes,
        all: format!("{:x}", all.finalize()),
        configs: format!("{:x}", configs.finalize()),
    })
}

fn main() -> anyhow::Result<()> {
    let bins = measure::binaries()?;
    let hosts = measure::env_usize("BENCH_HOSTS", 1000);
    let per_host = measure::env_usize("BENCH_SERVICES_PER_HOST", 20);
    let runs = measure::env_usize("BENCH_RUNS", 5).max(1);
    let temp = tempfile::tempdir()?;
    let root = std::env::var_os("BENCH_FLEET_DIR")
        .map_or_else(|| temp.path().join("fleet"), PathBuf::from);
    let start = Instant::now();
    if root.join("fleet.yaml").exists() && std::env::var_os("BENCH_FLEET_DIR").is_some() {
        println!("reusing the fleet in {}", root.display());
    } else {
        generate(&root, hosts, per_host)?;
    }
    for bin in &bins {
        println!("binary {}: {}", bin.label, bin.path.display());
    }
    println!(
        "== kindling build: {hosts} hosts x {per_host} services of {} ({} generated in {})",
        SERVICES.len(),
        root.display(),
        ms(start.elapsed().as_secs_f64())
    );
    println!(
        "   {runs} runs per binary, the binaries taking turns, medians reported; load average {}; {} cores",
        measure::loadavg(),
        measure::cores()
    );
    // Each cold build writes into a directory of its own: deleting and
    // recreating one directory thousands of times makes ext4 scan past
    // recently freed inodes on every create, which measures the file
    // system's state rather than kindling. The outputs are removed at the end.
    let build_args = |out: &Path| {
        [
            OsStr::new("build"),
            OsStr::new("--fleet"),
            root.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ]
        .map(OsStr::to_os_string)
    };
    let out_of = |bin: usize, run: usize| root.join(format!("build-cold-{bin}-{run}"));
    let mut cold = vec![Vec::new(); bins.len()];
    for run in 0..runs {
        for (index, bin) in bins.iter().enumerate() {
            let out = out_of(index, run);
            let _ = std::fs::remove_dir_all(&out);
            let args = build_args(&out);
            let args: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            let usage =
                measure::run_with_usage(&bin.path, &args, None).context("kindling build")?;
            cold[index].push(usage);
        }
    }
    let digests = (0..bins.len())
        .map(|index| digest(&out_of(index, runs - 1)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // A rebuild with nothing changed: every output is compared, none written.
    let mut rebuilds = vec![Vec::new(); bins.len()];
    for _ in 0..runs {
        for (index, bin) in bins.iter().enumerate() {
            let args = build_args(&out_of(index, runs - 1));
            let args: Vec<&OsStr> = args.iter().map(|a| a.as_os_str()).collect();
            let usage =
                measure::run_with_usage(&bin.path, &args, None).context("kindling build")?;
            rebuilds[index].push(usage);
        }
    }
    for (index, bin) in bins.iter().enumerate() {
        let Outputs {
            files,
            bytes,
            all: sum,
            configs,
        } = digests[index].clone();
        anyhow::ensure!(
            digest(&out_of(index, runs - 1))?.all == sum,
            "a rebuild changed the outputs"
        );
        let walls: Vec<f64> = cold[index].iter().map(|u| u.wall).collect();
        let cpus: Vec<f64> = cold[index].iter().map(|u| u.cpu).collect();
        let rss: Vec<f64> = cold[index].iter().map(|u| u.peak_rss as f64).collect();
        let rebuild_walls: Vec<f64> = rebuilds[index].iter().map(|u| u.wall).collect();
        let rebuild_cpus: Vec<f64> = rebuilds[index].iter().map(|u| u.cpu).collect();
        let wall = measure::median(&walls);
        let peak = measure::median(&rss) / 1048576.0;
        println!(
            "   {}: cold build: wall {} (target < 1 s: {}), CPU {}, peak RSS {peak:.1} MiB (target < 200 MiB: {})",
            bin.label,
            ms(wall),
            if wall < 1.0 { "met" } else { "MISSED" },
            ms(measure::median(&cpus)),
            if peak < 200.0 { "met" } else { "MISSED" }
        );
        println!(
            "   {}: all runs: {:?} s, CPU {:?} s, {:?} MiB",
            bin.label,
            measure::rounded_seconds(&walls),
            measure::rounded_seconds(&cpus),
            measure::rounded_mib(&rss)
        );
        println!(
            "   {}: rebuild, nothing changed (no output rewritten): wall {}, CPU {}",
            bin.label,
            ms(measure::median(&rebuild_walls)),
            ms(measure::median(&rebuild_cpus))
        );
        println!(
            "   {}: output: {files} files, {bytes} bytes, sha256 {sum}",
            bin.label
        );
        let first = &digests[0];
        anyhow::ensure!(
            first.configs == configs,
            "{} wrote other Ignition configs than {}",
            bin.label,
            bins[0].label
        );
        if first.all != sum {
            // An older binary (`BENCH_BINS=before=...`) writes an older
            // manifest format (e.g. without `secret_files`).
            println!(
                "   {}: the configs are those of {}; manifest.json differs",
                bin.label, bins[0].label
            );
        }
    }
    for run in 0..runs {
        for index in 0..bins.len() {
            let _ = std::fs::remove_dir_all(out_of(index, run));
        }
    }
    Ok(())
}
