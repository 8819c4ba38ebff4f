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
