//! Where a host installs: its `install:` block (`device`, `macs`, `console`,
//! `kargs`, `uuid`) checked and merged into a typed [`InstallPlan`].
//!
//! `fleet.yaml`'s `install:` gives fleet-wide defaults (`device`, `console`,
//! `kargs`); a host's `install:` overrides them key by key. `macs` and
//! `uuid` name one machine, so only a host sets them. A plain Butane host
//! (`hosts/<name>.bu`) cannot say where it installs (Butane has no such
//! field): `fleet.yaml`'s `butane_hosts: { <name>: { install: ... } }` says
//! it for it.
//!
//! The checks here are pure; `resolve` reports them at the line they are
//! about. The plan is used by provisioning media (`crate::provision`).

use crate::diag::Code;

/// A host's `install:` with the fleet's defaults applied, every value
/// checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstallPlan {
    /// The disk the OS goes to, as written (`/dev/disk/by-id/...`).
    pub device: Option<String>,
    /// The machine's NICs, lower-case and colon-separated.
    pub macs: Vec<String>,
    /// Kernel consoles, in coreos-installer's syntax (`ttyS0,115200n8`).
    pub console: Vec<String>,
    /// Extra kernel arguments of the installed system.
    pub kargs: Vec<String>,
    /// The machine's DMI product UUID, lower-case.
    pub uuid: Option<String>,
}

/// Why an `install:` value is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    #[error("install.device `{0}` is not a device path under /dev/")]
    DeviceNotDev(String),
    #[error("install.device `{0}` has a character a kernel argument cannot carry")]
    DeviceCharacter(String),
    #[error("install.macs: `{0}` is not a MAC address")]
    MacSyntax(String),
    #[error("install.macs: `{0}` is a multicast address, which no NIC has")]
    MacMulticast(String),
    #[error("install.macs lists `{0}` twice")]
    MacTwice(String),
    #[error("install.uuid `{0}` is not a DMI product UUID")]
    Uuid(String),
    #[error("install.console `{0}` is not a console coreos-installer supports")]
    Console(String),
    #[error("install.console `{0}` is console options without a console")]
    ConsoleSplit(String),
    #[error("install.kargs: `{0}` is not one kernel argument")]
    Karg(String),
}

impl InstallError {
    /// The diagnostic code it is reported under.
    pub const fn code(&self) -> Code {
        match self {
            InstallError::DeviceNotDev(_) | InstallError::DeviceCharacter(_) => {
                Code::InstallDeviceInvalid
            }
            InstallError::MacSyntax(_)
            | InstallError::MacMulticast(_)
            | InstallError::MacTwice(_) => Code::InstallMacInvalid,
            InstallError::Uuid(_) => Code::InstallUuidInvalid,
            InstallError::Console(_) | InstallError::ConsoleSplit(_) => Code::InstallConsoleInvalid,
            InstallError::Karg(_) => Code::InstallKargInvalid,
        }
    }

    /// What to do about it.
    pub fn help(&self) -> String {
        match self {
            InstallError::DeviceNotDev(_) => {
                "name the disk by a stable path, e.g. /dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T000000X".to_owned()
            }
            InstallError::DeviceCharacter(_) => {
                "the device path goes into kernel arguments and the installer config: no spaces, quotes, `\\` or control characters".to_owned()
            }
            InstallError::MacSyntax(_) => {
                "six hex byte pairs separated by `:` or `-`, e.g. 52:54:00:be:a0:00".to_owned()
            }
            InstallError::MacMulticast(_) => {
                "the first byte of a NIC's address is even; check for a typo (`ip link` shows the machine's addresses)".to_owned()
            }
            InstallError::MacTwice(_) => "list each NIC once".to_owned(),
            InstallError::Uuid(_) => {
                "the machine's /sys/class/dmi/id/product_uuid (`dmidecode -s system-uuid`), e.g. 4c4c4544-0042-3510-8052-b4c04f4b4d32".to_owned()
            }
            InstallError::Console(_) => {
                "tty0, hvc0, ttysclp0, or ttyS<n> / ttyAMA<n> with optional speed, parity and data bits, e.g. ttyS0,115200n8 (without console= or /dev/)".to_owned()
            }
            InstallError::ConsoleSplit(_) => {
                "in a YAML flow list `,` separates entries: quote the console, [\"ttyS0,115200n8\"], or write it alone, console: ttyS0,115200n8".to_owned()
            }
            InstallError::Karg(_) => {
                "one argument per list entry, without spaces, quotes or control characters, e.g. [mitigations=auto, nosmt]".to_owned()
            }
        }
    }
}

