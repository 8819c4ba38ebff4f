//! Certificates a host gets, checked as the node will see them at boot.
//!
//! Every PEM certificate among a host's files (service `secrets:`, `trust:`
//! anchors, `storage.files` of snippets and `butane:` fragments) is checked
//! against the build time: expired or not yet valid is an error, expiring
//! within the fleet's window (`cert_expiry_warning_days`, default 30) a
//! warning naming the date. A certificate in the same directory as private
//! keys must belong to one of them (its SubjectPublicKeyInfo equals the
//! public key derived from the key), and a certificate must chain to the
//! CA certificates the host gets as trust anchors, when it gets any.
//!
//! Limits: certificates are read from PEM only (DER files are not
//! recognised as certificates), in files whose data URL is at most 4 MiB. Keys are compared when ring can load them:
//! PKCS#8 Ed25519, ECDSA P-256/P-384 (with their public key, as OpenSSL,
//! ring and rcgen write them), RSA 2048–8192 bits as PKCS#8 or PKCS#1,
//! and SEC1 `EC PRIVATE KEY` files; other keys (encrypted PKCS#8, Ed448,
//! other curves) are not compared. A CA certificate next to a key is taken
//! as a bundle and not compared. Signatures of a chain are verified with
//! RSA PKCS#1/PSS, ECDSA P-256/P-384 and Ed25519; another algorithm counts
//! as chained when the issuer's name matches.

use std::collections::BTreeMap;

use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair,
    KeyPair, RsaKeyPair,
};
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;

use crate::diag::{Code, Diagnostic, Position};
use crate::memo::BoundedMemo;

/// Default warning window before a certificate's `notAfter`.
pub const DEFAULT_WARNING_DAYS: u32 = 30;

/// Why a file is on the node, which decides how its certificates are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A service's `secrets:` placement.
    Secret,
    /// A `trust:` placement, or a file in the system trust anchors
    /// directory: its CA certificates are the host's anchors.
    Trust,
    /// Any other file of the config.
    File,
}

/// A file a host gets, with the place in the fleet that put it there.
#[derive(Clone, Debug)]
pub struct Placed {
    /// Path on the node.
    pub path: String,
    pub contents: Vec<u8>,
    pub role: Role,
    /// The fleet file and position findings point at.
    pub file: String,
    pub position: Position,
}

/// The build time and warning window.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Seconds since the Unix epoch.
    pub now: i64,
    pub warning_days: u32,
}

/// The certificate of a host that expires first.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Expiry {
    /// `notAfter` as RFC 3339 (UTC).
    pub not_after: String,
    /// Node path of the file holding it.
    pub path: String,
    pub subject: String,
    #[serde(skip)]
    pub timestamp: i64,
}

/// What the checks found for one host.
#[derive(Debug, Default)]
pub struct Report {
    pub diagnostics: Vec<Diagnostic>,
    pub earliest: Option<Expiry>,
}

/// Systemd-wide trust anchors (`update-ca-trust` reads them at boot).
const ANCHOR_DIRS: &[&str] = &[
    "/etc/pki/ca-trust/source/anchors/",
    "/usr/local/share/ca-certificates/",
];

/// The role of a file that a Butane fragment or snippet places.
pub fn role_of_path(path: &str) -> Role {
    if ANCHOR_DIRS.iter().any(|dir| path.starts_with(dir)) {
        Role::Trust
    } else {
        Role::File
    }
}

