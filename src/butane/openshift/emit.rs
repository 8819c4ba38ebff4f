//! YAML the way Butane writes a MachineConfig: go-yaml v3's encoder (two-space
//! indent, sequences indented under their key, keys in go-yaml's order,
//! multi-line strings as literal blocks, strings that would read back as
//! another type quoted) applied to a JSON value.

use std::cmp::Ordering;

use serde_json::Value;

use crate::yaml::quote::{self, Escapes};

/// Appends `value` (a mapping) as a YAML document.
pub fn document(value: &Value, out: &mut String) {
    match value {
        Value::Object(_) | Value::Array(_) => node(value, 0, out),
        scalar => {
            out.push_str(&scalar_text(scalar, 0));
            out.push('\n');
        }
    }
}

/// Writes a mapping or sequence whose first line starts where the cursor
/// is (after a `- ` or at the start of a line indented by `indent`).
fn node(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| key_order(a.0, b.0));
            for (position, (key, value)) in entries.into_iter().enumerate() {
                if position > 0 {
                    pad(indent, out);
                }
                out.push_str(&key_text(key));
                out.push(':');
                value_after_key(value, indent, out);
            }
        }
        Value::Array(items) => {
            for (position, item) in items.iter().enumerate() {
                if position > 0 {
                    pad(indent, out);
                }
                out.push_str("- ");
                match item {
                    Value::Object(map) if !map.is_empty() => node(item, indent + 2, out),
                    Value::Array(list) if !list.is_empty() => node(item, indent + 2, out),
                    _ => {
                        out.push_str(&scalar_text(item, indent + 2));
                        out.push('\n');
                    }
                }
            }
        }
        scalar => {
            out.push_str(&scalar_text(scalar, indent));
            out.push('\n');
        }
    }
}

fn value_after_key(value: &Value, indent: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            pad(indent + 2, out);
            node(value, indent + 2, out);
        }
        Value::Array(list) if !list.is_empty() => {
            out.push('\n');
            pad(indent + 2, out);
            node(value, indent + 2, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar_text(value, indent + 2));
            out.push('\n');
        }
    }
}

fn pad(indent: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar (or empty collection) as go-yaml writes it; a literal block's
/// lines are indented by `indent`.
fn scalar_text(value: &Value, indent: usize) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_text(n),
        Value::String(s) => string_text(s, indent, false),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
    }
}

fn key_text(key: &str) -> String {
    string_text(key, 0, true)
}

/// Butane decodes its JSON into Go `interface{}`, so every number is a
/// float64, which go-yaml writes with `strconv.FormatFloat(f, 'g', -1, 64)`:
/// exponent notation below 1e-4 and from 1e6 up (`1e+06`).
fn number_text(number: &serde_json::Number) -> String {
    let Some(f) = number.as_f64() else {
        return number.to_string();
    };
    go_float_g(f)
}

/// Go's shortest `%g` formatting of a float64.
fn go_float_g(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_owned();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits: `1.5e6`.
    let formatted = format!("{f:e}");
    let Some((mantissa, exponent)) = formatted.split_once('e') else {
        return formatted;
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return formatted;
    };
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if !(-4..6).contains(&exponent) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!("{sign}{first}{fraction}e{exp_sign}{:02}", exponent.abs());
    }
    let point = exponent + 1;
    if point <= 0 {
        let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
        return format!("{sign}0.{zeros}{digits}");
    }
    let point = usize::try_from(point).unwrap_or(0);
    if digits.len() <= point {
        format!("{sign}{digits}{}", "0".repeat(point - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..point], &digits[point..])
    }
}

#[derive(PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

fn string_text(s: &str, indent: usize, key: bool) -> String {
    match style(s, key) {
        Style::Plain => s.to_owned(),
        Style::Single => format!("'{}'", s.replace('\'', "''")),
        Style::Double => quote::double_quoted(s, Escapes::GoYaml),
        Style::Literal => literal(s, indent),
    }
}

/// go-yaml's choice: literal for multi-line text (where a block can hold
/// it), double quotes for text that would read back as another type, plain
/// where the emitter allows it, else single quotes, else double quotes.
fn style(s: &str, key: bool) -> Style {
    let special = s.chars().any(|c| Escapes::GoYaml.must_escape(c));
    let tabs = s.contains('\t');
    let space_break = s.contains(" \n");
    let break_space = s.contains("\n ");
    if s.contains('\n') {
        let block_allowed = !key && !special && !space_break && !s.ends_with(' ');
        return if block_allowed {
            Style::Literal
        } else {
            Style::Double
        };
    }
    if !quote::go_yaml_reads_as_string(s) {
        return Style::Double;
    }
    if plain_allowed(s) && !tabs && !special {
        return Style::Plain;
    }
    if !special && !tabs && !space_break && !break_space {
        return Style::Single;
    }
    Style::Double
}

