//! What a live system boots with to install a host: the live Ignition
//! config of installer media (ISO or PXE).
//!
//! The live config carries, as files of the live system:
//! - the host's config, exactly the bytes of `build/<host>.ign`, at
//!   [`DEST_PATH`];
//! - a coreos-installer config ([`INSTALLER_CONFIG_PATH`], its
//!   `--config-file` keys: `dest-device`, `ignition-file`, `ignition-hash`
//!   with the config's sha512, `console`, `append-karg`): a non-empty
//!   `/etc/coreos/installer.d` makes the live image run
//!   `coreos-installer.service`, which installs and reboots;
//! - the wrong-machine guard: [`GUARD_PATH`], run by [`GUARD_UNIT`], which a
//!   drop-in makes `coreos-installer.service` require and wait for. It
//!   checks that a NIC has a MAC from `install.macs` (and the DMI product
//!   UUID, if given) and that the disk exists; otherwise it says why on the
//!   console and fails, so the installer never starts and the disk is not
//!   touched.
//!
//! The live-only variant ([`Mode::Live`]) is the host's config itself as
//! the live system's config: nothing is installed, nothing guarded.
//!
//! Output is typed ([`crate::ignition::model`]) and deterministic: the same
//! inputs give the same bytes.

use crate::digest::sha512_verification;
use crate::fleet::install::InstallPlan;
use crate::ignition::model::{Config, Dropin, File, Ignition, Resource, Storage, Systemd, Unit};
use crate::ignition::spec::Spec;

/// The Ignition spec of the live config: what coreos-installer's own
/// customized live configs use, read by every live image with
/// `installer.d` support.
pub const LIVE_SPEC: Spec = Spec::V3_3;
/// Where the live system holds the host's config for the installer.
pub const DEST_PATH: &str = "/etc/coreos/dest.ign";
/// The directory of coreos-installer configs: the live image runs the
/// installer when it is not empty.
pub const INSTALLER_DIR: &str = "/etc/coreos/installer.d/";
/// kindling's installer config; coreos-installer reads every file in
/// [`INSTALLER_DIR`] in name order.
pub const INSTALLER_CONFIG_PATH: &str = "/etc/coreos/installer.d/50-kindling.yaml";
/// The guard script.
pub const GUARD_PATH: &str = "/usr/local/bin/kindling-install-guard";
/// The unit running the guard.
pub const GUARD_UNIT: &str = "kindling-install-guard.service";
/// The unit the guard stands before (shipped in the live image).
pub const INSTALLER_UNIT: &str = "coreos-installer.service";
/// The drop-in that makes the installer require the guard.
pub const GUARD_DROPIN: &str = "50-kindling-install-guard.conf";
/// How long the guard waits for a NIC with a listed MAC to appear.
const GUARD_WAIT_SECONDS: u32 = 30;

/// Which live config to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The live system installs the host to `install.device` and reboots.
    Install,
    /// The host's config is the live system's own config (no install).
    Live,
}

/// Why installer media cannot be made for a host.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MediaError {
    #[error("{host} has no install: block, so there is nowhere to install it")]
    NoPlan { host: String },
    #[error("{host} has no install.device")]
    NoDevice { host: String },
    #[error("{host} has no install.macs: installer media would wipe any machine they boot on")]
    NoMacs { host: String },
    #[error("{host}'s config is not JSON: {reason}")]
    NotJson { host: String, reason: String },
}

impl MediaError {
    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            MediaError::NoPlan { .. } | MediaError::NoDevice { .. } => {
                "give the host install: { device: /dev/disk/by-id/..., macs: [...] } (README \"Where a host installs\"), or make live-only media".to_owned()
            }
            MediaError::NoMacs { .. } => {
                "list the machine's NIC addresses in install.macs (`ip link` on the machine)".to_owned()
            }
            MediaError::NotJson { .. } => "rebuild it with `kindling build`".to_owned(),
        }
    }
}

/// The installer side of a host's media, each part as it lands in the
/// live system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installer {
    /// The coreos-installer config at [`INSTALLER_CONFIG_PATH`].
    pub installer_config: String,
    /// `sha512-<hex>` of the host's config, as `ignition-hash` gives it.
    pub dest_hash: String,
    /// The guard script at [`GUARD_PATH`].
    pub guard_script: String,
    /// [`GUARD_UNIT`]'s contents.
    pub guard_unit: String,
    /// The drop-in of [`INSTALLER_UNIT`] requiring the guard.
    pub guard_dropin: String,
    /// The live config holding all of the above and the host's config.
    pub live: Config,
}