/// Whether `contents` may hold PEM certificates or keys (a cheap test, so
/// the many files that do not are never parsed).
pub fn may_hold_pem(contents: &[u8]) -> bool {
    contents.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Largest data URL looked into: a CA bundle is a few hundred KiB, and
/// decoding every large file of a config again (logs, images of tens of
/// MiB) would cost more than compiling it.
const MAX_SOURCE_BYTES: usize = 4 << 20;

/// Data URLs a compile worker has decoded, with their compression: those
/// that hold no PEM, and the contents of those that do. A fleet gives the
/// same files (units, Quadlets, env files, trust anchors) to many hosts,
/// and decoding each again (base64, gunzip) for every host cost more than
/// the rest of the certificate check (plain URLs that `cannot_spell_pem`
/// settles never get here). URLs without PEM are kept up to 64 KiB
/// (`PEM_FREE_URL_MAX`), with PEM up to 1 MiB (`PEM_URL_MAX`: a CA
/// bundle); each kind starts over at 8 MiB (`PEM_FREE_BUDGET`).
pub struct DecodedUrlMemo {
    /// URL → compression of each URL holding no PEM.
    without_pem: BoundedMemo<String, Option<String>>,
    /// URL → (compression, decoded contents) of each URL holding PEM.
    with_pem: BoundedMemo<String, (Option<String>, Vec<u8>)>,
}

const PEM_FREE_URL_MAX: usize = 64 << 10;
const PEM_URL_MAX: usize = 1 << 20;
const PEM_FREE_BUDGET: usize = 8 << 20;

impl Default for DecodedUrlMemo {
    fn default() -> Self {
        DecodedUrlMemo {
            without_pem: BoundedMemo::new(PEM_FREE_BUDGET),
            with_pem: BoundedMemo::new(PEM_FREE_BUDGET),
        }
    }
}

impl DecodedUrlMemo {
    fn holds_no_pem(&self, source: &str, compression: Option<&str>) -> bool {
        self.without_pem
            .find(source, |kept| kept.as_deref() == compression)
            .is_some()
    }

    fn remember(&mut self, source: &str, compression: Option<&str>) {
        if source.len() <= PEM_FREE_URL_MAX {
            self.without_pem.insert(
                source.to_owned(),
                compression.map(str::to_owned),
                source.len(),
            );
        }
    }

    /// The decoded contents kept for a URL that holds PEM.
    fn pem(&self, source: &str, compression: Option<&str>) -> Option<&[u8]> {
        self.with_pem
            .find(source, |(kept, _)| kept.as_deref() == compression)
            .map(|(_, contents)| contents.as_slice())
    }

    fn remember_pem(&mut self, source: &str, compression: Option<&str>, contents: &[u8]) {
        if source.len() <= PEM_URL_MAX {
            self.with_pem.insert(
                source.to_owned(),
                (compression.map(str::to_owned), contents.to_vec()),
                source.len() + contents.len(),
            );
        }
    }

    /// The decoded contents of `source` when they may hold PEM, decoding
    /// it unless kept.
    fn pem_contents(&mut self, source: &str, compression: Option<&str>) -> Option<Vec<u8>> {
        if let Some(contents) = self.pem(source, compression) {
            return Some(contents.to_vec());
        }
        if self.holds_no_pem(source, compression) {
            return None;
        }
        let contents = crate::dataurl::decode_resource(source, compression, usize::MAX).ok()?;
        if may_hold_pem(&contents) {
            self.remember_pem(source, compression, &contents);
            Some(contents)
        } else {
            self.remember(source, compression);
            None
        }
    }
}

/// Whether the uncompressed data URL `source` cannot decode to PEM: it is
/// percent-encoded (not base64) and spells no `-----`, neither as itself
/// nor with an escaped dash (`%2D`), so no decoding of it reads
/// `-----BEGIN `. Half of a fleet's files are each host's own (env files,
/// `/etc/hostname`), which a memo cannot share, and most are settled by
/// this scan. The encoder writes `data:,` URLs, which need no parsing; a
/// URL this settles that is no valid one would fail to decode anyway.
fn cannot_spell_pem(source: &str) -> bool {
    let data = match source.strip_prefix("data:,") {
        Some(data) => data,
        None => match crate::dataurl::DataUrl::parse(source) {
            Ok(url) if !url.base64 => url.data,
            _ => return false,
        },
    };
    let data = data.as_bytes();
    ["-----", "%2D", "%2d"]
        .iter()
        .all(|needle| memchr::memmem::find(data, needle.as_bytes()).is_none())
}

/// The files of a compiled config that may hold PEM, each with the role
/// and location `place` gives its node path. Remote sources (fetched at
/// boot) are not checked.
pub fn placed_files(
    config: &crate::ignition::model::Config,
    memo: &mut DecodedUrlMemo,
    mut place: impl FnMut(&str) -> (Role, String, Position),
) -> Vec<Placed> {
    let mut placed = Vec::new();
    for file in &config.storage.files {
        let Some(source) = file
            .contents
            .source
            .as_deref()
            .filter(|source| source.len() <= MAX_SOURCE_BYTES)
        else {
            continue;
        };
        let compression = file.contents.compression.as_deref();
        let plain = compression.is_none_or(str::is_empty);
        if plain && cannot_spell_pem(source) {
            continue;
        }
        let Some(contents) = memo.pem_contents(source, compression) else {
            continue;
        };
        let (role, name, position) = place(&file.path);
        placed.push(Placed {
            path: file.path.clone(),
            contents,
            role,
            file: name,
            position,
        });
    }
    placed
}

struct Cert<'a> {
    file: &'a Placed,
    /// Position in its file's PEM blocks.
    index: usize,
    /// `None` when the block is no X.509 certificate.
    parsed: Option<X509Certificate<'a>>,
}

