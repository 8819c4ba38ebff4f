use super::super::validate::tests::{at, key_of, of_code, run, run_with};
use crate::diag::{Code, Diagnostic, Severity};

fn refs(f: &[Diagnostic]) -> Vec<(usize, usize, &str)> {
    f.iter()
        .filter(|x| {
            matches!(
                x.code,
                Code::QuadletMissingReference | Code::QuadletInvalidReference
            )
        })
        .map(|x| (at(x).0, at(x).1, key_of(x)))
        .collect()
}

const C: &str = "[Container]\nUser=1\n";

#[test]
fn image_volume_network_pod_references() {
    let src = format!(
        "{C}Image=web.build\nVolume=data.volume:/data:Z\nVolume=/srv:/srv\nVolume=named:/n\n\
Network=front.network:ip=10.0.0.2\nNetwork=host\nPod=app.pod\n"
    );
    let units = [
        "web.container",
        "web.build",
        "data.volume",
        "front.network",
        "app.pod",
    ];
    let f = run_with("web.container", &src, "5.8.0", &units);
    assert!(refs(&f).is_empty(), "{f:#?}");
    let f = run_with("web.container", &src, "5.8.0", &["web.container"]);
    assert_eq!(
        refs(&f),
        [
            (3, 7, "[Container] Image"),
            (4, 8, "[Container] Volume"),
            (7, 9, "[Container] Network"),
            (9, 5, "[Container] Pod"),
        ]
    );
    assert!(f.iter().all(|x| x.severity == Severity::Error));
    assert!(f[0].message.contains("web.build"));
    // Without a unit set, references are not checked.
    assert!(refs(&run("web.container", &src, "5.8.0")).is_empty());
}

#[test]
fn emptied_volume_list_is_not_checked() {
    let src = format!("{C}Image=quay.io/a:1\nVolume=gone.volume:/x\nVolume=\n");
    assert!(refs(&run_with("w.container", &src, "5.8.0", &[])).is_empty());
}

#[test]
fn mount_sources() {
    let src = format!(
        "{C}Image=quay.io/a:1\nMount=type=volume,source=v.volume,destination=/v \
type=image,src=i.image,dst=/i\nMount=type=tmpfs,destination=/t\n"
    );
    let f = run_with("w.container", &src, "5.8.0", &[]);
    assert_eq!(
        refs(&f),
        [(4, 26, "[Container] Mount"), (4, 65, "[Container] Mount")]
    );
    let f = run_with("w.container", &src, "5.2.0", &["v.volume", "i.image"]);
    assert_eq!(of_code(&f, Code::QuadletFeatureTooNew).len(), 1, "{f:#?}");
}

#[test]
fn pod_must_be_a_quadlet_pod() {
    let src = format!("{C}Image=quay.io/a:1\nPod=mypod\n");
    let f = run("w.container", &src, "5.8.0");
    let r = of_code(&f, Code::QuadletInvalidReference);
    assert_eq!(r.len(), 1);
    assert!(r[0].message.contains("mypod.pod"));
}

#[test]
fn network_container_references() {
    let src = format!("{C}Image=quay.io/a:1\nNetwork=db.container\n");
    assert!(refs(&run_with("w.container", &src, "5.8.0", &["db.container"])).is_empty());
    let f = run_with("w.container", &src, "5.2.0", &["db.container"]);
    assert_eq!(of_code(&f, Code::QuadletFeatureTooNew).len(), 1);
    let src = format!("{C}Image=quay.io/a:1\nNetwork=db.container:ip=1.2.3.4\n");
    let f = run_with("w.container", &src, "5.8.0", &["db.container"]);
    assert_eq!(of_code(&f, Code::QuadletInvalidReference).len(), 1);
}

#[test]
fn kube_pod_build_networks() {
    let f = run_with(
        "k.kube",
        "[Kube]\nYaml=a.yml\nNetwork=basic.network\n",
        "5.8.0",
        &[],
    );
    assert_eq!(refs(&f), [(3, 9, "[Kube] Network")]);
    let f = run_with(
        "p.pod",
        "[Pod]\nNetwork=n.network\nVolume=v.volume:/v\n",
        "5.8.0",
        &[],
    );
    assert_eq!(refs(&f).len(), 2);
}

