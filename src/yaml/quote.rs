//! Writing a string back as a YAML scalar, for the two emitters (the
//! openshift MachineConfig in `butane::openshift` and the decompiled configs
//! of `inspect`): the one double-quoting routine, under an escape policy,
//! and the checks whether a plain scalar would read back as a string.
//!
//! The policies differ on purpose: a MachineConfig must match go-yaml's
//! encoder byte for byte (Butane compatibility), while `inspect` output is
//! for people and escapes bidirectional controls so a reader sees them.

use std::fmt::Write as _;

/// Which characters a double-quoted scalar escapes, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escapes {
    /// go-yaml v3's encoder, exactly: its named escapes (`\a \b \v \f \e
    /// \N \_ \L \P`), and `\x`, `\u` or `\U` for what it deems unprintable
    /// (and the BOM).
    GoYaml,
    /// For a human reader: controls, the YAML 1.1 line separators, the BOM
    /// and bidirectional overrides, all as `\x`/`\u` numbers; everything
    /// else as itself.
    Visible,
}

impl Escapes {
    /// Whether `c` (other than a line break or a tab) must be escaped, so
    /// cannot stand unquoted or in a literal block.
    pub fn must_escape(self, c: char) -> bool {
        if c == '\n' || c == '\t' {
            return false;
        }
        match self {
            Escapes::GoYaml => !go_yaml_printable(c) || c == '\u{feff}',
            Escapes::Visible => {
                c.is_control()
                    || matches!(
                        c,
                        '\u{2028}'
                            | '\u{2029}'
                            | '\u{feff}'
                            | '\u{202a}'..='\u{202e}'
                            | '\u{2066}'..='\u{2069}'
                    )
            }
        }
    }

    /// go-yaml's short escapes; [`Escapes::Visible`] uses none of them so
    /// that every hidden character shows as its code point.
    fn named(self, c: char) -> Option<&'static str> {
        if self == Escapes::Visible {
            return None;
        }
        Some(match c {
            '\u{7}' => "\\a",
            '\u{8}' => "\\b",
            '\u{b}' => "\\v",
            '\u{c}' => "\\f",
            '\u{1b}' => "\\e",
            '\u{85}' => "\\N",
            '\u{a0}' => "\\_",
            '\u{2028}' => "\\L",
            '\u{2029}' => "\\P",
            _ => return None,
        })
    }
}

/// go-yaml's `is_printable`: what its emitter lets stand as itself.
fn go_yaml_printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// `text` as a double-quoted scalar (which can represent any string), with
/// the escapes `escapes` asks for.
pub fn double_quoted(text: &str, escapes: Escapes) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c => match escapes.named(c) {
                Some(name) => out.push_str(name),
                None if escapes.must_escape(c) => {
                    let code = u32::from(c);
                    // Writing to a String cannot fail.
                    let _ = if code <= 0xff {
                        write!(out, "\\x{code:02X}")
                    } else if code <= 0xffff {
                        write!(out, "\\u{code:04X}")
                    } else {
                        write!(out, "\\U{code:08X}")
                    };
                }
                None => out.push(c),
            },
        }
    }
    out.push('"');
    out
}

// Whether a plain scalar reads back as a string is asked two ways, on
// purpose: the openshift emitter must quote exactly what go-yaml quotes (so
// `3.2.0` stays plain), `inspect` only needs every reader, YAML 1.1 or 1.2,
// to read its output back unchanged (so it quotes `3.2.0` too).

/// Whether go-yaml v3 reads `s`, written plain, back as a string: not a
/// null, bool or number, nor an old-style bool or base-60 float, which its
/// encoder also quotes. Exact, for output that must match go-yaml's.
pub fn go_yaml_reads_as_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "y",
        "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO", "off", "Off",
        "OFF", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
        ".nan", ".NaN", ".NAN", "<<",
    ];
    if WORDS.contains(&s) {
        return false;
    }
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_digit() || matches!(first, '+' | '-' | '.')) {
        return true;
    }
    !(go_yaml_numeric(s) || go_yaml_base60(s))
}

/// Integers in any base Go's `ParseInt(s, 0, 64)` takes (underscores
/// removed) and anything `ParseFloat` or YAML's float pattern reads.
fn go_yaml_numeric(s: &str) -> bool {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let unsigned = plain.trim_start_matches(['+', '-']);
    let radix_digits = |prefix: &str, radix: u32| {
        unsigned
            .strip_prefix(prefix)
            .or_else(|| unsigned.strip_prefix(&prefix.to_uppercase()))
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_digit(radix)))
    };
    if radix_digits("0x", 16) || radix_digits("0o", 8) || radix_digits("0b", 2) {
        return true;
    }
    if !unsigned.is_empty() && unsigned.chars().all(|c| c.is_ascii_digit()) {
        return true;
    }
    // Float forms: digits with a point and/or an exponent.
    let lower = unsigned.to_ascii_lowercase();
    let (mantissa, exponent) = match lower.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (lower.as_str(), None),
    };
    let mantissa_ok = {
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        (!whole.is_empty() || !fraction.is_empty()) && digits(whole) && digits(fraction)
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.trim_start_matches(['+', '-']);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok && mantissa != "."
}

