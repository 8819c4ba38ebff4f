//! CoreOS live ISOs: where their embed areas are, what they hold, and a
//! customized copy patched only there.
//!
//! A live ISO carries reserved space that the boot loader hands to the
//! kernel, so a config can be put in without re-mastering the image
//! (re-mastered ISOs lose their hybrid BIOS/UEFI boot set-up):
//! - the **Ignition embed area**: a zero-filled file the boot loader loads
//!   as an extra initrd. Found through `coreos/igninfo.json`
//!   (`{"file", "offset"?, "length"?}`: s390x images point into
//!   `images/cdboot.img`), else the whole of `images/ignition.img`, else the
//!   legacy header of ISOs from before 2021-09 (the last 24 bytes of the
//!   32 KiB system area: `coreiso+`, u64 LE offset, u64 LE length). It
//!   receives an [`Initrd`] archive, zero-padded.
//! - the **kernel argument areas**: equal-sized slots inside the boot
//!   loaders' configs (`grub.cfg`, `isolinux.cfg`), all holding the same
//!   line: the arguments, an end character (default `\n`), then padding
//!   (default `#`) to the slot size. Found through `coreos/kargs.json`
//!   (`{default, files: [{path, offset, pad?, end?}], size}`), else the
//!   legacy `coreKarg` header 72 bytes before the Ignition header (magic,
//!   u64 size, u64 offset of the default arguments, up to six u64 slot
//!   offsets, 0-terminated).
//!
//! Files are looked up in the ISO9660 directory (primary volume descriptor,
//! upper-case names, `;1` versions), reading only the directory sectors on
//! the way: an ISO is never loaded whole. Names are matched as given and in
//! their 8.3 form (`IGNINFO.JSO`), the two ways mastering tools store them.
//!
//! [`LiveIso::customize`] copies the base ISO next to the output (a reflink
//! where the filesystem has them, else `copy_file_range` over its data
//! extents only, so holes stay holes), writes the two kinds of areas,
//! syncs, and renames: the output is whole or absent, and the same inputs
//! give the same bytes.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::write::Visibility;

use super::initrd::{Initrd, InitrdError};

/// ISO9660 logical sector size (the only one live ISOs use).
pub const SECTOR: u64 = 2048;
/// The system area before the volume descriptors.
const SYSTEM_AREA: u64 = 16 * SECTOR;
/// Legacy Ignition embed header: the last 24 bytes of the system area.
const LEGACY_IGNITION_HEADER: u64 = SYSTEM_AREA - 24;
const LEGACY_IGNITION_MAGIC: &[u8] = b"coreiso+";
/// Legacy karg header: the 72 bytes before the Ignition header.
const LEGACY_KARGS_HEADER: u64 = LEGACY_IGNITION_HEADER - 72;
const LEGACY_KARGS_MAGIC: &[u8] = b"coreKarg";
const LEGACY_KARGS_MAX_AREAS: usize = 6;
/// Largest karg area accepted (what CoreOS tools accept too).
pub const KARG_AREA_MAX: usize = 2048;
/// Largest Ignition embed area accepted: real ones are 256 KiB to a few
/// MiB; anything far beyond is a corrupt description.
const IGNITION_AREA_MAX: u64 = 64 << 20;
/// Largest JSON description file read from the ISO.
const JSON_MAX: u64 = 1 << 20;
/// Largest directory extent read while looking a name up.
const DIRECTORY_MAX: u64 = 16 << 20;

const IGNINFO_PATH: &str = "coreos/igninfo.json";
const DEFAULT_IGNITION_PATH: &str = "images/ignition.img";
const KARGS_PATH: &str = "coreos/kargs.json";
const FEATURES_PATH: &str = "coreos/features.json";