/// A device path that is not a stable name: a kernel name such as
/// `/dev/sda`, which may name another disk on the next boot. Returns the
/// warning message.
pub fn unstable_device(device: &str) -> Option<String> {
    let name = device.strip_prefix("/dev/")?;
    let kernel_name = name.split('/').count() == 1
        && ["sd", "vd", "hd", "xvd", "nvme", "mmcblk"]
            .iter()
            .any(|prefix| name.starts_with(prefix));
    kernel_name.then(|| {
        format!(
            "install.device `{device}` is a kernel name: it may name another disk on the next boot"
        )
    })
}

/// Help for [`unstable_device`].
pub const UNSTABLE_DEVICE_HELP: &str =
    "use the disk's /dev/disk/by-id/ name (`ls -l /dev/disk/by-id/` on the machine)";

/// Checks a device path.
pub fn check_device(device: &str) -> Result<(), InstallError> {
    if !device.starts_with("/dev/") || device.len() == "/dev/".len() || device.ends_with('/') {
        return Err(InstallError::DeviceNotDev(device.to_owned()));
    }
    if device
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\'))
    {
        return Err(InstallError::DeviceCharacter(device.to_owned()));
    }
    Ok(())
}

/// A MAC address in the form Linux shows it (`52:54:00:be:a0:00`).
pub fn normalize_mac(mac: &str) -> Result<String, InstallError> {
    let separator = if mac.contains('-') { '-' } else { ':' };
    let bytes: Vec<&str> = mac.split(separator).collect();
    let well_formed = bytes.len() == 6
        && bytes
            .iter()
            .all(|byte| byte.len() == 2 && byte.chars().all(|c| c.is_ascii_hexdigit()));
    if !well_formed {
        return Err(InstallError::MacSyntax(mac.to_owned()));
    }
    let normal = bytes.join(":").to_ascii_lowercase();
    let first = u8::from_str_radix(bytes[0], 16).unwrap_or_default();
    if first & 1 == 1 {
        return Err(InstallError::MacMulticast(mac.to_owned()));
    }
    Ok(normal)
}

/// A DMI product UUID, lower-case.
pub fn normalize_uuid(uuid: &str) -> Result<String, InstallError> {
    let groups: Vec<&str> = uuid.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|group| group.len()).collect();
    if lengths != [8, 4, 4, 4, 12]
        || !groups
            .iter()
            .all(|group| group.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return Err(InstallError::Uuid(uuid.to_owned()));
    }
    Ok(uuid.to_ascii_lowercase())
}

/// Checks a console against coreos-installer's syntax (its `--console`):
/// `tty0`, `hvc0`, `ttysclp0`, or `ttyS<n>` / `ttyAMA<n>` with an optional
/// `,<speed>[<parity n|o|e>[<data bits 5-8>]]`.
pub fn check_console(console: &str) -> Result<(), InstallError> {
    let refused = || InstallError::Console(console.to_owned());
    if console.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(InstallError::ConsoleSplit(console.to_owned()));
    }
    if matches!(console, "tty0" | "hvc0" | "ttysclp0") {
        return Ok(());
    }
    let rest = console
        .strip_prefix("ttyAMA")
        .or_else(|| console.strip_prefix("ttyS"))
        .ok_or_else(refused)?;
    let (port, options) = match rest.split_once(',') {
        Some((port, options)) => (port, Some(options)),
        None => (rest, None),
    };
    if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) || port.parse::<u32>().is_err()
    {
        return Err(refused());
    }
    let Some(options) = options else {
        return Ok(());
    };
    let digits = options.chars().take_while(char::is_ascii_digit).count();
    let (speed, tail) = options.split_at(digits);
    if speed.parse::<u32>().is_err() {
        return Err(refused());
    }
    let mut tail = tail.chars();
    match (tail.next(), tail.next(), tail.next()) {
        (None, _, _) => Ok(()),
        (Some('n' | 'o' | 'e'), None, _) => Ok(()),
        (Some('n' | 'o' | 'e'), Some('5'..='8'), None) => Ok(()),
        _ => Err(refused()),
    }
}