/// `190:20:30`-style sexagesimal floats YAML 1.1 had.
fn go_yaml_base60(s: &str) -> bool {
    let unsigned = s.trim_start_matches(['+', '-']);
    let Some((head, rest)) = unsigned.split_once(':') else {
        return false;
    };
    let head_ok = head.starts_with(|c: char| c.is_ascii_digit())
        && head.chars().all(|c| c.is_ascii_digit() || c == '_');
    let (groups, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    let groups_ok = groups
        .split(':')
        .all(|g| (1..=2).contains(&g.len()) && g.chars().all(|c| c.is_ascii_digit()) && g < "60");
    head_ok && groups_ok && fraction.chars().all(|c| c.is_ascii_digit() || c == '_')
}

/// Whether any YAML 1.1 or 1.2 reader might read `text`, written plain, as
/// null, a boolean or a number. Deliberately broad: anything starting like
/// a number and made of number characters counts (versions, IPv6
/// addresses, sexagesimal `1:20`), which only costs a pair of quotes.
pub fn might_read_as_non_string(text: &str) -> bool {
    const WORDS: [&str; 28] = [
        "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        "=", "<<",
    ];
    if WORDS.contains(&text) {
        return true;
    }
    let mut chars = text.chars();
    let starts_numeric = match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('-' | '+' | '.') => chars.next().is_some_and(|c| c.is_ascii_digit() || c == '.'),
        _ => false,
    };
    starts_numeric
        && text
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "xXoObB_:.+-eEiInNfF".contains(c))
        || matches!(
            text.to_ascii_lowercase().as_str(),
            ".inf" | "+.inf" | "-.inf" | ".nan"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policies_differ_only_where_they_should() {
        // (text, go-yaml's form, the visible form)
        let cases = [
            (
                "a\"b\\c\nd\te\rf\0",
                "\"a\\\"b\\\\c\\nd\\te\\rf\\0\"",
                "\"a\\\"b\\\\c\\nd\\te\\rf\\0\"",
            ),
            ("é ✓ 🔥", "\"é ✓ 🔥\"", "\"é ✓ 🔥\""),
            ("bom\u{feff}", "\"bom\\uFEFF\"", "\"bom\\uFEFF\""),
            ("del\u{7f}", "\"del\\x7F\"", "\"del\\x7F\""),
            ("\u{1}\u{9f}", "\"\\x01\\x9F\"", "\"\\x01\\x9F\""),
            // go-yaml's named escapes; by code point for a reader.
            (
                "\u{7}\u{8}\u{b}\u{c}\u{1b}",
                "\"\\a\\b\\v\\f\\e\"",
                "\"\\x07\\x08\\x0B\\x0C\\x1B\"",
            ),
            // A no-break space is harmless to a reader; go-yaml writes `\_`.
            (
                "\u{85}\u{a0}\u{2028}\u{2029}",
                "\"\\N\\_\\L\\P\"",
                "\"\\x85\u{a0}\\u2028\\u2029\"",
            ),
            // Unprintable to go-yaml, harmless on a screen.
            ("\u{fffe}", "\"\\uFFFE\"", "\"\u{fffe}\""),
            // Bidirectional controls: printable to go-yaml, shown to a reader.
            (
                "\u{202e}\u{2066}",
                "\"\u{202e}\u{2066}\"",
                "\"\\u202E\\u2066\"",
            ),
        ];
        for (text, go, visible) in cases {
            assert_eq!(double_quoted(text, Escapes::GoYaml), go, "{text:?}");
            assert_eq!(double_quoted(text, Escapes::Visible), visible, "{text:?}");
        }
    }

    #[test]
    fn must_escape_follows_the_policy() {
        for escapes in [Escapes::GoYaml, Escapes::Visible] {
            assert!(!escapes.must_escape('\n'));
            assert!(!escapes.must_escape('\t'));
            assert!(!escapes.must_escape('a'));
            assert!(escapes.must_escape('\u{1b}'));
            assert!(escapes.must_escape('\u{feff}'));
        }
        assert!(Escapes::Visible.must_escape('\u{2028}'));
        assert!(!Escapes::GoYaml.must_escape('\u{2028}'));
        assert!(Escapes::Visible.must_escape('\u{85}'));
        assert!(!Escapes::GoYaml.must_escape('\u{85}'));
        assert!(Escapes::GoYaml.must_escape('\u{fffe}'));
        assert!(!Escapes::Visible.must_escape('\u{fffe}'));
    }

    #[test]
    fn the_two_plain_checks_answer_different_questions() {
        // (text, go-yaml reads it as a string, some reader might not)
        let cases = [
            ("", false, false),
            ("true", false, true),
            ("yes", false, true),
            ("Off", false, true),
            ("~", false, true),
            ("0644", false, true),
            ("1e3", false, true),
            ("0x1F", false, true),
            ("1:20", false, true),
            (".inf", false, true),
            // go-yaml reads these as strings; inspect quotes them anyway.
            ("3.2.0", true, true),
            ("2001:db8::1", true, true),
            ("1:75", true, true),
            ("=", true, true),
            ("plain", true, false),
            ("data:,a%20b", true, false),
            ("/etc/hostname", true, false),
        ];
        for (text, go_string, maybe_not) in cases {
            assert_eq!(
                (
                    go_yaml_reads_as_string(text),
                    might_read_as_non_string(text)
                ),
                (go_string, maybe_not),
                "{text:?}"
            );
        }
    }
}