/// Why a live ISO could not be read or customized.
#[derive(Debug, Error)]
pub enum IsoError {
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is not an ISO9660 image: {why}", .path.display())]
    NotIso { path: PathBuf, why: String },
    #[error(
        "{} is not a CoreOS live ISO: it has no Ignition embed area (no coreos/igninfo.json, \
         no images/ignition.img, no legacy `coreiso+` header); start from a Fedora CoreOS \
         live ISO (`coreos-installer download -f iso`)",
        .path.display()
    )]
    NoEmbedArea { path: PathBuf },
    #[error("{}: {why}", .path.display())]
    Corrupt { path: PathBuf, why: String },
    #[error(
        "{} is already customized ({what}); start from the pristine live ISO \
         (or undo it with `coreos-installer iso reset`)",
        .path.display()
    )]
    AlreadyCustomized { path: PathBuf, what: String },
    #[error(
        "the config needs {needed} bytes of {}'s Ignition embed area, which holds {capacity}: \
         make the config smaller (e.g. have Ignition fetch large files from a URL)",
        .path.display()
    )]
    TooLarge {
        path: PathBuf,
        needed: usize,
        capacity: u64,
    },
    #[error(
        "{} has no kernel argument embed areas (no coreos/kargs.json, no legacy `coreKarg` \
         header), so the kernel arguments `{kargs}` cannot be set; use a newer live ISO",
        .path.display()
    )]
    NoKargAreas { path: PathBuf, kargs: String },
    #[error(
        "the kernel arguments are {len} bytes; {}'s kernel argument areas hold {max}",
        .path.display()
    )]
    KargsTooLong {
        path: PathBuf,
        len: usize,
        max: usize,
    },
    #[error("{}: the Ignition embed area: {source}", .path.display())]
    Initrd {
        path: PathBuf,
        #[source]
        source: InitrdError,
    },
}

/// A byte range of the ISO file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Area {
    pub offset: u64,
    pub length: u64,
}

/// How the Ignition embed area was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnitionFoundBy {
    /// `coreos/igninfo.json`.
    IgnInfo,
    /// `images/ignition.img` (ISOs without igninfo.json).
    DefaultFile,
    /// The `coreiso+` header in the system area.
    LegacyHeader,
}

/// How the kernel argument areas were found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KargsFoundBy {
    /// `coreos/kargs.json`.
    KargsJson,
    /// The `coreKarg` header in the system area.
    LegacyHeader,
}

/// One kernel argument slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KargSlot {
    /// Absolute offset in the ISO.
    pub offset: u64,
    pub pad: u8,
    pub end: u8,
}

/// The kernel argument areas of an ISO and what they hold now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KargAreas {
    /// Bytes per slot.
    pub size: usize,
    /// The image's default arguments.
    pub default: String,
    /// The arguments the slots hold now (all slots agree).
    pub current: String,
    pub slots: Vec<KargSlot>,
    pub found_by: KargsFoundBy,
}

impl KargAreas {
    /// The default arguments followed by `extra` (each trimmed, empty ones
    /// skipped).
    pub fn default_plus(&self, extra: &[String]) -> String {
        let mut line = self.default.trim().to_owned();
        for arg in extra.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(arg);
        }
        line
    }
}

/// What `coreos/features.json` says the live image supports (all false
/// when the ISO has none: images older than 2021-12).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Features {
    /// The live system runs the installer with `/etc/coreos/installer.d/*`.
    pub installer_config: bool,
    pub installer_config_directives: Directives,
    /// The live initrd reads NetworkManager keyfiles from the embed area.
    pub live_initrd_network: bool,
}

/// Installer config keys beyond the first release's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Directives {
    /// The `console` key.
    pub console: bool,
}

/// What to put into a copy of a live ISO.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customization {
    /// The Ignition embed area's new contents (an xz cpio initrd), before
    /// zero padding.
    pub initrd: Vec<u8>,
    /// The live system's full kernel argument line; `None` keeps the
    /// image's.
    pub kargs: Option<String>,
}

/// What an ISO's embed areas hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embedded {
    /// The members of the Ignition embed area (empty when it is all zeros).
    pub initrd: Initrd,
    /// Bytes of the area up to its last non-zero byte.
    pub used: u64,
    pub kargs: Option<KargAreas>,
}

/// A CoreOS live ISO with its embed areas located.
#[derive(Debug)]
pub struct LiveIso {
    path: PathBuf,
    file: File,
    len: u64,
    ignition: Area,
    ignition_found_by: IgnitionFoundBy,
    kargs: Option<KargAreas>,
    features: Features,
}

/// A file or directory found in the ISO9660 tree.
#[derive(Debug, Clone, Copy)]
struct Record {
    /// Absolute byte offset of its data.
    offset: u64,
    length: u64,
    dir: bool,
}

