//! `kindling init [DIR]`: a new fleet that checks and builds clean as it
//! is — a commented `fleet.yaml`, one host, one service, the manifests'
//! JSON Schemas for editors, `.gitignore`, `justfile` and `mise.toml` —
//! and an age identity for its secrets, kept outside the repository, whose
//! recipient `fleet.yaml` lists.
//!
//! Nothing is overwritten: if any file it would write exists, nothing is
//! written; a file that appears meanwhile stops it, and what it had
//! written is removed again.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow, bail};

use super::common::{Created, Texts, report};
use crate::cli::InitArgs;
use crate::fleet::manifest::{Kind, json_schema};
use crate::fleet::secrets::Identities;

/// The first host and service of a new fleet.
const HOST: &str = "node01";

/// Files of a new fleet: path under the fleet and template.
const TEMPLATES: [(&str, &str); 6] = [
    ("fleet.yaml", include_str!("init/fleet.yaml")),
    ("hosts/node01.yaml", include_str!("init/host.yaml")),
    ("containers/hello.yaml", include_str!("init/service.yaml")),
    (".gitignore", include_str!("init/gitignore")),
    ("justfile", include_str!("init/justfile")),
    ("mise.toml", include_str!("init/mise.toml")),
];

/// The fleet's name from its directory: lower case letters, digits and
/// dashes (it is the default `org:`, used in paths on the nodes).
fn fleet_name(dir: &Path) -> anyhow::Result<String> {
    let absolute = std::path::absolute(dir).context("finding the current directory")?;
    let last = absolute
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .next_back()
        .unwrap_or_default();
    let mut name = String::new();
    for c in last.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_matches('-').to_owned();
    Ok(if name.is_empty() {
        "fleet".to_owned()
    } else {
        name
    })
}

/// `$XDG_CONFIG_HOME/kindling`, else `~/.config/kindling`.
fn config_dir() -> anyhow::Result<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .ok_or_else(|| anyhow!("neither XDG_CONFIG_HOME nor HOME is set: pass --identity PATH"))?;
    Ok(base.join("kindling"))
}

/// The identity the fleet's secrets are encrypted to: an existing one
/// named by `--identity`, or a new one (written at the end, with the
/// fleet). Returns its recipient and, for a new one, its text.
struct Key {
    path: PathBuf,
    recipient: String,
    new: Option<String>,
}

fn key(args: &InitArgs, name: &str) -> anyhow::Result<Key> {
    if let Some(path) = &args.identity
        && fs::symlink_metadata(path).is_ok()
    {
        let identities =
            Identities::load(Some(path), None).map_err(|e| anyhow!("{e} ({})", e.help()))?;
        // Findings about how the identity is kept name no file: one line each.
        report(identities.diagnostics(), Texts::One(""), true);
        let recipient = identities.recipients().first().cloned().ok_or_else(|| {
            anyhow!(
                "{} holds no identity whose public key kindling can derive (an age X25519 identity or an ssh-ed25519/ssh-rsa key)",
                path.display()
            )
        })?;
        return Ok(Key {
            path: path.clone(),
            recipient,
            new: None,
        });
    }
    let path = match &args.identity {
        Some(path) => path.clone(),
        None => config_dir()?.join(format!("{name}.age-identity")),
    };
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let created = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let text = format!(
        "# created: {created}\n# public key: {recipient}\n# The age identity of the {name} fleet (kindling init). Keep it secret and backed up.\n{}\n",
        age::secrecy::ExposeSecret::expose_secret(&identity.to_string())
    );
    Ok(Key {
        path,
        recipient,
        new: Some(text),
    })
}

/// How the justfile and mise.toml name the identity: relative to `$HOME`
/// when it is beneath it, so they hold no one's home directory.
fn identity_expressions(path: &Path) -> (String, String) {
    let quote = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match home
        .as_deref()
        .and_then(|home| path.strip_prefix(home).ok())
    {
        Some(rest) => {
            let rest = quote(&rest.to_string_lossy());
            (
                format!("env(\"HOME\") / \"{rest}\""),
                format!("{{{{env.HOME}}}}/{rest}"),
            )
        }
        None => {
            let full = quote(&path.to_string_lossy());
            (format!("\"{full}\""), full)
        }
    }
}

pub fn run(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let dir = &args.dir;
    let name = match &args.name {
        Some(name) => name.clone(),
        None => fleet_name(dir)?,
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        bail!("--name {name:?}: use lower case letters, digits and dashes");
    }
    let key = key(args, &name)?;
    let (just_identity, mise_identity) = identity_expressions(&std::path::absolute(&key.path)?);
    let fill = |template: &str| {
        template
            .replace("@name@", &name)
            .replace("@host@", HOST)
            .replace("@recipient@", &key.recipient)
            .replace("@just_identity@", &just_identity)
            .replace("@mise_identity@", &mise_identity)
    };
    let mut files: Vec<(PathBuf, String)> = TEMPLATES
        .iter()
        .map(|(path, template)| (dir.join(path), fill(template)))
        .collect();
    for (kind, file) in [
        (Kind::Fleet, "fleet"),
        (Kind::Host, "host"),
        (Kind::Service, "service"),
    ] {
        files.push((
            dir.join(format!("templates/schemas/{file}.schema.json")),
            json_schema(kind),
        ));
    }
    let mut existing: Vec<String> = files
        .iter()
        .map(|(path, _)| path)
        .chain(key.new.as_ref().map(|_| &key.path))
        .filter(|path| fs::symlink_metadata(path).is_ok())
        .map(|path| {
            let shown = path.display().to_string();
            shown.strip_prefix("./").map(str::to_owned).unwrap_or(shown)
        })
        .collect();
    if !existing.is_empty() {
        existing.sort();
        bail!(
            "{} already exist{}; nothing was written (init a new directory{})",
            existing.join(", "),
            if existing.len() == 1 { "s" } else { "" },
            if key.new.is_some() && fs::symlink_metadata(&key.path).is_ok() {
                ", or pass --identity PATH to use an identity you have"
            } else {
                ""
            }
        );
    }
    let mut created = Created::default();
    if let Some(text) = &key.new {
        if let Some(parent) = key.path.parent() {
            created.dir(parent, 0o700)?;
        }
        created.file(&key.path, text.as_bytes(), 0o600)?;
    }
    for (path, text) in &files {
        created.file(path, text.as_bytes(), 0o644)?;
    }
    created.done = true;
    eprintln!(
        "kindling: created the {name} fleet in {}: fleet.yaml, host {HOST} (hosts/{HOST}.yaml), service hello (containers/hello.yaml)",
        dir.display()
    );
    match key.new {
        Some(_) => eprintln!(
            "kindling: new age identity {} (mode 0600, outside the fleet): back it up; secrets/ cannot be decrypted without it",
            key.path.display()
        ),
        None => eprintln!(
            "kindling: secrets are encrypted to the identity {}",
            key.path.display()
        ),
    }
    eprintln!("kindling: its recipient {} is in fleet.yaml", key.recipient);
    eprintln!(
        "kindling: next: cd {} && kindling check --strict && kindling build",
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
