//! One connection and its requests: TLS handshake, hyper's HTTP/1.1 with
//! the configured limits, and the routes.

use std::convert::Infallible;
use std::io::{Seek, SeekFrom};
use std::net::SocketAddr;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::Instant;

use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::assets::{self, Range};
use super::generation::{self, Generation, Host};
use super::io::{Body, Guarded};
use super::log::{Level, Line};
use super::mac::Mac;
use super::state::Fetch;
use super::{HostInfo, ServeError, Shared, Tls, allowed, ipxe};

/// Reads the certificate chain and key for `--tls-cert`/`--tls-key`.
pub fn tls_acceptor(tls: &Tls) -> Result<TlsAcceptor, ServeError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&tls.cert)
        .and_then(|certs| certs.collect())
        .map_err(|e| ServeError::Tls(format!("{}: {e}", tls.cert.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "{}: no PEM certificate in it",
            tls.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .map_err(|e| ServeError::Tls(format!("{}: {e}", tls.key.display())))?;
    // ring, which kindling already builds (certificate checks), rather
    // than aws-lc-rs and its C build; rustls deprecates ring's provider
    // only for lacking post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            ServeError::Tls(format!(
                "{} and {}: {e}",
                tls.cert.display(),
                tls.key.display()
            ))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves one connection until it closes, times out or breaks a limit, or
/// the server stops (then after the response in flight, if any).
pub async fn connection(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    stopped: watch::Receiver<bool>,
) {
    let limits = shared.config.limits;
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    let service = {
        let shared = shared.clone();
        service_fn(move |request| {
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(respond(&shared, &request, peer)) }
        })
    };
    let stream = Guarded::new(stream, limits.idle_timeout);
    match tls {
        None => serve_until_stopped(&builder, stream, service, stopped).await,
        Some(acceptor) => {
            let handshake =
                tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await;
            if let Ok(Ok(stream)) = handshake {
                serve_until_stopped(&builder, stream, service, stopped).await;
            }
        }
    }
}

/// Drives hyper on `stream`; once the server stops, lets the response in
/// flight finish and closes (hyper's graceful shutdown).
async fn serve_until_stopped<S, F>(
    builder: &http1::Builder,
    stream: S,
    service: F,
    mut stopped: watch::Receiver<bool>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    F: hyper::service::Service<
            Request<hyper::body::Incoming>,
            Response = Response<Body>,
            Error = Infallible,
        >,
{
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = stopped.wait_for(|stop| *stop) => {}
    }
    connection.as_mut().graceful_shutdown();
    let _ = connection.await;
}

/// A response and what its log line says beyond the status.
struct Answer {
    response: Response<Body>,
    level: Level,
    note: Option<String>,
    host: Option<String>,
    mac: Option<Mac>,
    bytes: u64,
}

impl Answer {
    /// `status` with `body`, `bytes` long, of `content_type`.
    fn body(status: StatusCode, content_type: &'static str, body: Body, bytes: u64) -> Answer {
        let mut response = Response::new(body);
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        Answer {
            response,
            level: Level::Info,
            note: None,
            host: None,
            mac: None,
            bytes,
        }
    }

    /// `status` with `body` from memory, not to be cached.
    fn new(
        status: StatusCode,
        content_type: &'static str,
        body: impl Into<bytes::Bytes>,
    ) -> Answer {
        let body = body.into();
        let bytes = body.len() as u64;
        Answer::body(status, content_type, Body::bytes(body), bytes).no_store()
    }

    fn text(status: StatusCode, text: impl Into<String>) -> Answer {
        let mut text = text.into();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Answer::new(status, "text/plain; charset=utf-8", text)
    }

    fn header(mut self, name: header::HeaderName, value: HeaderValue) -> Answer {
        self.response.headers_mut().insert(name, value);
        self
    }

    fn no_store(self) -> Answer {
        self.header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))
    }

    /// An answer that needs the operator's attention.
    fn warn(mut self, note: impl Into<String>) -> Answer {
        self.level = Level::Warn;
        self.note = Some(note.into());
        self
    }

    fn note(mut self, note: impl Into<String>) -> Answer {
        self.note = Some(note.into());
        self
    }

    fn about(mut self, host: Option<&str>, mac: Option<Mac>) -> Answer {
        self.host = host.map(str::to_owned);
        self.mac = mac;
        self
    }
}