/// Checks the certificates among `files`.
pub fn check(files: &[Placed], policy: &Policy) -> Report {
    let mut report = Report::default();
    // Each certificate block as (file, index in the file, DER), parsed once
    // below.
    let mut blocks: Vec<(&Placed, usize, Vec<u8>)> = Vec::new();
    // Directory → public keys of the private keys placed there, with the
    // file each came from.
    let mut keys: BTreeMap<&str, Vec<(Vec<u8>, &str)>> = BTreeMap::new();
    for file in files.iter().filter(|f| may_hold_pem(&f.contents)) {
        let mut index = 0;
        for pem in Pem::iter_from_buffer(&file.contents).map_while(Result::ok) {
            if pem.label == "CERTIFICATE" {
                blocks.push((file, index, pem.contents));
                index += 1;
            } else if let Some(public) = public_key_of(&pem.label, &pem.contents) {
                keys.entry(directory(&file.path))
                    .or_default()
                    .push((public, file.path.as_str()));
            }
        }
    }
    let certs: Vec<Cert<'_>> = blocks
        .iter()
        .map(|(file, index, der)| Cert {
            file,
            index: *index,
            parsed: X509Certificate::from_der(der).ok().map(|(_, c)| c),
        })
        .collect();
    for cert in &certs {
        let Some(parsed) = &cert.parsed else {
            report.diagnostics.push(finding(
                Diagnostic::error(Code::FleetCertUnparsable, format!(
                    "{} holds a certificate that cannot be parsed as X.509",
                    cert.file.path
                )),
                cert.file,
                "replace it with a valid PEM certificate (openssl x509 -in FILE -noout -text shows what is wrong)",
            ));
            continue;
        };
        validity(cert, parsed, policy, &mut report);
    }
    for cert in certs.iter().filter(|c| c.index == 0) {
        let Some(parsed) = &cert.parsed else {
            continue;
        };
        if let Some(found) = key_mismatch(cert, parsed, &keys) {
            report.diagnostics.push(found);
        }
    }
    let anchors: Vec<&X509Certificate<'_>> = certs
        .iter()
        .filter(|c| c.file.role == Role::Trust)
        .filter_map(|c| c.parsed.as_ref())
        .filter(|c| c.is_ca())
        .collect();
    if !anchors.is_empty() {
        for cert in certs
            .iter()
            .filter(|c| c.index == 0 && c.file.role != Role::Trust)
        {
            let Some(parsed) = cert.parsed.as_ref().filter(|c| !c.is_ca()) else {
                continue;
            };
            let intermediates: Vec<&X509Certificate<'_>> = certs
                .iter()
                .filter(|c| std::ptr::eq(c.file, cert.file) && c.index > 0)
                .filter_map(|c| c.parsed.as_ref())
                .collect();
            if !chains(parsed, &intermediates, &anchors) {
                let names: Vec<String> = anchors.iter().map(|a| a.subject().to_string()).collect();
                report.diagnostics.push(finding(
                    Diagnostic::warning(Code::FleetCertUntrusted, format!(
                        "certificate {} ({}) does not chain to the trust anchors the host gets ({})",
                        cert.file.path,
                        parsed.subject(),
                        names.join("; ")
                    )),
                    cert.file,
                    "issue it from one of those CAs, add its issuing CA under `trust:`, or append the intermediate certificates to the file",
                ));
            }
        }
    }
    report
}

fn finding(diagnostic: Diagnostic, file: &Placed, help: &str) -> Diagnostic {
    diagnostic
        .in_file(file.file.clone())
        .at_position(file.position)
        .with_help(help)
}

/// `2027-01-31T12:00:00Z`.
pub fn rfc3339(timestamp: i64) -> String {
    rfc3339_utc(timestamp).unwrap_or_else(|| format!("{timestamp} seconds after 1970"))
}

