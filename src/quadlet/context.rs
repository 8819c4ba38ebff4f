//! The state one validation run shares between its checks (`validate`
//! drives them; `rules`, `refs`, `lints` and `validate`'s own key checks
//! use it), and the small helpers they all need: key paths, positions
//! inside values, and whether a value is only known at runtime.

use super::ValidateOptions;
use super::name::{QuadletFile, UnitKind};
use super::parse::{Entry, Position, UnitFile};
use crate::diag::{Code, Diagnostic, Severity};
use semver::Version;

/// The systemd sections every Quadlet file may have.
pub(crate) const SYSTEMD_SECTIONS: [&str; 3] = ["Unit", "Service", "Install"];

/// Shared state of one validation run.
pub(crate) struct Ctx<'a> {
    pub file: &'a QuadletFile,
    pub unit: &'a UnitFile,
    pub opts: &'a ValidateOptions<'a>,
    pub kind: UnitKind,
    pub out: Vec<Diagnostic>,
}

impl Ctx<'_> {
    /// Records a finding about `key_path` (see [`finding`]).
    pub fn push(
        &mut self,
        severity: Severity,
        code: Code,
        pos: Position,
        key_path: String,
        message: String,
    ) {
        self.out
            .push(finding(severity, code, pos, &key_path, &message));
    }

    /// The own section of the file's kind (`Container`, ...).
    pub fn section(&self) -> &'static str {
        self.kind.section()
    }

    /// True for drop-in files (no required-key checks).
    pub fn is_dropin(&self) -> bool {
        matches!(self.file, QuadletFile::DropIn(_))
    }

    /// Position of the own section header, or 1:1.
    pub fn section_pos(&self) -> Position {
        self.unit
            .section_header(self.section())
            .unwrap_or(Position::START)
    }

    pub fn version(&self) -> &Version {
        &self.opts.podman_version
    }

    /// Version comparison that treats `6.0.0` as satisfying `6.0.0-rc1`.
    pub fn at_least(&self, since: &Version) -> bool {
        self.version() >= since
    }
}

/// A finding at `pos` whose message names what it is about first:
/// `"[Container] Image …"`, `"[Volume] …"`, or just the message for the
/// whole file (`key_path` empty). What the message names itself (the key
/// as `` `Key` `` or `` `Key=…` ``, the section as `[Section]`) is not
/// named again in front of it: `"[Container] PublishPorts unknown key
/// `PublishPorts` in [Container]"` would say everything twice.
pub(crate) fn finding(
    severity: Severity,
    code: Code,
    pos: Position,
    key_path: &str,
    message: &str,
) -> Diagnostic {
    let subject = subject(key_path, message);
    let message = format!("{subject} {message}").trim().to_owned();
    Diagnostic::new(severity, code, message).at_position(pos)
}

/// The part of `key_path` (`"[Section] Key"` or `"[Section]"`) that
/// `message` does not name.
fn subject<'p>(key_path: &'p str, message: &str) -> &'p str {
    // Keys may hold spaces and brackets (findings quote what was written);
    // section names end at the first `] `.
    let (section, key) = key_path
        .split_once("] ")
        .map_or((key_path, ""), |(section, key)| {
            (&key_path[..=section.len()], key)
        });
    let names_section = !section.is_empty() && message.contains(section);
    let names_key = !key.is_empty()
        && (message.contains(&format!("`{key}`")) || message.contains(&format!("`{key}=")));
    match (names_section, names_key || key.is_empty()) {
        (true, true) => "",
        (false, true) => section,
        _ => key_path,
    }
}

/// `"[Section] Key"`.
pub(crate) fn key_path(section: &str, key: &str) -> String {
    format!("[{section}] {key}")
}

/// Position of byte `offset` inside `entry.value` (exact for single-line
/// values, the value start otherwise).
pub(crate) fn value_pos_at(entry: &Entry, offset: usize) -> Position {
    if entry.last_line != entry.value_pos.line {
        return entry.value_pos;
    }
    let chars = entry.value.get(..offset).map_or(0, |s| s.chars().count());
    Position {
        line: entry.value_pos.line,
        column: entry.value_pos.column + chars,
    }
}

/// True for values whose meaning is only known at runtime (`%` specifiers,
/// `$VAR`s) or that are still templates (`{{ … }}`).
pub(crate) fn is_dynamic(value: &str) -> bool {
    value.contains('%') || value.contains('$') || value.contains("{{")
}

#[cfg(test)]
mod tests {
    use super::subject;

    #[test]
    fn the_subject_is_what_the_message_does_not_name() {
        let unknown = "unknown key `PublishPorts` in [Container] (did you mean `PublishPort=`?)";
        assert_eq!(subject("[Container] PublishPorts", unknown), "");
        let too_new = "`AddHost=` was introduced in Podman 5.3.0";
        assert_eq!(subject("[Container] AddHost", too_new), "[Container]");
        let unpinned = "`nginx` has no tag";
        assert_eq!(subject("[Container] Image", unpinned), "[Container] Image");
        assert_eq!(subject("[Volume]", "[Volume] belongs in .volume files"), "");
        assert_eq!(subject("[Pod]", "has no `Pod=`"), "[Pod]");
        assert_eq!(
            subject(
                "[Unit] %i ]ExecStart",
                "unknown key `%i ]ExecStart` in [Unit]"
            ),
            ""
        );
        assert_eq!(subject("", "a message"), "");
    }
}