#[derive(Deserialize)]
struct IgnInfo {
    file: String,
    offset: Option<u64>,
    length: Option<u64>,
}

#[derive(Deserialize)]
struct KargsJson {
    default: String,
    files: Vec<KargsJsonFile>,
    size: usize,
}

#[derive(Deserialize)]
struct KargsJsonFile {
    path: String,
    offset: u64,
    pad: Option<String>,
    end: Option<String>,
}

impl LiveIso {
    /// Opens `path` and locates its embed areas; reads the volume
    /// descriptors, a few directory sectors, the JSON descriptions and the
    /// kernel argument slots, nothing else.
    pub fn open(path: &Path) -> Result<LiveIso, IsoError> {
        let read_err = |source| IsoError::Read {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(read_err)?;
        let len = file.metadata().map_err(read_err)?.len();
        let mut iso = LiveIso {
            path: path.to_path_buf(),
            file,
            len,
            ignition: Area {
                offset: 0,
                length: 0,
            },
            ignition_found_by: IgnitionFoundBy::IgnInfo,
            kargs: None,
            features: Features::default(),
        };
        let root = iso.root_directory()?;
        (iso.ignition, iso.ignition_found_by) = iso.locate_ignition(root)?;
        iso.kargs = iso.locate_kargs(root)?;
        if let Some(bytes) = iso.read_json_file(root, FEATURES_PATH)? {
            iso.features = serde_json::from_slice(&bytes)
                .map_err(|e| iso.corrupt(format!("{FEATURES_PATH} is not valid: {e}")))?;
        }
        Ok(iso)
    }

    /// The ISO's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the Ignition embed area is and how it was found.
    pub fn ignition_area(&self) -> (Area, IgnitionFoundBy) {
        (self.ignition, self.ignition_found_by)
    }

    /// The kernel argument areas, if the image has them.
    pub fn kargs(&self) -> Option<&KargAreas> {
        self.kargs.as_ref()
    }

    /// What the image says it supports.
    pub fn features(&self) -> &Features {
        &self.features
    }

    fn corrupt(&self, why: String) -> IsoError {
        IsoError::Corrupt {
            path: self.path.clone(),
            why,
        }
    }

    fn read_at(&self, offset: u64, length: u64) -> Result<Vec<u8>, IsoError> {
        let end = offset.checked_add(length);
        if end.is_none_or(|end| end > self.len) {
            return Err(self.corrupt(format!(
                "{length} bytes at offset {offset} lie beyond the end of the file ({} bytes)",
                self.len
            )));
        }
        let size = usize::try_from(length)
            .map_err(|_| self.corrupt(format!("{length} bytes do not fit in memory")))?;
        let mut buf = vec![0u8; size];
        self.file
            .read_exact_at(&mut buf, offset)
            .map_err(|source| IsoError::Read {
                path: self.path.clone(),
                source,
            })?;
        Ok(buf)
    }

    /// The root directory from the primary volume descriptor.
    fn root_directory(&self) -> Result<Record, IsoError> {
        let not_iso = |why: &str| IsoError::NotIso {
            path: self.path.clone(),
            why: why.to_owned(),
        };
        // Volume descriptors follow the system area until the terminator.
        for index in 16..16 + 64 {
            let offset = index * SECTOR;
            if offset + SECTOR > self.len {
                return Err(not_iso("it ends before its primary volume descriptor"));
            }
            let sector = self.read_at(offset, SECTOR)?;
            if &sector[1..6] != b"CD001" {
                return Err(not_iso("no `CD001` volume descriptor at byte 32768"));
            }
            match sector[0] {
                1 => {
                    let block = u16::from_le_bytes([sector[128], sector[129]]);
                    if u64::from(block) != SECTOR {
                        return Err(not_iso("its logical block size is not 2048"));
                    }
                    return parse_record(&sector[156..190])
                        .map(|(record, _)| record)
                        .ok_or_else(|| not_iso("its root directory record is malformed"));
                }
                255 => return Err(not_iso("it has no primary volume descriptor")),
                _ => {}
            }
        }
        Err(not_iso("no volume descriptor terminator"))
    }

    /// Looks up `path` (`/`-separated, any case) from `root`.
    fn lookup(&self, root: Record, path: &str) -> Result<Option<Record>, IsoError> {
        let mut current = root;
        for component in path.split('/').filter(|c| !c.is_empty()) {
            if !current.dir {
                return Ok(None);
            }
            match self.find_in_directory(current, component)? {
                Some(record) => current = record,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }

    fn find_in_directory(&self, dir: Record, name: &str) -> Result<Option<Record>, IsoError> {
        if dir.length > DIRECTORY_MAX {
            return Err(self.corrupt(format!(
                "a directory of {} bytes is larger than any live ISO has",
                dir.length
            )));
        }
        let wanted = name.to_ascii_uppercase();
        let short = eight_three(&wanted);
        let data = self.read_at(dir.offset, dir.length)?;
        let mut pos = 0usize;
        while pos < data.len() {
            let len = usize::from(data[pos]);
            if len == 0 {
                // Records do not cross sectors: the rest of this one is padding.
                pos = (pos / SECTOR as usize + 1) * SECTOR as usize;
                continue;
            }
            let Some(bytes) = data.get(pos..pos + len) else {
                return Err(self.corrupt("a directory record runs past its directory".to_owned()));
            };
            let Some((record, raw_name)) = parse_record(bytes) else {
                return Err(self.corrupt("a directory record is malformed".to_owned()));
            };
            let found = iso_name(raw_name);
            if found == wanted || found == short {
                return Ok(Some(record));
            }
            pos += len;
        }
        Ok(None)
    }

    /// The contents of a small file (a JSON description), if it exists.
    fn read_json_file(&self, root: Record, path: &str) -> Result<Option<Vec<u8>>, IsoError> {
        match self.lookup(root, path)? {
            Some(record) if !record.dir => {
                if record.length > JSON_MAX {
                    return Err(self.corrupt(format!(
                        "{path} is {} bytes, too large for a description",
                        record.length
                    )));
                }
                self.read_at(record.offset, record.length).map(Some)
            }
            _ => Ok(None),
        }
    }

    fn locate_ignition(&self, root: Record) -> Result<(Area, IgnitionFoundBy), IsoError> {
        let (file, offset, length, found_by) = match self.read_json_file(root, IGNINFO_PATH)? {
            Some(bytes) => {
                let info: IgnInfo = serde_json::from_slice(&bytes)
                    .map_err(|e| self.corrupt(format!("{IGNINFO_PATH} is not valid: {e}")))?;
                (
                    info.file,
                    info.offset,
                    info.length,
                    IgnitionFoundBy::IgnInfo,
                )
            }
            None => (
                DEFAULT_IGNITION_PATH.to_owned(),
                None,
                None,
                IgnitionFoundBy::DefaultFile,
            ),
        };
        let area = match self.lookup(root, &file)? {
            Some(record) if !record.dir => {
                let start = offset.unwrap_or(0);
                let length = match length {
                    Some(length) => length,
                    None => record.length.checked_sub(start).ok_or_else(|| {
                        self.corrupt(format!("{IGNINFO_PATH}: offset {start} is past {file}"))
                    })?,
                };
                if start
                    .checked_add(length)
                    .is_none_or(|end| end > record.length)
                {
                    return Err(self.corrupt(format!(
                        "the Ignition embed area ({length} bytes at {start}) lies outside {file}"
                    )));
                }
                Area {
                    offset: record.offset + start,
                    length,
                }
            }
            _ if found_by == IgnitionFoundBy::IgnInfo => {
                return Err(self.corrupt(format!(
                    "{IGNINFO_PATH} names {file}, which the ISO does not have"
                )));
            }
            _ => match self.legacy_ignition_header()? {
                Some(area) => return self.checked_ignition(area, IgnitionFoundBy::LegacyHeader),
                None => {
                    return Err(IsoError::NoEmbedArea {
                        path: self.path.clone(),
                    });
                }
            },
        };
        self.checked_ignition(area, found_by)
    }

    fn checked_ignition(
        &self,
        area: Area,
        found_by: IgnitionFoundBy,
    ) -> Result<(Area, IgnitionFoundBy), IsoError> {
        if area.length == 0 || area.length > IGNITION_AREA_MAX {
            return Err(self.corrupt(format!(
                "an Ignition embed area of {} bytes is not plausible",
                area.length
            )));
        }
        if area.offset < SYSTEM_AREA || area.offset + area.length > self.len {
            return Err(self.corrupt(format!(
                "the Ignition embed area ({} bytes at {}) lies outside the image",
                area.length, area.offset
            )));
        }
        Ok((area, found_by))
    }

    fn legacy_ignition_header(&self) -> Result<Option<Area>, IsoError> {
        let header = self.read_at(LEGACY_IGNITION_HEADER, 24)?;
        if &header[..8] != LEGACY_IGNITION_MAGIC {
            return Ok(None);
        }
        Ok(Some(Area {
            offset: le_u64(&header[8..16]),
            length: le_u64(&header[16..24]),
        }))
    }

    fn locate_kargs(&self, root: Record) -> Result<Option<KargAreas>, IsoError> {
        let (size, default, slots, found_by) = match self.read_json_file(root, KARGS_PATH)? {
            Some(bytes) => {
                let info: KargsJson = serde_json::from_slice(&bytes)
                    .map_err(|e| self.corrupt(format!("{KARGS_PATH} is not valid: {e}")))?;
                let mut slots = Vec::new();
                for file in &info.files {
                    let Some(record) = self.lookup(root, &file.path)?.filter(|r| !r.dir) else {
                        return Err(self.corrupt(format!(
                            "{KARGS_PATH} names {}, which the ISO does not have",
                            file.path
                        )));
                    };
                    if file
                        .offset
                        .checked_add(info.size as u64)
                        .is_none_or(|end| end > record.length)
                    {
                        return Err(self.corrupt(format!(
                            "{KARGS_PATH}: the area at {} lies outside {}",
                            file.offset, file.path
                        )));
                    }
                    slots.push(KargSlot {
                        offset: record.offset + file.offset,
                        pad: self.json_char(file.pad.as_deref(), b'#')?,
                        end: self.json_char(file.end.as_deref(), b'\n')?,
                    });
                }
                (info.size, info.default, slots, KargsFoundBy::KargsJson)
            }
            None => match self.legacy_kargs_header()? {
                Some(found) => found,
                None => return Ok(None),
            },
        };
        if size == 0 || size > KARG_AREA_MAX {
            return Err(self.corrupt(format!(
                "kernel argument areas of {size} bytes (at most {KARG_AREA_MAX})"
            )));
        }
        if slots.is_empty() {
            return Err(self.corrupt("its kernel argument description lists no areas".to_owned()));
        }
        if default.len() > size {
            return Err(self.corrupt(format!(
                "its default kernel arguments are longer than the {size}-byte areas"
            )));
        }
        let mut current: Option<String> = None;
        for slot in &slots {
            let text = self.read_slot(slot, size)?;
            match &current {
                Some(first) if *first != text => {
                    return Err(self.corrupt(format!(
                        "its kernel argument areas disagree (`{first}` and, at {}, `{text}`)",
                        slot.offset
                    )));
                }
                Some(_) => {}
                None => current = Some(text),
            }
        }
        Ok(Some(KargAreas {
            size,
            default: default.trim().to_owned(),
            current: current.unwrap_or_default(),
            slots,
            found_by,
        }))
    }

    #[allow(clippy::type_complexity)]
    fn legacy_kargs_header(
        &self,
    ) -> Result<Option<(usize, String, Vec<KargSlot>, KargsFoundBy)>, IsoError> {
        let header = self.read_at(LEGACY_KARGS_HEADER, 72)?;
        if &header[..8] != LEGACY_KARGS_MAGIC {
            return Ok(None);
        }
        let size = usize::try_from(le_u64(&header[8..16])).unwrap_or(usize::MAX);
        if size == 0 || size > KARG_AREA_MAX {
            return Err(self.corrupt(format!(
                "kernel argument areas of {size} bytes (at most {KARG_AREA_MAX})"
            )));
        }
        let default_slot = KargSlot {
            offset: le_u64(&header[16..24]),
            pad: b'#',
            end: b'\n',
        };
        let default = self.read_slot(&default_slot, size)?;
        let slots = header[24..]
            .chunks(8)
            .take(LEGACY_KARGS_MAX_AREAS)
            .map(le_u64)
            .take_while(|&offset| offset != 0)
            .map(|offset| KargSlot {
                offset,
                pad: b'#',
                end: b'\n',
            })
            .collect();
        Ok(Some((size, default, slots, KargsFoundBy::LegacyHeader)))
    }

    fn json_char(&self, value: Option<&str>, default: u8) -> Result<u8, IsoError> {
        match value {
            None => Ok(default),
            Some(s) if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
            Some(s) => Err(self.corrupt(format!(
                "{KARGS_PATH}: pad/end {s:?} is not one ASCII character"
            ))),
        }
    }

    /// The arguments a slot holds: padding, then end characters, then
    /// surrounding blanks removed.
    fn read_slot(&self, slot: &KargSlot, size: usize) -> Result<String, IsoError> {
        let bytes = self.read_at(slot.offset, size as u64)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            self.corrupt(format!(
                "the kernel argument area at {} is not UTF-8",
                slot.offset
            ))
        })?;
        Ok(text
            .trim_end_matches(char::from(slot.pad))
            .trim_end_matches(char::from(slot.end))
            .trim()
            .to_owned())
    }

    /// The Ignition embed area's bytes.
    pub fn read_ignition_area(&self) -> Result<Vec<u8>, IsoError> {
        self.read_at(self.ignition.offset, self.ignition.length)
    }

    /// What the embed areas hold now.
    pub fn embedded(&self) -> Result<Embedded, IsoError> {
        let area = self.read_ignition_area()?;
        let used = area
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |p| p as u64 + 1);
        let initrd = Initrd::read(&area).map_err(|source| IsoError::Initrd {
            path: self.path.clone(),
            source,
        })?;
        Ok(Embedded {
            initrd,
            used,
            kargs: self.kargs.clone(),
        })
    }