fn not_found() -> Answer {
    Answer::text(StatusCode::NOT_FOUND, "not found")
}

/// The query's values of `key`, decoded.
fn query_values<'a>(query: &'a str, key: &'a str) -> impl Iterator<Item = String> + 'a {
    query.split('&').filter_map(move |pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

fn respond(
    shared: &Shared,
    request: &Request<hyper::body::Incoming>,
    peer: SocketAddr,
) -> Response<Body> {
    let started = Instant::now();
    let path = request.uri().path();
    let method = request.method().as_str();
    let answer = route(shared, request, peer);
    let mut line = Line::new(peer, method, path);
    line.level = answer.level;
    line.host = answer.host.as_deref();
    line.mac = answer.mac;
    line.status = answer.response.status().as_u16();
    line.bytes = answer.bytes;
    line.note = answer.note.as_deref();
    line.took(started.elapsed());
    shared.log.request(&line);
    let mut response = answer.response;
    if request.method() == Method::HEAD {
        *response.body_mut() = Body::empty();
    }
    response
}

/// 405 naming the methods `allow`ed.
fn method_not_allowed(allow: &'static str) -> Answer {
    Answer::text(StatusCode::METHOD_NOT_ALLOWED, format!("only {allow}"))
        .header(header::ALLOW, HeaderValue::from_static(allow))
}

/// Whether `request` says a body follows (`Content-Length` other than 0,
/// or any `Transfer-Encoding`).
fn declares_body(request: &Request<hyper::body::Incoming>) -> bool {
    let headers = request.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}

fn route(shared: &Shared, request: &Request<hyper::body::Incoming>, peer: SocketAddr) -> Answer {
    if !allowed(&shared.config.allow, peer.ip()) {
        return Answer::text(StatusCode::FORBIDDEN, "forbidden").warn("peer not in --allow");
    }
    if declares_body(request) {
        // Nothing here reads a body; refusing it says so instead of
        // answering as if it had been read.
        return Answer::text(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request bodies are not accepted",
        )
        .warn("request with a body");
    }
    let path = request.uri().path();
    let query = request.uri().query().unwrap_or("");
    let method = request.method();
    if path == INSTALLED {
        return if method == Method::POST {
            installed_route(shared, request, query, peer)
        } else {
            method_not_allowed("POST")
        };
    }
    if method != Method::GET && method != Method::HEAD {
        return method_not_allowed("GET, HEAD");
    }
    match path {
        "/" => status_page(shared),
        "/healthz" => Answer::text(StatusCode::OK, format!("ok {}", shared.generation().name)),
        "/boot.ipxe" => Answer::new(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            ipxe::BOOT_SCRIPT,
        ),
        "/ipxe" => ipxe_route(shared, request, query),
        "/ignition" => ignition_route(shared, request, query, peer),
        _ => match path.strip_prefix("/assets/") {
            Some(rest) => asset_route(shared, request, rest),
            None => not_found(),
        },
    }
}

/// The route an installed system reports in at (`POST`).
const INSTALLED: &str = "/installed";

/// The MACs a request names; unparsable ones are ignored (iPXE sends an
/// empty `mac=` for a NIC that is not there).
fn macs(query: &str) -> Vec<Mac> {
    query_values(query, "mac")
        .filter_map(|m| m.parse().ok())
        .collect()
}

/// The first of `asked` that names a host of `generation`.
fn host_by_mac<'g>(generation: &'g Generation, asked: &[Mac]) -> Option<(Mac, &'g Arc<Host>)> {
    asked
        .iter()
        .find_map(|mac| generation.by_mac(*mac).map(|host| (*mac, host)))
}

/// At most this many unknown MACs are named in a log line (a request may
/// carry hundreds; the line stays short).
const LOGGED_MACS: usize = 8;

/// The 404 (with its log note) for a machine the fleet does not know.
fn unknown_macs(asked: &[Mac]) -> Answer {
    not_found().warn(unknown_macs_note(asked))
}

fn unknown_macs_note(asked: &[Mac]) -> String {
    if asked.is_empty() {
        return "unknown MAC(s): no well-formed MAC given".to_owned();
    }
    let named: Vec<String> = asked.iter().take(LOGGED_MACS).map(Mac::to_string).collect();
    let mut note = format!("unknown MAC(s): {}", named.join(" "));
    if asked.len() > LOGGED_MACS {
        note.push_str(&format!(" (and {} more)", asked.len() - LOGGED_MACS));
    }
    note
}

/// The scheme and authority machines reach this server at.
fn base_url(shared: &Shared, request: &Request<hyper::body::Incoming>) -> String {
    if let Some(url) = &shared.config.url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .map_or_else(|| shared_addr(shared), str::to_owned);
    format!("{}://{host}", shared.scheme)
}

fn shared_addr(shared: &Shared) -> String {
    shared.config.listen.to_string()
}

fn ipxe_route(shared: &Shared, request: &Request<hyper::body::Incoming>, query: &str) -> Answer {
    let generation = shared.generation();
    let asked = macs(query);
    let Some((mac, host)) = host_by_mac(&generation, &asked) else {
        return unknown_macs(&asked);
    };
    let name = host.info.name.as_str();
    shared.state.note_ipxe(name);
    let ipxe_text = |text: String| Answer::new(StatusCode::OK, "text/plain; charset=utf-8", text);
    if host.info.pxe().installs() && shared.state.installed(name) {
        return ipxe_text(ipxe::local_script(name))
            .note("installed: boot from local disk")
            .about(Some(name), Some(mac));
    }
    let base = base_url(shared, request);
    let mut ignition_url = format!("{base}/ignition?mac={}", mac.to_string().replace(':', "-"));
    if shared.config.require_token
        && let Some(key) = &shared.config.fleet_key
    {
        ignition_url.push_str(&format!("&token={}", key.token(name)));
    }
    let arch = ipxe::arch(query_values(query, "arch").next().as_deref());
    match ipxe::host_script(&host.info, &shared.boot_files(), arch, &base, &ignition_url) {
        Ok(script) => ipxe_text(script).about(Some(name), Some(mac)),
        Err(why) => Answer::text(StatusCode::SERVICE_UNAVAILABLE, why.clone())
            .warn(why)
            .about(Some(name), Some(mac)),
    }
}

/// The bearer token a request carries (header, or `token=` in the query
/// for fetchers that cannot send headers).
fn bearer(request: &Request<hyper::body::Incoming>, query: &str) -> Option<String> {
    request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .or_else(|| query_values(query, "token").next())
}

/// The host a config fetch or a report-in is about (`host=` or `mac=`),
/// with its token checked: a host named in the request (a pointer
/// config) always proves it is that host; one found by MAC only when
/// --require-token says so. The error is the answer to give (boxed: it is
/// the rare path).
fn requested_host(
    shared: &Shared,
    generation: &Generation,
    request: &Request<hyper::body::Incoming>,
    query: &str,
) -> Result<(Arc<Host>, Option<Mac>), Box<Answer>> {
    let by_name = query_values(query, "host").next();
    let (host, mac) = match &by_name {
        Some(name) => match generation.hosts.get(name) {
            Some(host) => (host.clone(), None),
            None => return Err(Box::new(not_found().warn(format!("unknown host {name:?}")))),
        },
        None => {
            let asked = macs(query);
            match host_by_mac(generation, &asked) {
                Some((mac, host)) => (host.clone(), Some(mac)),
                None => return Err(Box::new(unknown_macs(&asked))),
            }
        }
    };
    if by_name.is_some() || shared.config.require_token {
        let name = host.info.name.as_str();
        let token = bearer(request, query);
        let valid = match (&shared.config.fleet_key, &token) {
            (Some(key), Some(token)) => key.verify(name, token),
            _ => false,
        };
        if !valid {
            return Err(Box::new(
                Answer::text(StatusCode::UNAUTHORIZED, "a valid bearer token is required")
                    .header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
                    .warn(if token.is_some() {
                        "wrong token"
                    } else {
                        "no token"
                    })
                    .about(Some(name), mac),
            ));
        }
    }
    Ok((host, mac))
}

fn ignition_route(
    shared: &Shared,
    request: &Request<hyper::body::Incoming>,
    query: &str,
    peer: SocketAddr,
) -> Answer {
    let generation = shared.generation();
    let (host, mac) = match requested_host(shared, &generation, request, query) {
        Ok(found) => found,
        Err(answer) => return *answer,
    };
    let name = host.info.name.as_str();
    let Some(config) = &host.config else {
        return Answer::text(
            StatusCode::NOT_FOUND,
            format!("{name} has no built config; run `kindling build`"),
        )
        .warn("host not built")
        .about(Some(name), mac);
    };
    if config.secret && shared.withhold_secrets {
        return Answer::text(
            StatusCode::FORBIDDEN,
            "this config embeds secrets and this server speaks plain HTTP on a non-loopback address",
        )
        .warn("secret config withheld over plain HTTP")
        .about(Some(name), mac);
    }
    // The live system of a host that installs asks for its live config:
    // the installer's, carrying this config and the wrong-machine guard.
    let live = if query.split('&').any(|pair| pair == ipxe::LIVE_QUERY) {
        match live_config(&host.info, config) {
            Ok(live) => Some(live),
            Err(why) => {
                return Answer::text(StatusCode::INTERNAL_SERVER_ERROR, "no live config")
                    .warn(why)
                    .about(Some(name), mac);
            }
        }
    } else {
        None
    };
    let etag = match &live {
        Some(live) => generation::etag(&crate::digest::sha256_hex(live)),
        None => config.etag.clone(),
    };
    let not_modified = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tag| tag.as_bytes() == etag.as_bytes());
    if not_modified {
        return Answer::body(
            StatusCode::NOT_MODIFIED,
            "application/json",
            Body::empty(),
            0,
        )
        .no_store()
        .header(header::ETAG, etag)
        .about(Some(name), mac);
    }
    let once = shared.config.once && config.secret;
    if request.method() == Method::GET {
        // What /ipxe answers next depends on this fetch only for a host
        // that installs, or under --once: only then is the state written
        // before the config leaves.
        let decides = once || host.info.pxe().installs();
        match shared.state.fetch(name, peer.ip(), once, decides) {
            Ok(Fetch::Serve) => {}
            Ok(Fetch::Gone) => {
                return Answer::text(StatusCode::GONE, "this config was already served since the host was armed")
                    .warn(format!(
                        "SECOND FETCH of {name}'s secret-bearing config under --once refused: if the machine did not ask twice, someone else has it; re-arm with `kindling serve --rearm {name}`"
                    ))
                    .about(Some(name), mac);
            }
            Err(e) => {
                return Answer::text(StatusCode::INTERNAL_SERVER_ERROR, "install state not saved")
                    .warn(e.to_string())
                    .about(Some(name), mac);
            }
        }
    }
    let (body, bytes) = match live {
        Some(live) => {
            let bytes = live.len() as u64;
            (Body::bytes(live), bytes)
        }
        None => (Body::shared(config.file.clone(), config.len), config.len),
    };
    let mut answer = Answer::body(StatusCode::OK, "application/json", body, bytes)
        .no_store()
        .header(header::ETAG, etag)
        .about(Some(name), mac);
    if once {
        answer.note = Some("served once; the next fetch gets 410 until re-armed".to_owned());
    }
    answer
}

