//! Per-host bearer tokens and the pointer configs that carry them.
//!
//! A token is HMAC-SHA256 of the host's name under the fleet key (a file
//! of at least 32 random bytes, kept with the fleet's other secrets), so
//! the server stores nothing per host and can check any host's token.
//! A pointer config is what an ISO embeds instead of the host's config:
//! Ignition's `config.replace` with this server's URL, the config's
//! sha512 as `verification.hash` and the token in `httpHeaders`
//! (Ignition 3.1 and later), so the medium holds no secret of the host
//! and the server can tell the machine from anyone who knows its MAC.

use std::fs;
use std::io;
use std::path::Path;

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use crate::digest::hex;

/// What a fleet key must at least hold.
pub const MIN_KEY_BYTES: usize = 32;

/// The fleet key tokens are derived from.
pub struct FleetKey(Vec<u8>);

impl std::fmt::Debug for FleetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FleetKey(..)")
    }
}

/// Domain separation: these MACs are tokens for this purpose only.
const CONTEXT: &[u8] = b"kindling serve token v1\n";

impl FleetKey {
    pub fn read(path: &Path) -> io::Result<FleetKey> {
        let bytes = fs::read(path)?;
        FleetKey::new(bytes).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a fleet key holds at least {MIN_KEY_BYTES} bytes (make one with `head -c 32 /dev/urandom > FILE`)"
                ),
            )
        })
    }

    pub fn new(bytes: Vec<u8>) -> Option<FleetKey> {
        (bytes.len() >= MIN_KEY_BYTES).then_some(FleetKey(bytes))
    }

    fn mac(&self, host: &str) -> Hmac<Sha256> {
        // HMAC takes keys of any length: this cannot fail.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(CONTEXT);
        mac.update(host.as_bytes());
        mac
    }

    /// `host`'s token, as hex.
    pub fn token(&self, host: &str) -> String {
        hex(&self.mac(host).finalize().into_bytes())
    }

    /// Whether `token` is `host`'s (compared in constant time).
    pub fn verify(&self, host: &str, token: &str) -> bool {
        let Some(bytes) = unhex(token) else {
            return false;
        };
        self.mac(host).verify_slice(&bytes).is_ok()
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// The pointer config for `host`, served by `kindling serve` at `base`
/// (`https://pxe.lan:8443`): replace this config with the one at
/// `base/ignition?host=<host>`, checked against `sha512` (`sha512-<hex>`
/// of the config the server serves), fetched with the host's token under
/// `key`. Spec 3.1.0, the first with `httpHeaders`.
pub fn pointer_config(base: &str, host: &str, sha512: &str, key: &FleetKey) -> String {
    let url = format!("{}/ignition?host={host}", base.trim_end_matches('/'));
    let token = key.token(host);
    let config = serde_json::json!({
        "ignition": {
            "version": "3.1.0",
            "config": {
                "replace": {
                    "source": url,
                    "verification": { "hash": sha512 },
                    "httpHeaders": [
                        { "name": "Authorization", "value": format!("Bearer {token}") }
                    ]
                }
            }
        }
    });
    let mut text = serde_json::to_string_pretty(&config).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_per_host_and_checked() {
        let key = FleetKey::new(vec![7; 32]).expect("key");
        let token = key.token("beam00");
        assert_eq!(token.len(), 64);
        assert!(key.verify("beam00", &token));
        assert!(!key.verify("relay01", &token));
        assert!(!key.verify("beam00", &token[..62]));
        assert!(!key.verify("beam00", "zz"));
        let other = FleetKey::new(vec![8; 32]).expect("key");
        assert!(!other.verify("beam00", &token));
        assert!(FleetKey::new(vec![1; 31]).is_none());
    }
}
