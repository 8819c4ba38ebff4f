use super::*;

fn unit(name: &str) -> UnitName {
    match parse_unit_name(name) {
        Ok(u) => u,
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn kinds_from_extensions() {
    for kind in UnitKind::ALL {
        let u = unit(&format!("web.{}", kind.extension()));
        assert_eq!(u.kind, kind);
        assert_eq!(u.template, Template::None);
        assert_eq!(UnitKind::from_section(kind.section()), Some(kind));
    }
    assert_eq!(unit("network.quadlet.kube").prefix, "network.quadlet");
}

#[test]
fn service_names() {
    assert_eq!(unit("web.container").service_name(), "web.service");
    assert_eq!(unit("web.kube").service_name(), "web.service");
    assert_eq!(unit("data.volume").service_name(), "data-volume.service");
    assert_eq!(unit("web@.container").service_name(), "web@.service");
    assert_eq!(unit("data@.volume").service_name(), "data-volume@.service");
    assert_eq!(
        unit("data@x.volume").service_name(),
        "data-volume@x.service"
    );
    assert_eq!(unit("p.pod").service_name(), "p-pod.service");
}

#[test]
fn templates_and_instances() {
    let t = unit("minecraft@.container");
    assert_eq!(
        (t.prefix.as_str(), &t.template),
        ("minecraft", &Template::Template)
    );
    assert_eq!(t.template_file_name(), None);
    let i = unit("minecraft@modded-creative.container");
    assert_eq!(
        i.template,
        Template::Instance("modded-creative".to_string())
    );
    assert_eq!(
        i.template_file_name().as_deref(),
        Some("minecraft@.container")
    );
}

#[test]
fn bad_unit_names() {
    for (name, needle) in [
        ("web.service", "not a Quadlet extension"),
        ("web.Container", "case-sensitive"),
        ("README", "no extension"),
        (".container", "empty base name"),
        ("@x.container", "before `@` is empty"),
        ("my web.container", "not allowed"),
        ("a@b@c.container", "not allowed"),
    ] {
        match parse_unit_name(name) {
            Ok(u) => panic!("{name} accepted as {u:?}"),
            Err(e) => assert!(e.message.contains(needle), "{name}: {e}"),
        }
    }
}

#[test]
fn classify_paths() {
    let f = classify("/etc/containers/systemd/web.container");
    assert!(matches!(f, Ok(QuadletFile::Unit(ref u)) if u.kind == UnitKind::Container));
    let Ok(QuadletFile::DropIn(d)) =
        classify("x/minecraft@modded-creative.container.d/20-resources.conf")
    else {
        panic!("drop-in not recognised");
    };
    assert_eq!(d.kind, UnitKind::Container);
    assert_eq!(d.conf_name, "20-resources.conf");
    let DropInScope::Unit(parent) = &d.scope else {
        panic!("{:?}", d.scope)
    };
    assert_eq!(
        parent.template,
        Template::Instance("modded-creative".to_string())
    );
}

#[test]
fn dropin_scopes() {
    let scope = |p: &str| match classify(p) {
        Ok(QuadletFile::DropIn(d)) => (d.kind, d.scope),
        other => panic!("{p}: {other:?}"),
    };
    assert_eq!(
        scope("container.d/10.conf"),
        (UnitKind::Container, DropInScope::AllOfKind)
    );
    assert_eq!(
        scope("foo-.volume.d/10.conf"),
        (
            UnitKind::Volume,
            DropInScope::Prefix {
                prefix: "foo-".to_string(),
                template: false
            }
        )
    );
    assert_eq!(
        scope("foo-@.pod.d/10.conf"),
        (
            UnitKind::Pod,
            DropInScope::Prefix {
                prefix: "foo-".to_string(),
                template: true
            }
        )
    );
}

#[test]
fn bad_dropins() {
    let e = classify("web.container.d/override.txt")
        .err()
        .map(|e| e.message);
    assert!(e.is_some_and(|m| m.contains("*.conf")));
    let e = classify("10-x.conf").err().map(|e| e.message);
    assert!(e.is_some_and(|m| m.contains("drop-in")));
    // A `.d` directory that is not a Quadlet drop-in dir: the file itself decides.
    assert!(matches!(
        classify("conf.d/web.container"),
        Ok(QuadletFile::Unit(_))
    ));
    assert!(classify("").is_err());
    assert!(classify("/").is_err());
}