    /// Fails with [`IsoError::AlreadyCustomized`] unless the Ignition area
    /// is all zeros and the kernel arguments are the defaults.
    pub fn check_pristine(&self) -> Result<(), IsoError> {
        let area = self.read_ignition_area()?;
        if let Some(pos) = area.iter().position(|&b| b != 0) {
            return Err(IsoError::AlreadyCustomized {
                path: self.path.clone(),
                what: format!(
                    "its Ignition embed area holds data from byte {pos} on; \
                     `kindling iso show` shows what"
                ),
            });
        }
        if let Some(kargs) = &self.kargs
            && kargs.current != kargs.default
        {
            return Err(IsoError::AlreadyCustomized {
                path: self.path.clone(),
                what: format!(
                    "its kernel arguments are `{}`, not the defaults `{}`",
                    kargs.current, kargs.default
                ),
            });
        }
        Ok(())
    }

    /// Checks that `custom` fits this ISO's areas.
    pub fn check_fits(&self, custom: &Customization) -> Result<(), IsoError> {
        if custom.initrd.len() as u64 > self.ignition.length {
            return Err(IsoError::TooLarge {
                path: self.path.clone(),
                needed: custom.initrd.len(),
                capacity: self.ignition.length,
            });
        }
        if let Some(line) = &custom.kargs {
            let Some(kargs) = &self.kargs else {
                return Err(IsoError::NoKargAreas {
                    path: self.path.clone(),
                    kargs: line.clone(),
                });
            };
            // The line, its end character, within the slot.
            if line.trim().len() >= kargs.size {
                return Err(IsoError::KargsTooLong {
                    path: self.path.clone(),
                    len: line.trim().len() + 1,
                    max: kargs.size,
                });
            }
        }
        Ok(())
    }