/// The live config's bytes for `host` in `mode`: for [`Mode::Live`] the
/// host's config `dest` as it is, for [`Mode::Install`] the installer's
/// live config as compact JSON with a trailing newline (as kindling
/// writes every config).
pub fn live_config(
    mode: Mode,
    host: &str,
    plan: Option<&InstallPlan>,
    dest: &[u8],
) -> Result<Vec<u8>, MediaError> {
    match mode {
        Mode::Live => Ok(dest.to_vec()),
        Mode::Install => {
            let installer = installer(host, plan, dest)?;
            Ok(to_json(&installer.live))
        }
    }
}

/// The live system's extra kernel arguments: a `console=` for each of the
/// install's consoles, so the live system (and its guard's messages) shows
/// where the installed system will.
pub fn live_kargs(plan: Option<&InstallPlan>) -> Vec<String> {
    plan.map(|plan| {
        plan.console
            .iter()
            .map(|console| format!("console={console}"))
            .collect()
    })
    .unwrap_or_default()
}

/// Compact JSON with a trailing newline.
pub fn to_json(config: &Config) -> Vec<u8> {
    let mut json = serde_json::to_vec(config).unwrap_or_default();
    json.push(b'\n');
    json
}

/// The installer side of `host`'s media: `plan` must name a device and at
/// least one MAC; `dest` is the host's config (`build/<host>.ign`), carried
/// byte for byte.
pub fn installer(
    host: &str,
    plan: Option<&InstallPlan>,
    dest: &[u8],
) -> Result<Installer, MediaError> {
    let plan = plan.ok_or_else(|| MediaError::NoPlan {
        host: host.to_owned(),
    })?;
    let device = plan.device.as_deref().ok_or_else(|| MediaError::NoDevice {
        host: host.to_owned(),
    })?;
    if plan.macs.is_empty() {
        return Err(MediaError::NoMacs {
            host: host.to_owned(),
        });
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(dest).map_err(|error| MediaError::NotJson {
        host: host.to_owned(),
        reason: error.to_string(),
    })?;
    let dest_hash = sha512_verification(dest);
    let installer_config = installer_config(host, plan, device, &dest_hash);
    let guard_script = guard_script(host, plan, device);
    let guard_unit = guard_unit(host);
    let guard_dropin = format!(
        "# kindling: install only on the machine that is {host}\n\
         [Unit]\nRequires={GUARD_UNIT}\nAfter={GUARD_UNIT}\n"
    );
    let live = Config {
        ignition: Ignition {
            version: LIVE_SPEC.as_str().to_owned(),
            ..Ignition::default()
        },
        storage: Storage {
            files: vec![
                file(DEST_PATH, dest, 0o600),
                file(INSTALLER_CONFIG_PATH, installer_config.as_bytes(), 0o600),
                file(GUARD_PATH, guard_script.as_bytes(), 0o755),
            ],
            ..Storage::default()
        },
        systemd: Systemd {
            units: vec![
                Unit {
                    name: GUARD_UNIT.to_owned(),
                    contents: Some(guard_unit.clone()),
                    ..Unit::default()
                },
                Unit {
                    name: INSTALLER_UNIT.to_owned(),
                    dropins: vec![Dropin {
                        name: GUARD_DROPIN.to_owned(),
                        contents: Some(guard_dropin.clone()),
                    }],
                    ..Unit::default()
                },
            ],
        },
        ..Config::default()
    };
    Ok(Installer {
        installer_config,
        dest_hash,
        guard_script,
        guard_unit,
        guard_dropin,
        live,
    })
}

/// A root-owned file of the live system with `contents` as a data URL
/// (gzip where it is shorter).
fn file(path: &str, contents: &[u8], mode: i64) -> File {
    let encoded = crate::encode::encode_data_url(contents, None, true);
    File {
        path: path.to_owned(),
        overwrite: Some(true),
        contents: Resource {
            source: Some(encoded.source),
            compression: encoded.compression.filter(|c| !c.is_empty()),
            ..Resource::default()
        },
        mode: Some(mode),
        ..File::default()
    }
}

/// A YAML (and JSON) double-quoted string.
fn quoted(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

fn quoted_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| quoted(item)).collect();
    format!("[{}]", items.join(", "))
}

/// The coreos-installer config (`--config-file` keys).
fn installer_config(host: &str, plan: &InstallPlan, device: &str, dest_hash: &str) -> String {
    let mut text = format!(
        "# kindling: install {host}\n\
         dest-device: {}\n\
         ignition-file: {}\n\
         ignition-hash: {}\n",
        quoted(device),
        quoted(DEST_PATH),
        quoted(dest_hash),
    );
    if !plan.console.is_empty() {
        text.push_str(&format!("console: {}\n", quoted_list(&plan.console)));
    }
    if !plan.kargs.is_empty() {
        text.push_str(&format!("append-karg: {}\n", quoted_list(&plan.kargs)));
    }
    text
}