#[test]
fn unit_dependencies_translate_since_5_5() {
    let src =
        format!("[Unit]\nRequires=redis.container db.container x.service\n{C}Image=quay.io/a:1\n");
    let f = run_with("w.container", &src, "5.8.0", &["db.container"]);
    assert_eq!(refs(&f), [(2, 10, "[Unit] Requires")]);
    assert!(f[0].message.contains("redis.container"));
    // Older Podman: no translation, the name reaches systemd unchanged.
    let f = run_with(
        "w.container",
        &src,
        "5.4.2",
        &["db.container", "redis.container"],
    );
    let w = of_code(&f, Code::QuadletFeatureTooNew);
    assert_eq!(w.len(), 2);
    assert!(w.iter().all(|x| x.severity == Severity::Warning));
    assert!(
        w[0].message.contains("write `redis.service`"),
        "{}",
        w[0].message
    );
    assert_eq!(at(w[1]), (2, 26));
}

/// `Mount=` as Podman's generator reads it: bind, glob, image and artifact
/// need a non-empty source wherever it is written; a bare `source` is its
/// own error; a volume without a source is anonymous only since 6.0.0-rc1;
/// types whose source is not resolved (tmpfs) need none.
#[test]
fn mount_sources_are_required_where_the_generator_resolves_them() {
    let messages = |src: &str, version: &str| -> Vec<String> {
        of_code(&run("w.container", src, version), Code::QuadletInvalidValue)
            .iter()
            .map(|d| format!("{}:{} {}", at(d).0, at(d).1, d.message))
            .collect()
    };
    let src = format!(
        "{C}Image=quay.io/a:1\n\
Mount=destination=/d,type=bind\n\
Mount=type=bind,src=,dst=/e\n\
Mount=type=glob,dst=/g,source\n\
Mount=type=image,dst=/i,source=quay.io/b:1\n\
Mount=dst=/v,type=bind,source=/srv\n\
Mount=type=volume,dst=/anon\n\
Mount=type=tmpfs,destination=/t\n\
Mount=type=artifact,dst=/a\n"
    );
    let found = messages(&src, "5.8.0");
    insta::assert_snapshot!(found.join("\n"));
    let rc = messages(&src, "6.0.0-rc1");
    assert_eq!(rc.len(), found.len() - 1, "{rc:#?}");
    assert!(rc.iter().all(|m| !m.starts_with("9:")), "{rc:#?}");
    // Before 5.3 glob and image sources were passed through unresolved.
    let old = messages(&src, "5.2.0");
    assert!(old.iter().all(|m| !m.starts_with("6:")), "{old:#?}");
    assert_eq!(old.len(), 3, "{old:#?}");
}

/// Go's `encoding/csv` reading of one `Mount=` argument.
#[test]
fn mount_fields_follow_go_csv() {
    use super::csv_fields;
    assert_eq!(
        csv_fields(r#"type=bind,"source=/a,b",dst=/x"#),
        Some(vec![
            "type=bind".to_owned(),
            "source=/a,b".to_owned(),
            "dst=/x".to_owned()
        ])
    );
    assert_eq!(
        csv_fields(r#""say ""hi""",x"#),
        Some(vec![r#"say "hi""#.to_owned(), "x".to_owned()])
    );
    assert_eq!(csv_fields(r#"type=bind,src=/a"b"#), None);
    assert_eq!(csv_fields(r#""open"#), None);
    assert_eq!(csv_fields(""), Some(vec![String::new()]));
}

/// Podman's own generator tests (test/e2e/quadlet/mount.container, which
/// converts, and mount-source-missing.container, which fails with "source
/// parameter is required for mount type image"), checked against 6.0.0-rc1.
#[test]
fn podmans_mount_tests_agree() {
    let converts = "[Container]\nImage=localhost/imagename\n\
Mount=type=bind,source=/path/on/host,destination=/path/in/container\n\
Mount=\"type=bind,src=/path/on/host with spaces,dst=/path\"\n\
Mount=type=bind,src=/path/on/host,dst=/path/in/container,relabel=shared,U=true\n\
Mount=type=volume,source=vol1,destination=/path/in/container,ro=true\n\
Mount=type=tmpfs,tmpfs-size=512M,destination=/path/in/container\n\
Mount=type=image,source=fedora,destination=/fedora-image,rw=true\n\
Mount=type=devpts,destination=/dev/pts\n\
Mount=type=bind,source=./path/on/host,destination=/path/in/container\n\
Mount=type=volume,source=vol1,destination=/path/in/container,ro\n";
    let f = run("mount.container", converts, "6.0.0-rc1");
    assert!(of_code(&f, Code::QuadletInvalidValue).is_empty(), "{f:#?}");
    let fails = "[Container]\nImage=localhost/imagename\nMount=type=image,destination=/path/in/container,ro\n";
    let f = run("mount-source-missing.container", fails, "6.0.0-rc1");
    let errors = of_code(&f, Code::QuadletInvalidValue);
    assert_eq!(errors.len(), 1, "{f:#?}");
    assert!(
        errors[0]
            .message
            .contains("source parameter is required for mount type image"),
        "{}",
        errors[0].message
    );
}
