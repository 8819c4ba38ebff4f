use super::super::validate::tests::{at, of_code, run};
use crate::diag::{Code, Diagnostic, Severity};

/// The section a message starts with and the first key it quotes:
/// `"[Kube] has no `Yaml=`; …"` → `"[Kube] Yaml"`.
fn missing_key(message: &str) -> String {
    let section = message.split_once(' ').unwrap_or_default().0;
    let quoted = message.split('`').nth(1).unwrap_or_default();
    let key = quoted.split_once('=').map_or(quoted, |(key, _)| key);
    format!("{section} {key}")
}

fn code_lines(f: &[Diagnostic], code: Code) -> Vec<(usize, Severity)> {
    of_code(f, code)
        .iter()
        .map(|x| (at(x).0, x.severity))
        .collect()
}

#[test]
fn container_needs_image_or_rootfs() {
    let f = run(
        "web.container",
        "[Unit]\nDescription=x\n[Container]\nUser=1\n",
        "5.8.0",
    );
    let m = of_code(&f, Code::QuadletMissingKey);
    assert_eq!(m.len(), 1);
    assert_eq!(at(m[0]).0, 3);
    assert!(
        m[0].message.starts_with("[Container] has no `Image=`"),
        "{}",
        m[0].message
    );
    assert!(m[0].message.contains("Rootfs="));
    // Rootfs alone is fine; both conflict; an emptied Image= counts as missing.
    assert!(
        run(
            "web.container",
            "[Container]\nRootfs=/srv/root\nUser=1\n",
            "5.8.0"
        )
        .is_empty()
    );
    let f = run(
        "web.container",
        "[Container]\nImage=quay.io/a:1\nRootfs=/r\nUser=1\n",
        "5.8.0",
    );
    assert_eq!(
        code_lines(&f, Code::QuadletConflictingKeys),
        [(3, Severity::Error)]
    );
    let f = run(
        "web.container",
        "[Container]\nImage=quay.io/a:1\nImage=\nUser=1\n",
        "5.8.0",
    );
    assert_eq!(of_code(&f, Code::QuadletMissingKey).len(), 1);
    // No [Container] section at all: points at 1:1.
    let f = run("web.container", "", "5.8.0");
    let m = of_code(&f, Code::QuadletMissingKey);
    assert_eq!(at(m[0]), (1, 1));
}

#[test]
fn group_without_user_and_reload_conflict() {
    let src =
        "[Container]\nImage=quay.io/a:1\nGroup=100\nReloadCmd=/bin/true\nReloadSignal=SIGHUP\n";
    let f = run("web.container", src, "5.8.0");
    assert_eq!(
        code_lines(&f, Code::QuadletMissingKey),
        [(3, Severity::Error)]
    );
    assert_eq!(
        code_lines(&f, Code::QuadletConflictingKeys),
        [(5, Severity::Error)]
    );
}

#[test]
fn required_keys_of_other_kinds() {
    let missing = |path: &str, src: &str| -> Vec<String> {
        run(path, src, "6.0.0")
            .into_iter()
            .filter(|f| f.code == Code::QuadletMissingKey)
            .map(|f| missing_key(&f.message))
            .collect()
    };
    assert_eq!(missing("k.kube", "[Kube]\n"), ["[Kube] Yaml"]);
    assert!(missing("k.kube", "[Kube]\nYaml=a.yml\n").is_empty());
    assert_eq!(
        missing("i.image", "[Image]\nImageTag=x\n"),
        ["[Image] Image"]
    );
    assert_eq!(
        missing("a.artifact", "[Artifact]\n"),
        ["[Artifact] Artifact"]
    );
    assert_eq!(
        missing("b.build", "[Build]\n"),
        ["[Build] ImageTag", "[Build] File"]
    );
    assert!(
        missing(
            "b.build",
            "[Build]\nImageTag=localhost/x\nSetWorkingDirectory=unit\n"
        )
        .is_empty()
    );
    assert!(
        missing(
            "b.build",
            "[Build]\nImageTag=localhost/x\nFile=/srv/Containerfile\n"
        )
        .is_empty()
    );
    assert!(
        missing(
            "b.build",
            "[Build]\nImageTag=localhost/x\nFile=https://x/Containerfile\n"
        )
        .is_empty()
    );
    assert_eq!(
        missing(
            "b.build",
            "[Build]\nImageTag=localhost/x\nFile=Containerfile\n"
        ),
        ["[Build] File"]
    );
    assert!(
        missing(
            "b.build",
            "[Build]\nImageTag=localhost/x\nFile=Containerfile\n[Service]\nWorkingDirectory=/src\n"
        )
        .is_empty()
    );
    assert_eq!(
        missing(
            "b.build",
            "[Build]\nImageTag=localhost/x\nSetWorkingDirectory=file\n"
        ),
        ["[Build] File"]
    );
    assert_eq!(
        missing("v.volume", "[Volume]\nDriver=image\n"),
        ["[Volume] Image"]
    );
    assert!(missing("v.volume", "[Volume]\n").is_empty());
    assert!(missing("p.pod", "[Pod]\n").is_empty());
    assert!(missing("n.network", "[Network]\n").is_empty());
}

#[test]
fn volume_type_needs_device_before_v6() {
    let src = "[Volume]\nType=tmpfs\n";
    assert_eq!(
        code_lines(&run("v.volume", src, "5.8.0"), Code::QuadletMissingKey),
        [(2, Severity::Error)]
    );
    assert!(run("v.volume", src, "6.0.0").is_empty());
    assert!(
        run(
            "v.volume",
            "[Volume]\nDevice=/dev/sdb\nType=ext4\n",
            "5.8.0"
        )
        .is_empty()
    );
}

