//! The iPXE scripts: the static chain script every machine starts from,
//! a host's boot script, and "boot from the local disk".
//!
//! Boot files come from `--assets` by the names the distributions publish
//! them under: Fedora CoreOS' `*-live-kernel-<arch>` (or
//! `*-live-kernel.<arch>`), `*-live-initramfs.<arch>.img` and
//! `*-live-rootfs.<arch>.img`; Flatcar's `flatcar_production_pxe.vmlinuz`
//! and `flatcar_production_pxe_image.cpio.gz`. When several versions lie
//! there, the last by name is used.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::{HostInfo, OsFamily};

/// `/boot.ipxe`: asks again with everything that identifies the machine.
/// A NIC that does not exist expands to an empty `mac=`, which is ignored.
pub const BOOT_SCRIPT: &str = "#!ipxe\n\
# kindling serve: ask for this machine's script by all its MACs\n\
chain ipxe?mac=${mac:hexhyp}&mac=${net0/mac:hexhyp}&mac=${net1/mac:hexhyp}&mac=${net2/mac:hexhyp}&mac=${net3/mac:hexhyp}&uuid=${uuid:uristring}&hostname=${hostname:uristring}&arch=${buildarch:uristring}\n";

/// The boot files found in `--assets`, by architecture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BootFiles {
    files: Vec<String>,
}

/// What a host's script needs from the assets.
struct Files<'a> {
    kernel: &'a str,
    initrd: &'a str,
    rootfs: Option<&'a str>,
}

impl BootFiles {
    /// The regular files at the top of `dir` (none when there is no
    /// `--assets`).
    pub fn scan(dir: Option<&Path>) -> BootFiles {
        let mut files: Vec<String> = dir
            .and_then(|dir| fs::read_dir(dir).ok())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| !name.starts_with('.'))
            .collect();
        files.sort();
        BootFiles { files }
    }

    fn last(&self, matches: impl Fn(&str) -> bool) -> Option<&str> {
        self.files
            .iter()
            .rev()
            .find(|f| matches(f))
            .map(String::as_str)
    }

    fn for_host(&self, os: OsFamily, arch: &str) -> Option<Files<'_>> {
        match os {
            OsFamily::CoreOs => Some(Files {
                kernel: self.last(|f| {
                    f.ends_with(&format!("live-kernel-{arch}"))
                        || f.ends_with(&format!("live-kernel.{arch}"))
                })?,
                initrd: self.last(|f| f.ends_with(&format!("live-initramfs.{arch}.img")))?,
                rootfs: self.last(|f| f.ends_with(&format!("live-rootfs.{arch}.img"))),
            }),
            OsFamily::Flatcar => Some(Files {
                kernel: self.last(|f| f == "flatcar_production_pxe.vmlinuz")?,
                initrd: self.last(|f| f == "flatcar_production_pxe_image.cpio.gz")?,
                rootfs: None,
            }),
        }
    }
}

/// iPXE's `${buildarch}` as the distributions name architectures.
pub fn arch(buildarch: Option<&str>) -> &'static str {
    match buildarch {
        Some("arm64" | "aarch64") => "aarch64",
        _ => "x86_64",
    }
}

/// "Boot from the local disk" for an installed host.
pub fn local_script(host: &str) -> String {
    format!(
        "#!ipxe\n\
         # kindling serve: {host} is installed; booting its local disk\n\
         # (to install again: kindling serve --rearm {host})\n\
         sanboot --no-describe --drive 0x80 || exit\n"
    )
}

/// The kernel arguments a host boots its live system with; `ignition_url`
/// is where its config is fetched from.
pub fn kernel_args(
    host: &HostInfo,
    base: &str,
    rootfs: Option<&str>,
    ignition_url: &str,
) -> Vec<String> {
    let mut args = Vec::new();
    match host.os {
        OsFamily::CoreOs => {
            if let Some(rootfs) = rootfs {
                args.push(format!("coreos.live.rootfs_url={base}/assets/{rootfs}"));
            }
            match &host.install_device {
                Some(device) => {
                    args.push(format!("coreos.inst.install_dev={device}"));
                    args.push(format!("coreos.inst.ignition_url={ignition_url}"));
                }
                None => {
                    args.push("ignition.firstboot".to_owned());
                    args.push("ignition.platform.id=metal".to_owned());
                    args.push(format!("ignition.config.url={ignition_url}"));
                }
            }
        }
        OsFamily::Flatcar => {
            args.push("flatcar.first_boot=1".to_owned());
            args.push(format!("flatcar.config.url={ignition_url}"));
        }
    }
    args.extend(host.console.iter().map(|c| format!("console={c}")));
    args
}

/// A host's boot script, or why there is none.
pub fn host_script(
    host: &HostInfo,
    files: &BootFiles,
    arch: &str,
    base: &str,
    ignition_url: &str,
) -> Result<String, String> {
    let found = files.for_host(host.os, arch).ok_or_else(|| {
        format!(
            "no {} PXE kernel and initramfs for {arch} in --assets",
            match host.os {
                OsFamily::CoreOs => "Fedora CoreOS",
                OsFamily::Flatcar => "Flatcar",
            }
        )
    })?;
    let args = kernel_args(host, base, found.rootfs, ignition_url).join(" ");
    let mut script = String::from("#!ipxe\n");
    let _ = writeln!(script, "# kindling serve: {}", host.name);
    let _ = writeln!(
        script,
        "kernel {base}/assets/{} initrd=main {args}",
        found.kernel
    );
    let _ = writeln!(script, "initrd --name main {base}/assets/{}", found.initrd);
    script.push_str("boot\n");
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> BootFiles {
        BootFiles {
            files: [
                "fedora-coreos-41.1-live-initramfs.x86_64.img",
                "fedora-coreos-41.1-live-kernel-x86_64",
                "fedora-coreos-41.1-live-rootfs.x86_64.img",
                "fedora-coreos-42.1-live-initramfs.x86_64.img",
                "fedora-coreos-42.1-live-kernel-x86_64",
                "fedora-coreos-42.1-live-rootfs.x86_64.img",
            ]
            .map(String::from)
            .to_vec(),
        }
    }

    #[test]
    fn install_script_points_back_at_the_server() {
        let mut host = HostInfo::named("beam00");
        host.install_device = Some("/dev/disk/by-id/nvme-x".to_owned());
        host.console = vec!["ttyS0,115200n8".to_owned()];
        let script = host_script(
            &host,
            &files(),
            "x86_64",
            "http://10.0.2.2:8080",
            "http://10.0.2.2:8080/ignition?mac=52:54:00:be:a0:00",
        )
        .expect("script");
        insta::assert_snapshot!(script);
    }

    #[test]
    fn live_host_and_missing_files() {
        let host = HostInfo::named("relay01");
        let script = host_script(
            &host,
            &files(),
            "x86_64",
            "http://s",
            "http://s/ignition?mac=x",
        )
        .expect("script");
        assert!(script.contains(" ignition.firstboot ignition.platform.id=metal ignition.config.url=http://s/ignition?mac=x"), "{script}");
        assert_eq!(
            host_script(&host, &files(), "aarch64", "http://s", "u"),
            Err("no Fedora CoreOS PXE kernel and initramfs for aarch64 in --assets".to_owned())
        );
    }
}