/// `POST /installed`: the installed system of a host says it is up, which
/// counts as installed as a config fetch does (for machines whose config
/// did not come from this server, or to be sure). Idempotent; the state is
/// written before the answer.
fn installed_route(
    shared: &Shared,
    request: &Request<hyper::body::Incoming>,
    query: &str,
    peer: SocketAddr,
) -> Answer {
    let generation = shared.generation();
    let (host, mac) = match requested_host(shared, &generation, request, query) {
        Ok(found) => found,
        Err(answer) => return *answer,
    };
    let name = host.info.name.as_str();
    let next = if host.info.pxe().installs() {
        "/ipxe boots it from its local disk until re-armed"
    } else {
        "it boots live, /ipxe answers as before"
    };
    match shared.state.report_in(name, peer.ip()) {
        Ok(true) => Answer::text(StatusCode::OK, format!("{name}: installed"))
            .note(format!("reported in: now installed; {next}")),
        Ok(false) => Answer::text(StatusCode::OK, format!("{name}: installed"))
            .note(format!("reported in: was installed already; {next}")),
        Err(e) => Answer::text(StatusCode::INTERNAL_SERVER_ERROR, "install state not saved")
            .warn(e.to_string()),
    }
    .about(Some(name), mac)
}

/// The config `host`'s live system runs, from its built `config`
/// ([`crate::provision::pxe::PxeHost::live_config`]).
fn live_config(host: &HostInfo, config: &generation::Config) -> Result<Vec<u8>, String> {
    let len = usize::try_from(config.len).map_err(|e| e.to_string())?;
    let mut own = vec![0; len];
    config
        .file
        .read_exact_at(&mut own, 0)
        .map_err(|e| format!("reading {}'s config: {e}", host.name))?;
    host.pxe().live_config(&own).map_err(|e| e.to_string())
}

