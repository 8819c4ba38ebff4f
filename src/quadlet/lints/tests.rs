use super::super::validate::tests::{at, of_code, run};
use super::{is_variable_reference, looks_secret, publish_host_ip};
use crate::diag::{Code, Diagnostic, Severity};

fn lines(f: &[Diagnostic], code: Code) -> Vec<(usize, usize, Severity)> {
    of_code(f, code)
        .iter()
        .map(|x| (at(x).0, at(x).1, x.severity))
        .collect()
}

#[test]
fn auto_update_registry_needs_fully_qualified_image() {
    let f = run(
        "w.container",
        "[Container]\nUser=1\nImage=nginx:1.27\nAutoUpdate=registry\n",
        "5.8.0",
    );
    assert_eq!(
        lines(&f, Code::QuadletAutoUpdateImage),
        [(3, 7, Severity::Error)]
    );
    assert!(
        of_code(&f, Code::QuadletShortImageName).is_empty(),
        "reported once"
    );
    assert!(
        of_code(&f, Code::QuadletAutoUpdateImage)[0]
            .message
            .contains("docker.io/library/nginx:1.27")
    );
    for ok in [
        "docker.io/library/nginx:1.27",
        "localhost/app:1",
        "registry:5000/app:1",
        "web.image",
        "web.build",
    ] {
        let src = format!("[Container]\nUser=1\nImage={ok}\nAutoUpdate=registry\n");
        let f = run("w.container", &src, "5.8.0");
        assert!(
            of_code(&f, Code::QuadletAutoUpdateImage).is_empty(),
            "{ok}: {f:#?}"
        );
    }
    // `local` does not need a registry; a runtime registry cannot be checked.
    let f = run(
        "w.container",
        "[Container]\nUser=1\nImage=app:1\nAutoUpdate=local\n",
        "5.8.0",
    );
    assert!(of_code(&f, Code::QuadletAutoUpdateImage).is_empty());
    let f = run(
        "w.container",
        "[Container]\nUser=1\nImage=${REG}/app:1\nAutoUpdate=registry\n",
        "5.8.0",
    );
    assert_eq!(
        lines(&f, Code::QuadletAutoUpdateImage),
        [(3, 7, Severity::Warning)]
    );
}

#[test]
fn short_names_and_pinning() {
    let f = run("w.container", "[Container]\nUser=1\nImage=nginx\n", "5.8.0");
    assert_eq!(
        lines(&f, Code::QuadletShortImageName),
        [(3, 7, Severity::Warning)]
    );
    assert_eq!(
        lines(&f, Code::QuadletImageNotPinned),
        [(3, 7, Severity::Warning)]
    );
    let f = run(
        "w.container",
        "[Container]\nUser=1\nImage=quay.io/a/b:latest\n",
        "5.8.0",
    );
    assert_eq!(
        lines(&f, Code::QuadletImageNotPinned),
        [(3, 7, Severity::Warning)]
    );
    assert!(of_code(&f, Code::QuadletShortImageName).is_empty());
    for pinned in [
        "quay.io/a/b:1.0",
        "quay.io/a/b@sha256:ab",
        "localhost/app:latest",
        "x:${V}",
    ] {
        let src = format!("[Container]\nUser=1\nImage={pinned}\n");
        let f = run("w.container", &src, "5.8.0");
        assert!(
            of_code(&f, Code::QuadletImageNotPinned).is_empty(),
            "{pinned}"
        );
    }
    // .image and .volume Image= are linted too.
    let f = run("i.image", "[Image]\nImage=busybox\n", "5.8.0");
    assert_eq!(of_code(&f, Code::QuadletShortImageName).len(), 1);
}

#[test]
fn publish_port_interfaces() {
    assert_eq!(publish_host_ip("8080:80"), None);
    assert_eq!(publish_host_ip("80"), None);
    assert_eq!(publish_host_ip("127.0.0.1:8080:80"), Some("127.0.0.1"));
    assert_eq!(publish_host_ip("[::1]:8080:80"), Some("::1"));
    assert_eq!(publish_host_ip("::8080:80"), Some(""));
    let src = "[Container]\nUser=1\nImage=quay.io/a:1\nPublishPort=8080:80\nPublishPort=0.0.0.0:53:53/udp\n\
PublishPort=[::]:443:443\nPublishPort=127.0.0.1:9000:9000\nPublishPort=[::1]:1:1\n\
PublishPort=${IP}:80:80\nPublishPort=${PORTS}\nPublishPort={{ p }}:80\n";
    let f = run("w.container", src, "5.8.0");
    assert_eq!(
        lines(&f, Code::QuadletPublishAllInterfaces),
        [
            (4, 13, Severity::Warning),
            (5, 13, Severity::Warning),
            (6, 13, Severity::Warning)
        ]
    );
    assert!(
        of_code(&f, Code::QuadletPublishAllInterfaces)[1]
            .message
            .contains("127.0.0.1:53:53/udp")
    );
    let f = run("p.pod", "[Pod]\nPublishPort=2283:2283\n", "5.8.0");
    assert_eq!(of_code(&f, Code::QuadletPublishAllInterfaces).len(), 1);
}

