//! Provisioning media, after the write stage: what carries a host's
//! published config onto a machine that has no OS yet.
//!
//! - [`initrd`]: the xz-compressed newc cpio (`config.ign` and friends)
//!   that the kernel unpacks into a live system's initramfs: the payload
//!   of an ISO's Ignition embed area and of a PXE extra initrd.
//! - [`install`]: the live Ignition config of installer media: the
//!   host's config, a coreos-installer config and the wrong-machine guard.
//! - [`iso`]: a CoreOS live ISO's embed areas (Ignition config and kernel
//!   arguments), found through its ISO9660 directory, and a customized copy
//!   of the ISO patched only there.
//! - [`pxe`]: a host's network boot: kernel arguments, iPXE script and the
//!   config its live system runs, shared by `kindling pxe` and `kindling
//!   serve`.

pub mod initrd;
pub mod install;
pub mod iso;
pub mod pxe;
