//! Certificates with fixed dates for the certificate checks' tests: a CA and
//! the leaves it issues, in PEM. One file for both users: the integration
//! tests (as `support::certs`) and the unit tests of `fleet::certs`, which
//! include it with `#[path]` (rcgen is a dev-dependency, so it cannot live
//! in the library proper).

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use time::OffsetDateTime;
use time::macros::datetime;

/// A certificate authority: what it signs with, and its certificate.
pub struct Ca {
    pub params: CertificateParams,
    pub key: KeyPair,
    pub pem: String,
}

/// A certificate for `cn` (and the name `cn.example`) valid `from`..`to`.
pub fn params(cn: &str, from: OffsetDateTime, to: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::new(vec![format!("{cn}.example")]).expect("params");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.not_before = from;
    params.not_after = to;
    params
}

/// A self-signed CA valid 2026-01-01..2036-01-01.
pub fn ca(cn: &str) -> Ca {
    let key = KeyPair::generate().expect("key");
    let mut params = params(
        cn,
        datetime!(2026-01-01 0:00 UTC),
        datetime!(2036-01-01 0:00 UTC),
    );
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let pem = params.self_signed(&key).expect("sign").pem();
    Ca { params, key, pem }
}

/// A certificate for `cn` issued by `ca`, and its key, in PEM.
pub fn leaf(ca: &Ca, cn: &str, from: OffsetDateTime, to: OffsetDateTime) -> (String, String) {
    let key = KeyPair::generate().expect("key");
    let cert = params(cn, from, to)
        .signed_by(&key, &Issuer::from_params(&ca.params, &ca.key))
        .expect("sign");
    (cert.pem(), key.serialize_pem())
}
