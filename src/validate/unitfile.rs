//! systemd unit file parsing as Ignition does it (go-systemd v22's unit
//! deserializer), including its quirks:
//!
//! * text before the first `[` is skipped character by character (a `[`
//!   anywhere there starts a section, `#`/`;` start a comment line);
//! * an option name running into a line break, or into the end of the file,
//!   is an error (`unexpected newline …`, `EOF`);
//! * the 2048-byte line limit is checked the way go-systemd does it: before
//!   each lexer step, if at least 2048 bytes are buffered (Go's
//!   `bufio.Reader`, 4096-byte buffer, filled from the whole text) and the
//!   next 2048 contain no line break, the unit is rejected. Near the end of
//!   the text fewer bytes are buffered, so a final long line can slip
//!   through, as it does in Ignition.

/// One `Name=value` assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitOption {
    pub section: String,
    pub name: String,
    pub value: String,
}

/// What a successful parse found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitSummary {
    pub options: Vec<UnitOption>,
}

impl UnitSummary {
    /// Whether the unit has an `[Install]` section with at least one option
    /// (an empty `[Install]` header does not count, as in Ignition).
    pub fn has_install(&self) -> bool {
        self.options
            .iter()
            .any(|option| option.section == "Install")
    }
}

const LINE_MAX: usize = 2048;
const BUFFER_SIZE: usize = 4096;

/// Parses unit or drop-in `contents` like Ignition. The error is Ignition's
/// whole message, `invalid unit content: <reason>`.
pub fn parse_unit_contents(contents: &str) -> Result<UnitSummary, String> {
    let mut lexer = Lexer {
        buf: Buffer {
            data: contents.as_bytes(),
            r: 0,
            w: 0,
            eof: false,
            last_rune: 0,
        },
        options: Vec::new(),
    };
    match lexer.run() {
        Ok(()) => Ok(UnitSummary {
            options: lexer.options,
        }),
        Err(reason) => Err(format!("invalid unit content: {reason}")),
    }
}

/// Go's `bufio.Reader` over a `strings.Reader`, in absolute offsets: the
/// buffer holds `data[r..w]`.
struct Buffer<'a> {
    data: &'a [u8],
    r: usize,
    w: usize,
    /// A read hit the end and nobody has consumed that error yet.
    eof: bool,
    last_rune: usize,
}

impl Buffer<'_> {
    fn buffered(&self) -> usize {
        self.w - self.r
    }

    fn fill(&mut self) {
        if self.w >= self.data.len() {
            self.eof = true;
        } else {
            self.w = (self.r + BUFFER_SIZE).min(self.data.len());
        }
    }

    fn take_eof(&mut self) -> bool {
        std::mem::take(&mut self.eof)
    }

    /// Length of the UTF-8 sequence starting with `lead` (1 for invalid).
    fn rune_len(lead: u8) -> usize {
        match lead {
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF7 => 4,
            _ => 1,
        }
    }

    fn read_rune(&mut self) -> Option<char> {
        loop {
            let have = self.buffered();
            let full = self
                .data
                .get(self.r)
                .is_some_and(|&lead| have >= Self::rune_len(lead));
            if self.r + 4 <= self.w || full || self.eof || have >= BUFFER_SIZE {
                break;
            }
            self.fill();
        }
        if self.r == self.w {
            self.take_eof();
            return None;
        }
        let rest = self.data.get(self.r..self.w).unwrap_or_default();
        let len = rest.first().map_or(1, |&lead| Self::rune_len(lead));
        let (c, size) = match std::str::from_utf8(rest.get(..len).unwrap_or(rest)) {
            Ok(text) => text
                .chars()
                .next()
                .map_or(('\u{fffd}', 1), |c| (c, c.len_utf8())),
            Err(_) => ('\u{fffd}', 1),
        };
        self.r += size;
        self.last_rune = size;
        Some(c)
    }

    fn unread_rune(&mut self) {
        self.r -= self.last_rune;
        self.last_rune = 0;
    }

    /// `ReadBytes(delim)`: the text up to and including `delim`, and whether
    /// the end was hit first (then the text is everything that was left).
    fn read_until(&mut self, delim: u8) -> (usize, usize, bool) {
        let start = self.r;
        loop {
            // One `ReadSlice`.
            let mut searched = 0;
            loop {
                let window = self.data.get(self.r + searched..self.w).unwrap_or_default();
                if let Some(found) = window.iter().position(|&b| b == delim) {
                    self.r += searched + found + 1;
                    return (start, self.r, false);
                }
                if self.take_eof() {
                    self.r = self.w;
                    return (start, self.r, true);
                }
                if self.buffered() >= BUFFER_SIZE {
                    // ErrBufferFull: the fragment is kept, keep reading.
                    self.r = self.w;
                    break;
                }
                searched = self.buffered();
                self.fill();
            }
        }
    }

    fn bytes(&self, start: usize, end: usize) -> &[u8] {
        self.data.get(start..end).unwrap_or_default()
    }
}

