//! Network boot of a host's live system: its kernel arguments, its iPXE
//! script and the config it runs, computed here once for `kindling pxe`
//! (files) and `kindling serve` (`/ipxe`, `/ignition`).
//!
//! Fedora CoreOS (and uCore and images, which start from it): the live
//! system always runs Ignition (`ignition.firstboot
//! ignition.platform.id=metal`), with its config from an appended initrd
//! holding `config.ign` ([`super::initrd`]) or from `ignition.config.url`;
//! the root filesystem comes from `coreos.live.rootfs_url` or as one more
//! initrd. A host with `install.device` gets as its live config the
//! installer config of [`super::install`] (its own config byte for byte,
//! coreos-installer's config and the wrong-machine guard), never
//! `coreos.inst.install_dev` on the command line: a command line installs
//! on whatever machine boots it, the guard first checks the machine's MACs
//! (and DMI UUID). `install.kargs` reach the installed system through the
//! installer config (`append-karg`); `install.console` is the console of
//! both the live and the installed system.
//!
//! Flatcar runs from RAM over PXE (`flatcar.first_boot=1`) and fetches its
//! config by URL (`ignition.config.url`, the name Flatcar's docs prefer to
//! `flatcar.config.url`); it is not installed to `install.device`.

use std::fmt::Write as _;

use crate::fleet::install::InstallPlan;
use crate::fleet::os::OsTarget;

use super::install::{self, MediaError, Mode};

/// Which family of boot files and kernel arguments a host takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OsFamily {
    /// Fedora CoreOS and what is reached from it (uCore, images).
    CoreOs,
    Flatcar,
}

impl OsFamily {
    /// The family `os:` belongs to.
    pub fn of(target: &OsTarget) -> OsFamily {
        match target {
            OsTarget::Flatcar { .. } => OsFamily::Flatcar,
            OsTarget::Fcos { .. } | OsTarget::Ucore { .. } | OsTarget::Image { .. } => {
                OsFamily::CoreOs
            }
        }
    }

    /// The distribution whose PXE files it boots.
    pub fn distribution(self) -> &'static str {
        match self {
            OsFamily::CoreOs => "Fedora CoreOS",
            OsFamily::Flatcar => "Flatcar",
        }
    }
}

/// A host as its network boot sees it.
#[derive(Clone, Copy, Debug)]
pub struct PxeHost<'a> {
    pub name: &'a str,
    pub os: OsFamily,
    /// Its `install:`; `None` (or no device) runs it live.
    pub install: Option<&'a InstallPlan>,
}

impl PxeHost<'_> {
    /// Whether its live system installs it: a Fedora CoreOS host with an
    /// `install.device`.
    pub fn installs(&self) -> bool {
        self.os == OsFamily::CoreOs && self.install.is_some_and(|plan| plan.device.is_some())
    }

    /// The config its live system runs, given its own config `dest`
    /// (`build/<host>.ign`): the installer's live config when it
    /// [installs](Self::installs), else `dest` itself.
    pub fn live_config(&self, dest: &[u8]) -> Result<Vec<u8>, MediaError> {
        let mode = if self.installs() {
            Mode::Install
        } else {
            Mode::Live
        };
        install::live_config(mode, self.name, self.install, dest)
    }
}

/// Where the live system's config comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigFrom<'a> {
    /// An initrd holding `config.ign`, at this URL.
    Initrd(&'a str),
    /// Ignition fetches it from this URL.
    Url(&'a str),
}

/// Where Fedora CoreOS' root filesystem image comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rootfs<'a> {
    /// The live initramfs fetches it (`coreos.live.rootfs_url`; 2 GiB of
    /// RAM suffice).
    Url(&'a str),
    /// One more initrd, loaded by the boot loader (4 GiB of RAM).
    Initrd(&'a str),
}

/// What a live system boots from: URLs, or in a script, names relative to
/// the script.
#[derive(Clone, Copy, Debug)]
pub struct Media<'a> {
    pub kernel: &'a str,
    pub initramfs: &'a str,
    /// Fedora CoreOS' root filesystem (Flatcar has none).
    pub rootfs: Option<Rootfs<'a>>,
    pub config: ConfigFrom<'a>,
}

/// Why a host cannot boot from these media.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PxeError {
    #[error("{host} runs Flatcar, which fetches its config by URL: an Ignition initrd is not read")]
    FlatcarNeedsUrl { host: String },
    #[error("{host} runs Fedora CoreOS, whose live system needs its root filesystem image")]
    NoRootfs { host: String },
}

