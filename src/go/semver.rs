//! coreos/go-semver's version parsing, which Ignition (`ignition.version`)
//! and Butane (`version:`) use: `X.Y.Z[-pre][+meta]` with numbers read by
//! Go's `strconv.ParseInt`, so `03.4.0` is version 3.4.0.
//!
//! This grammar is for the versions Ignition and Butane read, where
//! kindling must accept exactly what they accept. Versions that are
//! kindling's own (the fleet's `podman_version`, the Podman releases Quadlet
//! keys appear in) use the `semver` crate: they are compared and ordered,
//! and no Go tool reads them.

use super::strconv::parse_int;

/// A version as coreos/go-semver parses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Version {
    pub major: i64,
    pub minor: i64,
    pub patch: i64,
    pub pre_release: String,
    pub metadata: String,
}

/// go-semver's `String()`: the form Butane looks its translators up by.
impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre_release.is_empty() {
            write!(f, "-{}", self.pre_release)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn valid_identifier(id: &str) -> bool {
    id.is_empty()
        || id.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// coreos/go-semver `NewVersion`: `X.Y.Z[-pre][+meta]`, numbers parsed with
/// `strconv.ParseInt` (so `+3` and `03` are accepted).
pub(crate) fn parse(text: &str) -> Option<Version> {
    let (rest, metadata) = text.split_once('+').unwrap_or((text, ""));
    let (rest, pre_release) = rest.split_once('-').unwrap_or((rest, ""));
    let parts: Vec<&str> = rest.splitn(3, '.').collect();
    let [major, minor, patch] = parts.as_slice() else {
        return None;
    };
    if !valid_identifier(pre_release) || !valid_identifier(metadata) {
        return None;
    }
    Some(Version {
        major: parse_int(major)?,
        minor: parse_int(minor)?,
        patch: parse_int(patch)?,
        pre_release: pre_release.to_owned(),
        metadata: metadata.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go_semver() {
        let v = parse("3.7.0-experimental").expect("parses");
        assert_eq!((v.major, v.minor, v.patch), (3, 7, 0));
        assert_eq!(v.pre_release, "experimental");
        assert_eq!(parse("03.04.0").map(|v| v.minor), Some(4));
        // The `+` starts build metadata before any number is read.
        assert!(parse("+3.4.0").is_none());
        assert!(parse("3.4").is_none());
        assert!(parse("3.4.x").is_none());
        assert!(parse("3.4.0-").is_some());
        assert!(parse("3.4.0-a..b").is_none());
        assert!(parse("99999999999999999999.0.0").is_none());
    }

    #[test]
    fn prints_like_go_semver() {
        for (text, printed) in [
            ("1.5.0", "1.5.0"),
            ("01.05.0", "1.5.0"),
            ("1.5.00", "1.5.0"),
            ("1.7.0-experimental", "1.7.0-experimental"),
            ("1.5.0+build.1", "1.5.0+build.1"),
        ] {
            assert_eq!(
                parse(text).map(|v| v.to_string()).as_deref(),
                Some(printed),
                "{text}"
            );
        }
    }
}
