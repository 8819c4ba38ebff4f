//! Plain words for a YAML syntax error: what is most likely wrong at the
//! line the parser stopped, read from the source lines around it (a tab,
//! an indentation that lines up with nothing, a missing `:` or `-`, a
//! quote never closed, a `: ` inside a value, a character that cannot
//! start a value). The parser's own words stay the message; this is the
//! help under it.

use super::YamlError;

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn significant(line: &str) -> bool {
    let trimmed = line.trim();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// What is likely wrong, for an error in `text`; `None` when nothing
/// better than the parser's words can be said.
pub fn explain(text: &str, error: &YamlError) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let number = error.position.line;
    let message = error.message.as_str();
    if message.contains("flow sequence") || message.contains("flow mapping") {
        return Some(
            "a `[` or `{` list opened above is not closed: close it on the same line, or write one `- item` per line".to_owned(),
        );
    }
    let line = *lines.get(number.checked_sub(1)?)?;
    let leading: String = line.chars().take_while(|c| c.is_whitespace()).collect();
    if leading.contains('\t') || message.contains("tab") {
        return Some(format!(
            "line {number} is indented with a tab: YAML indents with spaces only; replace the tab with spaces"
        ));
    }
    if message.contains("quoted scalar") {
        return Some(format!(
            "the quote that starts at line {number}, column {} is never closed: end the value with the same quote on that line (text over several lines reads better as a block, `key: |`)",
            error.position.column
        ));
    }
    if let Some(rest) = message.split("unexpected character: `").nth(1) {
        let character = rest.chars().next()?;
        return Some(format!(
            "`{character}` cannot start a value: put the value in quotes (\"{character}...\")"
        ));
    }
    let trimmed = line.trim();
    let previous = lines
        .get(..number - 1)?
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| significant(l))
        .map(|(i, l)| (i + 1, *l));
    if message.contains("simple key expect ':'") {
        // The parser notices at the next line; the culprit is the line
        // that is neither a `key:` nor a `- ` item.
        let bare = |l: &str| !l.contains(':') && !l.trim_start().starts_with('-');
        let (at, culprit) = match previous {
            Some((at, above)) if !bare(line) && bare(above) => (at, above.trim()),
            _ => (number, trimmed),
        };
        return Some(format!(
            "line {at} (`{culprit}`) is neither `key: value` nor a list item: add `:` after the key, or `- ` before the item"
        ));
    }
    if message.contains("mapping values are not allowed") {
        let value = trimmed
            .trim_start_matches("- ")
            .split_once(": ")
            .map(|(_, value)| value);
        if value.is_some_and(|value| value.contains(": ") || value.trim_end().ends_with(':')) {
            return Some(format!(
                "line {number} has a second `: `: a value that holds `: ` must be quoted (key: \"a: b\")"
            ));
        }
        if let Some((at, above)) = previous
            && indent(line) > indent(above)
            && above
                .split_once(": ")
                .is_some_and(|(_, value)| !value.trim().is_empty())
        {
            return Some(format!(
                "line {number} is indented more than line {at}, whose key already has a value: indent it like line {at} to make it the next key"
            ));
        }
    }
    let here = indent(line);
    let earlier: Vec<usize> = lines
        .get(..number - 1)?
        .iter()
        .filter(|l| significant(l))
        .map(|l| indent(l))
        .collect();
    if earlier.contains(&here) {
        return None;
    }
    let below = earlier.iter().filter(|&&i| i < here).max();
    let above = earlier.iter().filter(|&&i| i > here).min();
    let near = match (below, above) {
        (Some(b), Some(a)) => format!(" (the nearest use {b} and {a})"),
        (Some(n), None) | (None, Some(n)) => format!(" (the nearest uses {n})"),
        (None, None) => String::new(),
    };
    Some(format!(
        "line {number} is indented by {here} space{}, which lines up with no line above it{near}: the keys of one mapping, and the `- ` items of one list, line up exactly",
        if here == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help(text: &str) -> Option<String> {
        let error = crate::yaml::parse(text).expect_err("a syntax error");
        explain(text, &error)
    }

    #[test]
    fn the_likely_mistake_in_plain_words() {
        let cases = [
            ("services:\n\t- web\n", "indented with a tab"),
            (
                "services:\n  - web\n - db\n",
                "indented by 1 space, which lines up with no line above it (the nearest use 0 and 2)",
            ),
            (
                "hostname: a\n  services: []\n",
                "indented more than line 1, whose key already has a value",
            ),
            ("hostname: a: b\n", "a value that holds `: ` must be quoted"),
            (
                "services:\n  - web\nhostname a\nx: 1\n",
                "(`hostname a`) is neither `key: value` nor a list item",
            ),
            ("hostname: \"a\n", "never closed"),
            ("hostname: @a\n", "`@` cannot start a value"),
            ("services: [web, db\n", "is not closed"),
        ];
        for (text, expected) in cases {
            let help = help(text).unwrap_or_default();
            assert!(help.contains(expected), "{text:?}: {help}");
        }
    }
}