/// What the emitter's scalar analysis lets stand plain in block context:
/// go-yaml's rule exactly (inspect's `is_plain_safe` quotes more, on purpose).
fn plain_allowed(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with(' ') || s.ends_with(' ') || s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    let second_is_space = s.chars().nth(1).is_none_or(|c| c == ' ');
    if matches!(
        first,
        '#' | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    ) || (matches!(first, '-' | '?' | ':') && second_is_space)
    {
        return false;
    }
    !(s.contains(": ") || s.ends_with(':') || s.contains(" #"))
}

/// A literal block: `|` with an indentation hint when the text starts with
/// a space or a break, `-` without a final newline, `+` with more than one;
/// each line indented, empty lines left empty.
fn literal(s: &str, indent: usize) -> String {
    let mut header = String::from("|");
    if s.starts_with(' ') || s.starts_with('\n') {
        header.push('2');
    }
    if !s.ends_with('\n') {
        header.push('-');
    } else if s.ends_with("\n\n") || s == "\n" {
        header.push('+');
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    let mut out = header;
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(line);
        }
    }
    out
}

/// go-yaml's order of mapping keys: letters before other characters
/// (after a digit run, the other way round), digit runs by their value,
/// otherwise by code point; a prefix first.
fn key_order(a: &str, b: &str) -> Ordering {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut digits = false;
    for i in 0..a.len().min(b.len()) {
        if a[i] == b[i] {
            digits = a[i].is_numeric();
            continue;
        }
        let a_letter = a[i].is_alphabetic();
        let b_letter = b[i].is_alphabetic();
        if a_letter && b_letter {
            return a[i].cmp(&b[i]);
        }
        if a_letter || b_letter {
            let a_first = if digits { a_letter } else { b_letter };
            return if a_first {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let mut a_number: i64 = 0;
        let mut b_number: i64 = 0;
        if a[i] == '0' || b[i] == '0' {
            let nonzero_before = a[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .any(|&c| c != '0');
            if nonzero_before {
                a_number = 1;
                b_number = 1;
            }
        }
        let mut a_end = i;
        while a_end < a.len() && a[a_end].is_ascii_digit() {
            a_number = a_number
                .saturating_mul(10)
                .saturating_add(i64::from(a[a_end] as u8 - b'0'));
            a_end += 1;
        }
        let mut b_end = i;
        while b_end < b.len() && b[b_end].is_ascii_digit() {
            b_number = b_number
                .saturating_mul(10)
                .saturating_add(i64::from(b[b_end] as u8 - b'0'));
            b_end += 1;
        }
        if a_number != b_number {
            return a_number.cmp(&b_number);
        }
        if a_end != b_end {
            return a_end.cmp(&b_end);
        }
        return a[i].cmp(&b[i]);
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_go_prints_them() {
        assert_eq!(go_float_g(420.0), "420");
        assert_eq!(go_float_g(123_456.0), "123456");
        assert_eq!(go_float_g(1_000_000.0), "1e+06");
        assert_eq!(go_float_g(1_234_567.0), "1.234567e+06");
        assert_eq!(go_float_g(0.5), "0.5");
        assert_eq!(go_float_g(-3.0), "-3");
    }

    #[test]
    fn keys_sort_as_go_yaml_sorts_them() {
        let mut keys = vec![
            "spec",
            "kind",
            "apiVersion",
            "metadata",
            "a10",
            "a9",
            "a_",
            "aB",
        ];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(
            keys,
            [
                "a_",
                "a9",
                "a10",
                "aB",
                "apiVersion",
                "kind",
                "metadata",
                "spec"
            ]
        );
    }

    #[test]
    fn strings_are_quoted_where_they_would_read_back_otherwise() {
        assert_eq!(string_text("", 0, false), "\"\"");
        assert_eq!(string_text("true", 0, false), "\"true\"");
        assert_eq!(string_text("yes", 0, false), "\"yes\"");
        assert_eq!(string_text("0644", 0, false), "\"0644\"");
        assert_eq!(string_text("1e3", 0, false), "\"1e3\"");
        assert_eq!(string_text("3.2.0", 0, false), "3.2.0");
        assert_eq!(string_text("data:,a%20b", 0, false), "data:,a%20b");
        assert_eq!(string_text("a: b", 0, false), "'a: b'");
        assert_eq!(string_text("- x", 0, false), "'- x'");
        assert_eq!(string_text("tab\there", 0, false), "\"tab\\there\"");
        assert_eq!(string_text("a\nb\n", 2, false), "|\n  a\n  b");
        assert_eq!(string_text("a\n\nb", 2, false), "|-\n  a\n\n  b");
    }
}