#[test]
fn network_gateways_need_subnets() {
    let f = run("n.network", "[Network]\nGateway=10.0.0.1\n", "5.8.0");
    assert_eq!(
        code_lines(&f, Code::QuadletMissingKey),
        [(2, Severity::Error)]
    );
    let src = "[Network]\nSubnet=10.0.0.0/24\nGateway=10.0.0.1\nGateway=10.0.1.1\n";
    assert_eq!(
        code_lines(&run("n.network", src, "5.8.0"), Code::QuadletMissingKey),
        [(4, Severity::Error)]
    );
    let src = "[Network]\nSubnet=10.0.0.0/24\nGateway=10.0.0.1\nIPRange=10.0.0.128/25\n";
    assert!(run("n.network", src, "5.8.0").is_empty());
}

#[test]
fn kube_working_directory() {
    let f = run(
        "k.kube",
        "[Kube]\nYaml=a.yml\nYaml=b.yml\nSetWorkingDirectory=yaml\n",
        "5.8.0",
    );
    assert_eq!(
        code_lines(&f, Code::QuadletInvalidValue),
        [(4, Severity::Error)]
    );
    let f = run(
        "k.kube",
        "[Kube]\nYaml=a.yml\nSetWorkingDirectory=yaml\n",
        "5.8.0",
    );
    assert!(f.is_empty(), "{f:#?}");
    let f = run(
        "b.build",
        "[Build]\nImageTag=localhost/x\nSetWorkingDirectory=yaml\n",
        "5.8.0",
    );
    assert_eq!(
        code_lines(&f, Code::QuadletInvalidValue),
        [(3, Severity::Error)]
    );
}

#[test]
fn remap_keys() {
    let src = "[Container]\nImage=quay.io/a:1\nUser=1\nUserNS=keep-id\nRemapUsers=auto\n";
    assert_eq!(
        code_lines(
            &run("c.container", src, "5.8.0"),
            Code::QuadletConflictingKeys
        ),
        [(5, Severity::Error)]
    );
    let src = "[Container]\nImage=quay.io/a:1\nUser=1\nRemapUid=0:1000:1\n";
    assert_eq!(
        code_lines(&run("c.container", src, "5.8.0"), Code::QuadletMissingKey),
        [(4, Severity::Error)]
    );
}

#[test]
fn service_type_killmode_and_execstart() {
    let base = "[Container]\nImage=quay.io/a:1\nUser=1\n[Service]\n";
    let f = run(
        "c.container",
        &format!("{base}Type=simple\nKillMode=process\n"),
        "5.8.0",
    );
    assert_eq!(
        code_lines(&f, Code::QuadletServiceSetting),
        [(5, Severity::Error), (6, Severity::Error)]
    );
    assert!(
        run(
            "c.container",
            &format!("{base}Type=oneshot\nKillMode=control-group\n"),
            "5.8.0"
        )
        .is_empty()
    );
    let f = run(
        "c.container",
        &format!("{base}ExecStart=/bin/true\n"),
        "5.8.0",
    );
    assert_eq!(
        code_lines(&f, Code::QuadletServiceSetting),
        [(5, Severity::Error)]
    );
    let f = run(
        "c.container",
        &format!("{base}Type=oneshot\nExecStart=/bin/true\n"),
        "5.8.0",
    );
    assert_eq!(
        code_lines(&f, Code::QuadletServiceSetting),
        [(6, Severity::Warning)]
    );
    let f = run(
        "v.volume",
        "[Volume]\n[Service]\nExecStart=/bin/true\n",
        "5.8.0",
    );
    assert_eq!(
        code_lines(&f, Code::QuadletServiceSetting),
        [(3, Severity::Warning)]
    );
    let f = run("p.pod", "[Pod]\n[Service]\nType=simple\n", "5.8.0");
    assert_eq!(
        code_lines(&f, Code::QuadletServiceSetting),
        [(3, Severity::Warning)]
    );
    // Other kinds keep the user's Type.
    assert!(run("v.volume", "[Volume]\n[Service]\nType=simple\n", "5.8.0").is_empty());
}

#[test]
fn service_user_is_warned() {
    let f = run(
        "v.volume",
        "[Volume]\n[Service]\nUser=core\nDynamicUser=yes\n",
        "5.8.0",
    );
    assert_eq!(
        code_lines(&f, Code::QuadletServiceSetting),
        [(3, Severity::Warning), (4, Severity::Warning)]
    );
}

#[test]
fn template_install_needs_default_instance() {
    let src = "[Container]\nImage=quay.io/a:1\nUser=1\n[Install]\nWantedBy=default.target\n";
    let f = run("web@.container", src, "5.8.0");
    assert_eq!(
        code_lines(&f, Code::QuadletServiceSetting),
        [(5, Severity::Warning)]
    );
    assert!(
        run(
            "web@.container",
            &format!("{src}DefaultInstance=a\n"),
            "5.8.0"
        )
        .is_empty()
    );
    assert!(run("web@a.container", src, "5.8.0").is_empty());
    assert!(run("web.container", src, "5.8.0").is_empty());
}

#[test]
fn upheld_by_needs_5_5() {
    let src = "[Volume]\n[Install]\nUpheldBy=x.target\n";
    assert_eq!(
        code_lines(&run("v.volume", src, "5.4.0"), Code::QuadletFeatureTooNew),
        [(3, Severity::Warning)]
    );
    assert!(run("v.volume", src, "5.5.0").is_empty());
}
