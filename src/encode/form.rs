//! Which form a file's `data:` URL takes, by Butane's rules (fcos >= 1.1.0):
//!
//! * `P = "data:," + percent(B)`, `Q = "data:;base64," + base64(B)`
//!   ([`crate::dataurl`] writes both).
//! * `W = Q` if `len(Q) < len(P)`, else `P` (a tie keeps `P`).
//! * If the user gave no compression (absent or `""`) and gzip is allowed:
//!   `Z = "data:;base64," + base64(gzip(B))` replaces `W` iff
//!   `len(Z) + 4 < len(W)`.
//! * The `compression` output is `"gzip"` if `Z` won, `""` if the user gave
//!   none, otherwise the user's value unchanged.
//!
//! Only lengths are compared: `len(Q)` is arithmetic, and `len(P)` is
//! counted (one pass over the bytes) only when it can matter: it is at
//! least one character per byte, so a `Z` shorter than that and `Q` wins
//! without it. `Z` is built while it is compressed, before it is known to
//! win; the plain forms only when they win.

use super::EncodedResource;
use super::gzip;
use crate::dataurl::{Base64Url, base64_url, base64_url_len, percent_url, percent_url_len};

/// The URL and `compression` for `contents` by the rules above.
pub(super) fn encode(
    contents: &[u8],
    user_compression: Option<&str>,
    allow_gzip: bool,
) -> EncodedResource {
    let user = user_compression.filter(|c| !c.is_empty());
    let b64_len = base64_url_len(contents.len());

    if user.is_none() && allow_gzip {
        // The gzip form is written as its members come out of the
        // compressor, before it is known to win: for a large input the
        // base64 work then overlaps the compression of later members
        // instead of following all of it, and gzip nearly always wins on
        // anything large enough for that to matter.
        let mut url = Base64Url::with_capacity(0);
        let gz_len = gzip::compress_in_order(contents, &mut |member| url.push(member));
        let z_len = base64_url_len(gz_len);
        // The percent form takes at least a character per byte: when gzip
        // beats that and the base64 form, counting its escapes (a pass
        // over the whole input) cannot change the outcome.
        let percent_floor = "data:,".len().saturating_add(contents.len());
        let plain = if gzip_wins(z_len, percent_floor.min(b64_len)) {
            None
        } else {
            Some(pick_plain(percent_url_len(contents), b64_len))
        };
        return match plain {
            Some(plain) if !gzip_wins(z_len, plain.len()) => plain_resource(contents, plain, ""),
            _ => EncodedResource {
                source: url.finish(),
                compression: Some("gzip".to_owned()),
            },
        };
    }

    let plain = pick_plain(percent_url_len(contents), b64_len);
    plain_resource(contents, plain, user.unwrap_or(""))
}

/// Build the uncompressed winner.
fn plain_resource(contents: &[u8], plain: Plain, compression: &str) -> EncodedResource {
    let source = match plain {
        Plain::Base64(_) => base64_url(contents),
        Plain::Percent(_) => percent_url(contents),
    };
    EncodedResource {
        source,
        compression: Some(compression.to_owned()),
    }
}

/// The better of the two uncompressed forms, with its URL's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plain {
    Percent(usize),
    Base64(usize),
}

impl Plain {
    pub(super) fn len(self) -> usize {
        match self {
            Plain::Percent(n) | Plain::Base64(n) => n,
        }
    }
}

/// Base64 only if strictly shorter (a tie keeps the percent form).
pub(super) fn pick_plain(pct_len: usize, b64_len: usize) -> Plain {
    if b64_len < pct_len {
        Plain::Base64(b64_len)
    } else {
        Plain::Percent(pct_len)
    }
}

/// Gzip only if strictly shorter once the 4 bytes of the word `gzip` in
/// the `compression` field are counted.
pub(super) fn gzip_wins(z_len: usize, plain_len: usize) -> bool {
    z_len.saturating_add("gzip".len()) < plain_len
}
