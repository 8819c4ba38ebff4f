//! An RFC 2397 `data:` URL checker that accepts and rejects what Ignition's
//! decoder (`vincent-petithory/dataurl`) does, with the same messages.
//!
//! Grammar as that decoder reads it: `data:` then an optional media type
//! (`type/subtype`, where `type` must start with one of the RFC 2045 discrete
//! or composite types unless it is an `x-` token), parameters
//! (`;attr=value`, value a token with `%XX` escapes or a quoted string with
//! Go escapes), an optional final `;base64`, a comma, and the data: printable
//! URL characters with `%XX` escapes, or padded standard base64.

use super::gotext::{base64_alphabet_run, go_base64_check, go_unquote_check};

/// Checks `url` (the whole `data:` URL); the error is the decoder's message.
pub(crate) fn check(url: &str) -> Result<(), String> {
    let mut lexer = Lexer {
        text: url,
        pos: 0,
        quote_pending: false,
    };
    lexer.run()
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    /// A `"` opened a parameter value whose text has not been decoded yet
    /// (an empty quoted value leaves it set for the next value).
    quote_pending: bool,
}

fn err<T>(message: &str) -> Result<T, String> {
    Err(message.to_owned())
}

/// RFC 2045 token characters.
fn is_token(c: char) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            '(' | ')'
                | '<'
                | '>'
                | '@'
                | ','
                | ';'
                | ':'
                | '\\'
                | '"'
                | '/'
                | '['
                | ']'
                | '?'
                | '='
        )
}

/// Characters allowed unescaped in the (non-base64) data.
fn is_url_char(c: char) -> bool {
    c.is_ascii_graphic()
        && !matches!(
            c,
            '<' | '>' | '#' | '"' | '{' | '}' | '|' | '\\' | '^' | '[' | ']' | '`'
        )
}

fn is_base64_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '\n')
}

fn is_known_type(text: &str) -> bool {
    [
        "text",
        "image",
        "audio",
        "video",
        "application",
        "message",
        "multipart",
    ]
    .iter()
    .any(|prefix| text.starts_with(prefix))
}

impl<'a> Lexer<'a> {
    fn next(&mut self) -> Option<char> {
        let c = self.text.get(self.pos..)?.chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn back(&mut self, c: char) {
        self.pos -= c.len_utf8();
    }

    fn slice(&self, start: usize) -> &'a str {
        self.text.get(start..self.pos).unwrap_or("")
    }

    fn run(&mut self) -> Result<(), String> {
        if !self.text.starts_with("data:") {
            return err("missing data prefix");
        }
        self.pos = 5;
        let start = self.pos;
        match self.next() {
            Some(';') => self.parameters(),
            Some(',') => self.data(false),
            None => err("missing comma before data"),
            Some('x' | 'X') => {
                // The character after the `x` is consumed unchecked.
                let extension = self.next() == Some('-');
                self.media_type(start, !extension)
            }
            Some(c) if is_token(c) => self.media_type(start, true),
            Some(_) => err("invalid character after data prefix"),
        }
    }

    fn media_type(&mut self, start: usize, check_type: bool) -> Result<(), String> {
        loop {
            match self.next() {
                Some('/') => {
                    let kind = self.text.get(start..self.pos - 1).unwrap_or("");
                    if check_type && !is_known_type(kind) {
                        return err("invalid media type");
                    }
                    break;
                }
                None => return err("missing media type slash"),
                Some(c) if is_token(c) => {}
                Some(_) => return err("invalid character for media type"),
            }
        }
        loop {
            match self.next() {
                Some(';') => return self.parameters(),
                Some(',') => return self.data(false),
                None => return err("incomplete media type"),
                Some(c) if is_token(c) => {}
                Some(_) => return err("invalid character for media subtype"),
            }
        }
    }

    /// Called just after a `;`.
    fn parameters(&mut self) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('=' | ',') => return err("unterminated parameter sequence"),
                Some(c) if is_token(c) => self.back(c),
                Some(_) => return err("invalid character for parameter attribute"),
            }
            let attribute = self.pos;
            loop {
                match self.next() {
                    Some('=') => break,
                    Some(',') => {
                        self.back(',');
                        let name = self.slice(attribute);
                        if name != "base64" {
                            return Err(format!("expected base64, got {name}"));
                        }
                        self.pos += 1;
                        return self.data(true);
                    }
                    None => return err("unterminated parameter sequence"),
                    Some(c) if is_token(c) => {}
                    Some(_) => return err("invalid character for parameter attribute"),
                }
            }
            self.value()?;
            match self.next() {
                Some(';') => {}
                Some(',') => return self.data(false),
                None => return err("missing comma before data"),
                Some(_) => return err("expected semicolon or comma"),
            }
        }
    }

    /// A parameter value, just after its `=`.
    fn value(&mut self) -> Result<(), String> {
        match self.next() {
            Some('"') => {
                self.quote_pending = true;
                let start = self.pos;
                loop {
                    match self.next() {
                        None => return err("unclosed quoted string"),
                        Some('\\') => match self.next() {
                            None => {}
                            Some(c) if c.is_ascii() => {}
                            Some(_) => return err("invalid escaped character"),
                        },
                        Some('"') => {
                            let text = self.text.get(start..self.pos - 1).unwrap_or("");
                            if !text.is_empty() {
                                self.decode_value(text)?;
                            }
                            return Ok(());
                        }
                        Some(c) if c.is_ascii() => {}
                        Some(_) => return err("invalid character for parameter value"),
                    }
                }
            }
            None => err("missing comma before data"),
            Some(c) if is_token(c) => {
                let start = self.pos - c.len_utf8();
                loop {
                    match self.next() {
                        Some(c @ (';' | ',')) => {
                            self.back(c);
                            let text = self.slice(start);
                            return self.decode_value(text);
                        }
                        None => return err("missing comma before data"),
                        Some(c) if is_token(c) => {}
                        Some(_) => return err("invalid character for parameter value"),
                    }
                }
            }
            Some(_) => err("invalid character for parameter value"),
        }
    }

    fn decode_value(&mut self, text: &str) -> Result<(), String> {
        if std::mem::take(&mut self.quote_pending) {
            go_unquote_check(text)
        } else {
            percent_decode_check(text)
        }
    }

    /// The data, just after the comma.
    fn data(&mut self, base64: bool) -> Result<(), String> {
        let start = self.pos;
        if base64 {
            // The base64 alphabet passes `is_base64_char`: skip its runs in
            // bulk (data URLs run to tens of megabytes).
            let rest = self.text.get(start..).unwrap_or_default();
            self.pos += base64_alphabet_run(rest.as_bytes());
        }
        while let Some(c) = self.next() {
            let ok = if base64 {
                is_base64_char(c)
            } else {
                is_url_char(c)
            };
            if !ok {
                return err("invalid data character");
            }
        }
        let payload = self.slice(start);
        if base64 {
            go_base64_check(payload.as_bytes())
                .map_err(|offset| format!("illegal base64 data at input byte {offset}"))
        } else {
            percent_decode_check(payload)
        }
    }
}