    /// Writes a copy of this ISO with `custom` embedded to `out`, whole or
    /// not at all, with `visibility`'s mode. The base must be pristine
    /// ([`LiveIso::check_pristine`]) and `custom` must fit.
    pub fn customize(
        &self,
        custom: &Customization,
        out: &Path,
        visibility: Visibility,
    ) -> Result<(), IsoError> {
        self.check_pristine()?;
        self.check_fits(custom)?;
        let write_err = |source| IsoError::Write {
            path: out.to_path_buf(),
            source,
        };
        let dir = match out.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        // tempfile creates the file 0600: a secret never sits in a
        // world-readable file, even half-written. Not `.kindling-*`: a
        // build removes such leftovers from its output directory.
        let temp = tempfile::Builder::new()
            .prefix(".iso-partial-")
            .tempfile_in(dir)
            .map_err(write_err)?;
        copy_image(&self.file, temp.as_file(), self.len).map_err(write_err)?;

        let mut area = custom.initrd.clone();
        area.resize(self.ignition.length as usize, 0);
        temp.as_file()
            .write_all_at(&area, self.ignition.offset)
            .map_err(write_err)?;
        if let (Some(line), Some(kargs)) = (&custom.kargs, &self.kargs) {
            for slot in &kargs.slots {
                let mut bytes = vec![slot.pad; kargs.size];
                let line = line.trim().as_bytes();
                bytes[..line.len()].copy_from_slice(line);
                bytes[line.len()] = slot.end;
                temp.as_file()
                    .write_all_at(&bytes, slot.offset)
                    .map_err(write_err)?;
            }
        }
        if visibility == Visibility::Public {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o644))
                .map_err(write_err)?;
        }
        temp.as_file().sync_all().map_err(write_err)?;
        temp.persist(out).map_err(|e| write_err(e.error))?;
        Ok(())
    }
}

