//! The render stage: per (host, service), the `.container` Quadlet, its
//! `.env` file, secret and trust placements, the service user and group, and
//! data directories — as file specs for `assemble`.
//!
//! Templates run in minijinja with strict undefined: a misspelled variable is
//! an error at the template's line, never an empty string. The built-in
//! `quadlet.container.j2` and `service.env.j2` can be replaced by files of
//! the same name in `templates/`; a service picks another template with
//! `template:`.
//!
//! Ownership and modes (README "What a service gets"): the Quadlet file and
//! drop-ins 0644 root; the env file 0600 root (podman reads it as root);
//! secrets 0400 owned by the service user in a 0500 directory of that user,
//! flagged secret (the output is 0600 and masked when shown); trust anchors
//! 0444 root, never decrypted (an `.age` source is refused); the data dir 0750 owned by the service user when
//! a volume mounts it.

use std::collections::{BTreeMap, HashMap};

use minijinja::value::Serde;
use minijinja::value::ValueKind;
use minijinja::{Environment, UndefinedBehavior, Value, context};

use super::load::{Inventory, QuadletSource};
use super::manifest::PortEntry;
use super::provenance::{self, DefinitionText, TextSource};
use super::resolve::{
    Origin, PortPlan, ResolvedService, ServiceBody, ServicePaths, ServicePlan, UnknownName,
    jinja_failure, unknown_name, unknown_name_offset, unknown_value_position,
};
use super::secrets::{SecretReader, holds_private_key, is_encrypted};
use crate::butane::model as b;
use crate::diag::{Code, Diagnostic, Position};
use crate::memo::BoundedMemo;
use crate::yaml::FileId;

pub const BUILTIN_CONTAINER: &str = "quadlet.container.j2";
pub const BUILTIN_ENV: &str = "service.env.j2";

/// A file the node gets.
#[derive(Clone, Debug)]
pub struct NodeFile {
    pub path: String,
    pub contents: Vec<u8>,
    pub mode: u32,
    /// uid and gid; `None` is root.
    pub owner: Option<(u32, u32)>,
    pub origin: Origin,
    /// Whether the contents are a secret (placed by `secrets:`): the flag
    /// travels to the output's mode and to masking.
    pub secret: bool,
    /// The service that put it there.
    pub service: String,
}

