//! Ports of the pieces of Go's standard library (and coreos/go-semver)
//! whose exact behaviour Ignition's and Butane's messages and rules depend
//! on. They live together so that "what Go does" has one place, and each
//! says which Go function it follows.

pub(crate) mod base64;
pub(crate) mod path;
pub(crate) mod semver;
pub(crate) mod strconv;
pub(crate) mod url;
