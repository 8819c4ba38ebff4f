//! Container image references: how well they are pinned and whether they are
//! fully qualified.
//!
//! **Fully qualified** (the rule Quadlet's generator and `podman auto-update`
//! apply): the reference is an image id (`sha256:<hex>` or 64 hex digits),
//! or it contains a `/` and the part before the first `/` contains a `.` or
//! a `:` or is exactly `localhost` (`quay.io/a/b`, `registry:5000/x`,
//! `localhost/x`). `docker.io/library/nginx` is fully qualified, `nginx` and
//! `library/nginx` are short names that depend on the host's registry
//! search list. A leading `docker://` transport is ignored.

/// How an image reference is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImagePin {
    /// Pinned by content digest (`name@sha256:…`, possibly with a tag too).
    Digest,
    /// An image id (`sha256:…` or 64 hex digits): pinned by content.
    ImageId,
    /// A tag other than `latest` (`name:1.2`).
    Tag,
    /// The explicit `latest` tag.
    Latest,
    /// No tag and no digest: podman pulls `latest`.
    Untagged,
    /// The tag or digest is a `${VAR}` / `%` specifier, decided at runtime.
    Unknown,
}

/// A reference split into its parts (no validation of characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageReference<'a> {
    /// The part before the first `/` when it names a registry.
    pub registry: Option<&'a str>,
    /// Repository path without registry, tag and digest.
    pub repository: &'a str,
    /// The tag, if any.
    pub tag: Option<&'a str>,
    /// The digest (`sha256:…`), if any.
    pub digest: Option<&'a str>,
    /// See the module docs.
    pub fully_qualified: bool,
    /// How it is pinned.
    pub pin: ImagePin,
}

fn is_image_id(s: &str) -> bool {
    let hex = s.strip_prefix("sha256:").unwrap_or(s);
    let is_hex = !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
    is_hex && (s.starts_with("sha256:") || hex.len() == 64)
}

fn registry_of(name: &str) -> Option<&str> {
    let (first, _) = name.split_once('/')?;
    (first.contains('.') || first.contains(':') || first == "localhost").then_some(first)
}

fn dynamic(s: &str) -> bool {
    s.contains('$') || s.contains('%') || s.contains("{{")
}

/// Parse an image reference. Never fails; odd input gives odd parts.
pub fn parse_image_reference(reference: &str) -> ImageReference<'_> {
    let r = reference.trim();
    let r = r.strip_prefix("docker://").unwrap_or(r);
    if is_image_id(r) {
        return ImageReference {
            registry: None,
            repository: r,
            tag: None,
            digest: None,
            fully_qualified: true,
            pin: ImagePin::ImageId,
        };
    }
    let (name, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    let registry = registry_of(name);
    let rest = match registry {
        Some(reg) => &name[reg.len() + 1..],
        None => name,
    };
    // A tag is a `:` in the last path component.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    let pin = match (digest, tag) {
        (Some(d), _) if dynamic(d) => ImagePin::Unknown,
        (Some(_), _) => ImagePin::Digest,
        (None, Some(t)) if dynamic(t) => ImagePin::Unknown,
        (None, Some("latest")) => ImagePin::Latest,
        (None, Some(_)) => ImagePin::Tag,
        (None, None) if dynamic(repository) && repository.ends_with('}') => ImagePin::Unknown,
        (None, None) => ImagePin::Untagged,
    };
    ImageReference {
        registry,
        repository,
        tag,
        digest,
        fully_qualified: registry.is_some(),
        pin,
    }
}

/// How `reference` is pinned (see [`ImagePin`]).
pub fn classify_image(reference: &str) -> ImagePin {
    parse_image_reference(reference).pin
}

/// Whether `reference` is fully qualified (see the module docs).
pub fn is_fully_qualified(reference: &str) -> bool {
    parse_image_reference(reference).fully_qualified
}

/// True when the registry part cannot be known before runtime (it contains
/// a `${VAR}`, `%` specifier or template placeholder).
pub fn registry_is_dynamic(reference: &str) -> bool {
    let r = reference.trim();
    let r = r.strip_prefix("docker://").unwrap_or(r);
    let first = r.split('/').next().unwrap_or(r);
    dynamic(first)
}

/// True for `NAME.image` / `NAME.build` references to other Quadlet units.
pub fn is_quadlet_image_ref(reference: &str) -> bool {
    reference.ends_with(".image") || reference.ends_with(".build")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fully_qualified_rule() {
        for fq in [
            "quay.io/podman/hello",
            "docker.io/library/nginx:1.27",
            "localhost/acme:latest",
            "registry:5000/team/app",
            "[::1]:5000/app",
            "sha256:0123456789abcdef",
            &"a".repeat(64),
            "docker://quay.io/x/y:1",
        ] {
            assert!(is_fully_qualified(fq), "{fq}");
        }
        for short in [
            "nginx",
            "nginx:1.27",
            "library/nginx",
            "localhostx/app",
            "",
            "abc123",
        ] {
            assert!(!is_fully_qualified(short), "{short}");
        }
    }

    #[test]
    fn pin_classes() {
        assert_eq!(classify_image("quay.io/a/b@sha256:abcd"), ImagePin::Digest);
        assert_eq!(
            classify_image("quay.io/a/b:1.0@sha256:abcd"),
            ImagePin::Digest
        );
        assert_eq!(classify_image("quay.io/a/b:1.0"), ImagePin::Tag);
        assert_eq!(classify_image("registry:5000/a/b:2"), ImagePin::Tag);
        assert_eq!(classify_image("registry:5000/a/b"), ImagePin::Untagged);
        assert_eq!(
            classify_image("docker.io/library/caddy:latest"),
            ImagePin::Latest
        );
        assert_eq!(classify_image("nginx"), ImagePin::Untagged);
        assert_eq!(classify_image("sha256:0123"), ImagePin::ImageId);
        assert_eq!(classify_image("ghcr.io/x/y:${VERSION}"), ImagePin::Unknown);
        assert_eq!(
            classify_image("docker.io/x:${MAJOR}-alpine"),
            ImagePin::Unknown
        );
        assert_eq!(classify_image("localhost/%N:latest"), ImagePin::Latest);
    }

    #[test]
    fn parts() {
        let r = parse_image_reference("quay.io/ns/app:1.2@sha256:ff");
        assert_eq!(r.registry, Some("quay.io"));
        assert_eq!(r.repository, "ns/app");
        assert_eq!(r.tag, Some("1.2"));
        assert_eq!(r.digest, Some("sha256:ff"));
        let r = parse_image_reference("registry:5000/app");
        assert_eq!(r.registry, Some("registry:5000"));
        assert_eq!(r.tag, None);
    }

    #[test]
    fn dynamic_registry_and_quadlet_refs() {
        assert!(registry_is_dynamic("${REGISTRY}/app:1"));
        assert!(!registry_is_dynamic("quay.io/${NS}/app:1"));
        assert!(is_quadlet_image_ref("web.image"));
        assert!(is_quadlet_image_ref("web.build"));
        assert!(!is_quadlet_image_ref("quay.io/web"));
    }

    #[test]
    fn odd_input_does_not_panic() {
        for s in ["@", ":", "/", "//", "a@", "@b", "a/:", "é/ü:ö@ß", "a:b/c"] {
            let _ = parse_image_reference(s);
        }
    }
}