impl NodeFile {
    /// A file owned by root that is no secret, placed by `service`.
    fn public(path: String, contents: Vec<u8>, mode: u32, origin: Origin, service: &str) -> Self {
        NodeFile {
            path,
            contents,
            mode,
            owner: None,
            origin,
            secret: false,
            service: service.to_owned(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct NodeDirectory {
    pub path: String,
    pub mode: u32,
    pub user: Option<String>,
    pub group: Option<String>,
    pub owner: Option<(u32, u32)>,
    pub origin: Origin,
}

/// A Quadlet file to validate: its name on the node and where its text is.
#[derive(Clone, Debug)]
pub struct QuadletText {
    pub name: String,
    /// Label of the text in reports (a real file or a rendered one).
    pub label: String,
    pub text: String,
    /// Drop-ins: (file name, label in reports, text).
    pub dropins: Vec<(String, String, String)>,
    /// What the text was made from, to locate findings in it.
    pub source: TextSource,
}

/// Everything rendered for one host.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub files: Vec<NodeFile>,
    pub directories: Vec<NodeDirectory>,
    pub users: Vec<(b::PasswdUser, Origin)>,
    pub groups: Vec<(b::PasswdGroup, Origin)>,
    pub quadlets: Vec<QuadletText>,
    pub diagnostics: Vec<Diagnostic>,
    /// Rendered texts to show in reports: (label, text).
    pub virtual_files: Vec<(String, String)>,
    /// Files read from `secrets/`, relative to the fleet root.
    pub inputs: Vec<String>,
}

/// Variables of `.container` templates (built-in or `templates/`).
const CONTAINER_VARS: &str = "host, org, service, description, image, auto_update, account (user, uid, group, gid, create), env_file, ports, named_ports (name → host, container, address, protocol), volumes, networks, pod, exec, health (cmd, interval, timeout, retries, start_period, on_failure), restart, wanted_by, after, requires, wants, extra, paths";
/// Variables of the `.env` template.
const ENV_VARS: &str = "host, org, service, env";
/// Variables of literal `containers/*.j2` files and path patterns.
const LITERAL_VARS: &str =
    "host, org, service, quadlet_dir, env_file, secrets_dir, data_dir, trust_dir";

/// Templates of the fleet: built-ins, overridden by `templates/*.j2`.
pub struct Templates {
    env: Environment<'static>,
    /// Template name → file name in reports.
    labels: BTreeMap<String, String>,
    /// Template name → source text (to turn error offsets into columns).
    sources: BTreeMap<String, String>,
    /// Override templates that do not parse: reported once by `check`, and
    /// handed back (identical, so reports merge) by every render using them.
    broken: BTreeMap<String, Diagnostic>,
    /// Template name → the variables its output depends on, for templates
    /// that read nothing else (see [`reads_only_its_variables`]) and not
    /// `host`.
    reads: BTreeMap<String, Vec<String>>,
}

/// Whether the output of a template with this source depends only on the
/// top-level variables minijinja finds in it. Not so when it pulls in
/// other templates (whose variables it does not list) or prints the whole
/// context with `debug()`; any mention of those words counts.
fn reads_only_its_variables(source: &str) -> bool {
    !["include", "import", "extends", "debug"]
        .iter()
        .any(|word| source.contains(word))
}

/// Appends `value` to a render key: a tag per kind, then its contents,
/// strings and bytes with their length. Values that render differently
/// encode differently (`1`, `1.0`, `"1"` and `true` are four keys); maps
/// keep their keys in order. `None` for what has no such encoding here
/// (undefined, opaque objects, integers past `i128`): that render is not
/// reused.
fn encode_value(value: &Value, out: &mut Vec<u8>) -> Option<()> {
    let bytes = |tag: u8, bytes: &[u8], out: &mut Vec<u8>| {
        out.push(tag);
        out.extend_from_slice(&bytes.len().to_le_bytes());
        out.extend_from_slice(bytes);
    };
    match value.kind() {
        ValueKind::None => out.push(b'n'),
        ValueKind::Bool => out.extend_from_slice(if value.is_true() { b"t" } else { b"f" }),
        ValueKind::Number if value.is_integer() => {
            let number = i128::try_from(value.clone()).ok()?;
            bytes(b'i', &number.to_le_bytes(), out);
        }
        ValueKind::Number => {
            let number = f64::try_from(value.clone()).ok()?;
            bytes(b'd', &number.to_bits().to_le_bytes(), out);
        }
        ValueKind::String => bytes(b's', value.as_str()?.as_bytes(), out),
        ValueKind::Bytes => bytes(b'b', value.as_bytes()?, out),
        ValueKind::Seq => {
            out.push(b'[');
            for item in value.try_iter().ok()? {
                encode_value(&item, out)?;
            }
            out.push(b']');
        }
        ValueKind::Map => {
            out.push(b'{');
            for key in value.try_iter().ok()? {
                encode_value(&key, out)?;
                encode_value(&value.get_item(&key).ok()?, out)?;
            }
            out.push(b'}');
        }
        _ => return None,
    }
    Some(())
}

/// Byte budget of a compile worker's rendered texts.
const RENDERED_BUDGET: usize = 32 << 20;

/// Fuel of one render: minijinja spends about one unit per instruction, a
/// generous Quadlet template a few thousand. Nested loops over large ranges
/// run out instead of running for minutes.
const TEMPLATE_FUEL: u64 = 20_000_000;

/// Macro and include nesting (minijinja's default is 500, more than a
/// worker thread's stack holds in a debug build).
const TEMPLATE_RECURSION: usize = 64;

/// Largest rendered file.
const MAX_RENDERED_BYTES: usize = 16 << 20;

/// Largest template source.
const MAX_TEMPLATE_BYTES: usize = 1 << 20;

/// Most operators (`.`, `|`, `+`, `not`, `(` ...) in one `{{ }}` or `{% %}`
/// tag. minijinja builds chains of them (`a.b.c`, `x|f|g`, `- - 1`) into
/// nested trees that it compiles and drops recursively, without the depth
/// limit it puts on parentheses; a long chain overflows the stack.
const MAX_TAG_OPERATORS: usize = 200;

/// Refuses template sources that would exhaust the stack or memory before
/// minijinja could report a located error: the byte offset and a message.
fn check_template_source(text: &str) -> Result<(), (usize, String)> {
    if text.len() > MAX_TEMPLATE_BYTES {
        return Err((
            0,
            format!(
                "the template is larger than {} MiB",
                MAX_TEMPLATE_BYTES >> 20
            ),
        ));
    }
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = text.get(at..).and_then(|rest| rest.find(['{'])) {
        let open = at + found;
        let close = match bytes.get(open + 1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                at = open + 1;
                continue;
            }
        };
        let body_start = open + 2;
        let body_end = text[body_start..]
            .find(close)
            .map_or(text.len(), |end| body_start + end);
        if close != "#}" && tag_operators(&text[body_start..body_end]) > MAX_TAG_OPERATORS {
            return Err((
                open,
                format!(
                    "this tag chains more than {MAX_TAG_OPERATORS} operators, filters or \
                     attribute lookups; split it with `{{% set %}}`"
                ),
            ));
        }
        at = body_end;
    }
    Ok(())
}

/// Operators, filters, lookups and calls in the text of one tag, string
/// literals skipped.
fn tag_operators(body: &str) -> usize {
    let mut count = 0;
    let mut chars = body.char_indices().peekable();
    let mut word = String::new();
    while let Some((_, c)) = chars.next() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        if matches!(word.as_str(), "not" | "and" | "or" | "is" | "in" | "if") {
            count += 1;
        }
        word.clear();
        match c {
            '\'' | '"' => {
                // Skip the literal, honouring backslash escapes.
                while let Some((_, inner)) = chars.next() {
                    if inner == '\\' {
                        chars.next();
                    } else if inner == c {
                        break;
                    }
                }
            }
            '.' | '|' | '+' | '-' | '*' | '/' | '%' | '~' | '<' | '>' | '=' | '!' | '[' | '(' => {
                count += 1;
            }
            _ => {}
        }
    }
    if matches!(word.as_str(), "not" | "and" | "or" | "is" | "in" | "if") {
        count += 1;
    }
    count
}

/// A sink for rendered text that fails once it holds more than
/// [`MAX_RENDERED_BYTES`].
#[derive(Default)]
struct CappedOutput {
    bytes: Vec<u8>,
}

impl std::io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_RENDERED_BYTES {
            return Err(std::io::Error::other("rendered output too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders `template`, refusing output over [`MAX_RENDERED_BYTES`].
fn render_capped(
    template: &minijinja::Template<'_, '_>,
    vars: &Value,
) -> Result<String, minijinja::Error> {
    let mut out = CappedOutput::default();
    template.render_captured_to(vars, &mut out)?;
    String::from_utf8(out.bytes).map_err(|_| {
        minijinja::Error::new(
            minijinja::ErrorKind::WriteFailure,
            "the rendered text is not UTF-8",
        )
    })
}

/// The 1-based column of `unknown`'s name on line `line` of `source`: its
/// first whole occurrence from the start of minijinja's `range` (which may
/// cover the whole expression, or only part of a dotted one), else from the
/// start of the line.
fn unknown_column(
    source: &str,
    line: usize,
    range: Option<std::ops::Range<usize>>,
    unknown: &UnknownName,
) -> Option<usize> {
    let start = source
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let text = source.get(start..)?.lines().next()?;
    let from = range
        .map(|range| range.start.saturating_sub(start))
        .filter(|from| *from < text.len())
        .unwrap_or(0);
    let offset = unknown_name_offset(text, from, &unknown.path)
        .or_else(|| unknown_name_offset(text, 0, &unknown.path))?;
    Some(text.get(..offset)?.chars().count() + 1)
}

/// The 1-based column of byte `offset` in `text`.
fn column_of(text: &str, offset: usize) -> Option<usize> {
    let before = text.get(..offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Some(before.get(line_start..)?.chars().count() + 1)
}

/// The template syntax fleets are written in: block tags on their own
/// lines leave no blank lines behind.
pub(super) fn set_line_syntax(env: &mut Environment<'_>) {
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
}

impl Templates {
    pub fn new(inventory: &Inventory) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_fuel(Some(TEMPLATE_FUEL));
        env.set_recursion_limit(TEMPLATE_RECURSION);
        // minijinja names the undefined variable in errors only in debug
        // mode, which is off by default in release builds.
        env.set_debug(true);
        set_line_syntax(&mut env);
        let mut labels = BTreeMap::new();
        let mut sources = BTreeMap::new();
        for (name, text) in [
            (
                BUILTIN_CONTAINER,
                include_str!("templates/quadlet.container.j2"),
            ),
            (BUILTIN_ENV, include_str!("templates/service.env.j2")),
        ] {
            if !inventory.templates.contains_key(name) {
                // Built-ins cannot fail to parse; a failure would be a bug caught by tests.
                let _ = env.add_template(name, text);
                labels.insert(name.to_owned(), builtin_label(name));
                sources.insert(name.to_owned(), text.to_owned());
            }
        }
        let mut failures = Vec::new();
        let mut refused = Vec::new();
        for (name, file) in &inventory.templates {
            if let Some(source) = inventory.sources.get(*file) {
                if let Err((offset, message)) = check_template_source(&source.text) {
                    refused.push((
                        name.clone(),
                        source_error(&source.name, &source.text, offset, message),
                    ));
                } else if let Err(error) = env.add_template_owned(name.clone(), source.text.clone())
                {
                    failures.push((name.clone(), error));
                }
                labels.insert(name.clone(), source.name.clone());
                sources.insert(name.clone(), source.text.clone());
            }
        }
        let reads = sources
            .iter()
            .filter(|(_, source)| reads_only_its_variables(source))
            .filter_map(|(name, _)| {
                let template = env.get_template(name).ok()?;
                let mut names: Vec<String> =
                    template.undeclared_variables(false).into_iter().collect();
                // One reading `host` renders differently on every host.
                if names.iter().any(|name| name == "host") {
                    return None;
                }
                names.sort();
                Some((name.clone(), names))
            })
            .collect();
        let mut templates = Templates {
            env,
            labels,
            sources,
            broken: BTreeMap::new(),
            reads,
        };
        for (name, error) in failures {
            let diagnostic = templates.template_error(&error, &name, None, None);
            templates.broken.insert(name, *diagnostic);
        }
        templates.broken.extend(refused);
        templates
    }

    /// Parse errors of override templates, reported once per build.
    pub fn check(&self) -> Vec<Diagnostic> {
        self.broken.values().cloned().collect()
    }

    /// Whether a template of this name exists (possibly broken).
    pub fn exists(&self, name: &str) -> bool {
        self.labels.contains_key(name)
    }

    /// Names of the templates a service can pick with `template:`.
    pub fn names(&self) -> Vec<&str> {
        self.labels
            .keys()
            .map(String::as_str)
            .filter(|name| *name != BUILTIN_ENV)
            .collect()
    }

    /// A diagnostic for `error`, at the file, line and column it names (an
    /// unknown name's own column). `text` is the source of a template not
    /// registered here, `vars` what it was rendered with.
    fn template_error(
        &self,
        error: &minijinja::Error,
        fallback: &str,
        text: Option<&str>,
        vars: Option<&Value>,
    ) -> Box<Diagnostic> {
        let name = error.name().unwrap_or(fallback);
        let label = self
            .labels
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_owned());
        let unknown = vars.and_then(|vars| unknown_name(error, vars));
        let failure = unknown
            .as_ref()
            .map_or_else(|| jinja_failure(error), |unknown| unknown.message.clone());
        let mut diagnostic = match error.kind() {
            // Only the output cap fails a write (see `render_capped`).
            minijinja::ErrorKind::WriteFailure => Diagnostic::error(
                Code::FleetTemplateLimit,
                format!(
                    "template error: the rendered file is larger than {} MiB",
                    MAX_RENDERED_BYTES >> 20
                ),
            )
            .with_help("a Quadlet or env file is small; look for a loop that repeats text"),
            minijinja::ErrorKind::OutOfFuel => Diagnostic::error(
                Code::FleetTemplateLimit,
                format!("template error: {failure}"),
            )
            .with_help("the template does too much work; look for nested or large loops"),
            minijinja::ErrorKind::UndefinedError => Diagnostic::error(
                Code::FleetTemplateUndefined,
                format!("template error: {failure}"),
            ),
            _ => Diagnostic::error(
                Code::FleetTemplateError,
                format!("template error: {failure}"),
            ),
        }
        .in_file(label);
        if error.kind() == minijinja::ErrorKind::UndefinedError {
            let vars = if name == BUILTIN_ENV {
                ENV_VARS
            } else if self.labels.contains_key(name) {
                CONTAINER_VARS
            } else {
                LITERAL_VARS
            };
            diagnostic = diagnostic.with_help(format!("variables here: {vars}"));
        }
        if let Some(line) = error.line() {
            let source = self.sources.get(name).map(String::as_str).or(text);
            let column = unknown
                .as_ref()
                .zip(source)
                .and_then(|(unknown, source)| unknown_column(source, line, error.range(), unknown))
                .or_else(|| {
                    error
                        .range()
                        .zip(source)
                        .and_then(|(range, source)| column_of(source, range.start))
                })
                .unwrap_or(1);
            diagnostic = diagnostic.at_position(Position::new(line, column));
        }
        Box::new(diagnostic)
    }

    fn render(&self, name: &str, vars: &Value) -> Result<String, Box<Diagnostic>> {
        if let Some(broken) = self.broken.get(name) {
            return Err(Box::new(broken.clone()));
        }
        let template = self
            .env
            .get_template(name)
            .map_err(|e| self.template_error(&e, name, None, Some(vars)))?;
        render_capped(&template, vars).map_err(|e| self.template_error(&e, name, None, Some(vars)))
    }

    /// What identifies a render of template `name` with `vars`: its name and
    /// the values of the variables it reads ([`encode_value`]). `None` when
    /// the output may depend on more.
    fn render_key(&self, name: &str, vars: &Value) -> Option<Vec<u8>> {
        let reads = self.reads.get(name)?;
        let mut key = Vec::with_capacity(1024);
        key.extend_from_slice(name.as_bytes());
        key.push(0);
        for var in reads {
            encode_value(&vars.get_attr(var).ok()?, &mut key)?;
        }
        Some(key)
    }

    /// The line of template `name` that wrote each line of `rendered`, its
    /// output with `vars` (see `provenance`); `None` where unknown.
    pub fn line_origins(
        &self,
        name: &str,
        vars: &Value,
        rendered: &str,
    ) -> Option<Vec<Option<usize>>> {
        let source = self.sources.get(name)?;
        self.marked_render(name, source, vars, rendered)
    }

    /// [`Self::line_origins`] of a template not registered here (a literal
    /// `.j2` file).
    pub fn text_line_origins(
        &self,
        label: &str,
        text: &str,
        vars: &Value,
        rendered: &str,
    ) -> Option<Vec<Option<usize>>> {
        self.marked_render(label, text, vars, rendered)
    }

    fn marked_render(
        &self,
        name: &str,
        source: &str,
        vars: &Value,
        rendered: &str,
    ) -> Option<Vec<Option<usize>>> {
        let mut env = self.env.clone();
        env.add_template_owned(name.to_owned(), provenance::mark(source))
            .ok()?;
        let output = render_capped(&env.get_template(name).ok()?, vars).ok()?;
        provenance::unmark(&output, rendered)
    }

    fn render_text(
        &self,
        label: &str,
        text: &str,
        vars: &Value,
    ) -> Result<String, Box<Diagnostic>> {
        check_template_source(text)
            .map_err(|(offset, message)| Box::new(source_error(label, text, offset, message)))?;
        let mut env = self.env.clone();
        env.add_template_owned(label.to_owned(), text.to_owned())
            .map_err(|e| self.template_error(&e, label, Some(text), Some(vars)))?;
        let template = env
            .get_template(label)
            .map_err(|e| self.template_error(&e, label, Some(text), Some(vars)))?;
        render_capped(&template, vars)
            .map_err(|e| self.template_error(&e, label, Some(text), Some(vars)))
    }
}

/// A diagnostic for a template source refused before parsing.
fn source_error(label: &str, text: &str, offset: usize, message: String) -> Diagnostic {
    let line = text
        .get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1);
    let column = column_of(text, offset).unwrap_or(1);
    Diagnostic::error(
        Code::FleetTemplateLimit,
        format!("template error: {message}"),
    )
    .in_file(label)
    .at_position(Position::new(line, column))
}

/// A compile worker's template work kept for the hosts it compiles next:
/// value templates (volume specs, `from:` and directory paths) compiled
/// once, since the same few strings are expanded for every host and
/// compiling one cost more than rendering it; and the units and env files
/// rendered, since hosts running a service with the same settings render
/// the same text (`cargo bench --bench fleet`).
pub struct TemplateMemo {
    env: Environment<'static>,
    /// Text → name of its compiled template in `env`.
    names: HashMap<String, String>,
    /// [`Templates::render_key`] → the text rendered.
    rendered: BoundedMemo<Vec<u8>, String>,
}

impl TemplateMemo {
    pub fn new(templates: &Templates) -> Self {
        TemplateMemo {
            env: templates.env.clone(),
            names: HashMap::new(),
            rendered: BoundedMemo::new(RENDERED_BUDGET),
        }
    }