/// Copies `len` bytes of `src` into the empty `dst`: a reflink where the
/// filesystem can share extents, else `copy_file_range` over the data
/// extents (holes stay holes, as `cp` keeps them), else plain reads and
/// writes.
fn copy_image(src: &File, dst: &File, len: u64) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        if rustix::fs::ioctl_ficlone(dst, src).is_ok() {
            return Ok(());
        }
        let mut pos = 0u64;
        while pos < len {
            let data = match rustix::fs::seek(src, rustix::fs::SeekFrom::Data(pos)) {
                Ok(data) => data,
                // No data after `pos`: the rest is a hole.
                Err(rustix::io::Errno::NXIO) => break,
                // No SEEK_DATA here: copy everything.
                Err(_) => pos,
            };
            if data >= len {
                break;
            }
            let hole = match rustix::fs::seek(src, rustix::fs::SeekFrom::Hole(data)) {
                Ok(hole) if hole > data => hole.min(len),
                _ => len,
            };
            copy_range(src, dst, data, hole)?;
            pos = hole;
        }
        dst.set_len(len)
    }
    #[cfg(not(target_os = "linux"))]
    {
        copy_range(src, dst, 0, len)?;
        dst.set_len(len)
    }
}

/// Copies bytes `start..end` of `src` to the same place in `dst`.
fn copy_range(src: &File, dst: &File, start: u64, end: u64) -> io::Result<()> {
    let mut pos = start;
    #[cfg(target_os = "linux")]
    while pos < end {
        let chunk = usize::try_from(end - pos)
            .unwrap_or(usize::MAX)
            .min(1 << 30);
        let (mut off_in, mut off_out) = (pos, pos);
        match rustix::fs::copy_file_range(src, Some(&mut off_in), dst, Some(&mut off_out), chunk) {
            Ok(0) => break,
            Ok(n) => pos += n as u64,
            // Not between these files (another filesystem on old kernels,
            // special files): the plain loop below does the rest.
            Err(_) => break,
        }
    }
    let mut buf = vec![0u8; 1 << 20];
    while pos < end {
        let want = usize::try_from(end - pos)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = src.read_at(&mut buf[..want], pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the base ISO shrank while it was copied",
            ));
        }
        dst.write_all_at(&buf[..n], pos)?;
        pos += n as u64;
    }
    Ok(())
}