fn asset_route(shared: &Shared, request: &Request<hyper::body::Incoming>, rest: &str) -> Answer {
    let Some(assets) = &shared.assets else {
        return not_found();
    };
    let Some(relative) = assets::relative_path(rest) else {
        return not_found().warn("asset path refused");
    };
    let Ok((mut file, len)) = assets.open_file(&relative) else {
        return not_found();
    };
    let range_header = request
        .headers()
        .get(header::RANGE)
        .and_then(|h| h.to_str().ok());
    let (status, start, end) = match assets::range(range_header, len) {
        Range::Full => (StatusCode::OK, 0, len),
        Range::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end),
        Range::Unsatisfiable => {
            let answer = Answer::text(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable");
            return match HeaderValue::from_str(&format!("bytes */{len}")) {
                Ok(value) => answer.header(header::CONTENT_RANGE, value),
                Err(_) => answer,
            };
        }
    };
    if start > 0 && file.seek(SeekFrom::Start(start)).is_err() {
        return Answer::text(StatusCode::INTERNAL_SERVER_ERROR, "cannot read the asset");
    }
    let count = end - start;
    let mut answer = Answer::body(
        status,
        "application/octet-stream",
        Body::file(file, count),
        count,
    )
    .header(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"))
    .header(header::CONTENT_LENGTH, HeaderValue::from(count));
    if status == StatusCode::PARTIAL_CONTENT
        && let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{}/{len}", end - 1))
    {
        answer = answer.header(header::CONTENT_RANGE, value);
    }
    answer
}

/// Seconds since the epoch as RFC 3339 UTC, for people reading the status
/// page (the state file keeps the number).
fn utc(seconds: u64) -> String {
    i64::try_from(seconds)
        .ok()
        .and_then(crate::fleet::certs::rfc3339_utc)
        .unwrap_or_else(|| seconds.to_string())
}

fn status_page(shared: &Shared) -> Answer {
    let generation = shared.generation();
    let states = shared.state.snapshot();
    let mut text = format!(
        "kindling serve: build {} (generation {})\n\nhost\tbuilt\tsecret\tinstalled\tfetches\tlast fetch\n",
        shared.config.build.display(),
        if generation.name.is_empty() {
            "none"
        } else {
            &generation.name
        }
    );
    for (name, host) in &generation.hosts {
        let state = states.get(name).cloned().unwrap_or_default();
        text.push_str(&format!(
            "{name}\t{}\t{}\t{}\t{}\t{}\n",
            if host.config.is_some() { "yes" } else { "no" },
            if host.config.as_ref().is_some_and(|c| c.secret) {
                "yes"
            } else {
                "no"
            },
            if state.installed { "yes" } else { "no" },
            state.fetches,
            state.last_fetch.map_or_else(
                || "never".to_owned(),
                |t| format!("{} from {}", utc(t), state.last_peer.unwrap_or_default())
            ),
        ));
    }
    Answer::text(StatusCode::OK, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_page_times_are_utc() {
        assert_eq!(utc(1_796_620_285), "2026-12-07T05:11:25Z");
        assert_eq!(utc(u64::MAX), u64::MAX.to_string());
    }

    #[test]
    fn unknown_mac_notes_say_what_was_asked_and_stay_short() {
        assert_eq!(
            unknown_macs_note(&macs("mac=zz:zz&mac=")),
            "unknown MAC(s): no well-formed MAC given"
        );
        let many: Vec<String> = (0..200)
            .map(|i| format!("mac=52:54:00:00:00:{i:02x}"))
            .collect();
        let note = unknown_macs_note(&macs(&many.join("&")));
        assert!(note.ends_with("52:54:00:00:00:07 (and 192 more)"), "{note}");
    }
}
