//! One large file read or written in one piece per core, each piece by its
//! own thread with `pread`/`pwrite`: the `contents.local` of a big log
//! archive, and the config that embeds it. Even from and to the page cache,
//! copying and faulting in 64 MiB takes ~40 ms on one core, and it sits
//! before compression can start or after everything else is done, with
//! nothing to overlap it with.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt as _;

/// Smaller files are read and written the plain way: below this the
/// threads cost about what they save.
pub const MIN_BYTES: usize = 16 << 20;

/// Whether `len` bytes are worth splitting on this machine.
pub fn worth_it(len: usize) -> bool {
    len >= MIN_BYTES && cores() > 1
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Fills `buf` from the start of `file`. A file shorter than `buf` is an
/// `UnexpectedEof` error.
pub fn read_exact(file: &File, buf: &mut [u8]) -> io::Result<()> {
    let piece = buf.len().div_ceil(cores()).max(1);
    let parts = buf.chunks_mut(piece).zip((0u64..).step_by(piece));
    on_threads(parts, |part, offset| file.read_exact_at(part, offset))
}

/// Writes `bytes` at the start of `file`.
pub fn write_all(file: &File, bytes: &[u8]) -> io::Result<()> {
    let piece = bytes.len().div_ceil(cores()).max(1);
    let parts = bytes.chunks(piece).zip((0u64..).step_by(piece));
    on_threads(parts, |part, offset| file.write_all_at(part, offset))
}

/// Runs `io` on every `(piece, offset)`, each on its own thread; the first
/// error in piece order wins.
fn on_threads<P: Send>(
    parts: impl Iterator<Item = (P, u64)>,
    io: impl Fn(P, u64) -> io::Result<()> + Sync,
) -> io::Result<()> {
    std::thread::scope(|scope| {
        let io = &io;
        let handles: Vec<_> = parts
            .map(|(part, offset)| scope.spawn(move || io(part, offset)))
            .collect();
        handles.into_iter().try_for_each(|handle| {
            handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("an I/O thread panicked")))
        })
    })
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