/// A directory record's (data location, name bytes); `None` when malformed.
fn parse_record(bytes: &[u8]) -> Option<(Record, &[u8])> {
    let len = usize::from(*bytes.first()?);
    if len < 33 || bytes.len() < len {
        return None;
    }
    let ext_attr = u64::from(bytes[1]);
    let extent = u64::from(u32::from_le_bytes(bytes[2..6].try_into().ok()?));
    let length = u64::from(u32::from_le_bytes(bytes[10..14].try_into().ok()?));
    let flags = bytes[25];
    let name_len = usize::from(bytes[32]);
    let name = bytes.get(33..33 + name_len)?;
    Some((
        Record {
            offset: (extent + ext_attr) * SECTOR,
            length,
            dir: flags & 0x02 != 0,
        },
        name,
    ))
}

/// An ISO9660 name as compared: upper case, without its `;version` and a
/// trailing dot (`IGNITION.IMG;1` → `IGNITION.IMG`, `FOO.;1` → `FOO`).
fn iso_name(raw: &[u8]) -> String {
    let raw = match raw.iter().rposition(|&b| b == b';') {
        Some(semi) => &raw[..semi],
        None => raw,
    };
    let raw = raw.strip_suffix(b".").unwrap_or(raw);
    String::from_utf8_lossy(raw).to_ascii_uppercase()
}

