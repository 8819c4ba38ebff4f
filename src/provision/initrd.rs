//! Initrd archives that carry a config to a live system: an xz-compressed
//! newc cpio, the format the Linux kernel unpacks into the initramfs and
//! that CoreOS live ISOs (the Ignition embed area) and PXE setups (an extra
//! initrd) read `config.ign` from.
//!
//! Writing ([`Initrd::to_xz`]) is deterministic: members in path order,
//! each parent directory created before its files (the kernel does not
//! create missing parents), uid, gid and mtime 0, inode numbers counting
//! from 1 in archive order, one link each. The xz stream uses LZMA2 with a
//! 1 MiB dictionary (an embed area is a few hundred KiB, so a larger one
//! only costs the kernel's decoder memory) and the CRC32 check: the
//! kernel's xz decoder always verifies CRC32 but CRC64 (xz's default) only
//! in newer builds (Documentation/staging/xz.rst).
//!
//! Reading ([`Initrd::read`]) accepts what the kernel accepts: archives one
//! after another, each plain, xz- or gzip-compressed, with zero padding
//! between and after them; the last copy of a path wins, as in the kernel.
//! Only regular files are kept (directories are implied by their paths).
//! Decompressed data is capped ([`MAX_UNPACKED`]) so a crafted embed area
//! cannot exhaust memory.
//!
//! Crates: `liblzma` (the maintained fork of `xz2`, built from the bundled
//! xz sources with its `static` feature, so there is no system library or
//! bindgen step) is the reference xz implementation, the one whose output
//! the kernel's decoder is tested against; `cpio` (no dependencies) writes
//! and parses newc headers. gzip goes through `flate2`, already a
//! dependency. zstd-compressed archives are reported as unsupported.

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read, Write};

use cpio::NewcBuilder;
use cpio::newc::Reader as NewcReader;
use liblzma::stream::{Action, Check, Filters, LzmaOptions, Status, Stream};
use thiserror::Error;

/// The member a CoreOS live system reads its Ignition config from.
pub const CONFIG_PATH: &str = "config.ign";

/// Mode bits of the config member (`coreos-installer` uses the same):
/// the config may hold secrets.
pub const CONFIG_MODE: u32 = 0o600;

/// Most bytes [`Initrd::read`] decompresses from one initrd in total.
pub const MAX_UNPACKED: u64 = 64 << 20;

/// LZMA2 dictionary size of the archives kindling writes.
const DICT_SIZE: u32 = 1 << 20;

/// xz preset the encoder starts from (then given [`DICT_SIZE`]).
const XZ_PRESET: u32 = 9;

/// Memory the xz decoder may use: enough for archives written with xz's
/// largest preset dictionary (64 MiB, what `coreos-installer` writes).
const XZ_DECODER_MEMLIMIT: u64 = 256 << 20;

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const DIR_MODE: u32 = 0o755;

const XZ_MAGIC: &[u8] = b"\xfd7zXZ\x00";
const GZIP_MAGIC: &[u8] = b"\x1f\x8b";
const ZSTD_MAGIC: &[u8] = b"\x28\xb5\x2f\xfd";
const NEWC_MAGIC: &[u8] = b"070701";
const NEWC_CRC_MAGIC: &[u8] = b"070702";

/// Why an initrd could not be written or read.
#[derive(Debug, Error)]
pub enum InitrdError {
    #[error(
        "initrd member path {path:?} is not usable: {why} (give a relative path like \
         `etc/foo.conf`, without `.`, `..` or empty components)"
    )]
    BadPath { path: String, why: &'static str },
    #[error("initrd member {path} is {len} bytes; a cpio member holds at most 4 GiB")]
    TooLarge { path: String, len: usize },
    #[error("compressing the initrd with xz: {0}")]
    Compress(String),
    #[error("the initrd at byte {offset} is not an archive the kernel reads: {why}")]
    Format { offset: usize, why: String },
    #[error(
        "the initrd unpacks to more than {} MiB; refusing to read further",
        MAX_UNPACKED >> 20
    )]
    Unpacked,
}

/// One regular file of an initrd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Permission bits (`0o600`), without the file type.
    pub mode: u32,
    pub contents: Vec<u8>,
}

/// The regular files of an initrd, by path (relative, `/`-separated).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Initrd {
    members: BTreeMap<String, Member>,
}

impl Initrd {
    /// An empty initrd.
    pub fn new() -> Self {
        Self::default()
    }