/// `text` as one single-quoted shell word.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The guard script. `KINDLING_GUARD_ROOT` (a directory standing in for
/// `/`) and `KINDLING_GUARD_WAIT` (seconds) exist for tests; the live
/// system sets neither.
fn guard_script(host: &str, plan: &InstallPlan, device: &str) -> String {
    let uuid = plan.uuid.as_deref().unwrap_or("");
    format!(
        r#"#!/bin/sh
# kindling: install {host} only on the machine that is {host}: one of its
# NICs has a MAC from install.macs{uuid_note}, and it has the disk.
host={host_q}
device={device_q}
macs={macs_q}
uuid={uuid_q}
root="${{KINDLING_GUARD_ROOT:-}}"
wait="${{KINDLING_GUARD_WAIT:-{wait}}}"

say() {{
    echo "kindling-install-guard: $*"
}}

refuse() {{
    say "NOT INSTALLING $host to $device: $*"
    say "this machine's NICs:" $(cat "$root"/sys/class/net/*/address 2>/dev/null)
    say "the disk was not touched; boot the machine that is $host, or correct install: in its manifest"
    exit 1
}}

# NICs appear as their drivers load: wait for a listed one a little.
found=
tries=0
while :; do
    for path in "$root"/sys/class/net/*/address; do
        [ -r "$path" ] || continue
        mac=$(tr 'A-F' 'a-f' < "$path")
        for want in $macs; do
            if [ "$mac" = "$want" ]; then
                nic=${{path%/address}}
                found="$want on ${{nic##*/}}"
            fi
        done
    done
    [ -n "$found" ] && break
    [ "$tries" -ge "$wait" ] && break
    tries=$((tries + 1))
    sleep 1
done
[ -n "$found" ] || refuse "none of its NICs has a MAC in install.macs ($macs)"

if [ -n "$uuid" ]; then
    have=$(tr 'A-F' 'a-f' < "$root"/sys/class/dmi/id/product_uuid 2>/dev/null)
    [ "$have" = "$uuid" ] || refuse "its DMI product UUID is ${{have:-unreadable}}, not install.uuid $uuid"
fi

# /dev/disk/by-id/ links come from udev: let it finish first.
if [ -z "$root" ] && command -v udevadm >/dev/null 2>&1; then
    udevadm settle
fi
[ -e "$root$device" ] || refuse "it has no disk $device"

say "this is $host ($found); installing to $device"
"#,
        uuid_note = if uuid.is_empty() {
            ""
        } else {
            " (and its DMI product UUID)"
        },
        host_q = sh_quote(host),
        device_q = sh_quote(device),
        macs_q = sh_quote(&plan.macs.join(" ")),
        uuid_q = sh_quote(uuid),
        wait = GUARD_WAIT_SECONDS,
    )
}

/// The guard's unit: a oneshot before the installer, speaking on the
/// console.
fn guard_unit(host: &str) -> String {
    format!(
        "# kindling: install {host} only on the machine that is {host}\n\
         [Unit]\n\
         Description=Check this machine is {host} before installing\n\
         After=coreos-installer-pre.target systemd-udev-trigger.service\n\
         Before={INSTALLER_UNIT}\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         ExecStart={GUARD_PATH}\n\
         StandardOutput=kmsg+console\n\
         StandardError=kmsg+console\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataurl;

    fn plan() -> InstallPlan {
        InstallPlan {
            device: Some("/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T000000X".to_owned()),
            macs: vec![
                "52:54:00:be:a0:00".to_owned(),
                "52:54:00:be:a0:01".to_owned(),
            ],
            console: vec!["tty0".to_owned(), "ttyS0,115200n8".to_owned()],
            kargs: vec!["mitigations=auto".to_owned()],
            uuid: Some("4c4c4544-0042-3510-8052-b4c04f4b4d32".to_owned()),
        }
    }

    const DEST: &[u8] = b"{\"ignition\":{\"version\":\"3.4.0\"}}\n";

    /// The decoded contents of the live config's file at `path`.
    fn contents(config: &Config, path: &str) -> Vec<u8> {
        let file = config
            .storage
            .files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path}"));
        let source = file.contents.source.as_deref().expect("source");
        let decoded = dataurl::decode_data_url(source).expect("data URL");
        match file.contents.compression.as_deref() {
            Some("gzip") => dataurl::gunzip(&decoded, usize::MAX).expect("gzip"),
            _ => decoded,
        }
    }

    #[test]
    fn the_live_config_carries_the_exact_bytes_and_their_hash() {
        let parts = installer("beam00", Some(&plan()), DEST).expect("installer");
        assert_eq!(contents(&parts.live, DEST_PATH), DEST);
        assert_eq!(parts.dest_hash, sha512_verification(DEST));
        assert!(parts.dest_hash.starts_with("sha512-"));
        assert_eq!(parts.dest_hash.len(), "sha512-".len() + 128);
        assert_eq!(
            contents(&parts.live, INSTALLER_CONFIG_PATH),
            parts.installer_config.as_bytes()
        );
        assert_eq!(
            contents(&parts.live, GUARD_PATH),
            parts.guard_script.as_bytes()
        );
        // Large configs are carried gzipped, still byte for byte.
        let large = format!(
            "{{\"ignition\":{{\"version\":\"3.4.0\"}},\"x\":\"{}\"}}\n",
            "a".repeat(100_000)
        );
        let parts = installer("beam00", Some(&plan()), large.as_bytes()).expect("installer");
        let file = &parts.live.storage.files[0];
        assert_eq!(file.contents.compression.as_deref(), Some("gzip"));
        assert_eq!(contents(&parts.live, DEST_PATH), large.as_bytes());
    }

    #[test]
    fn the_installer_config_reads_as_coreos_installer_keys() {
        let parts = installer("beam00", Some(&plan()), DEST).expect("installer");
        let parsed: serde_json::Value = {
            // Every value is a JSON string or list, one key per line.
            let mut map = serde_json::Map::new();
            for line in parts.installer_config.lines() {
                if line.starts_with('#') {
                    continue;
                }
                let (key, value) = line.split_once(": ").expect("key: value");
                map.insert(
                    key.to_owned(),
                    serde_json::from_str(value).expect("JSON value"),
                );
            }
            serde_json::Value::Object(map)
        };
        assert_eq!(
            parsed,
            serde_json::json!({
                "dest-device": "/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T000000X",
                "ignition-file": "/etc/coreos/dest.ign",
                "ignition-hash": sha512_verification(DEST),
                "console": ["tty0", "ttyS0,115200n8"],
                "append-karg": ["mitigations=auto"],
            })
        );
        // Without consoles or kargs, the keys are left out.
        let bare = InstallPlan {
            console: Vec::new(),
            kargs: Vec::new(),
            ..plan()
        };
        let config = installer("beam00", Some(&bare), DEST)
            .expect("installer")
            .installer_config;
        assert!(!config.contains("console") && !config.contains("append-karg"));
    }

    #[test]
    fn output_is_deterministic_and_snapshotted() {
        let first = live_config(Mode::Install, "beam00", Some(&plan()), DEST).expect("live");
        let second = live_config(Mode::Install, "beam00", Some(&plan()), DEST).expect("live");
        assert_eq!(first, second);
        let parts = installer("beam00", Some(&plan()), DEST).expect("installer");
        insta::assert_snapshot!(
            "installer_parts",
            format!(
                "## {INSTALLER_CONFIG_PATH}\n{}## {GUARD_UNIT}\n{}## {INSTALLER_UNIT}.d/{GUARD_DROPIN}\n{}## {GUARD_PATH}\n{}",
                parts.installer_config, parts.guard_unit, parts.guard_dropin, parts.guard_script
            )
        );
    }

    #[test]
    fn the_live_config_passes_the_validator() {
        let live = live_config(Mode::Install, "beam00", Some(&plan()), DEST).expect("live");
        let value: serde_json::Value = serde_json::from_slice(&live).expect("JSON");
        let findings = crate::validate::schema(&value, LIVE_SPEC);
        assert!(findings.is_empty(), "{findings:?}");
        let config: Config = serde_json::from_slice(&live).expect("model");
        let findings = crate::validate::semantic(&config, LIVE_SPEC);
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn paths_and_kargs() {
        assert!(INSTALLER_CONFIG_PATH.starts_with(INSTALLER_DIR));
        assert_eq!(
            live_kargs(Some(&plan())),
            ["console=tty0", "console=ttyS0,115200n8"]
        );
        assert!(live_kargs(None).is_empty());
    }

    #[test]
    fn live_only_is_the_host_config_itself() {
        assert_eq!(
            live_config(Mode::Live, "beam00", None, DEST).as_deref(),
            Ok(DEST)
        );
    }

    #[test]
    fn refusals_name_the_host_and_what_is_missing() {
        let refusals = [
            installer("beam00", None, DEST),
            installer(
                "beam00",
                Some(&InstallPlan {
                    device: None,
                    ..plan()
                }),
                DEST,
            ),
            installer(
                "beam00",
                Some(&InstallPlan {
                    macs: Vec::new(),
                    ..plan()
                }),
                DEST,
            ),
            installer("beam00", Some(&plan()), b"not json"),
        ];
        let text: Vec<String> = refusals
            .into_iter()
            .map(|result| {
                let error = result.expect_err("refused");
                format!("{error}\n  help: {}", error.help())
            })
            .collect();
        insta::assert_snapshot!("refusals", text.join("\n"));
    }
}