/// Checks one kernel argument of the installed system.
pub fn check_karg(karg: &str) -> Result<(), InstallError> {
    if karg.is_empty()
        || karg
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\''))
    {
        return Err(InstallError::Karg(karg.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_are_normalized_and_checked() {
        assert_eq!(
            normalize_mac("52:54:00:BE:A0:00").as_deref(),
            Ok("52:54:00:be:a0:00")
        );
        assert_eq!(
            normalize_mac("52-54-00-be-a0-01").as_deref(),
            Ok("52:54:00:be:a0:01")
        );
        for bad in [
            "",
            "52:54:00:be:a0",
            "52:54:00:be:a0:00:01",
            "52:54:00:be:a0:0",
            "52:54:00:be:a0:0g",
            "525400bea000",
            "52:54-00:be:a0:00",
        ] {
            assert_eq!(
                normalize_mac(bad),
                Err(InstallError::MacSyntax(bad.to_owned())),
                "{bad}"
            );
        }
        assert!(matches!(
            normalize_mac("01:00:5e:00:00:01"),
            Err(InstallError::MacMulticast(_))
        ));
    }

    #[test]
    fn devices_warn_on_kernel_names() {
        for unstable in [
            "/dev/sda",
            "/dev/vdb",
            "/dev/nvme0n1",
            "/dev/mmcblk0",
            "/dev/xvda",
        ] {
            assert_eq!(check_device(unstable), Ok(()));
            assert!(unstable_device(unstable).is_some(), "{unstable}");
        }
        for stable in [
            "/dev/disk/by-id/nvme-Samsung_SSD_980_1TB_S64ANS0T000000X",
            "/dev/disk/by-path/pci-0000:00:1f.2-ata-1",
            "/dev/md/root",
            "/dev/mapper/mpatha",
        ] {
            assert_eq!(check_device(stable), Ok(()));
            assert_eq!(unstable_device(stable), None, "{stable}");
        }
        for bad in ["sda", "/dev/", "/var/disk", "/dev/disk/by-id/"] {
            assert!(
                matches!(check_device(bad), Err(InstallError::DeviceNotDev(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            check_device("/dev/disk/by-id/a b"),
            Err(InstallError::DeviceCharacter(_))
        ));
    }

    #[test]
    fn consoles_follow_coreos_installer() {
        for good in [
            "tty0",
            "hvc0",
            "ttysclp0",
            "ttyS0",
            "ttyS1,115200",
            "ttyS0,115200n8",
            "ttyAMA0,115200",
            "ttyS2,5o",
            "ttyS1,1234567e5",
        ] {
            assert_eq!(check_console(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "console=ttyS0",
            "/dev/ttyS0",
            "ttyS",
            "ttyS0,",
            "ttyS0,z",
            "ttyS0,115200p8",
            "ttyS0,115200n4",
            "ttyS0,115200n8r",
            "ttyS9999999999999999999",
            "ttyS0,999999999999999999999",
            "tty1",
        ] {
            assert!(check_console(bad).is_err(), "{bad}");
        }
        // `[ttyS0,115200n8]` in YAML is two entries.
        assert_eq!(
            check_console("115200n8"),
            Err(InstallError::ConsoleSplit("115200n8".to_owned()))
        );
    }

    #[test]
    fn uuids_and_kargs() {
        assert_eq!(
            normalize_uuid("4C4C4544-0042-3510-8052-B4C04F4B4D32").as_deref(),
            Ok("4c4c4544-0042-3510-8052-b4c04f4b4d32")
        );
        for bad in [
            "",
            "4c4c4544-0042-3510-8052",
            "4c4c4544004235108052b4c04f4b4d32",
            "4c4c4544-0042-3510-8052-b4c04f4b4d3g",
        ] {
            assert!(normalize_uuid(bad).is_err(), "{bad}");
        }
        assert_eq!(check_karg("mitigations=auto,nosmt"), Ok(()));
        for bad in ["", "a b", "quiet\n", "x=\"y\""] {
            assert!(check_karg(bad).is_err(), "{bad:?}");
        }
    }
}