    /// An initrd holding only `config` as [`CONFIG_PATH`], mode 0600.
    pub fn with_config(config: &[u8]) -> Self {
        let mut initrd = Self::new();
        initrd.members.insert(
            CONFIG_PATH.to_owned(),
            Member {
                mode: CONFIG_MODE,
                contents: config.to_vec(),
            },
        );
        initrd
    }

    /// Adds (or replaces) the regular file `path` with permission bits
    /// `mode` (the file type bits are ignored).
    pub fn add(&mut self, path: &str, contents: Vec<u8>, mode: u32) -> Result<(), InitrdError> {
        check_path(path)?;
        if u32::try_from(contents.len()).is_err() {
            return Err(InitrdError::TooLarge {
                path: path.to_owned(),
                len: contents.len(),
            });
        }
        self.members.insert(
            path.to_owned(),
            Member {
                mode: mode & 0o7777,
                contents,
            },
        );
        Ok(())
    }

    /// The contents of the regular file `path`.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.members.get(path).map(|m| m.contents.as_slice())
    }

    /// The member at `path`.
    pub fn member(&self, path: &str) -> Option<&Member> {
        self.members.get(path)
    }

    /// All regular files in path order.
    pub fn members(&self) -> impl Iterator<Item = (&str, &Member)> {
        self.members.iter().map(|(p, m)| (p.as_str(), m))
    }

    /// No regular files at all.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The uncompressed newc cpio archive (see the module docs for what
    /// makes it deterministic).
    pub fn to_cpio(&self) -> Result<Vec<u8>, InitrdError> {
        let mut out = Vec::new();
        let mut ino: u32 = 0;
        let mut entry = |out: &mut Vec<u8>, name: &str, mode: u32, contents: &[u8]| {
            ino += 1;
            let len = u32::try_from(contents.len()).map_err(|_| InitrdError::TooLarge {
                path: name.to_owned(),
                len: contents.len(),
            })?;
            let mut writer = NewcBuilder::new(name)
                .ino(ino)
                .mode(mode)
                .uid(0)
                .gid(0)
                .mtime(0)
                .nlink(1)
                .write(&mut *out, len);
            writer
                .write_all(contents)
                .and_then(|()| writer.finish().map(drop))
                .map_err(|e| InitrdError::Compress(e.to_string()))
        };
        // Directories already written; members are in path order, so each
        // parent is created just before the first file under it.
        let mut made: Vec<String> = Vec::new();
        for (path, member) in &self.members {
            let mut parent = String::new();
            for component in path
                .split('/')
                .rev()
                .skip(1)
                .collect::<Vec<_>>()
                .iter()
                .rev()
            {
                if !parent.is_empty() {
                    parent.push('/');
                }
                parent.push_str(component);
                if !made.contains(&parent) {
                    entry(&mut out, &parent, S_IFDIR | DIR_MODE, &[])?;
                    made.push(parent.clone());
                }
            }
            entry(&mut out, path, S_IFREG | member.mode, &member.contents)?;
        }
        cpio::newc::trailer(&mut out).map_err(|e| InitrdError::Compress(e.to_string()))?;
        Ok(out)
    }

    /// The archive compressed with xz (LZMA2, CRC32 check), ready to be an
    /// initrd or an ISO's Ignition embed area.
    pub fn to_xz(&self) -> Result<Vec<u8>, InitrdError> {
        xz_compress(&self.to_cpio()?)
    }

    /// Reads the regular files of an initrd (see the module docs for what
    /// is accepted). All-zero input is an empty initrd.
    pub fn read(bytes: &[u8]) -> Result<Initrd, InitrdError> {
        Self::read_capped(bytes, MAX_UNPACKED)
    }

    /// [`Initrd::read`], decompressing at most `cap` bytes in total.
    fn read_capped(bytes: &[u8], cap: u64) -> Result<Initrd, InitrdError> {
        let mut initrd = Initrd::new();
        let mut budget = cap;
        let mut pos = 0;
        loop {
            pos += leading_zeros(&bytes[pos..]);
            let rest = &bytes[pos..];
            if rest.is_empty() {
                return Ok(initrd);
            }
            let format = |why: String| InitrdError::Format { offset: pos, why };
            if rest.starts_with(XZ_MAGIC) || rest.starts_with(GZIP_MAGIC) {
                let unpacked = if rest.starts_with(XZ_MAGIC) {
                    xz_decompress(rest, &mut budget)
                } else {
                    gzip_decompress(rest, &mut budget)
                };
                let (data, used) = unpacked.map_err(format)?.ok_or(InitrdError::Unpacked)?;
                read_archives(&data, &mut initrd).map_err(format)?;
                pos += used;
            } else if rest.starts_with(NEWC_MAGIC) || rest.starts_with(NEWC_CRC_MAGIC) {
                pos += read_archive(rest, &mut initrd).map_err(format)?;
            } else if rest.starts_with(ZSTD_MAGIC) {
                return Err(format(
                    "a zstd-compressed archive, which kindling does not read".to_owned(),
                ));
            } else {
                let shown: Vec<String> = rest.iter().take(6).map(|b| format!("{b:02x}")).collect();
                return Err(format(format!(
                    "it starts with bytes {} (neither an xz, gzip nor newc cpio archive)",
                    shown.join(" ")
                )));
            }
        }
    }
}

