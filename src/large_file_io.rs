//! One large file read or written in one piece per core, each piece by a
//! rayon task with `pread`/`pwrite`: the `contents.local` of a big log
//! archive, and the config that embeds it. Even from and to the page cache,
//! copying and faulting in 64 MiB takes ~40 ms on one core, and it sits
//! before compression can start or after everything else is done, with
//! nothing to overlap it with.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;

use rayon::prelude::*;

/// Smaller files are read and written the plain way: below this the
/// threads cost about what they save.
pub const MIN_BYTES: usize = 16 << 20;

/// Whether `len` bytes are worth splitting on this machine.
pub fn worth_it(len: usize) -> bool {
    len >= MIN_BYTES && rayon::current_num_threads() > 1
}

/// Bytes per piece: one piece per core.
fn piece_len(len: usize) -> usize {
    len.div_ceil(rayon::current_num_threads()).max(1)
}

/// Where piece `index` starts in the file.
fn offset(index: usize, piece: usize) -> u64 {
    u64::try_from(index.saturating_mul(piece)).unwrap_or(u64::MAX)
}

/// Fills `buf` from the start of `file`. A file shorter than `buf` is an
/// `UnexpectedEof` error.
pub fn read_exact(file: &File, buf: &mut [u8]) -> io::Result<()> {
    let piece = piece_len(buf.len());
    let results: Vec<io::Result<()>> = buf
        .par_chunks_mut(piece)
        .enumerate()
        .map(|(index, part)| file.read_exact_at(part, offset(index, piece)))
        .collect();
    // The first error in piece order wins.
    results.into_iter().collect()
}

/// Writes `bytes` at the start of `file`.
pub fn write_all(file: &File, bytes: &[u8]) -> io::Result<()> {
    let piece = piece_len(bytes.len());
    let results: Vec<io::Result<()>> = bytes
        .par_chunks(piece)
        .enumerate()
        .map(|(index, part)| file.write_all_at(part, offset(index, piece)))
        .collect();
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_round_trip_at_any_length() {
        let dir = tempfile::tempdir().expect("tempdir");
        for len in [0, 1, 2, 3, 4_097, 1 << 20] {
            let bytes: Vec<u8> = (0..len).map(|i| (i % 241) as u8).collect();
            let path = dir.path().join(format!("{len}.bin"));
            let file = File::create(&path).expect("create");
            write_all(&file, &bytes).expect("write");
            assert_eq!(std::fs::metadata(&path).expect("stat").len(), len as u64);
            let mut back = vec![0xAA; len];
            read_exact(&File::open(&path).expect("open"), &mut back).expect("read");
            assert!(back == bytes, "{len} bytes");
        }
    }

    #[test]
    fn a_short_file_is_an_unexpected_eof() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("short.bin");
        std::fs::write(&path, [7; 1000]).expect("write");
        let mut buf = vec![0; 5000];
        let error = read_exact(&File::open(&path).expect("open"), &mut buf)
            .expect_err("the file is shorter than the buffer");
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }
}
