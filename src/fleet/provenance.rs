//! Where the text of a rendered Quadlet file comes from, kept by `render`
//! so findings about the file can point at the source a person edits (see
//! `fleet::locate`): the service definition a unit was rendered from (its
//! merged YAML, whose nodes remember their file: the definition, the host's
//! override, the fleet defaults), the template and the variables it ran
//! with, or the literal `.j2` file.
//!
//! Which template line wrote which output line is found only when a
//! finding needs it, by rendering once more with a marker at the start of
//! every template line that prints text (`mark`), then reading the markers
//! back out of the output (`unmark`). The markers are private-use
//! characters; the stripped output must equal the real rendering, or the
//! lines are unknown.

use std::sync::Arc;

use minijinja::Value;

use crate::yaml::{FileId, Node};

/// What a rendered Quadlet file was made from.
#[derive(Clone, Debug)]
pub enum TextSource {
    /// A literal file: the text is the file's own, line for line.
    File,
    /// A unit rendered from a service definition.
    Definition(Box<DefinitionText>),
    /// A literal `.j2` file rendered with the literal-file variables.
    Templated { file: FileId, vars: Value },
}

/// A unit rendered from a service definition.
#[derive(Clone, Debug)]
pub struct DefinitionText {
    /// The merged definition (service definition + host overrides).
    pub node: Arc<Node>,
    /// The template's name (`quadlet.container.j2` or a `templates/` file).
    pub template: String,
    /// The template's file, for templates in `templates/`; `None` for the
    /// built-in.
    pub template_file: Option<FileId>,
    /// The variables the template ran with.
    pub vars: Value,
}

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// `source` with `OPEN n CLOSE` at the start of every line `n` that starts
/// outside a tag and does not start with a block tag, a comment or a
/// whitespace-trimming expression (a marker there would change what
/// `lstrip_blocks` and `{{-` strip).
pub fn mark(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + source.len() / 8);
    let mut closing: Option<&str> = None;
    for (index, line) in source.split_inclusive('\n').enumerate() {
        let start = line.trim_start();
        let trims = ["{%", "{#", "{{-"].iter().any(|t| start.starts_with(t));
        if closing.is_none() && !trims {
            out.push(OPEN);
            out.push_str(&(index + 1).to_string());
            out.push(CLOSE);
        }
        out.push_str(line);
        closing = tag_state(line, closing);
    }
    out
}

/// Whether a tag is still open at the end of `line` (its closing
/// delimiter), given the one open at its start.
fn tag_state<'a>(line: &str, mut closing: Option<&'a str>) -> Option<&'a str> {
    let mut rest = line;
    loop {
        match closing {
            Some(close) => match rest.find(close) {
                Some(at) => {
                    rest = &rest[at + close.len()..];
                    closing = None;
                }
                None => return closing,
            },
            None => {
                let at = rest.find('{')?;
                closing = match rest.as_bytes().get(at + 1) {
                    Some(b'{') => Some("}}"),
                    Some(b'%') => Some("%}"),
                    Some(b'#') => Some("#}"),
                    _ => None,
                };
                rest = &rest[at + if closing.is_some() { 2 } else { 1 }..];
            }
        }
    }
}

/// The template line of each line of `marked` (an output of a template
/// `mark`ed): the first marker on the line, `None` for lines without one.
/// `None` as a whole unless the output without markers is `expected`.
pub fn unmark(marked: &str, expected: &str) -> Option<Vec<Option<usize>>> {
    let mut text = String::with_capacity(marked.len());
    let mut lines = Vec::new();
    let mut current: Option<usize> = None;
    let mut chars = marked.chars();
    while let Some(c) = chars.next() {
        match c {
            OPEN => {
                let mut digits = String::new();
                for d in chars.by_ref() {
                    if d == CLOSE {
                        break;
                    }
                    digits.push(d);
                }
                let line = digits.parse().ok()?;
                current.get_or_insert(line);
            }
            '\n' => {
                text.push(c);
                lines.push(current.take());
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() && !text.ends_with('\n') {
        lines.push(current);
    }
    (text == expected).then_some(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(source: &str, vars: Value) -> String {
        let mut env = minijinja::Environment::new();
        crate::fleet::render::set_line_syntax(&mut env);
        env.render_str(source, vars).expect("renders")
    }

    #[test]
    fn output_lines_map_to_the_template_lines_that_wrote_them() {
        let source = "[Container]\nImage={{ image }}\n{% for p in ports %}\nPublishPort={{ p }}\n{% endfor %}\n{# a comment\n  over lines #}\n{{ key }}={{\n  value }}\n  {% if true %}\nLabel=x\n{% endif %}\n";
        let vars = minijinja::context! { image => "a:1", ports => vec!["1:1", "2:2"], key => "K", value => "v" };
        let plain = render(source, vars.clone());
        let marked = render(&mark(source), vars);
        let lines = unmark(&marked, &plain).expect("markers strip to the real output");
        let pairs: Vec<(&str, Option<usize>)> = plain.lines().zip(lines).collect();
        assert_eq!(
            pairs,
            [
                ("[Container]", Some(1)),
                ("Image=a:1", Some(2)),
                ("PublishPort=1:1", Some(4)),
                ("PublishPort=2:2", Some(4)),
                ("K=v", Some(8)),
                ("Label=x", Some(11)),
            ]
        );
    }

    #[test]
    fn output_that_does_not_match_has_no_lines() {
        assert_eq!(unmark("\u{E000}1\u{E001}a\n", "b\n"), None);
        assert_eq!(
            unmark("\u{E000}1\u{E001}a\nb", "a\nb"),
            Some(vec![Some(1), None])
        );
    }
}
