//! `kindling secret`: encrypt a file into `secrets/`, edit an encrypted
//! one, list the fleet's recipients, re-encrypt everything to them.
//!
//! Plaintext never reaches a file anyone else can read: `edit` decrypts
//! into a 0600 file in a private (0700) temporary directory, preferably on
//! `$XDG_RUNTIME_DIR` (memory), overwrites it with zeros and removes it on
//! every path — including Ctrl-C or a hang-up while the editor runs, which
//! kindling outlives to clean up. No message quotes a secret.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, anyhow, bail};

use super::common::{Texts, identity_env, print, report};
use crate::cli::{
    SecretArgs, SecretCommand, SecretEditArgs, SecretEncryptArgs, SecretFleetArgs, SecretRekeyArgs,
};
use crate::confine::{EntryKind, Exclusions, FleetRoot};
use crate::fleet::load;
use crate::fleet::recipients::{self, Recipient};
use crate::fleet::secrets::{Identities, SecretError, is_encrypted, read_secret};
use crate::write::{Visibility, write_atomic};

pub fn run(args: &SecretArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        SecretCommand::Encrypt(args) => encrypt(args),
        SecretCommand::Edit(args) => edit(args),
        SecretCommand::Recipients(args) => list_recipients(args),
        SecretCommand::Rekey(args) => rekey(args),
    }
}

/// The fleet's root, opened for confined reads, and its recipients.
struct Fleet {
    root: FleetRoot,
    recipients: Vec<Recipient>,
}

fn open_fleet(dir: &Path) -> anyhow::Result<Fleet> {
    let (inventory, diagnostics) = load::load(dir, Exclusions::none());
    if let Some(error) = diagnostics
        .iter()
        .find(|d| d.is_error() && (d.file.as_deref() == Some("fleet.yaml") || d.file.is_none()))
    {
        bail!("{}", error.raw());
    }
    let recipients = recipients::parse_all(&inventory.fleet.recipients)
        .map_err(|e| anyhow!("{e} ({})", e.help()))?;
    Ok(Fleet {
        root: inventory.dir,
        recipients,
    })
}

fn identities(identity: Option<&Path>) -> anyhow::Result<Identities> {
    let identities = Identities::load(identity, identity_env().as_deref())
        .map_err(|e| anyhow!("{e} ({})", e.help()))?;
    // Findings about how the identity is kept name no file: one line each.
    report(identities.diagnostics(), Texts::One(""), true);
    Ok(identities)
}

/// `secrets/<relative>` made inside the fleet: its directory is created
/// and must resolve beneath the root (no symlink leads out).
fn destination(fleet: &Fleet, relative: &str) -> anyhow::Result<PathBuf> {
    let full = format!("secrets/{relative}");
    let dir = full.rsplit_once('/').map_or("secrets", |(dir, _)| dir);
    fs::create_dir_all(fleet.root.path().join(dir)).with_context(|| format!("creating {dir}"))?;
    let resolved = fleet
        .root
        .resolve(dir)
        .map_err(|e| anyhow!("{e} ({})", e.help()))?;
    let name = full.rsplit('/').next().unwrap_or(&full);
    Ok(fleet.root.path().join(resolved).join(name))
}

/// `PATH` as given to `edit`: relative to the fleet root (`secrets/x.age`)
/// or under `secrets/` (`x.age`), or an absolute path inside the fleet;
/// returned relative to `secrets/`.
fn secret_relative(fleet_dir: &Path, path: &Path) -> anyhow::Result<String> {
    let under_root = if path.is_absolute() {
        let root = fleet_dir
            .canonicalize()
            .with_context(|| format!("opening the fleet {}", fleet_dir.display()))?;
        let parent = path
            .parent()
            .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()))
            .unwrap_or_default();
        let full = parent.join(path.file_name().unwrap_or_default());
        full.strip_prefix(&root)
            .map(Path::to_path_buf)
            .map_err(|_| {
                anyhow!(
                    "{} is not inside the fleet {}",
                    path.display(),
                    fleet_dir.display()
                )
            })?
    } else {
        path.to_path_buf()
    };
    let text = under_root.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    let relative = text.strip_prefix("secrets/").unwrap_or(text);
    if !is_encrypted(relative) {
        bail!(
            "{} is not an .age file: `kindling secret edit` edits encrypted secrets (encrypt a plain file with `kindling secret encrypt`)",
            path.display()
        );
    }
    Ok(relative.to_owned())
}

