//! One line per request on stderr: `key=value` text or one JSON object,
//! with the host and MAC the request was about, the status, the body's
//! size and how long the answer took. Queries are never logged (they may
//! carry a token).

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

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

/// One request's line.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    pub time: u64,
    pub level: Level,
    pub peer: String,
    pub method: &'a str,
    pub route: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    pub status: u16,
    pub bytes: u64,
    pub ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'a str>,
}

impl Line<'_> {
    pub fn new<'a>(peer: SocketAddr, method: &'a str, route: &'a str) -> Line<'a> {
        Line {
            time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            level: Level::Info,
            peer: peer.to_string(),
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

/// Prints `line`.
pub fn emit(format: LogFormat, line: &Line<'_>) {
    let text = match format {
        LogFormat::Json => serde_json::to_string(line).unwrap_or_default(),
        LogFormat::Text => text(line),
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// A line about the server itself (start, reload, refusal), not a request.
pub fn event(format: LogFormat, level: Level, message: &str) {
    let text = match format {
        LogFormat::Json => serde_json::json!({
            "time": SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            "level": level,
            "event": message,
        })
        .to_string(),
        LogFormat::Text => format!(
            "level={} event={}",
            if level == Level::Warn { "WARN" } else { "info" },
            quote(message)
        ),
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

fn quote(value: &str) -> String {
    if !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'=' && b != b'\\')
    {
        value.to_owned()
    } else {
        serde_json::to_string(value).unwrap_or_default()
    }
}

fn text(line: &Line<'_>) -> String {
    let mut out = format!(
        "level={} peer={} method={} route={}",
        if line.level == Level::Warn {
            "WARN"
        } else {
            "info"
        },
        line.peer,
        quote(line.method),
        quote(line.route)
    );
    if let Some(host) = line.host {
        out.push_str(&format!(" host={}", quote(host)));
    }
    if let Some(mac) = &line.mac {
        out.push_str(&format!(" mac={mac}"));
    }
    out.push_str(&format!(
        " status={} bytes={} ms={}",
        line.status, line.bytes, line.ms
    ));
    if let Some(note) = line.note {
        out.push_str(&format!(" note={}", quote(note)));
    }
    out
}