enum Step {
    NextSection,
    SectionName,
    SectionSuffix(String),
    IgnoreLine(Box<Step>),
    SectionOrOption(String),
    OptionName(String),
    OptionValue {
        section: String,
        name: String,
        partial: Vec<u8>,
    },
}

struct Lexer<'a> {
    buf: Buffer<'a>,
    options: Vec<UnitOption>,
}

fn trim(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default().trim()
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), String> {
        let mut step = Some(Step::NextSection);
        while let Some(current) = step {
            if self.buf.buffered() >= LINE_MAX {
                let window = self.buf.bytes(self.buf.r, self.buf.r + LINE_MAX);
                if !window.iter().any(|&b| b == b'\n' || b == b'\r') {
                    return Err(format!("line too long (max {LINE_MAX} bytes)"));
                }
            }
            step = self.step(current)?;
        }
        Ok(())
    }

    /// `toEOL`: the rest of the line without its `\n` (a `\r` is only
    /// removed when there is no `\n`), and whether the end was hit.
    fn read_line(&mut self) -> (Vec<u8>, bool) {
        let (start, end, eof) = self.buf.read_until(b'\n');
        let mut line = self.buf.bytes(start, end);
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        if let Some(stripped) = line.strip_suffix(b"\n") {
            line = stripped;
        }
        (line.to_vec(), eof)
    }

    fn step(&mut self, step: Step) -> Result<Option<Step>, String> {
        Ok(match step {
            Step::NextSection => match self.buf.read_rune() {
                None => None,
                Some('[') => Some(Step::SectionName),
                Some('#' | ';') => Some(Step::IgnoreLine(Box::new(Step::NextSection))),
                Some(_) => Some(Step::NextSection),
            },
            Step::SectionName => {
                let (start, end, eof) = self.buf.read_until(b']');
                if eof {
                    return Err("unable to find end of section".to_owned());
                }
                let name = self.buf.bytes(start, end.saturating_sub(1));
                Some(Step::SectionSuffix(
                    String::from_utf8_lossy(name).into_owned(),
                ))
            }
            Step::SectionSuffix(section) => {
                let (garbage, _) = self.read_line();
                let garbage = trim(&garbage);
                if !garbage.is_empty() {
                    // go-systemd never fills in the section name here.
                    return Err(format!(
                        "found garbage after section name : {}",
                        crate::go::strconv::quote(garbage)
                    ));
                }
                Some(Step::SectionOrOption(section))
            }
            Step::IgnoreLine(next) => {
                loop {
                    let (line, _) = self.read_line();
                    let line = line.strip_suffix(b" ").unwrap_or(&line);
                    if !line.ends_with(b"\\") {
                        break;
                    }
                }
                Some(*next)
            }
            Step::SectionOrOption(section) => match self.buf.read_rune() {
                None => None,
                Some(c) if c.is_whitespace() => Some(Step::SectionOrOption(section)),
                Some('[') => Some(Step::SectionName),
                Some('#' | ';') => Some(Step::IgnoreLine(Box::new(Step::SectionOrOption(section)))),
                Some(_) => {
                    self.buf.unread_rune();
                    Some(Step::OptionName(section))
                }
            },
            Step::OptionName(section) => {
                let mut name = String::new();
                loop {
                    match self.buf.read_rune() {
                        None => return Err("EOF".to_owned()),
                        Some('\n' | '\r') => {
                            return Err("unexpected newline encountered while parsing option name"
                                .to_owned());
                        }
                        Some('=') => break,
                        Some(c) => name.push(c),
                    }
                }
                Some(Step::OptionValue {
                    section,
                    name: name.trim().to_owned(),
                    partial: Vec::new(),
                })
            }
            Step::OptionValue {
                section,
                name,
                mut partial,
            } => {
                let (line, eof) = self.read_line();
                if !trim(&line).is_empty() {
                    partial.extend_from_slice(&line);
                    if line.ends_with(b"\\") {
                        if !eof {
                            partial.push(b'\n');
                        }
                        return Ok(Some(Step::OptionValue {
                            section,
                            name,
                            partial,
                        }));
                    }
                }
                let raw = String::from_utf8_lossy(&partial);
                let value = if raw.ends_with('\n') {
                    format!("{}\n", raw.trim())
                } else {
                    raw.trim().to_owned()
                };
                self.options.push(UnitOption {
                    section: section.clone(),
                    name,
                    value,
                });
                Some(Step::SectionOrOption(section))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(contents: &str) -> String {
        parse_unit_contents(contents).err().unwrap_or_default()
    }

    #[test]
    fn parses_sections_and_options() {
        let unit =
            "# comment\n[Unit]\nDescription=a \\\n  b\n\n[Install]\nWantedBy=multi-user.target\n";
        let summary = parse_unit_contents(unit).expect("parses");
        assert!(summary.has_install());
        assert_eq!(summary.options.len(), 2);
        assert_eq!(summary.options[0].value, "a \\\n  b");
        assert!(
            !parse_unit_contents("[Install]\n")
                .expect("parses")
                .has_install()
        );
        assert_eq!(parse_unit_contents("").expect("parses").options, Vec::new());
        // Text before the first section is skipped.
        assert!(parse_unit_contents("Foo=bar\n[Unit]\n").is_ok());
    }

    #[test]
    fn errors_like_go_systemd() {
        assert_eq!(
            error("[Unit"),
            "invalid unit content: unable to find end of section"
        );
        assert_eq!(
            error("[Unit] x\n"),
            "invalid unit content: found garbage after section name : \"x\""
        );
        assert_eq!(
            error("[Unit]\nFoo\nBar=1\n"),
            "invalid unit content: unexpected newline encountered while parsing option name"
        );
        assert_eq!(error("[Unit]\nFoo"), "invalid unit content: EOF");
    }

    #[test]
    fn line_length_limit() {
        let long = format!(
            "[Service]\nExecStart={}\n[Install]\nWantedBy=a\n",
            "x".repeat(2100)
        );
        assert_eq!(
            error(&long),
            "invalid unit content: line too long (max 2048 bytes)"
        );
        let fits = format!("[Service]\nExecStart={}\n", "x".repeat(2000));
        assert!(parse_unit_contents(&fits).is_ok());
        // Long lines far into a big file are caught after buffer refills.
        let big = format!("{}[Service]\nA={}\n", "#\n".repeat(3000), "y".repeat(3000));
        assert_eq!(
            error(&big),
            "invalid unit content: line too long (max 2048 bytes)"
        );
        // A final long line with fewer than 2048 bytes left is not.
        let tail = format!("[Service]\nA={}", "z".repeat(2040));
        assert!(parse_unit_contents(&tail).is_ok());
    }
}
