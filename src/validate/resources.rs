//! Resources and the `ignition` section: `resource.go`, `url.go`,
//! `verification.go`, `headers.go`, `ignition.go`, `tls.go`, `proxy.go`
//! (and 3.0.0's `ConfigReference`/`CaReference`/`FileContents`).

use super::rules::{Report, RuleError};
use crate::dataurl::DataUrl;
use crate::diag::DocPath;
use crate::go;
use crate::go::url::GoUrl;
use crate::ignition::model::{Ignition, Proxy, Resource, Verification};
use crate::ignition::spec::Spec;

/// `validateURL`: parses like Go's `net/url`, then checks the scheme and
/// the scheme's own rules for `spec`.
pub(crate) fn check_url(source: &str, spec: Spec) -> Result<(), RuleError> {
    let url = go::url::parse(source).ok_or(RuleError::InvalidUrl)?;
    if !spec.url_schemes().contains(&url.scheme.as_str()) {
        return Err(RuleError::InvalidScheme);
    }
    match url.scheme.as_str() {
        "s3" => check_version_id(&url),
        "arn" => {
            check_arn(&url)?;
            check_version_id(&url)
        }
        "data" => DataUrl::parse(source)
            .map(drop)
            .map_err(|error| RuleError::DataUrl(error.message)),
        _ => Ok(()),
    }
}

/// `validateURLNilOK`.
pub(crate) fn check_optional_url(source: Option<&str>, spec: Spec) -> Result<(), RuleError> {
    match source {
        None | Some("") => Ok(()),
        Some(source) => check_url(source, spec),
    }
}

fn check_version_id(url: &GoUrl<'_>) -> Result<(), RuleError> {
    match go::url::query_first(url.raw_query, "versionId") {
        Some(value) if value.is_empty() => Err(RuleError::InvalidS3VersionId),
        _ => Ok(()),
    }
}

/// An S3 object or access-point ARN (aws-sdk-go-v2 `arn` rules plus
/// Ignition's segment counts).
fn check_arn(url: &GoUrl<'_>) -> Result<(), RuleError> {
    let full = format!("{}:{}", url.scheme, url.opaque);
    if full.matches(':').count() < 5 {
        return Err(RuleError::InvalidS3Arn);
    }
    let sections: Vec<&str> = full.splitn(6, ':').collect();
    let (Some(service), Some(resource)) = (sections.get(2), sections.get(5)) else {
        return Err(RuleError::InvalidS3Arn);
    };
    if *service != "s3" {
        return Err(RuleError::InvalidS3Arn);
    }
    let slash_parts = full.split('/').count();
    let needed = if resource.starts_with("accesspoint/") {
        3
    } else {
        2
    };
    if slash_parts < needed {
        return Err(RuleError::InvalidS3Arn);
    }
    Ok(())
}

fn check_compression(resource: &Resource) -> Result<(), RuleError> {
    match resource.compression.as_deref() {
        None | Some("" | "gzip") => Ok(()),
        Some(_) => Err(RuleError::InvalidCompression),
    }
}

fn check_verification_source(resource: &Resource) -> Result<(), RuleError> {
    if resource.verification.hash.is_some() && resource.source.is_none() {
        Err(RuleError::VerificationWithoutSource)
    } else {
        Ok(())
    }
}

/// `Verification.Validate`.
fn verification(verification: &Verification, at: &DocPath, report: &mut Report) {
    let Some(hash) = verification.hash.as_deref() else {
        return;
    };
    let at = at.key("hash");
    let Some((function, sum)) = hash.split_once('-') else {
        report.error(at, RuleError::HashMalformed);
        return;
    };
    let size = match function {
        "sha512" => 128,
        "sha256" if report.spec.hash_functions().contains(&"sha256") => 64,
        _ => {
            report.error(at, RuleError::HashUnrecognized);
            return;
        }
    };
    if sum.len() != size {
        report.error(at, RuleError::HashWrongSize);
    }
}

/// `HTTPHeader.Validate` for each header.
fn headers(resource: &Resource, at: &DocPath, report: &mut Report) {
    for (index, header) in resource.http_headers.iter().enumerate() {
        let here = at.key("httpHeaders").index(index);
        if header.name.is_empty() {
            report.error(here.key("name"), RuleError::EmptyHeaderName);
        }
        if header.value.as_deref() == Some("") {
            report.error(here.key("value"), RuleError::InvalidHeader);
        }
    }
}

fn check_header_scheme(resource: &Resource) -> Result<(), RuleError> {
    if resource.http_headers.is_empty() {
        return Ok(());
    }
    let source = resource.source.as_deref().filter(|s| !s.is_empty());
    let url = source
        .and_then(go::url::parse)
        .ok_or(RuleError::InvalidUrl)?;
    match url.scheme.as_str() {
        "http" | "https" => Ok(()),
        _ => Err(RuleError::HeadersWithScheme),
    }
}