impl PxeError {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            PxeError::FlatcarNeedsUrl { .. } => {
                "give the URL the machines fetch the files from (`kindling pxe --url`), or use `kindling serve`"
            }
            PxeError::NoRootfs { .. } => {
                "put fedora-coreos-*-live-rootfs.<arch>.img beside the kernel and initramfs"
            }
        }
    }
}

/// The kernel arguments `host`'s live system boots with from `media`
/// (without the boot loader's `initrd=` names).
pub fn kernel_args(host: &PxeHost, media: &Media) -> Result<Vec<String>, PxeError> {
    let mut args = Vec::new();
    match host.os {
        OsFamily::CoreOs => {
            args.push("ignition.firstboot".to_owned());
            args.push("ignition.platform.id=metal".to_owned());
            if let ConfigFrom::Url(url) = media.config {
                args.push(format!("ignition.config.url={url}"));
            }
            match media.rootfs {
                Some(Rootfs::Url(url)) => args.push(format!("coreos.live.rootfs_url={url}")),
                Some(Rootfs::Initrd(_)) => {}
                None => {
                    return Err(PxeError::NoRootfs {
                        host: host.name.to_owned(),
                    });
                }
            }
        }
        OsFamily::Flatcar => {
            let ConfigFrom::Url(url) = media.config else {
                return Err(PxeError::FlatcarNeedsUrl {
                    host: host.name.to_owned(),
                });
            };
            args.push("flatcar.first_boot=1".to_owned());
            args.push(format!("ignition.config.url={url}"));
        }
    }
    args.extend(install::live_kargs(host.install));
    Ok(args)
}

/// The initrds the boot loader loads, in order, by (name, URL).
fn initrds<'a>(host: &PxeHost, media: &Media<'a>) -> Vec<(&'static str, &'a str)> {
    let mut initrds = vec![("main", media.initramfs)];
    if host.os == OsFamily::CoreOs
        && let Some(Rootfs::Initrd(url)) = media.rootfs
    {
        initrds.push(("rootfs", url));
    }
    if let ConfigFrom::Initrd(url) = media.config {
        initrds.push(("ignition", url));
    }
    initrds
}

