//! Test live ISOs mastered with xorriso in the layout of each CoreOS
//! live-ISO generation (coreos-installer's `fixtures/iso/INDEX` lists them),
//! optionally bootable with isolinux and a kernel + initrd.
//!
//! Where the embed areas are is taken from xorriso's own report of the
//! files' blocks (`-exec report_lba`), not from kindling's ISO9660 reader,
//! so tests compare kindling's findings with an independent answer.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::tools;

/// A live-ISO generation's embed-area layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    /// 2023-07 on: `coreos/igninfo.json`, `coreos/kargs.json` (one file
    /// with its own pad and end characters), `coreos/features.json`; no
    /// system-area headers.
    Current,
    /// 2021-09: `coreos/kargs.json` plus the `coreiso+` and `coreKarg`
    /// headers; no igninfo.json (the area is `images/ignition.img`).
    Kargs2021,
    /// 2021-01: the `coreiso+` and `coreKarg` headers only.
    Headers2021,
    /// 2020-09: the `coreiso+` header only; no kernel argument areas.
    Headers2020,
    /// Only the `coreiso+` header finds the area: it is `images/embed.img`,
    /// not `images/ignition.img`.
    HeaderOnly,
}

impl Generation {
    pub const ALL: [Generation; 5] = [
        Generation::Current,
        Generation::Kargs2021,
        Generation::Headers2021,
        Generation::Headers2020,
        Generation::HeaderOnly,
    ];

    fn igninfo(self) -> bool {
        self == Generation::Current
    }
    fn kargs_json(self) -> bool {
        matches!(self, Generation::Current | Generation::Kargs2021)
    }
    fn ignition_header(self) -> bool {
        self != Generation::Current
    }
    fn kargs_header(self) -> bool {
        matches!(self, Generation::Kargs2021 | Generation::Headers2021)
    }
    pub fn has_kargs(self) -> bool {
        self.kargs_json() || self.kargs_header()
    }
    fn area_file(self) -> &'static str {
        if self == Generation::HeaderOnly {
            "images/embed.img"
        } else {
            "images/ignition.img"
        }
    }
}

/// Bytes of each kernel argument area.
pub const KARG_SIZE: usize = 1139;
/// Bytes of the Ignition embed area.
pub const IGNITION_SIZE: u64 = 256 << 10;
/// The image's default kernel arguments.
pub const DEFAULT_KARGS: &str = "mitigations=auto,nosmt coreos.liveiso=kindling-test ignition.firstboot ignition.platform.id=metal";

/// A kernel and initrd to make the ISO bootable (isolinux, BIOS).
pub struct BootFiles<'a> {
    pub kernel: &'a Path,
    pub initrd: &'a Path,
    /// Appended to [`DEFAULT_KARGS`] in the image's default arguments.
    pub append: &'a str,
    /// Also bootable with UEFI, as CoreOS live ISOs are: an El Torito EFI
    /// boot image (`images/efiboot.img`, FAT) whose GRUB reads the ISO's
    /// `EFI/fedora/grub.cfg` (the second karg area). Needs
    /// [`super::tools::Tool::UefiBoot`].
    pub uefi: bool,
}

/// The volume label GRUB finds the ISO by.
const LABEL: &str = "KINDLING_LIVE";

