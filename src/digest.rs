//! Hex digests of contents: the sha256 that build manifests, listings,
//! diffs and masked secrets show, and the sha512 of Ignition's
//! verification hashes; and the stable small hash fleet defaults start from.

use std::fmt::Write as _;

use sha2::{Digest, Sha256, Sha512};

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// The sha256 of `bytes` in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The sha512 of `bytes` in lower-case hex.
pub fn sha512_hex(bytes: &[u8]) -> String {
    hex(&Sha512::digest(bytes))
}

/// `sha512-<hex>` of `bytes`, the form of Ignition's verification hashes
/// and of coreos-installer's `ignition-hash`.
pub fn sha512_verification(bytes: &[u8]) -> String {
    format!("sha512-{}", sha512_hex(bytes))
}

/// FNV-1a (32 bits) of `text`: not cryptographic, but the same on every
/// build and machine, so defaults derived from it (service ids, port
/// choices) never move.
pub fn fnv1a_32(text: &str) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_known_values() {
        assert_eq!(fnv1a_32(""), 0x811c_9dc5);
        assert_eq!(fnv1a_32("a"), 0xe40c_292c);
        assert_eq!(fnv1a_32("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn known_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(
            sha512_verification(b"abc"),
            "sha512-ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
    }
}