/// `host`'s iPXE script: `comment` (one line, saying who wrote it) on top,
/// then the kernel with its arguments, each initrd by name (so the kernel
/// finds them under UEFI too) and `boot`.
pub fn ipxe_script(host: &PxeHost, media: &Media, comment: &str) -> Result<String, PxeError> {
    let args = kernel_args(host, media)?;
    let initrds = initrds(host, media);
    let mut script = String::from("#!ipxe\n");
    let _ = writeln!(script, "# {comment}");
    let mut line = format!("kernel {}", media.kernel);
    for (name, _) in &initrds {
        let _ = write!(line, " initrd={name}");
    }
    for arg in &args {
        line.push(' ');
        line.push_str(arg);
    }
    script.push_str(&line);
    script.push('\n');
    for (name, url) in &initrds {
        let _ = writeln!(script, "initrd --name {name} {url}");
    }
    script.push_str("boot\n");
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(device: Option<&str>) -> InstallPlan {
        InstallPlan {
            device: device.map(str::to_owned),
            macs: vec!["52:54:00:be:a0:00".to_owned()],
            console: vec!["ttyS0,115200n8".to_owned()],
            kargs: vec!["mitigations=auto".to_owned()],
            uuid: None,
        }
    }

    const DEST: &[u8] = b"{\"ignition\":{\"version\":\"3.4.0\"}}\n";

    fn media(config: ConfigFrom<'static>, rootfs: Option<Rootfs<'static>>) -> Media<'static> {
        Media {
            kernel: "http://s/k",
            initramfs: "http://s/i",
            rootfs,
            config,
        }
    }

    #[test]
    fn an_installing_host_boots_its_guarded_installer_not_a_bare_install_dev() {
        let plan = plan(Some("/dev/disk/by-id/nvme-x"));
        let host = PxeHost {
            name: "beam00",
            os: OsFamily::CoreOs,
            install: Some(&plan),
        };
        assert!(host.installs());
        let args = kernel_args(
            &host,
            &media(
                ConfigFrom::Url("http://s/c"),
                Some(Rootfs::Url("http://s/r")),
            ),
        )
        .expect("args");
        assert_eq!(
            args,
            [
                "ignition.firstboot",
                "ignition.platform.id=metal",
                "ignition.config.url=http://s/c",
                "coreos.live.rootfs_url=http://s/r",
                "console=ttyS0,115200n8",
            ]
        );
        assert!(!args.iter().any(|a| a.starts_with("coreos.inst.")));
        // install.kargs are the installed system's, not the live one's.
        assert!(!args.iter().any(|a| a == "mitigations=auto"));
        let live = host.live_config(DEST).expect("live config");
        assert_eq!(
            live,
            install::live_config(Mode::Install, "beam00", Some(&plan), DEST).expect("installer")
        );
    }

    #[test]
    fn initrds_are_named_on_the_kernel_line() {
        let host = PxeHost {
            name: "relay01",
            os: OsFamily::CoreOs,
            install: None,
        };
        assert!(!host.installs());
        assert_eq!(host.live_config(DEST).expect("live"), DEST);
        let script = ipxe_script(
            &host,
            &media(
                ConfigFrom::Initrd("relay01.ignition.img"),
                Some(Rootfs::Initrd("r.img")),
            ),
            "kindling pxe: relay01",
        )
        .expect("script");
        assert_eq!(
            script,
            "#!ipxe\n# kindling pxe: relay01\n\
             kernel http://s/k initrd=main initrd=rootfs initrd=ignition ignition.firstboot ignition.platform.id=metal\n\
             initrd --name main http://s/i\n\
             initrd --name rootfs r.img\n\
             initrd --name ignition relay01.ignition.img\n\
             boot\n"
        );
    }

    #[test]
    fn flatcar_runs_live_and_fetches_by_url() {
        let plan = plan(Some("/dev/sda"));
        let host = PxeHost {
            name: "fc",
            os: OsFamily::Flatcar,
            install: Some(&plan),
        };
        assert!(!host.installs(), "Flatcar is not installed over PXE");
        assert_eq!(host.live_config(DEST).expect("live"), DEST);
        assert_eq!(
            kernel_args(&host, &media(ConfigFrom::Url("http://s/fc.ign"), None)).expect("args"),
            [
                "flatcar.first_boot=1",
                "ignition.config.url=http://s/fc.ign",
                "console=ttyS0,115200n8"
            ]
        );
        let refused = kernel_args(&host, &media(ConfigFrom::Initrd("fc.img"), None));
        assert_eq!(
            refused,
            Err(PxeError::FlatcarNeedsUrl {
                host: "fc".to_owned()
            })
        );
    }

    #[test]
    fn coreos_needs_its_rootfs() {
        let host = PxeHost {
            name: "h",
            os: OsFamily::CoreOs,
            install: None,
        };
        assert_eq!(
            kernel_args(&host, &media(ConfigFrom::Url("u"), None)),
            Err(PxeError::NoRootfs {
                host: "h".to_owned()
            })
        );
    }

    #[test]
    fn families() {
        assert_eq!(
            OsFamily::of(&OsTarget::Flatcar { channel: None }),
            OsFamily::Flatcar
        );
        assert_eq!(
            OsFamily::of(&OsTarget::Fcos { stream: None }),
            OsFamily::CoreOs
        );
    }
}