/// A path the kernel unpacks where the caller means: relative, no `.` or
/// `..` components, no empty ones, no NUL.
fn check_path(path: &str) -> Result<(), InitrdError> {
    let bad = |why| {
        Err(InitrdError::BadPath {
            path: path.to_owned(),
            why,
        })
    };
    if path.is_empty() {
        return bad("it is empty");
    }
    if path.starts_with('/') {
        return bad("it is absolute");
    }
    if path.contains('\0') {
        return bad("it contains a NUL byte");
    }
    if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return bad("it has an empty, `.` or `..` component");
    }
    Ok(())
}

fn leading_zeros(bytes: &[u8]) -> usize {
    bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len())
}

/// Compresses `data` into one xz stream (see the module docs).
pub fn xz_compress(data: &[u8]) -> Result<Vec<u8>, InitrdError> {
    let compress = |e: liblzma::stream::Error| InitrdError::Compress(e.to_string());
    let mut options = LzmaOptions::new_preset(XZ_PRESET).map_err(compress)?;
    options.dict_size(DICT_SIZE);
    let mut filters = Filters::new();
    filters.lzma2(&options);
    let mut stream = Stream::new_stream_encoder(&filters, Check::Crc32).map_err(compress)?;
    let mut out = Vec::with_capacity(data.len() / 2 + 4096);
    let mut input = data;
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.capacity().max(4096));
        }
        let before = stream.total_in();
        let action = if input.is_empty() {
            Action::Finish
        } else {
            Action::Run
        };
        let status = stream
            .process_vec(input, &mut out, action)
            .map_err(compress)?;
        let used = usize::try_from(stream.total_in() - before).unwrap_or(input.len());
        input = &input[used.min(input.len())..];
        if status == Status::StreamEnd {
            return Ok(out);
        }
    }
}

/// Decompressed data and how many input bytes its stream took; `None` when
/// it would exceed the budget.
type Unpacked = Option<(Vec<u8>, usize)>;

/// Decompresses the one xz stream at the start of `bytes`, taking its size
/// from `budget`.
fn xz_decompress(bytes: &[u8], budget: &mut u64) -> Result<Unpacked, String> {
    let mut stream = Stream::new_stream_decoder(XZ_DECODER_MEMLIMIT, 0)
        .map_err(|e| format!("starting the xz decoder: {e}"))?;
    let mut out: Vec<u8> = Vec::with_capacity(64 << 10);
    loop {
        if out.len() == out.capacity() {
            if out.len() as u64 >= *budget {
                return Ok(None);
            }
            out.reserve(out.capacity().min((*budget - out.len() as u64) as usize));
        }
        let consumed = usize::try_from(stream.total_in()).unwrap_or(bytes.len());
        let input = bytes.get(consumed..).unwrap_or_default();
        let produced = out.len();
        let status = stream
            .process_vec(input, &mut out, Action::Run)
            .map_err(|e| format!("xz data is corrupt: {e}"))?;
        if status == Status::StreamEnd {
            let used = usize::try_from(stream.total_in()).unwrap_or(bytes.len());
            *budget -= (out.len() as u64).min(*budget);
            return Ok(Some((out, used)));
        }
        let progressed = stream.total_in() as usize != consumed || out.len() != produced;
        if input.is_empty() && !progressed {
            return Err("the xz stream is truncated".to_owned());
        }
    }
}

/// Decompresses the one gzip member at the start of `bytes`.
fn gzip_decompress(bytes: &[u8], budget: &mut u64) -> Result<Unpacked, String> {
    let mut decoder = flate2::bufread::GzDecoder::new(bytes);
    let mut out = Vec::new();
    (&mut decoder)
        .take(*budget + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("gzip data is corrupt: {e}"))?;
    if out.len() as u64 > *budget {
        return Ok(None);
    }
    *budget -= out.len() as u64;
    let rest = decoder.into_inner().len();
    Ok(Some((out, bytes.len() - rest)))
}

