//! The iPXE scripts: the static chain script every machine starts from,
//! a host's boot script, and "boot from the local disk".
//!
//! Boot files come from `--assets` by the names the distributions publish
//! them under: Fedora CoreOS' `*-live-kernel-<arch>` (or
//! `*-live-kernel.<arch>`), `*-live-initramfs.<arch>.img` and
//! `*-live-rootfs.<arch>.img`; Flatcar's `flatcar_production_pxe.vmlinuz`
//! and `flatcar_production_pxe_image.cpio.gz`. When several versions lie
//! there, the last by name is used.

use std::fs;
use std::path::Path;

use super::{HostInfo, OsFamily};
use crate::provision::pxe::{self, ConfigFrom, Media, Rootfs};

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
        let mut wanted = wanted(os, arch).into_iter();
        let mut next = || {
            let file = wanted.next()?;
            self.last(|f| file.matches(f))
        };
        Some(Files {
            kernel: next()?,
            initrd: next()?,
            rootfs: match os {
                OsFamily::CoreOs => Some(next()?),
                OsFamily::Flatcar => None,
            },
        })
    }

    /// The boot files hosts of `os` booting on `arch` need that are not
    /// there.
    pub fn missing(&self, os: OsFamily, arch: &str) -> Vec<Wanted> {
        wanted(os, arch)
            .into_iter()
            .filter(|file| self.last(|f| file.matches(f)).is_none())
            .collect()
    }
}

/// A boot file a host's script needs: what it is, the name it is found
/// by, and where to get it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Wanted {
    /// "Fedora CoreOS live rootfs image for x86_64".
    pub what: String,
    /// The name, `*` standing for a version.
    pub name: String,
    /// Where the distribution publishes it.
    pub source: String,
}

impl Wanted {
    fn matches(&self, file: &str) -> bool {
        match self.name.strip_prefix('*') {
            // Fedora CoreOS also names kernels `*-live-kernel.<arch>`.
            Some(suffix) => {
                file.ends_with(suffix)
                    || suffix
                        .strip_prefix("-live-kernel-")
                        .is_some_and(|arch| file.ends_with(&format!("-live-kernel.{arch}")))
            }
            None => file == self.name,
        }
    }
}

/// The boot files of `os` on `arch`: kernel, initramfs, then (Fedora
/// CoreOS) rootfs.
fn wanted(os: OsFamily, arch: &str) -> Vec<Wanted> {
    match os {
        OsFamily::CoreOs => {
            let source = format!(
                "`coreos-installer download -f pxe -a {arch} -C <the --assets directory>` fetches all three"
            );
            [
                ("live kernel", format!("*-live-kernel-{arch}")),
                ("live initramfs", format!("*-live-initramfs.{arch}.img")),
                ("live rootfs image", format!("*-live-rootfs.{arch}.img")),
            ]
            .map(|(what, name)| Wanted {
                what: format!("Fedora CoreOS {what} for {arch}"),
                name,
                source: source.clone(),
            })
            .to_vec()
        }
        OsFamily::Flatcar => {
            let board = if arch == "aarch64" {
                "arm64-usr"
            } else {
                "amd64-usr"
            };
            [
                ("PXE kernel", "flatcar_production_pxe.vmlinuz"),
                ("PXE initramfs", "flatcar_production_pxe_image.cpio.gz"),
            ]
            .map(|(what, name)| Wanted {
                what: format!("Flatcar {what} for {arch}"),
                name: name.to_owned(),
                source: format!(
                    "download https://stable.release.flatcar-linux.net/{board}/current/{name}"
                ),
            })
            .to_vec()
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

/// The query parameter with which `/ignition` answers with a host's live
/// config (the installer's, for a host that installs) instead of its own.
pub const LIVE_QUERY: &str = "live=1";

/// A host's boot script, or why there is none. `ignition_url` is where its
/// own config is fetched from (`/ignition?mac=...`); the live system asks
/// for its live config there ([`LIVE_QUERY`]). Kernel arguments and script
/// come from [`crate::provision::pxe`], as `kindling pxe` writes them.
pub fn host_script(
    host: &HostInfo,
    files: &BootFiles,
    arch: &str,
    base: &str,
    ignition_url: &str,
) -> Result<String, String> {
    let pxe = host.pxe();
    let found = files.for_host(host.os, arch).ok_or_else(|| {
        format!(
            "no {} PXE kernel and initramfs{} for {arch} in --assets",
            host.os.distribution(),
            if host.os == OsFamily::CoreOs {
                " and rootfs"
            } else {
                ""
            }
        )
    })?;
    let asset = |name: &str| format!("{base}/assets/{name}");
    let (kernel, initramfs) = (asset(found.kernel), asset(found.initrd));
    let rootfs = found.rootfs.map(asset);
    let config_url = if pxe.installs() {
        format!("{ignition_url}&{LIVE_QUERY}")
    } else {
        ignition_url.to_owned()
    };
    let media = Media {
        kernel: &kernel,
        initramfs: &initramfs,
        rootfs: rootfs.as_deref().map(Rootfs::Url),
        config: ConfigFrom::Url(&config_url),
    };
    pxe::ipxe_script(&pxe, &media, &format!("kindling serve: {}", host.name))
        .map_err(|e| format!("{e}: {}", e.help()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::install::InstallPlan;

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
        host.install = Some(InstallPlan {
            device: Some("/dev/disk/by-id/nvme-x".to_owned()),
            macs: vec!["52:54:00:be:a0:00".to_owned()],
            console: vec!["ttyS0,115200n8".to_owned()],
            kargs: Vec::new(),
            uuid: None,
        });
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
    fn missing_files_are_named_with_where_to_get_them() {
        let mut partial = files();
        partial.files.retain(|f| !f.contains("rootfs"));
        let missing = partial.missing(OsFamily::CoreOs, "x86_64");
        assert_eq!(missing.len(), 1, "{missing:?}");
        assert_eq!(
            missing[0].what,
            "Fedora CoreOS live rootfs image for x86_64"
        );
        assert_eq!(missing[0].name, "*-live-rootfs.x86_64.img");
        assert!(
            missing[0]
                .source
                .contains("coreos-installer download -f pxe -a x86_64")
        );
        assert!(partial.for_host(OsFamily::CoreOs, "x86_64").is_none());
        let flatcar = BootFiles::default().missing(OsFamily::Flatcar, "x86_64");
        assert_eq!(
            flatcar.iter().map(|w| w.name.as_str()).collect::<Vec<_>>(),
            [
                "flatcar_production_pxe.vmlinuz",
                "flatcar_production_pxe_image.cpio.gz"
            ]
        );
        assert!(
            flatcar[0]
                .source
                .contains("/amd64-usr/current/flatcar_production_pxe.vmlinuz")
        );
        let dotted = BootFiles {
            files: vec!["fedora-coreos-1-live-kernel.x86_64".to_owned()],
        };
        assert_eq!(dotted.missing(OsFamily::CoreOs, "x86_64").len(), 2);
        assert!(files().missing(OsFamily::CoreOs, "x86_64").is_empty());
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
            Err(
                "no Fedora CoreOS PXE kernel and initramfs and rootfs for aarch64 in --assets"
                    .to_owned()
            )
        );
    }
}
