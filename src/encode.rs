//! The "encode" stage: turning file contents into Ignition `data:` URLs, the
//! way Butane's `MakeDataURL` does (see `butane.md` §4). The URL forms
//! themselves (and decoding) belong to [`crate::dataurl`]; here:
//!
//! * `form`: which form wins (percent, base64 or gzip+base64) and what
//!   `compression` says;
//! * [`gzip`]: deterministic gzip, large inputs compressed on every core
//!   and delivered in order;
//! * `memo`: the per-thread memo of small inputs' encodings.

mod form;
pub mod gzip;
mod memo;

#[cfg(test)]
mod tests;

pub use memo::memoize_on_this_thread;

/// Result of [`encode_data_url`]: the resource's `source` and `compression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedResource {
    /// The complete `data:` URL.
    pub source: String,
    /// The `compression` value to emit.
    pub compression: Option<String>,
}

/// Butane fcos >= 1.1.0 rules: pick the shortest of percent-encoded `data:,`
/// and `data:;base64,`; if the user gave no compression and `allow_gzip`, also
/// try gzip+base64 and take it only if len(Z)+4 < len(W). compression output:
/// Some("gzip") if gzip won, Some("") if the user gave none and gzip lost,
/// else the user's own value unchanged.
pub fn encode_data_url(
    contents: &[u8],
    user_compression: Option<&str>,
    allow_gzip: bool,
) -> EncodedResource {
    memo::memoized(contents, user_compression, allow_gzip, || {
        form::encode(contents, user_compression, allow_gzip)
    })
}

/// fcos 1.0.0 rule: always `data:,` + percent-encoding, no compression field.
pub fn encode_plain_data_url(contents: &[u8]) -> String {
    crate::dataurl::percent_url(contents)
}