/// Reads every archive in decompressed `data` (zero padding between).
fn read_archives(data: &[u8], initrd: &mut Initrd) -> Result<(), String> {
    let mut pos = 0;
    loop {
        pos += leading_zeros(&data[pos..]);
        if pos >= data.len() {
            return Ok(());
        }
        pos += read_archive(&data[pos..], initrd)?;
    }
}

/// Reads one newc archive up to its trailer; returns its length.
fn read_archive(data: &[u8], initrd: &mut Initrd) -> Result<usize, String> {
    let mut cursor = Cursor::new(data);
    loop {
        let mut reader =
            NewcReader::new(&mut cursor).map_err(|e| format!("bad cpio entry: {e}"))?;
        let entry = reader.entry();
        if entry.is_trailer() {
            reader
                .finish()
                .map_err(|e| format!("bad cpio trailer: {e}"))?;
            return Ok(usize::try_from(cursor.position()).unwrap_or(data.len()));
        }
        let (name, mode, size) = (entry.name().to_owned(), entry.mode(), entry.file_size());
        if mode & S_IFMT == S_IFREG {
            let mut contents = Vec::new();
            (&mut reader)
                .take(u64::from(size))
                .read_to_end(&mut contents)
                .map_err(|e| format!("reading cpio member {name}: {e}"))?;
            if contents.len() as u64 != u64::from(size) {
                return Err(format!("cpio member {name} is truncated"));
            }
            initrd.members.insert(
                name,
                Member {
                    mode: mode & 0o7777,
                    contents,
                },
            );
        }
        reader
            .finish()
            .map_err(|e: io::Error| format!("bad cpio entry: {e}"))?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The (path, mode) of every entry of an uncompressed archive.
    fn entries(cpio: &[u8]) -> Vec<(String, u32, u32, u32)> {
        let mut out = Vec::new();
        let mut cursor = Cursor::new(cpio);
        loop {
            let reader = NewcReader::new(&mut cursor).expect("entry");
            let e = reader.entry();
            if e.is_trailer() {
                return out;
            }
            out.push((e.name().to_owned(), e.mode(), e.ino(), e.mtime()));
            reader.finish().expect("finish");
        }
    }

    fn xz_decode(bytes: &[u8]) -> Vec<u8> {
        let mut budget = MAX_UNPACKED;
        let (data, used) = xz_decompress(bytes, &mut budget)
            .expect("xz")
            .expect("within budget");
        assert_eq!(used, bytes.len());
        data
    }

    #[test]
    fn config_round_trips() {
        let config = br#"{"ignition":{"version":"3.4.0"}}"#;
        let xz = Initrd::with_config(config).to_xz().expect("xz");
        assert!(xz.starts_with(XZ_MAGIC));
        let back = Initrd::read(&xz).expect("read");
        assert_eq!(back.get(CONFIG_PATH), Some(&config[..]));
        assert_eq!(back.member(CONFIG_PATH).map(|m| m.mode), Some(0o600));
    }

    #[test]
    fn output_is_deterministic_with_fixed_metadata() {
        let mut initrd = Initrd::new();
        initrd
            .add(
                "etc/coreos-firstboot-network/eth0.nmconnection",
                b"[connection]\n".to_vec(),
                0o600,
            )
            .expect("add");
        initrd
            .add("config.ign", b"{}".to_vec(), 0o600)
            .expect("add");
        let a = initrd.to_xz().expect("xz");
        let b = initrd.clone().to_xz().expect("xz");
        assert_eq!(a, b);
        let cpio = xz_decode(&a);
        assert_eq!(cpio, initrd.to_cpio().expect("cpio"));
        assert_eq!(
            entries(&cpio),
            vec![
                ("config.ign".to_owned(), 0o100_600, 1, 0),
                ("etc".to_owned(), 0o040_755, 2, 0),
                ("etc/coreos-firstboot-network".to_owned(), 0o040_755, 3, 0),
                (
                    "etc/coreos-firstboot-network/eth0.nmconnection".to_owned(),
                    0o100_600,
                    4,
                    0
                ),
            ]
        );
    }

    #[test]
    fn parents_are_created_once_and_in_order() {
        let mut initrd = Initrd::new();
        for path in ["c/f", "c/a/b/f", "d", "c/g", "a/b/f"] {
            initrd.add(path, Vec::new(), 0o644).expect("add");
        }
        let names: Vec<(String, bool)> = entries(&initrd.to_cpio().expect("cpio"))
            .into_iter()
            .map(|(n, mode, _, _)| (n, mode & S_IFMT == S_IFDIR))
            .collect();
        let expect = [
            ("a", true),
            ("a/b", true),
            ("a/b/f", false),
            ("c", true),
            ("c/a", true),
            ("c/a/b", true),
            ("c/a/b/f", false),
            ("c/f", false),
            ("c/g", false),
            ("d", false),
        ];
        assert_eq!(
            names,
            expect
                .iter()
                .map(|(n, d)| ((*n).to_owned(), *d))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_xz_stream_has_the_crc32_check_the_kernel_needs() {
        let xz = Initrd::with_config(b"{}").to_xz().expect("xz");
        // Stream header: magic, then stream flags 0x00 and the check id
        // (0x01 = CRC32), repeated in the footer before its magic "YZ".
        assert_eq!(&xz[6..8], &[0x00, 0x01]);
        let footer = &xz[xz.len() - 12..];
        assert_eq!(&footer[8..10], &[0x00, 0x01]);
        assert_eq!(&footer[10..], b"YZ");
    }

    #[test]
    fn concatenated_padded_and_mixed_archives_last_copy_wins() {
        let mut first = Initrd::new();
        first
            .add("data/file", b"first".to_vec(), 0o644)
            .expect("add");
        first.add("keep", b"kept".to_vec(), 0o644).expect("add");
        let mut second = Initrd::new();
        second
            .add("data/file", b"second".to_vec(), 0o644)
            .expect("add");
        let mut third = Initrd::new();
        third
            .add("data/file", b"third".to_vec(), 0o600)
            .expect("add");

        let mut bytes = first.to_cpio().expect("cpio");
        bytes.extend([0u8; 3]);
        bytes.extend(second.to_xz().expect("xz"));
        bytes.extend([0u8; 517]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&third.to_cpio().expect("cpio")).expect("gz");
        bytes.extend(gz.finish().expect("gz"));
        bytes.extend([0u8; 4096]);

        let read = Initrd::read(&bytes).expect("read");
        assert_eq!(read.get("data/file"), Some(&b"third"[..]));
        assert_eq!(read.member("data/file").map(|m| m.mode), Some(0o600));
        assert_eq!(read.get("keep"), Some(&b"kept"[..]));
        // Directories are not members.
        assert_eq!(read.members().count(), 2);
    }

    #[test]
    fn zeros_are_an_empty_initrd() {
        assert!(Initrd::read(&[0u8; 1024]).expect("read").is_empty());
        assert!(Initrd::read(&[]).expect("read").is_empty());
    }

    #[test]
    fn garbage_and_truncation_are_errors_not_panics() {
        let err = Initrd::read(b"\0\0\0\0hello").expect_err("garbage");
        assert!(err.to_string().contains("at byte 4"), "{err}");
        assert!(err.to_string().contains("68 65 6c 6c 6f"), "{err}");

        let xz = Initrd::with_config(b"{\"a\":1}").to_xz().expect("xz");
        for cut in [7, xz.len() / 2, xz.len() - 1] {
            assert!(Initrd::read(&xz[..cut]).is_err(), "cut at {cut}");
        }
        let cpio = Initrd::with_config(b"{}").to_cpio().expect("cpio");
        for cut in [10, 110, cpio.len() - 5] {
            assert!(Initrd::read(&cpio[..cut]).is_err(), "cut at {cut}");
        }
        let mut zstd = ZSTD_MAGIC.to_vec();
        zstd.extend([0u8; 8]);
        let err = Initrd::read(&zstd).expect_err("zstd");
        assert!(err.to_string().contains("zstd"), "{err}");
    }

    #[test]
    fn a_decompression_bomb_is_capped() {
        let mut big = Initrd::new();
        big.add("big", vec![b'a'; 3 << 20], 0o600).expect("add");
        let xz = big.to_xz().expect("xz");
        assert!(xz.len() < 64 << 10);
        assert_eq!(Initrd::read(&xz).expect("under the cap"), big);
        let capped = Initrd::read_capped(&xz, 2 << 20);
        assert!(matches!(capped, Err(InitrdError::Unpacked)), "{capped:?}");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&big.to_cpio().expect("cpio")).expect("gz");
        let gz = gz.finish().expect("gz");
        let capped = Initrd::read_capped(&gz, 2 << 20);
        assert!(matches!(capped, Err(InitrdError::Unpacked)), "{capped:?}");
    }

    #[test]
    fn bad_paths_are_refused() {
        let mut initrd = Initrd::new();
        for path in ["", "/etc/x", "a//b", "a/../b", "./a", "a/", "a\0b"] {
            let err = initrd.add(path, Vec::new(), 0o600).expect_err(path);
            assert!(matches!(err, InitrdError::BadPath { .. }), "{path}: {err}");
        }
        assert!(initrd.is_empty());
    }
}