    /// [`Templates::render`], or the text it gave for the same values of
    /// the variables the template reads.
    fn render_template(
        &mut self,
        templates: &Templates,
        name: &str,
        vars: &Value,
    ) -> Result<String, Box<Diagnostic>> {
        let Some(key) = templates.render_key(name, vars) else {
            return templates.render(name, vars);
        };
        if let Some(text) = self.rendered.find(&key, |_| true) {
            return Ok(text.clone());
        }
        let text = templates.render(name, vars)?;
        let size = key.len() + text.len();
        self.rendered.insert(key, text.clone(), size);
        Ok(text)
    }

    fn expand(&mut self, text: &str, vars: &Value) -> Result<String, minijinja::Error> {
        // Most values (`/etc/localtime:/etc/localtime:ro`) are no template.
        if !text.contains('{') {
            return Ok(text.to_owned());
        }
        let name = match self.names.get(text) {
            Some(name) => name.clone(),
            None => {
                check_template_source(text).map_err(|(_, message)| {
                    minijinja::Error::new(minijinja::ErrorKind::SyntaxError, message)
                })?;
                // No extension in the name: no auto-escaping, as with
                // `render_str`.
                let name = format!("value-{}", self.names.len());
                self.env.add_template_owned(name.clone(), text.to_owned())?;
                self.names.insert(text.to_owned(), name.clone());
                name
            }
        };
        render_capped(&self.env.get_template(&name)?, vars)
    }
}

pub fn builtin_label(name: &str) -> String {
    format!("<built-in {name}>")
}

pub struct Renderer<'a, 's> {
    pub inventory: &'a Inventory,
    pub templates: &'a Templates,
    pub memo: &'a mut TemplateMemo,
    pub secrets: &'a mut SecretReader<'s>,
    pub host: &'a str,
    pub org: &'a str,
    pub out: Rendered,
}

/// Where the service's `.env` file goes, when it has a variable (from
/// `env:` or a named port).
fn env_path(resolved: &ResolvedService) -> Option<String> {
    (!resolved.spec.env.is_empty() || !resolved.named_ports.is_empty())
        .then(|| resolved.paths.env_file.clone())
}

/// The service's ports as `PublishPort=` values, named ports included, in
/// the order written.
fn published_ports(resolved: &ResolvedService) -> Vec<String> {
    let mut named = resolved.named_ports.iter();
    resolved
        .spec
        .ports
        .iter()
        .filter_map(|entry| match entry {
            PortEntry::Published(value) => Some(value.clone()),
            PortEntry::Named(_) => named.next().map(PortPlan::publish),
        })
        .collect()
}

fn secret_origin(resolved: &ResolvedService, key: &str, index: usize) -> Origin {
    resolved
        .node
        .get(key)
        .and_then(|list| match &list.value {
            crate::yaml::Value::Sequence(items) => items.get(index),
            _ => None,
        })
        .map_or_else(|| Origin::of(&resolved.node), Origin::of)
}

impl Renderer<'_, '_> {
    fn file_name(&self, file: FileId) -> String {
        self.inventory.sources.name(file)
    }

