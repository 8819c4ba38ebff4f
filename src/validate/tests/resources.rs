//! Resources: compression, hashes, URLs, data URLs, headers, proxies,
//! required sources.

use serde_json::{Value, json};

use super::{run, run36, strings};
use crate::ignition::spec::Spec;

const SHA512: &str = "sha512-00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
const SHA256: &str = "sha256-0000000000000000000000000000000000000000000000000000000000000000";

fn file_contents(spec: Spec, contents: Value) -> Vec<String> {
    run(
        spec,
        json!({"storage": {"files": [{"path": "/f", "contents": contents}]}}),
    )
}

fn source_error(spec: Spec, source: &str) -> Vec<String> {
    file_contents(spec, json!({"source": source}))
}

fn at_source(message: &str) -> Vec<String> {
    vec![format!(
        "error at $.storage.files.0.contents.source: {message}"
    )]
}

#[test]
fn compression() {
    assert_eq!(
        file_contents(
            Spec::V3_6,
            json!({"compression": "zip", "source": "data:,x"})
        ),
        strings(&["error at $.storage.files.0.contents.compression: invalid compression method"])
    );
    for ok in ["gzip", ""] {
        assert!(
            file_contents(Spec::V3_0, json!({"compression": ok, "source": "data:,x"})).is_empty()
        );
    }
}

#[test]
fn verification() {
    let hash_at = "error at $.storage.files.0.contents.verification.hash";
    assert_eq!(
        file_contents(Spec::V3_6, json!({"verification": {"hash": SHA512}})),
        vec![format!(
            "{hash_at}: source must be specified if verification is specified"
        )]
    );
    let with_hash = |spec, hash: &str| {
        file_contents(
            spec,
            json!({"source": "https://x/y", "verification": {"hash": hash}}),
        )
    };
    assert!(with_hash(Spec::V3_0, SHA512).is_empty());
    assert!(with_hash(Spec::V3_1, SHA256).is_empty());
    // Only the length is checked, not the digits.
    assert!(with_hash(Spec::V3_6, &format!("sha256-{}", "z".repeat(64))).is_empty());
    assert_eq!(
        with_hash(Spec::V3_0, SHA256),
        vec![format!("{hash_at}: unrecognized hash function")]
    );
    assert_eq!(
        with_hash(Spec::V3_6, "md5-00"),
        vec![format!("{hash_at}: unrecognized hash function")]
    );
    assert_eq!(
        with_hash(Spec::V3_6, "sha512"),
        vec![format!("{hash_at}: malformed hash specifier")]
    );
    assert_eq!(
        with_hash(Spec::V3_6, "sha512-abc"),
        vec![format!("{hash_at}: incorrect size for hash sum")]
    );
}

#[test]
fn url_parsing_and_schemes() {
    assert_eq!(
        source_error(Spec::V3_6, "http://a b/"),
        at_source("unable to parse url")
    );
    assert_eq!(
        source_error(Spec::V3_6, "http://h/%zz"),
        at_source("unable to parse url")
    );
    assert_eq!(
        source_error(Spec::V3_6, "ftp://h/x"),
        at_source("invalid url scheme")
    );
    assert_eq!(
        source_error(Spec::V3_6, "/local/file"),
        at_source("invalid url scheme")
    );
    assert_eq!(
        source_error(Spec::V3_1, "gs://b/k"),
        at_source("invalid url scheme")
    );
    assert!(source_error(Spec::V3_2, "gs://b/k").is_empty());
    assert_eq!(
        source_error(Spec::V3_3, "arn:aws:s3:::b/k"),
        at_source("invalid url scheme")
    );
    assert!(source_error(Spec::V3_4, "arn:aws:s3:::b/k").is_empty());
    for ok in [
        "http://h/x",
        "HTTPS://h/x",
        "tftp://h/x",
        "s3://b/k",
        "data:,x",
    ] {
        assert!(source_error(Spec::V3_0, ok).is_empty(), "{ok}");
    }
    // An empty source is "unset".
    assert!(source_error(Spec::V3_6, "").is_empty());
}

#[test]
fn s3_version_ids_and_arns() {
    let bad_version = at_source("invalid S3 object VersionId");
    assert_eq!(source_error(Spec::V3_0, "s3://b/k?versionId="), bad_version);
    assert_eq!(source_error(Spec::V3_6, "s3://b/k?versionId"), bad_version);
    assert!(source_error(Spec::V3_6, "s3://b/k?versionId=1").is_empty());
    assert_eq!(
        source_error(Spec::V3_4, "arn:aws:s3:::b/k?versionId="),
        bad_version
    );
    let bad_arn = at_source("invalid S3 ARN format");
    for arn in [
        "arn:aws:s3:::bucket",
        "arn:aws:iam::123:user/x",
        "arn:aws:s3",
        "arn:aws:s3:us-east-1:123:accesspoint/ap",
    ] {
        assert_eq!(source_error(Spec::V3_6, arn), bad_arn, "{arn}");
    }
    assert!(
        source_error(
            Spec::V3_6,
            "arn:aws:s3:us-east-1:123:accesspoint/ap/object/k"
        )
        .is_empty()
    );
}