/// The 8.3 form of an upper-case name (`IGNINFO.JSON` → `IGNINFO.JSO`).
fn eight_three(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((base, ext)) => {
            let base: String = base.chars().take(8).collect();
            let ext: String = ext.chars().take(3).collect();
            format!("{base}.{ext}")
        }
        None => name.chars().take(8).collect(),
    }
}

fn le_u64(bytes: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_as_mastering_tools_store_them() {
        assert_eq!(iso_name(b"IGNITION.IMG;1"), "IGNITION.IMG");
        assert_eq!(iso_name(b"COREOS"), "COREOS");
        assert_eq!(iso_name(b"FOO.;1"), "FOO");
        assert_eq!(iso_name(b"isolinux.cfg"), "ISOLINUX.CFG");
        assert_eq!(eight_three("IGNINFO.JSON"), "IGNINFO.JSO");
        assert_eq!(eight_three("FEATURES.JSON"), "FEATURES.JSO");
        assert_eq!(eight_three("VERYLONGNAME"), "VERYLONG");
    }

    #[test]
    fn records_parse_and_malformed_ones_are_none() {
        let mut rec = vec![0u8; 34];
        rec[0] = 34;
        rec[2..6].copy_from_slice(&20u32.to_le_bytes());
        rec[10..14].copy_from_slice(&4096u32.to_le_bytes());
        rec[25] = 2;
        rec[32] = 1;
        let (record, name) = parse_record(&rec).expect("record");
        assert_eq!(record.offset, 20 * SECTOR);
        assert_eq!(record.length, 4096);
        assert!(record.dir);
        assert_eq!(name, &[0]);
        rec[32] = 9;
        assert!(parse_record(&rec).is_none(), "name past the record");
        rec[0] = 10;
        assert!(parse_record(&rec).is_none(), "too short");
        assert!(parse_record(&[]).is_none());
    }

    #[test]
    fn default_plus_appends() {
        let kargs = KargAreas {
            size: 100,
            default: "a b".to_owned(),
            current: "a b".to_owned(),
            slots: Vec::new(),
            found_by: KargsFoundBy::KargsJson,
        };
        assert_eq!(
            kargs.default_plus(&["console=ttyS0".to_owned(), " ".to_owned()]),
            "a b console=ttyS0"
        );
    }

    #[test]
    fn not_an_iso_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.iso");
        fs::write(&path, vec![0u8; 40_000]).expect("write");
        let err = LiveIso::open(&path).expect_err("zeros");
        assert!(matches!(err, IsoError::NotIso { .. }), "{err}");
        fs::write(&path, b"short").expect("write");
        let err = LiveIso::open(&path).expect_err("short");
        assert!(err.to_string().contains("not an ISO9660 image"), "{err}");
    }

    #[test]
    fn copy_keeps_holes_and_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let src_path = dir.path().join("src");
        let src = File::create(&src_path).expect("create");
        src.set_len(8 << 20).expect("len");
        src.write_all_at(b"head", 0).expect("write");
        src.write_all_at(b"middle", 3 << 20).expect("write");
        src.write_all_at(b"tail", (8 << 20) - 4).expect("write");
        let src = File::open(&src_path).expect("open");
        let dst_path = dir.path().join("dst");
        let dst = File::create(&dst_path).expect("create");
        copy_image(&src, &dst, 8 << 20).expect("copy");
        assert!(fs::read(&src_path).expect("read") == fs::read(&dst_path).expect("read"));
        // An empty tail hole is kept as a length.
        let src2 = dir.path().join("src2");
        let f = File::create(&src2).expect("create");
        f.write_all_at(b"x", 0).expect("write");
        f.set_len(5 << 20).expect("len");
        let dst2 = dir.path().join("dst2");
        copy_image(
            &File::open(&src2).expect("open"),
            &File::create(&dst2).expect("create"),
            5 << 20,
        )
        .expect("copy");
        assert!(fs::read(&src2).expect("read") == fs::read(&dst2).expect("read"));
    }
}