#[test]
fn runs_as_root() {
    let f = run(
        "w.container",
        "[Unit]\nA=1\n[Container]\nImage=quay.io/a:1\n",
        "5.8.0",
    );
    assert_eq!(
        lines(&f, Code::QuadletRunsAsRoot),
        [(3, 1, Severity::Warning)]
    );
    for root in ["root", "0", "0:0", "root:wheel"] {
        let src = format!("[Container]\nImage=quay.io/a:1\nUser={root}\n");
        assert_eq!(
            lines(&run("w.container", &src, "5.8.0"), Code::QuadletRunsAsRoot),
            [(3, 6, Severity::Warning)]
        );
    }
    for user in ["User=1000", "User=nginx:nginx", "PodmanArgs=--user 1000"] {
        let src = format!("[Container]\nImage=quay.io/a:1\n{user}\n");
        assert!(
            of_code(&run("w.container", &src, "5.8.0"), Code::QuadletRunsAsRoot).is_empty(),
            "{user}"
        );
    }
}

#[test]
fn secret_names() {
    for name in [
        "DB_PASSWORD",
        "api_token",
        "SECRET_KEY",
        "APIKEY",
        "MYSQL_ROOT_PASSWD",
        "ssh-key",
        "github_token",
        "SSH_HOSTKEY",
    ] {
        assert!(looks_secret(name), "{name}");
    }
    for name in [
        "KEYCLOAK_URL",
        "PASSWORD_FILE",
        "TZ",
        "SECRET_PATH",
        "MONKEYS",
        "MONKEYS_COUNT",
        "KEY_FILE",
        "LOG_LEVEL",
    ] {
        assert!(!looks_secret(name), "{name}");
    }
    assert!(is_variable_reference("${DB_PASSWORD}"));
    assert!(is_variable_reference("$X"));
    assert!(!is_variable_reference("${A}${B}"));
    assert!(!is_variable_reference("hunter2"));
}

#[test]
fn inline_secrets() {
    let src = "[Container]\nUser=1\nImage=quay.io/a:1\nEnvironment=TZ=UTC DB_PASSWORD=hunter2\n\
Environment=\"API_TOKEN=a b\" REF=${DB_PASSWORD}\nEnvironment=DB_PASSWORD=${DB_PASSWORD}\n\
Environment=SECRET\n[Service]\nEnvironment=ADMIN_PASSWORD=x\n";
    let f = run("w.container", src, "5.8.0");
    assert_eq!(
        lines(&f, Code::QuadletInlineSecret),
        [
            (4, 20, Severity::Warning),
            (5, 14, Severity::Warning),
            (9, 13, Severity::Warning)
        ]
    );
    let msgs: Vec<&str> = of_code(&f, Code::QuadletInlineSecret)
        .iter()
        .map(|x| x.message.as_str())
        .collect();
    assert!(
        msgs[0].contains("Secret=NAME,type=env,target=DB_PASSWORD"),
        "{}",
        msgs[0]
    );
    assert!(msgs[2].contains("EnvironmentFile="), "{}", msgs[2]);
    let f = run(
        "b.build",
        "[Build]\nImageTag=localhost/x\nSetWorkingDirectory=unit\nBuildArg=NPM_TOKEN=abc\n",
        "5.8.0",
    );
    assert_eq!(of_code(&f, Code::QuadletInlineSecret).len(), 1);
}

#[test]
fn unsupported_escapes_warn_where_podman_warns() {
    let src = "[Container]\nUser=1\nImage=docker.io/library/a:1\nLabel=foo=\\q\n\
               Exec=/bin/sh -c \"echo \\d\"\nReloadCmd=kill \\.\nMask=/a\\q\n";
    let f = run("w.container", src, "5.8.0");
    assert_eq!(
        lines(&f, Code::QuadletUnsupportedEscape),
        [
            (4, 11, Severity::Warning),
            (5, 23, Severity::Warning),
            (6, 16, Severity::Warning)
        ],
        "{f:#?}"
    );
    // Only the last `Exec=` counts; valid escapes pass.
    let src = "[Container]\nUser=1\nImage=docker.io/library/a:1\nExec=a \\q\n\
               Exec=/bin/sh -c \"echo \\\\d \\x41\"\nLabel=foo=\\\\q\n";
    let f = run("w.container", src, "5.8.0");
    assert!(
        of_code(&f, Code::QuadletUnsupportedEscape).is_empty(),
        "{f:#?}"
    );
    // Podman before 5.5 drops the value without a word.
    let old = run(
        "w.container",
        "[Container]\nImage=a\nLabel=a=\\q\n",
        "5.4.2",
    );
    let old = of_code(&old, Code::QuadletUnsupportedEscape);
    assert!(old[0].message.ends_with("(silently)"), "{old:#?}");
    let new = run(
        "w.container",
        "[Container]\nImage=a\nLabel=a=\\q\n",
        "5.5.0",
    );
    let new = of_code(&new, Code::QuadletUnsupportedEscape);
    assert!(
        new[0].message.contains("\"unsupported escape char\""),
        "{new:#?}"
    );
    // `.volume` labels too, but not keys Podman splits silently elsewhere.
    let f = run("v.volume", "[Volume]\nLabel=a=\\q\nDevice=/d\\q\n", "5.8.0");
    assert_eq!(
        lines(&f, Code::QuadletUnsupportedEscape),
        [(2, 9, Severity::Warning)]
    );
}