    pub fn service(&mut self, plan: &ServicePlan) {
        match &plan.body {
            ServiceBody::Definition(resolved) => self.definition(&plan.name, resolved),
            ServiceBody::Quadlets(files) => {
                for quadlet in files {
                    self.literal(&plan.name, &plan.paths, quadlet);
                }
            }
        }
    }

    fn vars(&self, service: &str, paths: &ServicePaths) -> Value {
        let paths = paths.clone();
        context! {
            host => self.host,
            org => self.org,
            service => service,
            quadlet_dir => paths.quadlet_dir,
            env_file => paths.env_file,
            secrets_dir => paths.secrets_dir,
            data_dir => paths.data_dir,
            trust_dir => paths.trust_dir,
        }
    }

    fn expand(&mut self, text: &str, vars: &Value, origin: Origin) -> String {
        match self.memo.expand(text, vars) {
            Ok(expanded) => expanded,
            Err(error) => {
                let mut position = origin.position;
                let failure = match unknown_name(&error, vars) {
                    Some(unknown) => {
                        if let Some(file) = self.inventory.sources.get(origin.file) {
                            position = unknown_value_position(&file.text, position, &unknown);
                        }
                        unknown.message
                    }
                    None => jinja_failure(&error),
                };
                self.out.diagnostics.push(
                    Diagnostic::error(Code::FleetPathPattern, format!("cannot expand `{text}`: {failure}"))
                        .in_file(self.file_name(origin.file))
                        .at_position(position)
                        .with_help("available names: org, host, service, quadlet_dir, env_file, secrets_dir, data_dir, trust_dir"),
                );
                String::new()
            }
        }
    }

