use crate::butane::{Options, compile};

fn run(source: &str, raw: bool) -> crate::butane::Outcome {
    compile(
        source,
        "mc.bu",
        &Options {
            raw,
            json: Some(crate::butane::JsonStyle::Compact),
            ..Options::default()
        },
    )
}

const MINIMAL: &str = "variant: openshift
version: 4.16.0
metadata:
  name: 99-worker-custom
  labels:
    machineconfiguration.openshift.io/role: worker
";

#[test]
fn machine_config_wraps_the_ignition_config() {
    let source = format!(
        "{MINIMAL}openshift:\n  kernel_arguments: [loglevel=7]\n  fips: true\n  kernel_type: realtime\n  extensions: [usbguard]\nstorage:\n  files:\n    - path: /etc/motd\n      mode: 0644\n      contents:\n        inline: |\n          hello\n          world\n"
    );
    let outcome = run(&source, false);
    let (Some(mc), Some(json)) = (outcome.machine_config, outcome.json) else {
        panic!("{:?}", outcome.diagnostics);
    };
    let yaml = String::from_utf8(mc.to_yaml(&json)).expect("utf-8");
    insta::assert_snapshot!(yaml);
}

#[test]
fn raw_output_warns_of_ignored_fields() {
    let source = format!("{MINIMAL}openshift:\n  fips: false\n  kernel_type: \"\"\n");
    let outcome = run(&source, true);
    let warnings: Vec<String> = outcome.diagnostics.iter().map(|d| d.butane_raw()).collect();
    insta::assert_snapshot!(warnings.join("\n"));
    assert!(outcome.config.is_some());
}