/// `root/images/efiboot.img`: a FAT image holding `EFI/BOOT/BOOTX64.EFI`, a
/// standalone GRUB whose built-in config finds the ISO by its label and
/// reads its `EFI/fedora/grub.cfg`, as a CoreOS live ISO's GRUB does.
fn efi_boot_image(dir: &Path, root: &Path) {
    let embedded = dir.join("grub-embedded.cfg");
    fs::write(
        &embedded,
        format!(
            "search --no-floppy --set=root --label {LABEL}
set prefix=($root)/EFI/fedora
             configfile ($root)/EFI/fedora/grub.cfg
"
        ),
    )
    .expect("write");
    let grub = dir.join("BOOTX64.EFI");
    let run = |command: &mut Command| {
        let out = command.output().expect("spawn");
        assert!(
            out.status.success(),
            "{command:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(Command::new("grub-mkstandalone")
        .args(["-O", "x86_64-efi", "--locales=", "--fonts=", "--themes="])
        .arg("--install-modules=linux normal iso9660 search search_label configfile echo test gzio part_msdos part_gpt fat")
        .arg("--modules=iso9660 search_label configfile linux normal")
        .arg("-o")
        .arg(&grub)
        .arg(format!("boot/grub/grub.cfg={}", embedded.display())));
    let image = root.join("images/efiboot.img");
    fs::File::create(&image)
        .and_then(|f| f.set_len(4 << 20))
        .expect("efiboot.img");
    run(Command::new("mkfs.vfat")
        .args(["-n", "EFIBOOT"])
        .arg(&image));
    run(Command::new("mmd")
        .arg("-i")
        .arg(&image)
        .args(["::/EFI", "::/EFI/BOOT"]));
    run(Command::new("mcopy")
        .arg("-i")
        .arg(&image)
        .arg(&grub)
        .arg("::/EFI/BOOT/BOOTX64.EFI"));
}

/// A mastered test ISO and where xorriso put its embed areas.
#[derive(Debug, Clone)]
pub struct Built {
    pub path: PathBuf,
    /// (offset, length) of the Ignition embed area.
    pub ignition: (u64, u64),
    /// Absolute offsets of the kernel argument areas, in ISO order.
    pub karg_offsets: Vec<u64>,
}

/// `text` then the area: `args`, `end`, `pad` up to [`KARG_SIZE`]; returns
/// the area's offset in the result.
fn with_area(text: &mut String, args: &str, end: char, pad: char) -> usize {
    let offset = text.len();
    text.push_str(args);
    text.push(end);
    while text.len() < offset + KARG_SIZE {
        text.push(pad);
    }
    offset
}

/// Masters `dir/<name>.iso` in `generation`'s layout.
pub fn build(dir: &Path, name: &str, generation: Generation, boot: Option<&BootFiles>) -> Built {
    let defaults = match boot {
        Some(boot) => format!("{DEFAULT_KARGS} {}", boot.append),
        None => DEFAULT_KARGS.to_owned(),
    };
    let root = dir.join(format!("{name}-root"));
    for sub in ["coreos", "images", "isolinux", "EFI/fedora"] {
        fs::create_dir_all(root.join(sub)).expect("mkdir");
    }
    let mut isolinux = String::from(
        "DEFAULT live\nPROMPT 0\nTIMEOUT 1\nLABEL live\n  KERNEL /images/vmlinuz\n  \
         APPEND initrd=/images/initrd.img,/images/ignition.img ",
    );
    if generation == Generation::HeaderOnly {
        isolinux = isolinux.replace("/images/ignition.img", "/images/embed.img");
    }
    let isolinux_area = with_area(&mut isolinux, &defaults, '\n', '#');
    isolinux.push('\n');
    // The second area sits on the `linux` line: the Current generation's
    // description gives it blanks as end and padding.
    let (grub_end, grub_pad) = if generation == Generation::Current {
        (' ', ' ')
    } else {
        ('\n', '#')
    };
    let mut grub = String::from("set timeout=1\nmenuentry 'live' {\n  linux /images/vmlinuz ");
    let grub_area = with_area(&mut grub, &defaults, grub_end, grub_pad);
    grub.push_str("\n  initrd /images/initrd.img /images/ignition.img\n}\n");
    fs::write(root.join("isolinux/isolinux.cfg"), &isolinux).expect("write");
    fs::write(root.join("EFI/fedora/grub.cfg"), &grub).expect("write");
    fs::write(
        root.join(generation.area_file()),
        vec![0u8; IGNITION_SIZE as usize],
    )
    .expect("write");
    let mut cmdline = String::new();
    with_area(&mut cmdline, &defaults, '\n', '#');
    fs::write(root.join("cmdline"), &cmdline).expect("write");
    if generation.igninfo() {
        fs::write(
            root.join("coreos/igninfo.json"),
            r#"{"file": "images/ignition.img"}"#,
        )
        .expect("write");
        fs::write(
            root.join("coreos/features.json"),
            r#"{"installer-config": true, "installer-config-directives": {"console": true}, "live-initrd-network": true}"#,
        )
        .expect("write");
    }
    if generation.kargs_json() {
        let grub_extra = if generation == Generation::Current {
            r#", "pad": " ", "end": " ""#
        } else {
            ""
        };
        fs::write(
            root.join("coreos/kargs.json"),
            format!(
                r#"{{"default": "{defaults}", "files": [{{"path": "isolinux/isolinux.cfg", "offset": {isolinux_area}}}, {{"path": "EFI/fedora/grub.cfg", "offset": {grub_area}{grub_extra}}}], "size": {KARG_SIZE}}}"#
            ),
        )
        .expect("write");
    }
    let mut xorriso = Command::new("xorriso");
    xorriso.args(["-as", "mkisofs", "-quiet", "-R", "-J", "-V", LABEL]);
    if let Some(boot) = boot {
        fs::copy(boot.kernel, root.join("images/vmlinuz")).expect("kernel");
        fs::copy(boot.initrd, root.join("images/initrd.img")).expect("initrd");
        fs::copy(tools::ISOLINUX_BIN, root.join("isolinux/isolinux.bin")).expect("isolinux");
        fs::copy(tools::LDLINUX_C32, root.join("isolinux/ldlinux.c32")).expect("ldlinux");
        xorriso.args(["-isohybrid-mbr", tools::ISOHYBRID_MBR]);
        xorriso.args(["-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat"]);
        xorriso.args(["-no-emul-boot", "-boot-load-size", "4", "-boot-info-table"]);
        if boot.uefi {
            efi_boot_image(dir, &root);
            xorriso.args([
                "-eltorito-alt-boot",
                "-e",
                "images/efiboot.img",
                "-no-emul-boot",
            ]);
        }
    }
    let path = dir.join(format!("{name}.iso"));
    let out = xorriso
        .arg("-o")
        .arg(&path)
        .arg(&root)
        .output()
        .expect("xorriso");
    assert!(
        out.status.success(),
        "xorriso: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lba = file_blocks(&path);
    let at = |file: &str| {
        lba.iter()
            .find(|(p, _, _)| p == &format!("/{file}"))
            .map(|(_, lba, size)| (lba * 2048, *size))
            .unwrap_or_else(|| panic!("xorriso placed no {file}"))
    };
    let ignition = at(generation.area_file());
    let mut karg_offsets = if generation.has_kargs() {
        vec![
            at("isolinux/isolinux.cfg").0 + isolinux_area as u64,
            at("EFI/fedora/grub.cfg").0 + grub_area as u64,
        ]
    } else {
        Vec::new()
    };
    karg_offsets.sort_unstable();
    if generation.ignition_header() || generation.kargs_header() {
        use std::os::unix::fs::FileExt as _;
        let iso = fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .expect("open");
        if generation.kargs_header() {
            let mut header = b"coreKarg".to_vec();
            header.extend((KARG_SIZE as u64).to_le_bytes());
            header.extend(at("cmdline").0.to_le_bytes());
            for offset in &karg_offsets {
                header.extend(offset.to_le_bytes());
            }
            iso.write_all_at(&header, 32768 - 24 - 72).expect("write");
        }
        if generation.ignition_header() {
            let mut header = b"coreiso+".to_vec();
            header.extend(ignition.0.to_le_bytes());
            header.extend(ignition.1.to_le_bytes());
            iso.write_all_at(&header, 32768 - 24).expect("write");
        }
    }
    Built {
        path,
        ignition,
        karg_offsets,
    }
}

/// A plain ISO with none of the embed areas.
pub fn build_plain(dir: &Path) -> PathBuf {
    let root = dir.join("plain-root");
    fs::create_dir_all(root.join("docs")).expect("mkdir");
    fs::write(root.join("docs/readme.txt"), "not a live ISO\n").expect("write");
    let path = dir.join("plain.iso");
    let out = Command::new("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-R", "-o"])
        .arg(&path)
        .arg(&root)
        .output()
        .expect("xorriso");
    assert!(out.status.success());
    path
}

/// (path, first block, size) of every file, as xorriso reports them.
fn file_blocks(iso: &Path) -> Vec<(String, u64, u64)> {
    let out = Command::new("xorriso")
        .arg("-indev")
        .arg(iso)
        .args(["-find", "/", "-exec", "report_lba", "--"])
        .output()
        .expect("xorriso");
    assert!(out.status.success());
    // `File data lba:  0 ,      33 ,        1 ,       31 , '/coreos/igninfo.json'`
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&out.stderr).lines())
        .filter_map(|line| line.strip_prefix("File data lba:"))
        .filter_map(|rest| {
            let fields: Vec<&str> = rest.splitn(5, ',').map(str::trim).collect();
            let path = fields.get(4)?.trim_matches('\'').to_owned();
            Some((
                path,
                fields.get(1)?.parse().ok()?,
                fields.get(3)?.parse().ok()?,
            ))
        })
        .collect()
}