    /// A service written as a definition: its unit from the template, then
    /// the files, directories and account it needs, in the order `assemble`
    /// sees them.
    fn definition(&mut self, name: &str, resolved: &ResolvedService) {
        let vars = self.vars(name, &resolved.paths);
        let volumes = self.volumes(resolved, &vars);
        let extra = self.quadlet_keys(resolved, &vars);
        if !self.container_unit(name, resolved, &volumes, extra) {
            return;
        }
        self.env_file(name, resolved);
        let owner = resolved.account.as_ref().map(|a| (a.uid, a.gid));
        self.secret_files(name, resolved, &vars, owner);
        self.trust_files(name, resolved, &vars);
        self.data_directories(resolved, &vars, &volumes, owner);
        self.account(resolved);
    }

    /// The service's `volumes:`, templated.
    fn volumes(&mut self, resolved: &ResolvedService, vars: &Value) -> Vec<String> {
        resolved
            .spec
            .volumes
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let at = secret_origin(resolved, "volumes", i);
                self.expand(v, vars, at)
            })
            .collect()
    }

    /// The keys of the service's `quadlet:` block, templated, by the unit
    /// section the template writes them into; a section it does not write is
    /// an error.
    fn quadlet_keys(
        &mut self,
        resolved: &ResolvedService,
        vars: &Value,
    ) -> BTreeMap<&'static str, Vec<(String, String)>> {
        let origin = Origin::of(&resolved.node);
        let mut extra: BTreeMap<&str, Vec<(String, String)>> =
            ["Unit", "Container", "Service", "Install"]
                .into_iter()
                .map(|s| (s, Vec::new()))
                .collect();
        for (section, keys) in &resolved.spec.quadlet {
            let Some(list) = extra.get_mut(section.as_str()) else {
                self.out.diagnostics.push(
                    Diagnostic::error(
                        Code::FleetQuadletSection,
                        format!("quadlet section [{section}] is not one the template writes"),
                    )
                    .in_file(self.file_name(resolved.node.file))
                    .at_position(
                        resolved
                            .node
                            .get("quadlet")
                            .map_or(origin.position, |n| n.position),
                    )
                    .with_help(
                        "use Unit, Container, Service or Install, or a drop-in for other sections",
                    ),
                );
                continue;
            };
            let section_node = resolved
                .node
                .get("quadlet")
                .and_then(|all| all.get(section));
            for (key, values) in keys {
                let key_node = section_node.and_then(|keys| keys.get(key));
                for (index, value) in values.0.iter().enumerate() {
                    // Templated like every other value, located at the
                    // value itself (a list's item, or the one scalar).
                    let at = key_node.map_or(origin, |node| match &node.value {
                        crate::yaml::Value::Sequence(items) => {
                            items.get(index).map_or(Origin::of(node), Origin::of)
                        }
                        _ => Origin::of(node),
                    });
                    let expanded = self.expand(value, vars, at);
                    list.push((key.clone(), expanded));
                }
            }
        }
        extra
    }

    /// What the container template sees.
    fn container_vars(
        &self,
        name: &str,
        resolved: &ResolvedService,
        volumes: &[String],
        extra: BTreeMap<&str, Vec<(String, String)>>,
    ) -> Value {
        let spec = &resolved.spec;
        let health = spec.health.clone().unwrap_or_default();
        let wanted_by = if spec.install.wanted_by.0.is_empty() {
            vec!["multi-user.target".to_owned()]
        } else {
            spec.install.wanted_by.0.clone()
        };
        context! {
            host => self.host,
            org => self.org,
            service => name,
            description => spec.description.clone().unwrap_or_else(|| format!("{name} container")),
            image => resolved.image.clone(),
            auto_update => spec.auto_update.clone(),
            account => Value::from(Serde(&resolved.account)),
            env_file => env_path(resolved),
            ports => published_ports(resolved),
            named_ports => Value::from(Serde(&resolved
                .named_ports
                .iter()
                .map(|port| (port.name.as_str(), port))
                .collect::<BTreeMap<_, _>>())),
            volumes => volumes.to_vec(),
            networks => spec.networks.clone(),
            pod => spec.pod.clone(),
            exec => spec.exec.clone(),
            health => context! {
                cmd => health.cmd, interval => health.interval, timeout => health.timeout,
                retries => health.retries, start_period => health.start_period, on_failure => health.on_failure,
            },
            restart => spec.restart.clone().unwrap_or_else(|| "on-failure".to_owned()),
            wanted_by => wanted_by,
            after => spec.after.clone(),
            requires => spec.requires.clone(),
            wants => spec.wants.clone(),
            extra => Value::from(Serde(&extra)),
            paths => Value::from(Serde(&resolved.paths)),
        }
    }

    /// The `.container` unit rendered from the service's template, and its
    /// drop-ins. False when there is no unit (the template is unknown or
    /// fails): the service gets nothing else.
    fn container_unit(
        &mut self,
        name: &str,
        resolved: &ResolvedService,
        volumes: &[String],
        extra: BTreeMap<&str, Vec<(String, String)>>,
    ) -> bool {
        let origin = Origin::of(&resolved.node);
        let template = resolved
            .spec
            .template
            .clone()
            .unwrap_or_else(|| BUILTIN_CONTAINER.to_owned());
        if !self.templates.exists(&template) {
            let at = resolved.node.get("template").map_or(origin, Origin::of);
            self.out.diagnostics.push(
                Diagnostic::error(
                    Code::FleetUnknownTemplate,
                    format!("no template {template}"),
                )
                .in_file(self.file_name(at.file))
                .at_position(at.position)
                .with_help(format!(
                    "add templates/{template}, or use one of: {}",
                    self.templates.names().join(", ")
                )),
            );
            return false;
        }
        let unit_name = format!("{name}.container");
        let label = format!(
            "<rendered {}/{unit_name} from {}>",
            self.host,
            self.templates
                .labels
                .get(&template)
                .cloned()
                .unwrap_or(template.clone())
        );
        let vars = self.container_vars(name, resolved, volumes, extra);
        let text = match self.memo.render_template(self.templates, &template, &vars) {
            Ok(text) => text,
            Err(diagnostic) => {
                self.out.diagnostics.push(*diagnostic);
                return false;
            }
        };
        let quadlet_path = format!("{}/{unit_name}", resolved.paths.quadlet_dir);
        self.out.files.push(NodeFile::public(
            quadlet_path.clone(),
            text.clone().into_bytes(),
            0o644,
            origin,
            name,
        ));
        let mut dropins = Vec::new();
        for (dropin, contents) in &resolved.spec.dropins {
            let at = resolved.node.get("dropins").map_or(origin, |all| {
                all.get(dropin).map_or(Origin::of(all), Origin::of)
            });
            self.out.files.push(NodeFile::public(
                format!("{quadlet_path}.d/{dropin}"),
                contents.clone().into_bytes(),
                0o644,
                at,
                name,
            ));
            let dropin_label = format!(
                "<{}/{unit_name}.d/{dropin} from {}>",
                self.host,
                self.file_name(at.file)
            );
            self.out
                .virtual_files
                .push((dropin_label.clone(), contents.clone()));
            dropins.push((dropin.clone(), dropin_label, contents.clone()));
        }
        self.out.virtual_files.push((label.clone(), text.clone()));
        let source = TextSource::Definition(Box::new(DefinitionText {
            node: std::sync::Arc::clone(&resolved.node),
            template_file: self.inventory.templates.get(&template).copied(),
            template,
            vars,
        }));
        self.out.quadlets.push(QuadletText {
            name: unit_name,
            label,
            text,
            dropins,
            source,
        });
        true
    }

    /// The `.env` file, when the service sets `env:` or has named ports.
    fn env_file(&mut self, name: &str, resolved: &ResolvedService) {
        let Some(path) = env_path(resolved) else {
            return;
        };
        let env = self.env_with_ports(name, resolved);
        let vars = context! { host => self.host, org => self.org, service => name, env => env };
        match self
            .memo
            .render_template(self.templates, BUILTIN_ENV, &vars)
        {
            Ok(text) => {
                let at = resolved
                    .node
                    .get("env")
                    .map_or(Origin::of(&resolved.node), Origin::of);
                self.out
                    .files
                    .push(NodeFile::public(path, text.into_bytes(), 0o600, at, name));
            }
            Err(diagnostic) => self.out.diagnostics.push(*diagnostic),
        }
    }

    /// The `secrets:` placements (decrypted, owned by the service user) and
    /// the directory that holds them.
    fn secret_files(
        &mut self,
        name: &str,
        resolved: &ResolvedService,
        vars: &Value,
        owner: Option<(u32, u32)>,
    ) {
        let spec = &resolved.spec;
        if !spec.secrets.is_empty() {
            self.out.directories.push(NodeDirectory {
                path: resolved.paths.secrets_dir.clone(),
                mode: 0o500,
                user: None,
                group: None,
                owner,
                origin: Origin::of(&resolved.node),
            });
        }
        for (index, placement) in spec.secrets.iter().enumerate() {
            let at = secret_origin(resolved, "secrets", index);
            let from = self.expand(&placement.from, vars, at);
            if let Some(contents) = self.secret_file(&from, at) {
                self.out.files.push(NodeFile {
                    path: format!("{}/{}", resolved.paths.secrets_dir, placement.file),
                    contents,
                    mode: placement.mode.unwrap_or(0o400),
                    owner,
                    origin: at,
                    secret: true,
                    service: name.to_owned(),
                });
            }
        }
    }

    /// The `trust:` placements: public files, never decrypted.
    fn trust_files(&mut self, name: &str, resolved: &ResolvedService, vars: &Value) {
        for (index, placement) in resolved.spec.trust.iter().enumerate() {
            let at = secret_origin(resolved, "trust", index);
            let from = self.expand(&placement.from, vars, at);
            if is_encrypted(&from) {
                self.out.diagnostics.push(
                    Diagnostic::error(Code::FleetEncryptedTrust, format!(
                        "trust: secrets/{from} is age-encrypted, but trust anchors are public and placed readable by all"
                    ))
                    .in_file(self.file_name(at.file))
                    .at_position(at.position)
                    .with_help("place what is decrypted with `secrets:` (0400, owned by the service user); `trust:` takes unencrypted public files such as CA certificates"),
                );
                continue;
            }
            if let Some(contents) = self.secret_file(&from, at) {
                self.out.files.push(NodeFile::public(
                    format!("{}/{}", resolved.paths.trust_dir, placement.file),
                    contents,
                    placement.mode.unwrap_or(0o444),
                    at,
                    name,
                ));
            }
        }
    }

    /// The data directory, when a volume mounts it, and the `directories:`.
    fn data_directories(
        &mut self,
        resolved: &ResolvedService,
        vars: &Value,
        volumes: &[String],
        owner: Option<(u32, u32)>,
    ) {
        let data_dir = &resolved.paths.data_dir;
        let mounts_data_dir = volumes
            .iter()
            .filter_map(|v| v.split(':').next())
            .any(|source| source == data_dir || source.starts_with(&format!("{data_dir}/")));
        if mounts_data_dir {
            self.out.directories.push(NodeDirectory {
                path: data_dir.clone(),
                mode: 0o750,
                user: None,
                group: None,
                owner,
                origin: Origin::of(&resolved.node),
            });
        }
        for (index, directory) in resolved.spec.directories.iter().enumerate() {
            let at = secret_origin(resolved, "directories", index);
            let path = self.expand(&directory.path, vars, at);
            self.out.directories.push(NodeDirectory {
                path,
                mode: directory.mode.unwrap_or(0o755),
                user: directory.user.clone(),
                group: directory.group.clone(),
                owner: None,
                origin: at,
            });
        }
    }

    /// The service's system user and group, when kindling creates them.
    fn account(&mut self, resolved: &ResolvedService) {
        let Some(account) = resolved.account.as_ref().filter(|a| a.create) else {
            return;
        };
        let origin = Origin::of(&resolved.node);
        self.out.groups.push((
            b::PasswdGroup {
                gid: Some(i64::from(account.gid)),
                name: account.group.clone(),
                system: Some(true),
                ..b::PasswdGroup::default()
            },
            origin,
        ));
        self.out.users.push((
            b::PasswdUser {
                name: account.user.clone(),
                uid: Some(i64::from(account.uid)),
                primary_group: Some(account.group.clone()),
                no_user_group: Some(true),
                no_create_home: Some(true),
                shell: Some("/sbin/nologin".to_owned()),
                system: Some(true),
                ..b::PasswdUser::default()
            },
            origin,
        ));
    }

    /// The service's `env:` with its named ports added: `PORT_<NAME>` for
    /// each, `PORT` for the first. A variable `env:` sets itself is an
    /// error (the container would see one value, the port another).
    fn env_with_ports(
        &mut self,
        name: &str,
        resolved: &ResolvedService,
    ) -> BTreeMap<String, String> {
        let mut env = resolved.spec.env.clone();
        let first = resolved
            .named_ports
            .first()
            .map(|port| ("PORT".to_owned(), port));
        let each = resolved
            .named_ports
            .iter()
            .map(|port| (super::ports::env_name(&port.name), port));
        for (variable, port) in first.into_iter().chain(each) {
            if env.contains_key(&variable) {
                let at = resolved
                    .node
                    .get("env")
                    .and_then(|all| all.entry(&variable))
                    .map_or_else(|| Origin::of(&resolved.node), |e| Origin::of(&e.key));
                self.out.diagnostics.push(
                    Diagnostic::error(
                        Code::FleetPortEnvSet,
                        format!(
                            "service {name}: env sets {variable}, which kindling sets to the host port of `{}`",
                            port.name
                        ),
                    )
                    .in_file(self.file_name(at.file))
                    .at_position(at.position)
                    .with_help(format!("remove {variable} from env; the container gets it from the named port")),
                );
                continue;
            }
            env.insert(variable, port.host.to_string());
        }
        env
    }

    fn secret_file(&mut self, from: &str, origin: Origin) -> Option<Vec<u8>> {
        let read = self
            .secrets
            .read(from)
            .map(<[u8]>::to_vec)
            .map_err(|error| {
                Diagnostic::error(error.code(), error.to_string()).with_help(error.help())
            });
        match read {
            Ok(bytes) => {
                if !is_encrypted(from) && holds_private_key(&bytes) {
                    self.out.diagnostics.push(
                        Diagnostic::warning(
                            Code::FleetSecretPlaintextKey,
                            format!("secrets/{from} holds a private key in plain text"),
                        )
                        .in_file(self.file_name(origin.file))
                        .at_position(origin.position)
                        .with_help(format!(
                            "encrypt it (kindling secret encrypt secrets/{from} ...), delete the plain file and place the .age file; a key that was ever committed unencrypted should be replaced"
                        )),
                    );
                }
                self.out.inputs.push(format!("secrets/{from}"));
                Some(bytes)
            }
            Err(finding) => {
                let file = self.file_name(origin.file);
                self.out
                    .diagnostics
                    .push(finding.in_file(file).at_position(origin.position));
                None
            }
        }
    }

    fn literal(&mut self, service: &str, paths: &ServicePaths, quadlet: &QuadletSource) {
        let Some(source) = self.inventory.sources.get(quadlet.file) else {
            return;
        };
        let origin = Origin {
            file: quadlet.file,
            position: Position::new(1, 1),
        };
        let (text, label, text_source) = if quadlet.templated {
            let vars = self.vars(service, paths);
            let label = source.name.clone();
            match self.templates.render_text(&label, &source.text, &vars) {
                Ok(text) => {
                    let rendered =
                        format!("<rendered {}/{} from {label}>", self.host, quadlet.name);
                    self.out
                        .virtual_files
                        .push((rendered.clone(), text.clone()));
                    let file = quadlet.file;
                    (text, rendered, TextSource::Templated { file, vars })
                }
                Err(diagnostic) => {
                    self.out.diagnostics.push(*diagnostic);
                    return;
                }
            }
        } else {
            (source.text.clone(), source.name.clone(), TextSource::File)
        };
        let path = format!("{}/{}", paths.quadlet_dir, quadlet.name);
        self.out.files.push(NodeFile::public(
            path.clone(),
            text.clone().into_bytes(),
            0o644,
            origin,
            service,
        ));
        let mut dropins = Vec::new();
        for (name, file) in &quadlet.dropins {
            let Some(dropin) = self.inventory.sources.get(*file) else {
                continue;
            };
            let at = Origin {
                file: *file,
                position: Position::new(1, 1),
            };
            self.out.files.push(NodeFile::public(
                format!("{path}.d/{name}"),
                dropin.text.clone().into_bytes(),
                0o644,
                at,
                service,
            ));
            dropins.push((name.clone(), dropin.name.clone(), dropin.text.clone()));
        }
        self.out.quadlets.push(QuadletText {
            name: quadlet.name.clone(),
            label,
            text,
            dropins,
            source: text_source,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// minijinja names an undefined variable only in debug mode, which is
    /// on by default in test builds but off in release builds: the fleet's
    /// template errors must not depend on how kindling was built.
    #[test]
    fn template_errors_name_the_undefined_variable_in_every_build() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (inventory, _) =
            super::super::load::load(dir.path(), crate::confine::Exclusions::none());
        let templates = Templates::new(&inventory);
        assert!(templates.env.debug());
        assert!(TemplateMemo::new(&templates).env.debug());
    }

    fn templates_of(files: &[(&str, &str)]) -> Templates {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("templates")).expect("templates dir");
        for (name, text) in files {
            std::fs::write(dir.path().join("templates").join(name), text).expect("template");
        }
        let (inventory, _) =
            super::super::load::load(dir.path(), crate::confine::Exclusions::none());
        Templates::new(&inventory)
    }

    /// A rendered text is reused only for the same values of every
    /// variable the template reads, and never for a template whose output
    /// may depend on more than it lists.
    #[test]
    fn render_keys_cover_exactly_what_the_template_reads() {
        let templates = templates_of(&[
            ("image.container.j2", "Image={{ image }}\n"),
            (
                "service.container.j2",
                "# {{ service }}\nImage={{ image }}\n",
            ),
            ("host.container.j2", "# {{ host }}\nImage={{ image }}\n"),
            ("outer.container.j2", "{% include 'host.container.j2' %}"),
            ("dump.container.j2", "{{ debug() }}"),
        ]);
        let on = |host: &str, image: Value| context! { host => host, image => image };
        let key = |name: &str, vars: &Value| templates.render_key(name, vars);
        let (h1, h2) = (on("h1", Value::from("x")), on("h2", Value::from("x")));
        assert!(key("image.container.j2", &h1).is_some());
        assert_eq!(
            key("image.container.j2", &h1),
            key("image.container.j2", &h2)
        );
        // The key covers every variable read, and the template's name.
        let service = |name: &str| context! { host => "h1", service => name, image => "x" };
        let keyed = |vars: &Value| key("service.container.j2", vars);
        assert_ne!(keyed(&service("a")), keyed(&service("b")));
        assert_ne!(
            keyed(&service("a")),
            key("image.container.j2", &service("a"))
        );
        assert_eq!(keyed(&service("a")), keyed(&service("a")));
        assert!(keyed(&service("a")).is_some());
        // A template reading `host` differs on every host: never reused.
        assert_eq!(key("host.container.j2", &h1), None);
        assert_eq!(key("outer.container.j2", &h1), None);
        assert_eq!(key("dump.container.j2", &h1), None);
        // Values that render differently, and lists of strings split
        // differently, get different keys.
        let keys = [
            Value::from(1),
            Value::from(1.0),
            Value::from("1"),
            Value::from(true),
            Value::from(vec!["1"]),
            Value::from(vec!["", "1"]),
            Value::from(vec!["1", ""]),
        ]
        .map(|image| key("image.container.j2", &on("h1", image)));
        for (i, a) in keys.iter().enumerate() {
            assert!(a.is_some());
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(
            keys[0],
            key("image.container.j2", &on("h2", Value::from(1)))
        );
        // A variable the context lacks: rendered (and failing) every time.
        assert_eq!(key("image.container.j2", &context! { host => "h1" }), None);
    }
}
