//! What a connection may cost: a deadline on progress, and response bodies
//! that stream files without holding them in memory.
//!
//! [`Guarded`] wraps a connection's stream: when neither a read nor a write
//! made progress for the idle timeout, the next poll fails with
//! `TimedOut` and hyper drops the connection. With hyper's own
//! header-read timeout (a request's headers must arrive whole within it)
//! this cuts off slow-loris clients on both sides: one that trickles its
//! headers and one that never reads its response.

use std::fs::File;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep, sleep};

/// A stream whose reads and writes fail once it made no progress for
/// `idle`.
///
/// Progress only notes the time; the timer is moved when it fires early
/// (progress was made meanwhile), not on every read and write, which
/// would cost a timer-wheel update per system call.
pub struct Guarded<T> {
    inner: T,
    idle: Duration,
    last_progress: Instant,
    deadline: Pin<Box<Sleep>>,
}

impl<T> Guarded<T> {
    pub fn new(inner: T, idle: Duration) -> Guarded<T> {
        Guarded {
            inner,
            idle,
            last_progress: Instant::now(),
            deadline: Box::pin(sleep(idle)),
        }
    }

    fn progress(&mut self) {
        self.last_progress = Instant::now();
    }

    /// After the inner stream said "not yet": time out if there was no
    /// progress for the idle timeout, else wait for the timer too.
    fn pending<R>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<R>> {
        loop {
            if self.deadline.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let due = self.last_progress + self.idle;
            if due <= Instant::now() {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no progress within the idle timeout",
                )));
            }
            self.deadline.as_mut().reset(due);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.progress();
                Poll::Ready(result)
            }
            Poll::Pending => this.pending(cx),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(result) => {
                this.progress();
                Poll::Ready(result)
            }
            Poll::Pending => this.pending(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(result) => {
                this.progress();
                Poll::Ready(result)
            }
            Poll::Pending => this.pending(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => this.pending(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_shutdown(cx) {
            Poll::Ready(result) => Poll::Ready(result),
            Poll::Pending => this.pending(cx),
        }
    }
}

/// How much of a file one body frame carries.
const CHUNK: usize = 256 * 1024;

/// A response body: bytes in memory, or part of a file read as it is sent.
pub enum Body {
    Bytes(Option<Bytes>),
    File {
        file: tokio::fs::File,
        remaining: u64,
        buf: Vec<u8>,
    },
    /// A file many responses read at once (a config), by position. Read
    /// on the runtime's thread: it was just read whole at load, so the
    /// page cache has it, and a read costs less than handing it to the
    /// blocking pool.
    Shared {
        file: Arc<std::fs::File>,
        offset: u64,
        remaining: u64,
    },
}

impl Body {
    pub fn empty() -> Body {
        Body::Bytes(None)
    }

    pub fn bytes(bytes: impl Into<Bytes>) -> Body {
        let bytes = bytes.into();
        Body::Bytes((!bytes.is_empty()).then_some(bytes))
    }

    /// The first `len` bytes of a file other responses may be reading.
    pub fn shared(file: Arc<File>, len: u64) -> Body {
        Body::Shared {
            file,
            offset: 0,
            remaining: len,
        }
    }

    /// `len` bytes of `file` from its current position.
    pub fn file(file: File, len: u64) -> Body {
        Body::File {
            file: tokio::fs::File::from_std(file),
            remaining: len,
            buf: Vec::new(),
        }
    }
}

impl hyper::body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match self.get_mut() {
            Body::Bytes(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Body::File {
                file,
                remaining,
                buf,
            } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let want = usize::try_from(*remaining).unwrap_or(CHUNK).min(CHUNK);
                if buf.len() < want {
                    buf.resize(want, 0);
                }
                let mut read = ReadBuf::new(&mut buf[..want]);
                if let Err(e) = ready!(Pin::new(file).poll_read(cx, &mut read)) {
                    return Poll::Ready(Some(Err(e)));
                }
                let filled = read.filled();
                if filled.is_empty() {
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the asset shrank while it was sent",
                    ))));
                }
                *remaining -= filled.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(filled)))))
            }
            Body::Shared {
                file,
                offset,
                remaining,
            } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let want = usize::try_from(*remaining).unwrap_or(CHUNK).min(CHUNK);
                let buf = match read_at(file, want, *offset) {
                    Ok(buf) => buf,
                    Err(e) => return Poll::Ready(Some(Err(e))),
                };
                *offset += want as u64;
                *remaining -= want as u64;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(buf)))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Bytes(bytes) => bytes.is_none(),
            Body::File { remaining, .. } | Body::Shared { remaining, .. } => *remaining == 0,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Bytes(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            Body::File { remaining, .. } | Body::Shared { remaining, .. } => {
                SizeHint::with_exact(*remaining)
            }
        }
    }
}

/// `len` bytes of `file` from `offset`, leaving the file's position alone
/// (other responses read the same file). Read into fresh memory without
/// zeroing it first (a 100 KiB config per response).
#[cfg(target_os = "linux")]
fn read_at(file: &File, len: usize, offset: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(len);
    while buf.len() < len {
        let at = offset + buf.len() as u64;
        if rustix::io::pread(file, rustix::buffer::spare_capacity(&mut buf), at)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    buf.truncate(len);
    Ok(buf)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn read_at(file: &File, len: usize, offset: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; len];
    std::os::unix::fs::FileExt::read_exact_at(file, &mut buf, offset)?;
    Ok(buf)
}

#[cfg(windows)]
fn read_at(file: &File, len: usize, mut offset: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; len];
    let mut rest = &mut buf[..];
    while !rest.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, rest, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                rest = &mut rest[n..];
                offset += n as u64;
            }
        }
    }
    Ok(buf)
}