#[test]
fn data_urls() {
    for (url, message) in [
        ("data:,a b", "invalid data character"),
        ("data:,a#b", "invalid data character"),
        ("data:;base64,SGk", "illegal base64 data at input byte 0"),
        ("data:,%", "rfc2396: unexpected end of unescape sequence"),
        (
            "data:,%g0",
            "rfc2396: invalid char 0x25 in unescape sequence",
        ),
        ("data:foo/bar,x", "invalid media type"),
        ("data:text", "missing media type slash"),
        ("DATA:,x", "missing data prefix"),
        ("data:,x\ny", "unable to parse url"),
    ] {
        assert_eq!(source_error(Spec::V3_6, url), at_source(message), "{url}");
    }
    for ok in [
        "data:,",
        "data:;base64,SGVsbG8=",
        "data:text/plain;charset=utf-8,%E2%9C%93",
    ] {
        assert!(source_error(Spec::V3_6, ok).is_empty(), "{ok}");
    }
}

/// The validator and the decoder agree: a URL validation accepts decodes,
/// and one the decoder rejects is reported with the decoder's message.
#[test]
fn data_urls_validate_as_they_decode() {
    let mut decoded = 0;
    for url in crate::dataurl::tests::sample_urls(4000, 0x5DEE_CE66_D1CE_4E5B) {
        let findings = source_error(Spec::V3_6, &url);
        match crate::dataurl::decode_data_url(&url) {
            Ok(_) => {
                decoded += 1;
                // Go's URL parser may refuse what the data URL grammar allows
                // (a newline in base64 data); nothing else may fail.
                assert!(
                    findings.is_empty() || findings == at_source("unable to parse url"),
                    "{url:?}: {findings:?}"
                );
            }
            Err(crate::dataurl::DataUrlError::Syntax(error)) => {
                let by_decoder = at_source(&error.message);
                assert!(
                    findings == by_decoder || findings == at_source("unable to parse url"),
                    "{url:?}: {findings:?}, decoder: {}",
                    error.message
                );
            }
            Err(other) => panic!("{url:?}: {other}"),
        }
    }
    assert!(decoded > 400, "only {decoded} URLs decoded");
}

#[test]
fn required_sources() {
    let config = json!({"ignition": {
        "config": {"merge": [{}, {"source": "ftp://x"}]},
        "security": {"tls": {"certificateAuthorities": [{"source": ""}]}}
    }});
    assert_eq!(
        run36(config.clone()),
        strings(&[
            "error at $.ignition.config.merge.0: source is required",
            "error at $.ignition.config.merge.1: invalid url scheme",
            "error at $.ignition.config.merge.1.source: invalid url scheme",
            "error at $.ignition.security.tls.certificateAuthorities.0: source is required",
        ])
    );
    // 3.0.0: merge sources are optional, a CA's source is a plain string.
    assert_eq!(
        run(Spec::V3_0, config),
        strings(&[
            "error at $.ignition.config.merge.1.source: invalid url scheme",
            "error at $.ignition.security.tls.certificateAuthorities.0.source: invalid url scheme",
        ])
    );
}

#[test]
fn http_headers() {
    let with_headers = |source: Option<&str>, headers: Value| {
        let mut contents = json!({"httpHeaders": headers});
        if let (Some(source), Some(object)) = (source, contents.as_object_mut()) {
            object.insert("source".into(), source.into());
        }
        file_contents(Spec::V3_6, contents)
    };
    assert_eq!(
        with_headers(
            Some("https://h/x"),
            json!([{"name": ""}, {"name": "a", "value": ""}, {"name": "b", "value": "v"}])
        ),
        strings(&[
            "error at $.storage.files.0.contents.httpHeaders.0.name: HTTP header name can't be empty",
            "error at $.storage.files.0.contents.httpHeaders.1.value: unable to parse HTTP header",
        ])
    );
    assert_eq!(
        with_headers(None, json!([{"name": "a"}])),
        strings(&["error at $.storage.files.0.contents.httpHeaders: unable to parse url"])
    );
    assert_eq!(
        with_headers(Some("data:,x"), json!([{"name": "a"}])),
        strings(&[
            "error at $.storage.files.0.contents.httpHeaders: cannot use HTTP headers with this source scheme"
        ])
    );
}

#[test]
fn proxies() {
    let found =
        run36(json!({"ignition": {"proxy": {"httpProxy": "ftp://p", "httpsProxy": "http://p"}}}));
    assert_eq!(
        found,
        strings(&[
            "error at $.ignition.proxy.httpProxy: proxies must be http(s)",
            "warning at $.ignition.proxy.httpsProxy: insecure plaintext HTTP proxy specified for HTTPS resources",
        ])
    );
    let found = run36(
        json!({"ignition": {"proxy": {"httpProxy": "http://[::1", "httpsProxy": "https://p"}}}),
    );
    assert_eq!(
        found,
        strings(&["error at $.ignition.proxy.httpProxy: unable to parse url"])
    );
    assert!(run36(json!({"ignition": {"proxy": {"httpProxy": "http://p:3128"}}})).is_empty());
}

#[test]
fn resource_order_within_ignition() {
    let found = run36(json!({"ignition": {"config": {"replace": {
        "compression": "xz", "source": "ftp://x", "verification": {"hash": "x"},
        "httpHeaders": [{"name": ""}]
    }}}}));
    assert_eq!(
        found,
        strings(&[
            "error at $.ignition.config.replace.compression: invalid compression method",
            "error at $.ignition.config.replace.source: invalid url scheme",
            "error at $.ignition.config.replace.httpHeaders: cannot use HTTP headers with this source scheme",
            "error at $.ignition.config.replace.httpHeaders.0.name: HTTP header name can't be empty",
            "error at $.ignition.config.replace.verification.hash: malformed hash specifier",
        ])
    );
}