/// The decoder's RFC 2396 unescaping: `%` must be followed by two hex digits.
fn percent_decode_check(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte >= 0x80 {
            return err("rfc2396: non-ASCII char detected");
        }
        index += 1;
        if byte == b'%' {
            for _ in 0..2 {
                match bytes.get(index) {
                    None => return err("rfc2396: unexpected end of unescape sequence"),
                    Some(b) if b.is_ascii_hexdigit() => index += 1,
                    // The decoder names the `%`, not the bad character.
                    Some(_) => return err("rfc2396: invalid char 0x25 in unescape sequence"),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(url: &str) -> String {
        check(url).err().unwrap_or_default()
    }

    #[test]
    fn accepts_butane_style_urls() {
        for ok in [
            "data:,",
            "data:,hello%20world%0A",
            "data:;base64,",
            "data:;base64,SGVsbG8=",
            "data:;base64,SGk=",
            "data:text/plain;charset=utf-8;base64,SGVsbG8=",
            "data:text/plain;charset=\"utf\\\"8\",x",
            "data:x-foo/bar,x",
            "data:application/json,%7B%7D",
            "data:,a!$&'()*+,;=:@~-._/?%41",
        ] {
            assert_eq!(check(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn rejects_with_decoder_messages() {
        assert_eq!(msg("date:,x"), "missing data prefix");
        assert_eq!(msg("data:"), "missing comma before data");
        assert_eq!(msg("data:,a b"), "invalid data character");
        assert_eq!(msg("data:,a#b"), "invalid data character");
        assert_eq!(msg("data:,é"), "invalid data character");
        assert_eq!(
            msg("data:,%4"),
            "rfc2396: unexpected end of unescape sequence"
        );
        assert_eq!(
            msg("data:,%zz"),
            "rfc2396: invalid char 0x25 in unescape sequence"
        );
        assert_eq!(msg("data:text,x"), "invalid character for media type");
        assert_eq!(msg("data:text"), "missing media type slash");
        assert_eq!(msg("data:foo/bar,x"), "invalid media type");
        assert_eq!(msg("data:text/plain"), "incomplete media type");
        assert_eq!(
            msg("data:text/pl@in,x"),
            "invalid character for media subtype"
        );
        assert_eq!(msg("data:;,x"), "unterminated parameter sequence");
        assert_eq!(msg("data:;b64,x"), "expected base64, got b64");
        assert_eq!(msg("data:;a=b"), "missing comma before data");
        assert_eq!(msg("data:;a=\"b"), "unclosed quoted string");
        assert_eq!(msg("data:;a=\"\\q\",x"), "invalid syntax");
        assert_eq!(
            msg("data:;a=%zz,x"),
            "rfc2396: invalid char 0x25 in unescape sequence"
        );
        assert_eq!(msg("data:;a=\"b\"c,x"), "expected semicolon or comma");
        assert_eq!(msg("data:@,x"), "invalid character after data prefix");
        assert_eq!(
            msg("data:;base64,SGk"),
            "illegal base64 data at input byte 0"
        );
        assert_eq!(
            msg("data:;base64,SGVsbG8"),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(
            msg("data:;base64,SG=k"),
            "illegal base64 data at input byte 2"
        );
        assert_eq!(msg("data:application/json,{}"), "invalid data character");
        assert_eq!(
            msg("data:;base64,S==="),
            "illegal base64 data at input byte 1"
        );
        assert_eq!(
            msg("data:;base64,SGk=SGk="),
            "illegal base64 data at input byte 4"
        );
        assert_eq!(msg("data:;base64,SG-k"), "invalid data character");
    }

    #[test]
    fn empty_quoted_value_leaves_next_value_quoted() {
        // The decoder's quirk: `%zz` is then read as a Go string, not unescaped.
        assert_eq!(check("data:;a=\"\";b=%zz,x"), Ok(()));
    }
}