/// Seconds since the epoch as RFC 3339 UTC; `None` past what it can name
/// (year 9999).
pub fn rfc3339_utc(timestamp: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(timestamp)
        .ok()?
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

fn validity(cert: &Cert<'_>, parsed: &X509Certificate<'_>, policy: &Policy, report: &mut Report) {
    let validity = parsed.validity();
    let not_before = validity.not_before.timestamp();
    let not_after = validity.not_after.timestamp();
    // Names and dates are written only when they are used: most
    // certificates get no finding.
    let subject = || parsed.subject().to_string();
    let path = &cert.file.path;
    let which = || {
        if cert.index == 0 {
            format!("certificate {path} ({})", subject())
        } else {
            format!("certificate {} of {path} ({})", cert.index + 1, subject())
        }
    };
    if report
        .earliest
        .as_ref()
        .is_none_or(|e| not_after < e.timestamp)
    {
        report.earliest = Some(Expiry {
            not_after: rfc3339(not_after),
            path: path.clone(),
            subject: subject(),
            timestamp: not_after,
        });
    }
    let now = || rfc3339(policy.now);
    if not_after < policy.now {
        report.diagnostics.push(finding(
            Diagnostic::error(
                Code::FleetCertExpired,
                format!(
                    "{} expired on {}; the build time is {}",
                    which(),
                    rfc3339(not_after),
                    now()
                ),
            ),
            cert.file,
            "issue a new certificate (and key) and place that one",
        ));
    } else if not_before > policy.now {
        report.diagnostics.push(finding(
            Diagnostic::error(Code::FleetCertNotYetValid, format!(
                "{} is not valid before {}; the build time is {}",
                which(),
                rfc3339(not_before),
                now()
            )),
            cert.file,
            "issue it with a notBefore in the past (check the issuing machine's clock), or build with --now at or after that time",
        ));
    } else if not_after - policy.now < i64::from(policy.warning_days) * 86_400 {
        let days = (not_after - policy.now) / 86_400;
        report.diagnostics.push(finding(
            Diagnostic::warning(Code::FleetCertExpiresSoon, format!(
                "{} expires on {} ({days} days after the build time {})",
                which(),
                rfc3339(not_after),
                now()
            )),
            cert.file,
            format!(
                "renew it before it expires; the window is `cert_expiry_warning_days: {}` in fleet.yaml",
                policy.warning_days
            )
            .as_str(),
        ));
    }
}

fn directory(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// A leaf certificate placed beside private keys none of which it belongs
/// to.
fn key_mismatch(
    cert: &Cert<'_>,
    parsed: &X509Certificate<'_>,
    keys: &BTreeMap<&str, Vec<(Vec<u8>, &str)>>,
) -> Option<Diagnostic> {
    let beside = keys.get(directory(&cert.file.path))?;
    if parsed.is_ca() {
        return None;
    }
    let public = parsed.public_key().subject_public_key.data.as_ref();
    if beside.iter().any(|(key, _)| key.as_slice() == public) {
        return None;
    }
    let names: Vec<&str> = beside.iter().map(|(_, path)| *path).collect();
    Some(finding(
        Diagnostic::error(
            Code::FleetCertKeyMismatch,
            format!(
                "certificate {} ({}) does not belong to the private key beside it ({})",
                cert.file.path,
                parsed.subject(),
                names.join(", ")
            ),
        ),
        cert.file,
        "place the key the certificate was issued for, or the certificate issued for this key (compare `openssl x509 -noout -pubkey` with `openssl pkey -pubout`)",
    ))
}

/// The public key of a PEM private key, in the form a certificate's
/// SubjectPublicKeyInfo holds it; `None` for keys that cannot be read.
fn public_key_of(label: &str, der: &[u8]) -> Option<Vec<u8>> {
    match label {
        "PRIVATE KEY" => pkcs8_public_key(der),
        "RSA PRIVATE KEY" => RsaKeyPair::from_der(der)
            .ok()
            .map(|key| key.public().as_ref().to_vec()),
        "EC PRIVATE KEY" => sec1_public_key(der),
        _ => None,
    }
}

fn pkcs8_public_key(der: &[u8]) -> Option<Vec<u8>> {
    if let Ok(key) = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der) {
        return Some(key.public_key().as_ref().to_vec());
    }
    let rng = SystemRandom::new();
    for algorithm in [
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        &ECDSA_P384_SHA384_ASN1_SIGNING,
    ] {
        if let Ok(key) = EcdsaKeyPair::from_pkcs8(algorithm, der, &rng) {
            return Some(key.public_key().as_ref().to_vec());
        }
    }
    RsaKeyPair::from_pkcs8(der)
        .ok()
        .map(|key| key.public().as_ref().to_vec())
}

/// A DER element: tag, length, contents.
fn der_element(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// A SEC1 `EC PRIVATE KEY`, wrapped as the PKCS#8 document ring reads, for
/// each curve ring knows (ring checks the curve named inside).
fn sec1_public_key(der: &[u8]) -> Option<Vec<u8>> {
    // id-ecPublicKey, then the named curve: P-256, P-384.
    const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
    [P256, P384].into_iter().find_map(|curve| {
        let mut algorithm = EC_PUBLIC_KEY.to_vec();
        algorithm.extend_from_slice(curve);
        let mut body = vec![0x02, 0x01, 0x00];
        body.extend(der_element(0x30, &algorithm));
        body.extend(der_element(0x04, der));
        pkcs8_public_key(&der_element(0x30, &body))
    })
}

/// Whether `cert` is signed by `issuer` (by name when the algorithm is one
/// ring cannot verify).
fn signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    if cert.issuer() != issuer.subject() {
        return false;
    }
    match cert.verify_signature(Some(issuer.public_key())) {
        Ok(()) => true,
        Err(X509Error::SignatureUnsupportedAlgorithm) => true,
        Err(_) => false,
    }
}

/// Whether `leaf` chains to one of `anchors`, through `intermediates`.
fn chains(
    leaf: &X509Certificate<'_>,
    intermediates: &[&X509Certificate<'_>],
    anchors: &[&X509Certificate<'_>],
) -> bool {
    let mut current = leaf;
    // Each step uses up one intermediate, so a loop of them ends.
    for _ in 0..=intermediates.len() {
        if anchors.iter().any(|anchor| signed_by(current, anchor)) {
            return true;
        }
        match intermediates.iter().find(|i| signed_by(current, i)) {
            Some(next) => current = next,
            None => return false,
        }
    }
    false
}

/// The certificates the tests make, shared with the integration tests.
#[cfg(test)]
#[path = "../../tests/it/support/certs.rs"]
mod made;

#[cfg(test)]
mod tests {
    use rcgen::{BasicConstraints, IsCa, Issuer, KeyPair};
    use time::OffsetDateTime;
    use time::macros::datetime;

    use super::made::{Ca, ca, leaf, params};
    use super::*;

    /// 2027-01-01T00:00:00Z.
    const NOW: i64 = 1_798_761_600;

    fn policy() -> Policy {
        Policy {
            now: NOW,
            warning_days: DEFAULT_WARNING_DAYS,
        }
    }

    fn placed(path: &str, contents: &str, role: Role, line: usize) -> Placed {
        Placed {
            path: path.to_owned(),
            contents: contents.as_bytes().to_vec(),
            role,
            file: "containers/svc.yaml".to_owned(),
            position: Position::new(line, 5),
        }
    }

    fn config_with(files: &[(&str, String)]) -> crate::ignition::model::Config {
        let mut config = crate::ignition::model::Config::default();
        for (path, source) in files {
            let mut file = crate::ignition::model::File {
                path: (*path).to_owned(),
                ..Default::default()
            };
            file.contents.source = Some(source.clone());
            config.storage.files.push(file);
        }
        config
    }

    fn base64_url(text: &str) -> String {
        use base64::Engine as _;
        format!(
            "data:;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(text)
        )
    }

    #[test]
    fn only_urls_that_can_spell_begin_are_decoded() {
        assert!(cannot_spell_pem("data:,%5BUnit%5D%0ADescription=x"));
        assert!(!cannot_spell_pem("data:,-----BEGIN%20CERTIFICATE-----"));
        // Every letter of BEGIN may be escaped.
        for escaped in [
            "%42EGIN", "B%45GIN", "BE%47IN", "BEG%49N", "BEGI%4E", "BEGI%4e",
        ] {
            assert!(
                !cannot_spell_pem(&format!("data:,-----{escaped}%20X")),
                "{escaped}"
            );
        }
        assert!(!cannot_spell_pem("data:;base64,LS0tLS1CRUdJTiBY"));
        assert!(!cannot_spell_pem("data:text/plain;BASE64,AAAA"));
        assert!(!cannot_spell_pem("https://example.com/ca.pem"));
    }

    #[test]
    fn files_without_pem_are_decoded_once_per_worker() {
        let ca = ca("memo-root");
        let unit = base64_url("[Unit]\nDescription=same on every host\n");
        let plain = crate::dataurl::percent_url(b"HOSTNAME=a\n");
        let mut memo = DecodedUrlMemo::default();
        for host in ["a", "b"] {
            let config = config_with(&[
                ("/etc/unit", unit.clone()),
                ("/etc/env", plain.clone()),
                ("/etc/ca.crt", base64_url(&ca.pem)),
                (
                    "/etc/ca-plain.crt",
                    crate::dataurl::percent_url(ca.pem.as_bytes()),
                ),
            ]);
            let found = placed_files(&config, &mut memo, |_| {
                (
                    Role::Trust,
                    format!("hosts/{host}.yaml"),
                    Position::new(1, 1),
                )
            });
            let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
            assert_eq!(paths, ["/etc/ca.crt", "/etc/ca-plain.crt"], "host {host}");
        }
        assert!(memo.holds_no_pem(&unit, None));
        assert!(!memo.holds_no_pem(&unit, Some("gzip")));
        // Plain URLs are settled by scanning them, not kept.
        assert!(!memo.holds_no_pem(&plain, None));
    }

    /// Every way of writing PEM in a percent URL, escaping any of its
    /// characters in either case, is decoded; and no URL the scan settles
    /// decodes to a PEM marker (random URLs over the characters that
    /// matter).
    #[test]
    fn the_scan_settles_no_url_that_can_decode_to_pem() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAAA\n";
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..2_000 {
            let mut data = String::new();
            for byte in pem.bytes() {
                match random() % 3 {
                    // Spaces and newlines are always escaped.
                    0 if byte.is_ascii_graphic() => data.push(char::from(byte)),
                    2 => data.push_str(&format!("%{byte:02x}")),
                    _ => data.push_str(&format!("%{byte:02X}")),
                }
            }
            for prefix in ["data:,", "data:text/plain,", "data:;charset=utf-8,"] {
                let url = format!("{prefix}{data}");
                let decoded = crate::dataurl::decode_data_url(&url).expect("a valid URL");
                assert_eq!(decoded, pem.as_bytes(), "round {round}: {url}");
                assert!(!cannot_spell_pem(&url), "round {round}: {url}");
            }
        }
        let alphabet: Vec<&str> = vec![
            "-", "-", "-", "%2D", "%2d", "%2", "%", "2", "D", "d", "BEGIN", "B", "%42", " ", "%20",
            "x",
        ];
        for round in 0..20_000 {
            let len = usize::try_from(random() % 24).expect("small");
            let data: String = (0..len)
                .map(|_| alphabet[usize::try_from(random()).expect("64-bit") % alphabet.len()])
                .collect();
            let url = format!("data:,{data}");
            if cannot_spell_pem(&url)
                && let Ok(decoded) = crate::dataurl::decode_data_url(&url)
            {
                assert!(!may_hold_pem(&decoded), "round {round}: {url}");
                assert!(
                    !decoded.windows(5).any(|w| w == b"-----"),
                    "round {round}: {url}"
                );
            }
        }
    }

    fn gzip_url(text: &str) -> String {
        use std::io::Write as _;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(text.as_bytes()).expect("gzip");
        let gzipped = encoder.finish().expect("gzip");
        crate::dataurl::base64_url(&gzipped)
    }

    /// A kept URL with PEM gives back its own contents, and only under the
    /// compression it was decoded with: the same URL read without gunzip
    /// holds no PEM.
    #[test]
    fn contents_with_pem_are_kept_per_url_and_compression() {
        let realm = ca("realm root");
        let other = ca("other root");
        let realm_url = gzip_url(&realm.pem);
        let other_url = gzip_url(&other.pem);
        let files = |compression: Option<&str>| {
            let mut config = config_with(&[
                ("/etc/a/ca.crt", realm_url.clone()),
                ("/etc/b/ca.crt", other_url.clone()),
            ]);
            for file in &mut config.storage.files {
                file.contents.compression = compression.map(str::to_owned);
            }
            config
        };
        let place = |_: &str| (Role::Trust, "hosts/h.yaml".to_owned(), Position::new(1, 1));
        for first in [Some("gzip"), None] {
            let mut memo = DecodedUrlMemo::default();
            for compression in [first, first.xor(Some("gzip")), first] {
                let found = placed_files(&files(compression), &mut memo, place);
                let fresh =
                    placed_files(&files(compression), &mut DecodedUrlMemo::default(), place);
                let contents: Vec<&[u8]> = found.iter().map(|p| p.contents.as_slice()).collect();
                let expected: Vec<&[u8]> = fresh.iter().map(|p| p.contents.as_slice()).collect();
                assert_eq!(contents, expected, "{compression:?} after {first:?}");
                if compression.is_some() {
                    assert_eq!(contents, [realm.pem.as_bytes(), other.pem.as_bytes()]);
                } else {
                    assert!(contents.is_empty(), "gzip bytes hold no PEM");
                }
            }
            assert!(memo.pem(&realm_url, Some("gzip")).is_some());
            assert!(memo.pem(&realm_url, None).is_none());
            assert!(memo.holds_no_pem(&realm_url, None));
            assert!(!memo.holds_no_pem(&realm_url, Some("gzip")));
        }
    }

    fn findings(files: &[Placed]) -> Vec<Diagnostic> {
        check(files, &policy()).diagnostics
    }

    fn good_service(ca: &Ca) -> Vec<Placed> {
        let (cert, key) = leaf(
            ca,
            "svc",
            datetime!(2026-06-01 0:00 UTC),
            datetime!(2027-06-01 0:00 UTC),
        );
        vec![
            placed("/etc/o/secrets/svc/cert.pem", &cert, Role::Secret, 10),
            placed("/etc/o/secrets/svc/key.pem", &key, Role::Secret, 12),
            placed("/etc/o/trust/ca.pem", &ca.pem, Role::Trust, 15),
        ]
    }

    /// svc's certificate alone, valid `from` to `to`.
    fn lone_certificate(from: OffsetDateTime, to: OffsetDateTime) -> [Placed; 1] {
        let (cert, _) = leaf(&ca("realm root"), "svc", from, to);
        [placed(
            "/etc/o/secrets/svc/cert.pem",
            &cert,
            Role::Secret,
            10,
        )]
    }

    #[test]
    fn a_valid_certificate_with_its_key_and_anchor_passes() {
        let ca = ca("realm root");
        let files = good_service(&ca);
        let report = check(&files, &policy());
        assert_eq!(report.diagnostics, Vec::new());
        let earliest = report.earliest.expect("an expiry");
        assert_eq!(earliest.not_after, "2027-06-01T00:00:00Z");
        assert_eq!(earliest.path, "/etc/o/secrets/svc/cert.pem");
    }

    #[test]
    fn an_expired_certificate_is_an_error() {
        let files = lone_certificate(
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2026-12-31 0:00 UTC),
        );
        insta::assert_yaml_snapshot!(findings(&files));
    }

    #[test]
    fn a_certificate_not_yet_valid_is_an_error() {
        let files = lone_certificate(
            datetime!(2027-02-01 0:00 UTC),
            datetime!(2028-02-01 0:00 UTC),
        );
        insta::assert_yaml_snapshot!(findings(&files));
    }

    #[test]
    fn a_certificate_expiring_within_the_window_warns_with_its_date() {
        let files = lone_certificate(
            datetime!(2026-01-01 0:00 UTC),
            datetime!(2027-01-21 6:30 UTC),
        );
        insta::assert_yaml_snapshot!(findings(&files));
        let narrow = Policy {
            now: NOW,
            warning_days: 7,
        };
        assert_eq!(check(&files, &narrow).diagnostics, Vec::new());
    }

    #[test]
    fn a_certificate_beside_a_key_it_does_not_belong_to_is_an_error() {
        let ca = ca("realm root");
        let mut files = good_service(&ca);
        let other = KeyPair::generate().expect("key").serialize_pem();
        files[1] = placed("/etc/o/secrets/svc/key.pem", &other, Role::Secret, 12);
        insta::assert_yaml_snapshot!(findings(&files));
    }

    #[test]
    fn keys_of_every_kind_ring_loads_are_compared() {
        let ca = ca("realm root");
        for algorithm in [
            &rcgen::PKCS_ED25519,
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
        ] {
            let key = KeyPair::generate_for(algorithm).expect("key");
            let issuer = Issuer::from_params(&ca.params, &ca.key);
            let cert = params(
                "svc",
                datetime!(2026-06-01 0:00 UTC),
                datetime!(2027-06-01 0:00 UTC),
            )
            .signed_by(&key, &issuer)
            .expect("sign");
            let files = [
                placed("/s/cert.pem", &cert.pem(), Role::Secret, 1),
                placed("/s/key.pem", &key.serialize_pem(), Role::Secret, 2),
                placed("/t/ca.pem", &ca.pem, Role::Trust, 3),
            ];
            assert_eq!(findings(&files), Vec::new(), "{algorithm:?}");
        }
    }

    /// The (tag, contents) elements of a DER sequence of short elements.
    fn der_children(mut der: &[u8]) -> Vec<(u8, &[u8])> {
        let mut out = Vec::new();
        while der.len() >= 2 {
            let (len, header) = match der[1] {
                n if n < 0x80 => (usize::from(n), 2),
                0x81 => (usize::from(der[2]), 3),
                _ => (usize::from(der[2]) << 8 | usize::from(der[3]), 4),
            };
            out.push((der[0], &der[header..header + len]));
            der = &der[header + len..];
        }
        out
    }

    #[test]
    fn a_sec1_key_is_compared() {
        let ca = ca("realm root");
        let (cert, key) = leaf(
            &ca,
            "svc",
            datetime!(2026-06-01 0:00 UTC),
            datetime!(2027-06-01 0:00 UTC),
        );
        // rcgen writes PKCS#8; its inner ECPrivateKey (the OCTET STRING
        // after the version and algorithm) is the SEC1 document.
        let pkcs8 = Pem::iter_from_buffer(key.as_bytes())
            .next()
            .expect("a block")
            .expect("pem")
            .contents;
        let body = der_children(&pkcs8).pop().expect("one sequence").1;
        let sec1 = der_children(body)[2].1;
        assert_eq!(sec1[0], 0x30, "SEC1 is a sequence");
        let public = sec1_public_key(sec1).expect("SEC1 loads");
        let cert_der = Pem::iter_from_buffer(cert.as_bytes())
            .next()
            .expect("a block")
            .expect("pem")
            .contents;
        let (_, parsed) = X509Certificate::from_der(&cert_der).expect("cert");
        assert_eq!(public, parsed.public_key().subject_public_key.data.as_ref());
    }

    #[test]
    fn a_certificate_not_chaining_to_the_anchors_warns() {
        let realm = ca("realm root");
        let other = ca("someone else");
        let mut files = good_service(&other);
        files[2] = placed("/etc/o/trust/ca.pem", &realm.pem, Role::Trust, 15);
        insta::assert_yaml_snapshot!(findings(&files));
    }

    #[test]
    fn an_intermediate_in_the_file_completes_the_chain() {
        let root = ca("realm root");
        let middle_key = KeyPair::generate().expect("key");
        let mut middle_params = params(
            "realm issuing",
            datetime!(2026-01-01 0:00 UTC),
            datetime!(2030-01-01 0:00 UTC),
        );
        middle_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let middle = middle_params
            .signed_by(&middle_key, &Issuer::from_params(&root.params, &root.key))
            .expect("sign");
        let middle_ca = Ca {
            params: middle_params,
            key: middle_key,
            pem: middle.pem(),
        };
        let (cert, key) = leaf(
            &middle_ca,
            "svc",
            datetime!(2026-06-01 0:00 UTC),
            datetime!(2027-06-01 0:00 UTC),
        );
        let anchors = [placed("/t/ca.pem", &root.pem, Role::Trust, 3)];
        let alone = [
            placed("/s/cert.pem", &cert, Role::Secret, 1),
            placed("/s/key.pem", &key, Role::Secret, 2),
        ];
        let with_chain = [
            placed(
                "/s/cert.pem",
                &format!("{cert}{}", middle_ca.pem),
                Role::Secret,
                1,
            ),
            placed("/s/key.pem", &key, Role::Secret, 2),
        ];
        let all = |files: &[Placed]| {
            let mut all = files.to_vec();
            all.extend(anchors.iter().cloned());
            findings(&all).len()
        };
        assert_eq!(all(&alone), 1);
        assert_eq!(all(&with_chain), 0);
    }

    #[test]
    fn anchors_that_are_no_certificates_disable_the_chain_check() {
        let ca = ca("realm root");
        let mut files = good_service(&ca);
        files[2] = placed(
            "/etc/o/trust/realm.pub",
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n",
            Role::Trust,
            15,
        );
        let other = ca_pem_only("someone else");
        files[0] = placed("/etc/o/secrets/svc/cert.pem", &other.0, Role::Secret, 10);
        files[1] = placed("/etc/o/secrets/svc/key.pem", &other.1, Role::Secret, 12);
        assert_eq!(findings(&files), Vec::new());
    }

    /// A leaf of a CA that is not placed anywhere, with its key.
    fn ca_pem_only(cn: &str) -> (String, String) {
        leaf(
            &ca(cn),
            "svc",
            datetime!(2026-06-01 0:00 UTC),
            datetime!(2027-06-01 0:00 UTC),
        )
    }

    #[test]
    fn garbage_between_pem_markers_is_an_error_not_a_panic() {
        let files = [placed(
            "/s/cert.pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            Role::Secret,
            1,
        )];
        insta::assert_yaml_snapshot!(findings(&files));
    }
}
