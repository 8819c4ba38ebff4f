//! Parsed Butane YAML back to text, meaning what it meant: plain scalars
//! are written exactly as they were (`0644` stays the octal mode, `true` a
//! boolean), tagged ones with their tag, quoted and block ones as strings.
//! Comments and the original layout are not kept.

use crate::inspect::yaml_emit::{self, Yaml};
use crate::yaml::quote::{self, Escapes};
use crate::yaml::{Node, Scalar, Style, Value};

/// The short form of go-yaml's standard tags.
const TAG_PREFIX: &str = "tag:yaml.org,2002:";

/// `node` as an emitter value.
pub fn to_yaml(node: &Node) -> Yaml {
    match &node.value {
        Value::Scalar(scalar) => scalar_yaml(scalar),
        Value::Sequence(items) => Yaml::Seq(items.iter().map(to_yaml).collect()),
        Value::Mapping(entries) => Yaml::Map(
            entries
                .iter()
                .map(|entry| {
                    let key = entry
                        .key
                        .as_scalar()
                        .map_or_else(String::new, |s| s.text.clone());
                    (key, to_yaml(&entry.value))
                })
                .collect(),
        ),
    }
}

fn scalar_yaml(scalar: &Scalar) -> Yaml {
    let text = &scalar.text;
    match scalar.tag.as_deref() {
        Some(tag) if tag != format!("{TAG_PREFIX}str") => {
            let short = tag
                .strip_prefix(TAG_PREFIX)
                .map_or_else(|| format!("!<{tag}>"), |name| format!("!!{name}"));
            let value = if scalar.style == Style::Plain && one_line(text) {
                text.clone()
            } else {
                quote::double_quoted(text, Escapes::Visible)
            };
            Yaml::Raw(format!("{short} {value}"))
        }
        Some(_) => Yaml::Str(text.clone()),
        None if scalar.style == Style::Plain => {
            if text.is_empty() {
                Yaml::Raw("null".to_owned())
            } else if one_line(text) {
                Yaml::Raw(text.clone())
            } else {
                // A plain scalar folded over lines is a string either way.
                Yaml::Str(text.clone())
            }
        }
        None => Yaml::Str(text.clone()),
    }
}

/// Text that can stand as a plain scalar on one line as it stood before.
fn one_line(text: &str) -> bool {
    !text.contains('\n') && text.trim() == text
}

/// A document: `header` comment lines, then `doc`.
pub fn document(header: &[String], doc: &Yaml) -> String {
    let mut out = String::new();
    for line in header {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&yaml_emit::to_string(doc));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) {
        let node = crate::yaml::parse(text)
            .expect("parses")
            .expect("a document");
        let emitted = yaml_emit::to_string(&to_yaml(&node));
        let again = crate::yaml::parse(&emitted)
            .expect("emitted text parses")
            .expect("a document");
        // A string quoted only by choice comes back plain, as the same
        // string: the text, not the style, must be stable.
        assert_eq!(emitted, yaml_emit::to_string(&to_yaml(&again)));
    }

    #[test]
    fn scalars_keep_their_meaning() {
        round_trip(
            "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n      mode: 0644\n      overwrite: true\n      contents:\n        inline: !!binary aGk=\n    - path: \"/b c\"\n      contents:\n        inline: |\n          two\n          lines\n    - path: /c\n      contents: { inline: 'quoted: yes' }\nsystemd:\n  units:\n    - name: x.service\n      enabled: no\n      contents: \"0644\"\n",
        );
        let node = crate::yaml::parse("mode: 0644\ntext: '0644'\nempty:\n")
            .expect("parses")
            .expect("a document");
        assert_eq!(
            yaml_emit::to_string(&to_yaml(&node)),
            "mode: 0644\ntext: \"0644\"\nempty: null\n"
        );
    }
}