fn encrypt(args: &SecretEncryptArgs) -> anyhow::Result<ExitCode> {
    let fleet = open_fleet(&args.fleet.fleet)?;
    let (plain, default_name) = if args.file.as_os_str() == "-" {
        let mut plain = Vec::new();
        std::io::stdin()
            .read_to_end(&mut plain)
            .context("reading standard input")?;
        (plain, None)
    } else {
        let plain =
            fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
        let name = args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        (plain, name)
    };
    let name = args.name.clone().or(default_name).ok_or_else(|| {
        anyhow!("name the secret with --name when it is read from standard input")
    })?;
    if name.contains('/') || name.starts_with('.') || name.is_empty() {
        bail!("--name {name}: give a plain file name (no '/', not hidden)");
    }
    let name = if is_encrypted(&name) {
        name
    } else {
        format!("{name}.age")
    };
    let mut parts: Vec<&str> = Vec::new();
    parts.extend(args.service.as_deref());
    parts.extend(args.host.as_deref());
    for part in &parts {
        if part.is_empty() || part.contains('/') || part.starts_with('.') {
            bail!("{part:?} is not a service or host name");
        }
    }
    parts.push(&name);
    let relative = parts.join("/");
    let path = destination(&fleet, &relative)?;
    if fs::symlink_metadata(&path).is_ok() {
        bail!(
            "secrets/{relative} exists; change it with `kindling secret edit secrets/{relative}` (nothing was written)"
        );
    }
    let sealed = recipients::encrypt(&plain, &fleet.recipients)
        .map_err(|e| anyhow!("{e} ({})", e.help()))?;
    write_atomic(&path, &sealed, Visibility::Public)?;
    let plain_name = name.strip_suffix(".age").unwrap_or(&name);
    let from = match (&args.service, &args.host) {
        (Some(service), Some(_)) => format!("{service}/{{{{ host }}}}/{name}"),
        _ => relative.clone(),
    };
    eprintln!(
        "kindling: wrote secrets/{relative}, encrypted to {} recipient(s)",
        fleet.recipients.len()
    );
    eprintln!(
        "kindling: place it with `secrets: [{{ file: {plain_name}, from: \"{from}\" }}]` in the service"
    );
    if args.file.as_os_str() != "-" {
        eprintln!(
            "kindling: {} is still there in plain text: delete it once you no longer need it",
            args.file.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn list_recipients(args: &SecretFleetArgs) -> anyhow::Result<ExitCode> {
    let fleet = open_fleet(&args.fleet)?;
    let mut out = String::new();
    for recipient in &fleet.recipients {
        out.push_str(&recipient.text);
        out.push('\n');
    }
    print(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Warns when none of the operator's identities is among the recipients:
/// what is written now, they cannot decrypt afterwards.
fn warn_if_locked_out(identities: &Identities, recipients: &[Recipient]) {
    let listed: Vec<String> = recipients.iter().map(Recipient::key_text).collect();
    let mine = identities.recipients();
    if !mine.is_empty() && !mine.iter().any(|key| listed.contains(key)) {
        eprintln!(
            "kindling: warning: your identity is not one of fleet.yaml's recipients: you will not be able to decrypt what is written now"
        );
    }
}

/// Every `.age` file beneath `secrets/`, relative to it, sorted.
fn encrypted_files(root: &FleetRoot) -> anyhow::Result<Vec<String>> {
    let secrets = match root.sub("secrets") {
        Ok(secrets) => secrets,
        Err(error) if error.is_not_found() => return Ok(Vec::new()),
        Err(error) => bail!("{error} ({})", error.help()),
    };
    let mut found = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        let entries = secrets
            .list(&dir)
            .map_err(|e| anyhow!("{e} ({})", e.help()))?;
        for entry in entries {
            let relative = if dir.is_empty() {
                entry.name.clone()
            } else {
                format!("{dir}/{}", entry.name)
            };
            match entry.kind {
                EntryKind::Directory => pending.push(relative),
                _ if is_encrypted(&relative) => found.push(relative),
                _ => {}
            }
        }
    }
    found.sort();
    Ok(found)
}

fn rekey(args: &SecretRekeyArgs) -> anyhow::Result<ExitCode> {
    let fleet = open_fleet(&args.fleet.fleet)?;
    let identities = identities(args.identity.as_deref())?;
    let files = encrypted_files(&fleet.root)?;
    // Everything is decrypted before anything is written: one file this
    // identity cannot read leaves every file as it was.
    let mut failures = Vec::new();
    let mut plain = Vec::new();
    for relative in &files {
        match read_secret(&fleet.root, relative, &identities) {
            Ok(bytes) => plain.push((relative, bytes)),
            Err(error) => failures.push(error),
        }
    }
    if !failures.is_empty() {
        for error in &failures {
            eprintln!("kindling: error: {error} ({})", error.help());
        }
        bail!(
            "{} of {} file(s) cannot be decrypted; nothing was re-encrypted",
            failures.len(),
            files.len()
        );
    }
    warn_if_locked_out(&identities, &fleet.recipients);
    for (relative, bytes) in &plain {
        let sealed = recipients::encrypt(bytes, &fleet.recipients)
            .map_err(|e| anyhow!("{e} ({})", e.help()))?;
        write_atomic(&destination(&fleet, relative)?, &sealed, Visibility::Public)?;
    }
    eprintln!(
        "kindling: re-encrypted {} file(s) to {} recipient(s)",
        files.len(),
        fleet.recipients.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// A private file for the plaintext: zeroed and removed when dropped,
/// then its 0700 directory with it.
struct Scratch {
    file: PathBuf,
    _dir: tempfile::TempDir,
}

impl Scratch {
    fn new(name: &str, plain: &[u8]) -> anyhow::Result<Scratch> {
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|dir| dir.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        // tempfile makes the directory 0700.
        let dir = tempfile::Builder::new()
            .prefix("kindling-secret-")
            .tempdir_in(&base)
            .with_context(|| format!("creating a private directory in {}", base.display()))?;
        let file = dir.path().join(name);
        let scratch = Scratch { file, _dir: dir };
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut handle = options
            .open(&scratch.file)
            .context("creating the temporary file")?;
        handle
            .write_all(plain)
            .and_then(|()| handle.sync_all())
            .context("writing the temporary file")?;
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // The editor may have replaced the file (write to a new file and
        // rename): zero whatever is there now.
        if let Ok(len) = fs::metadata(&self.file).map(|m| m.len())
            && let Ok(mut handle) = fs::OpenOptions::new().write(true).open(&self.file)
        {
            let zeros = vec![0u8; usize::try_from(len).unwrap_or(0).min(64 << 20)];
            let _ = handle.write_all(&zeros).and_then(|()| handle.sync_all());
        }
        let _ = fs::remove_file(&self.file);
    }
}

/// The editor command: `$VISUAL`, else `$EDITOR`, else `vi`; run by the
/// shell so that `EDITOR="code --wait"` works.
fn run_editor(file: &Path) -> anyhow::Result<()> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".to_owned());
    // Ctrl-C or a closed terminal reaches the editor, which decides; kindling
    // stays to wipe the plaintext and reports the interruption after.
    let interrupted = Arc::new(AtomicBool::new(false));
    let mut registered = Vec::new();
    for signal in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGQUIT,
    ] {
        registered.push(
            signal_hook::flag::register(signal, Arc::clone(&interrupted))
                .context("setting up signal handling")?,
        );
    }
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file)
        .status();
    for id in registered {
        signal_hook::low_level::unregister(id);
    }
    let status = status.with_context(|| format!("running the editor ({editor})"))?;
    if interrupted.load(Ordering::SeqCst) {
        bail!("interrupted while the editor ran; the secret was not changed");
    }
    if !status.success() {
        let how = status.code().map_or_else(
            || "was killed".to_owned(),
            |code| format!("exited with status {code}"),
        );
        bail!("the editor ({editor}) {how}; the secret was not changed");
    }
    Ok(())
}

fn edit(args: &SecretEditArgs) -> anyhow::Result<ExitCode> {
    let fleet = open_fleet(&args.fleet.fleet)?;
    let relative = secret_relative(&args.fleet.fleet, &args.path)?;
    let identities = identities(args.identity.as_deref())?;
    let before = match read_secret(&fleet.root, &relative, &identities) {
        Ok(bytes) => Some(bytes),
        Err(SecretError::Read { .. })
            if !fleet.root.path().join("secrets").join(&relative).exists() =>
        {
            None
        }
        Err(error) => bail!("{error} ({})", error.help()),
    };
    let plain_name = relative
        .rsplit('/')
        .next()
        .and_then(|name| name.strip_suffix(".age"))
        .filter(|name| !name.is_empty())
        .unwrap_or("secret");
    let scratch = Scratch::new(plain_name, before.as_deref().unwrap_or_default())?;
    run_editor(&scratch.file)?;
    let after = fs::read(&scratch.file).context("reading the edited file")?;
    drop(scratch);
    if before.is_none() && after.is_empty() {
        eprintln!("kindling: nothing written to secrets/{relative} (the file was left empty)");
        return Ok(ExitCode::SUCCESS);
    }
    if before.as_deref() == Some(after.as_slice()) {
        eprintln!("kindling: secrets/{relative} unchanged");
        return Ok(ExitCode::SUCCESS);
    }
    warn_if_locked_out(&identities, &fleet.recipients);
    let sealed = recipients::encrypt(&after, &fleet.recipients)
        .map_err(|e| anyhow!("{e} ({})", e.help()))?;
    write_atomic(
        &destination(&fleet, &relative)?,
        &sealed,
        Visibility::Public,
    )?;
    eprintln!(
        "kindling: {} secrets/{relative}, encrypted to {} recipient(s)",
        if before.is_some() {
            "updated"
        } else {
            "created"
        },
        fleet.recipients.len()
    );
    Ok(ExitCode::SUCCESS)
}