/// `Resource.Validate` and its children (spec 3.1.0+).
pub(crate) fn resource(resource: &Resource, at: &DocPath, report: &mut Report) {
    compression_hash_and_source(resource, at, report);
    report.check(at.key("httpHeaders"), check_header_scheme(resource));
    headers(resource, at, report);
    verification(&resource.verification, &at.key("verification"), report);
}

/// A file's `contents` or `append` entry (`FileContents` in 3.0.0).
pub(crate) fn file_contents(contents: &Resource, at: &DocPath, report: &mut Report) {
    if report.since(Spec::V3_1) {
        resource(contents, at, report);
        return;
    }
    compression_hash_and_source(contents, at, report);
    verification(&contents.verification, &at.key("verification"), report);
}

/// The checks 3.0.0's `FileContents` and 3.1.0+'s `Resource` begin with
/// (`Resource` adds its HTTP headers before the verification).
fn compression_hash_and_source(resource: &Resource, at: &DocPath, report: &mut Report) {
    report.check(at.key("compression"), check_compression(resource));
    report.check(
        at.key("verification").key("hash"),
        check_verification_source(resource),
    );
    let url = check_optional_url(resource.source.as_deref(), report.spec);
    report.check(at.key("source"), url);
}

/// `validateRequiredSource` (3.1.0+ merge entries and CAs).
fn check_required_source(resource: &Resource, spec: Spec) -> Result<(), RuleError> {
    match resource.source.as_deref() {
        None | Some("") => Err(RuleError::SourceRequired),
        Some(source) => check_url(source, spec),
    }
}

fn proxy_url(value: Option<&str>, at: DocPath, http_ok: bool, report: &mut Report) {
    let Some(value) = value else {
        return;
    };
    let Some(url) = go::url::parse(value) else {
        report.error(at, RuleError::InvalidUrl);
        return;
    };
    match url.scheme.as_str() {
        "https" => {}
        "http" if http_ok => {}
        "http" => report.warn(at, RuleError::InsecureProxy),
        _ => report.error(at, RuleError::InvalidProxy),
    }
}

fn proxy(proxy: &Proxy, at: &DocPath, report: &mut Report) {
    proxy_url(
        proxy.http_proxy.as_deref(),
        at.key("httpProxy"),
        true,
        report,
    );
    proxy_url(
        proxy.https_proxy.as_deref(),
        at.key("httpsProxy"),
        false,
        report,
    );
}

/// `Ignition.Validate`: the version must be exactly `spec`.
fn version(version: &str, at: DocPath, report: &mut Report) {
    let Some(parsed) = go::semver::parse(version) else {
        report.error(at, RuleError::InvalidVersion);
        return;
    };
    let matches = go::semver::parse(report.spec.as_str()).is_some_and(|want| want == parsed);
    if !matches {
        report.error(at, RuleError::UnknownVersion);
    }
}

/// A 3.0.0 `ConfigReference` (`required`: a `CaReference`, whose source
/// is a plain string and so always checked).
fn reference_3_0(resource: &Resource, at: &DocPath, required: bool, report: &mut Report) {
    let source = resource.source.as_deref();
    let result = if required {
        check_url(source.unwrap_or(""), report.spec)
    } else {
        check_optional_url(source, report.spec)
    };
    report.check(at.key("source"), result);
    verification(&resource.verification, &at.key("verification"), report);
}

/// The `ignition` section, in Ignition's traversal order.
pub(crate) fn ignition(ignition: &Ignition, report: &mut Report) {
    let at = DocPath::root().key("ignition");
    version(&ignition.version, at.key("version"), report);
    let config = at.key("config");
    let merge = config.key("merge");
    let cas = at.key("security").key("tls").key("certificateAuthorities");
    let tls = &ignition.security.tls.certificate_authorities;
    if !report.since(Spec::V3_1) {
        for (index, entry) in ignition.config.merge.iter().enumerate() {
            reference_3_0(entry, &merge.index(index), false, report);
        }
        reference_3_0(
            &ignition.config.replace,
            &config.key("replace"),
            false,
            report,
        );
        for (index, ca) in tls.iter().enumerate() {
            reference_3_0(ca, &cas.index(index), true, report);
        }
        return;
    }
    for (index, entry) in ignition.config.merge.iter().enumerate() {
        report.check(
            merge.index(index),
            check_required_source(entry, report.spec),
        );
    }
    for (index, entry) in ignition.config.merge.iter().enumerate() {
        resource(entry, &merge.index(index), report);
    }
    resource(&ignition.config.replace, &config.key("replace"), report);
    proxy(&ignition.proxy, &at.key("proxy"), report);
    for (index, ca) in tls.iter().enumerate() {
        report.check(cas.index(index), check_required_source(ca, report.spec));
    }
    for (index, ca) in tls.iter().enumerate() {
        resource(ca, &cas.index(index), report);
    }
}
