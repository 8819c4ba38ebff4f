//! One line per request on stderr: `key=value` text or one JSON object,
//! with the host and MAC the request was about, the status, the body's
//! size and how long the answer took. Queries are never logged (they may
//! carry a token).
//!
//! Lines are formatted straight into one shared buffer, which goes to
//! stderr in blocks: when [`BLOCK`] bytes are pending, at once for a
//! warning or a server event (with the lines before it, in order), and at
//! least every [`FLUSH_EVERY`] (the server's ticker calls [`Log::flush`]).
//! A request then costs a line formatted in memory, not two `write`
//! system calls under stderr's lock (`cargo bench --bench serve_load`).

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::mac::Mac;

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// How serious a line is: `warn` lines are what an operator must look at
/// (a config served twice under `--once`, an unknown MAC, a refused token).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warn,
}

/// Pending bytes that are written out at once.
pub const BLOCK: usize = 32 * 1024;
/// The longest an info line waits in the buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// One request's line.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    pub time: u64,
    pub level: Level,
    pub peer: SocketAddr,
    pub method: &'a str,
    pub route: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "as_text")]
    pub mac: Option<Mac>,
    pub status: u16,
    pub bytes: u64,
    pub ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
}

fn as_text<S: serde::Serializer>(mac: &Option<Mac>, serializer: S) -> Result<S::Ok, S::Error> {
    match mac {
        Some(mac) => serializer.collect_str(mac),
        None => serializer.serialize_none(),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Line<'_> {
    pub fn new<'a>(peer: SocketAddr, method: &'a str, route: &'a str) -> Line<'a> {
        Line {
            time: now(),
            level: Level::Info,
            peer,
            method,
            route,
            host: None,
            mac: None,
            status: 0,
            bytes: 0,
            ms: 0.0,
            note: None,
        }
    }

    pub fn took(&mut self, elapsed: Duration) {
        self.ms = (elapsed.as_secs_f64() * 1e5).round() / 100.0;
    }
}

/// The server's log on stderr.
pub struct Log {
    format: LogFormat,
    pending: Mutex<Vec<u8>>,
}

impl Log {
    pub fn new(format: LogFormat) -> Log {
        Log {
            format,
            pending: Mutex::new(Vec::with_capacity(BLOCK + 1024)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        // A panic while formatting leaves at worst a partial line behind.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Logs a request's line.
    pub fn request(&self, line: &Line<'_>) {
        let mut pending = self.lock();
        match self.format {
            LogFormat::Json => {
                let _ = serde_json::to_writer(&mut *pending, line);
            }
            LogFormat::Text => text(&mut pending, line),
        }
        pending.push(b'\n');
        if line.level == Level::Warn || pending.len() >= BLOCK {
            write_out(&mut pending);
        }
    }

    /// Logs a line about the server itself (start, reload, refusal), not a
    /// request; written at once.
    pub fn event(&self, level: Level, message: &str) {
        let mut pending = self.lock();
        match self.format {
            LogFormat::Json => {
                let _ = serde_json::to_writer(
                    &mut *pending,
                    &serde_json::json!({
                        "time": now(),
                        "level": level,
                        "event": message,
                    }),
                );
            }
            LogFormat::Text => {
                pending.extend_from_slice(match level {
                    Level::Warn => b"level=WARN event=",
                    Level::Info => b"level=info event=",
                });
                quote(&mut pending, message);
            }
        }
        pending.push(b'\n');
        write_out(&mut pending);
    }

    /// Writes out what is pending.
    pub fn flush(&self) {
        let mut pending = self.lock();
        if !pending.is_empty() {
            write_out(&mut pending);
        }
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Writes `pending` to stderr and empties it. Stderr that cannot be
/// written to loses the lines; the server goes on.
fn write_out(pending: &mut Vec<u8>) {
    let _ = std::io::stderr().lock().write_all(pending);
    pending.clear();
}

/// `value` as is when it is plain, else as a JSON string.
fn quote(out: &mut Vec<u8>, value: &str) {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'=' && b != b'\\');
    if plain {
        out.extend_from_slice(value.as_bytes());
    } else {
        let _ = serde_json::to_writer(&mut *out, value);
    }
}

fn text(out: &mut Vec<u8>, line: &Line<'_>) {
    out.extend_from_slice(match line.level {
        Level::Warn => b"level=WARN peer=",
        Level::Info => b"level=info peer=",
    });
    let _ = write!(out, "{}", line.peer);
    out.extend_from_slice(b" method=");
    quote(out, line.method);
    out.extend_from_slice(b" route=");
    quote(out, line.route);
    if let Some(host) = line.host {
        out.extend_from_slice(b" host=");
        quote(out, host);
    }
    if let Some(mac) = &line.mac {
        let _ = write!(out, " mac={mac}");
    }
    let _ = write!(
        out,
        " status={} bytes={} ms={}",
        line.status, line.bytes, line.ms
    );
    if let Some(note) = line.note {
        out.extend_from_slice(b" note=");
        quote(out, note);
    }
}
