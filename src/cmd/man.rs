//! `kindling man`: print the man page (roff), or write one page per command
//! and the manifest reference (`kindling-manifest.5`) into a directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::CommandFactory;
use clap_mangen::roff::{Roff, bold, roman};

use super::common::print;
use crate::cli::{Cli, ManArgs};
use crate::fleet::reference;
use crate::write::{Visibility, write_atomic};

pub fn run(args: &ManArgs) -> anyhow::Result<ExitCode> {
    match &args.out_dir {
        Some(dir) => write_pages(dir)?,
        None if args.manifest => print(manifest_page().as_bytes())?,
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .context("rendering the man page")?;
            print(&page)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One page per command, as `clap_mangen::generate_to` names them, each
/// written atomically into `dir`. Neither `dir` nor a page's path may be a
/// symbolic link: writing through one would land outside `dir`.
fn write_pages(dir: &Path) -> anyhow::Result<()> {
    refuse_link(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    render_pages(command, &mut pages)?;
    pages.push((MANIFEST_PAGE.to_owned(), manifest_page().into_bytes()));
    let pages: Vec<(PathBuf, Vec<u8>)> = pages
        .into_iter()
        .map(|(name, page)| (dir.join(name), page))
        .collect();
    for (path, _) in &pages {
        refuse_link(path)?;
    }
    for (path, page) in pages {
        write_atomic(&path, &page, Visibility::Public)?;
    }
    Ok(())
}

fn render_pages(command: clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> anyhow::Result<()> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        render_pages(sub.clone(), pages)?;
    }
    let man = clap_mangen::Man::new(command);
    let mut page = Vec::new();
    man.render(&mut page)
        .with_context(|| format!("rendering {}", man.get_filename()))?;
    pages.push((man.get_filename(), page));
    Ok(())
}

/// The manifest reference as a man page of section 5 (file formats), from
/// the same entries as `docs/manifest.md`.
const MANIFEST_PAGE: &str = "kindling-manifest.5";

fn manifest_page() -> String {
    let mut page = Roff::new();
    page.control("TH", ["KINDLING-MANIFEST", "5"])
        .control("SH", ["NAME"])
        .text([roman(
            "kindling-manifest - the keys of a kindling fleet's fleet.yaml, hosts/*.yaml and containers/*.yaml",
        )])
        .control("SH", ["DESCRIPTION"])
        .text([roman(
            "Every key is optional. Modes are octal in YAML (0640). The same descriptions are in `kindling schema fleet|host|service` (JSON Schema, for editors) and docs/manifest.md.",
        )]);
    for (file, kind) in reference::MANIFESTS {
        page.control("SH", [file]);
        if let Some(description) = reference::description(kind) {
            page.text([roman(description)]);
        }
        for entry in reference::entries(kind) {
            page.control("TP", []).text([bold(entry.dotted())]);
            if let Some(description) = &entry.description {
                page.text([roman(reference::one_line(description))]);
            }
            let default = entry.default_yaml().unwrap_or_else(|| "none".to_owned());
            page.control("br", []).text([roman(format!(
                "Type: {}; default: {default}.",
                entry.type_name
            ))]);
            if let Some(example) = entry.example_yaml() {
                page.control("nf", []);
                for line in example.lines() {
                    page.text([roman(line)]);
                }
                page.control("fi", []);
            }
        }
    }
    page.control("SH", ["SEE ALSO"])
        .text([bold("kindling"), roman("(1)")]);
    page.render()
}

fn refuse_link(path: &Path) -> anyhow::Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        bail!(
            "{} is a symbolic link; refusing to write through it (remove it, or name the directory it points to)",
            path.display()
        );
    }
    Ok(())
}
