//! The human-readable form of a [`Listing`]. Every string from the config
//! goes through [`printable`], so a hostile config cannot send terminal
//! escape sequences through `kindling inspect`.

use std::fmt::Write as _;

use super::content::{HashCheck, printable};
use super::listing::{ContentInfo, Decoded, Listing, OwnerInfo, SourceInfo};

/// How contents are shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextOptions {
    /// Show decoded text contents (else only their size and hash).
    pub show_contents: bool,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            show_contents: true,
        }
    }
}

/// `listing` as indented text.
pub fn to_text(listing: &Listing, options: TextOptions) -> String {
    let mut r = TextWriter {
        out: String::new(),
        options,
    };
    r.line(0, &format!("Ignition config, spec {}", listing.spec));
    r.ignition(listing);
    r.kernel_arguments(listing);
    r.files(listing);
    r.directories(listing);
    r.links(listing);
    r.units(listing);
    r.users(listing);
    r.storage(listing);
    if !listing.problems.is_empty() {
        r.section("Problems", listing.problems.len());
        for problem in &listing.problems {
            r.line(
                2,
                &format!("{}: {}", problem.json_path, p(&problem.message)),
            );
        }
    }
    r.out
}

fn p(text: &str) -> String {
    printable(text, false).into_owned()
}

fn opt_flag(out: &mut Vec<String>, value: Option<bool>, name: &str) {
    match value {
        Some(true) => out.push(name.to_owned()),
        Some(false) => out.push(format!("{name}: false")),
        None => {}
    }
}

fn owner_text(owner: &OwnerInfo) -> String {
    match (&owner.name, owner.id) {
        (Some(name), Some(id)) => format!("{} (id {id})", p(name)),
        (Some(name), None) => p(name),
        (None, Some(id)) => format!("id {id}"),
        (None, None) => String::new(),
    }
}

fn node_attributes(
    mode: Option<&str>,
    user: Option<&OwnerInfo>,
    group: Option<&OwnerInfo>,
    overwrite: Option<bool>,
) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(mode) = mode {
        parts.push(format!("mode {mode}"));
    }
    if let Some(user) = user {
        parts.push(format!("user {}", owner_text(user)));
    }
    if let Some(group) = group {
        parts.push(format!("group {}", owner_text(group)));
    }
    opt_flag(&mut parts, overwrite, "overwrite");
    parts
}

struct TextWriter {
    out: String,
    options: TextOptions,
}

impl TextWriter {
    fn line(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.out, "{:indent$}{text}", "");
    }

    fn section(&mut self, title: &str, count: usize) {
        self.out.push('\n');
        self.line(0, &format!("{title} ({count}):"));
    }

    fn text_block(&mut self, indent: usize, text: &str) {
        let body = text.strip_suffix('\n');
        for line in body.unwrap_or(text).split('\n') {
            let line = printable(line, true);
            if line.is_empty() {
                self.line(indent, "|");
            } else {
                self.line(indent, &format!("| {line}"));
            }
        }
        if body.is_none() && !text.is_empty() {
            self.line(indent, "(no newline at end)");
        }
    }

    fn content(&mut self, indent: usize, label: &str, content: &ContentInfo) {
        let mut parts = Vec::new();
        match &content.source {
            SourceInfo::None => parts.push("no source".to_owned()),
            SourceInfo::Data => {}
            SourceInfo::Remote { url, .. } => {
                parts.push(format!("remote {} (not fetched)", p(url)))
            }
        }
        match &content.decoded {
            Some(Decoded::Text { size, sha256, .. }) => {
                parts.push(format!("{size} bytes of text, sha256 {sha256}"));
            }
            Some(Decoded::Binary {
                size,
                sha256,
                head_hex,
            }) => parts.push(format!(
                "binary, {size} bytes, sha256 {sha256}, starts {head_hex}"
            )),
            Some(Decoded::Error { message }) => {
                parts.push(format!("undecodable: {}", p(message)));
            }
            None => {}
        }
        if let Some(compression) = content.compression.as_deref().filter(|c| !c.is_empty()) {
            parts.push(format!("compression {}", p(compression)));
        }
        if let Some(hash) = &content.verification {
            let status = match &content.verification_check {
                Some(HashCheck::Matches) => " (matches)",
                Some(HashCheck::Mismatch { .. }) => " (DOES NOT MATCH)",
                Some(HashCheck::Malformed) => " (malformed)",
                None => "",
            };
            parts.push(format!("verification {}{status}", p(hash)));
        }
        if !content.http_header_names.is_empty() {
            let names: Vec<String> = content.http_header_names.iter().map(|n| p(n)).collect();
            parts.push(format!("http headers {}", names.join(", ")));
        }
        self.line(indent, &format!("{label}: {}", parts.join(", ")));
        if let (true, Some(Decoded::Text { text, .. })) =
            (self.options.show_contents, &content.decoded)
        {
            self.text_block(indent + 2, text);
        }
    }

    fn ignition(&mut self, listing: &Listing) {
        let ignition = &listing.ignition;
        let configs = ignition.merge.len() + usize::from(ignition.replace.is_some());
        if configs > 0 {
            self.section("Configs", configs);
            if let Some(replace) = &ignition.replace {
                self.content(2, "replace with", replace);
            }
            for merge in &ignition.merge {
                self.content(2, "merge", merge);
            }
        }
        let mut settings = Vec::new();
        if let Some(proxy) = &ignition.http_proxy {
            settings.push(format!("http proxy {}", p(proxy)));
        }
        if let Some(proxy) = &ignition.https_proxy {
            settings.push(format!("https proxy {}", p(proxy)));
        }
        if !ignition.no_proxy.is_empty() {
            let hosts: Vec<String> = ignition.no_proxy.iter().map(|h| p(h)).collect();
            settings.push(format!("no proxy for {}", hosts.join(", ")));
        }
        if let Some(seconds) = ignition.http_response_headers_timeout {
            settings.push(format!("http response headers timeout {seconds}s"));
        }
        if let Some(seconds) = ignition.http_total_timeout {
            settings.push(format!("http total timeout {seconds}s"));
        }
        if !settings.is_empty() || !ignition.certificate_authorities.is_empty() {
            self.section(
                "Ignition settings",
                settings.len() + ignition.certificate_authorities.len(),
            );
            for setting in settings {
                self.line(2, &setting);
            }
            for ca in &ignition.certificate_authorities {
                self.content(2, "trusted CA", ca);
            }
        }
    }

    fn kernel_arguments(&mut self, listing: &Listing) {
        let args = &listing.kernel_arguments;
        if args.should_exist.is_empty() && args.should_not_exist.is_empty() {
            return;
        }
        self.section(
            "Kernel arguments",
            args.should_exist.len() + args.should_not_exist.len(),
        );
        for arg in &args.should_exist {
            self.line(2, &format!("+ {}", p(arg)));
        }
        for arg in &args.should_not_exist {
            self.line(2, &format!("- {}", p(arg)));
        }
    }

    fn files(&mut self, listing: &Listing) {
        if listing.files.is_empty() {
            return;
        }
        self.section("Files", listing.files.len());
        for file in &listing.files {
            self.line(2, &p(&file.path));
            let attributes = node_attributes(
                file.mode.as_deref(),
                file.user.as_ref(),
                file.group.as_ref(),
                file.overwrite,
            );
            if !attributes.is_empty() {
                self.line(4, &attributes.join(", "));
            }
            if let Some(contents) = &file.contents {
                self.content(4, "contents", contents);
            }
            for append in &file.append {
                self.content(4, "append", append);
            }
        }
    }

    fn directories(&mut self, listing: &Listing) {
        if listing.directories.is_empty() {
            return;
        }
        self.section("Directories", listing.directories.len());
        for dir in &listing.directories {
            let attributes = node_attributes(
                dir.mode.as_deref(),
                dir.user.as_ref(),
                dir.group.as_ref(),
                dir.overwrite,
            );
            let suffix = if attributes.is_empty() {
                String::new()
            } else {
                format!("  ({})", attributes.join(", "))
            };
            self.line(2, &format!("{}{suffix}", p(&dir.path)));
        }
    }

    fn links(&mut self, listing: &Listing) {
        if listing.links.is_empty() {
            return;
        }
        self.section("Links", listing.links.len());
        for link in &listing.links {
            let mut attributes = node_attributes(
                None,
                link.user.as_ref(),
                link.group.as_ref(),
                link.overwrite,
            );
            attributes.insert(0, if link.hard { "hard" } else { "symbolic" }.to_owned());
            let target = link
                .target
                .as_deref()
                .map_or_else(|| "(no target)".to_owned(), p);
            self.line(
                2,
                &format!("{} -> {target}  ({})", p(&link.path), attributes.join(", ")),
            );
        }
    }

    fn units(&mut self, listing: &Listing) {
        if listing.units.is_empty() {
            return;
        }
        self.section("Units", listing.units.len());
        for unit in &listing.units {
            let mut state = Vec::new();
            match unit.enabled {
                Some(true) => state.push("enabled"),
                Some(false) => state.push("disabled"),
                None => {}
            }
            if unit.mask == Some(true) {
                state.push("masked");
            }
            if unit.mask == Some(false) {
                state.push("unmasked");
            }
            let state = if state.is_empty() {
                String::new()
            } else {
                format!("  ({})", state.join(", "))
            };
            self.line(2, &format!("{}{state}", p(&unit.name)));
            if let Some(contents) = &unit.contents {
                self.unit_text(4, "contents", contents);
            }
            for dropin in &unit.dropins {
                match &dropin.contents {
                    Some(contents) => {
                        self.unit_text(4, &format!("dropin {}", p(&dropin.name)), contents)
                    }
                    None => self.line(4, &format!("dropin {} (no contents)", p(&dropin.name))),
                }
            }
        }
    }

    fn unit_text(&mut self, indent: usize, label: &str, text: &str) {
        self.line(indent, &format!("{label}: {} bytes", text.len()));
        if self.options.show_contents {
            self.text_block(indent + 2, text);
        }
    }

    fn users(&mut self, listing: &Listing) {
        if !listing.users.is_empty() {
            self.section("Users", listing.users.len());
        }
        for user in &listing.users {
            let mut parts = Vec::new();
            if let Some(uid) = user.uid {
                parts.push(format!("uid {uid}"));
            }
            if let Some(group) = &user.primary_group {
                parts.push(format!("primary group {}", p(group)));
            }
            if !user.groups.is_empty() {
                let groups: Vec<String> = user.groups.iter().map(|g| p(g)).collect();
                parts.push(format!("groups {}", groups.join(", ")));
            }
            for (label, value) in [
                ("gecos", &user.gecos),
                ("home", &user.home_dir),
                ("shell", &user.shell),
            ] {
                if let Some(value) = value {
                    parts.push(format!("{label} {}", p(value)));
                }
            }
            if let Some(hash) = &user.password_hash {
                parts.push(format!("password hash {}", p(hash)));
            }
            opt_flag(&mut parts, user.system, "system");
            opt_flag(&mut parts, user.no_create_home, "no home");
            opt_flag(&mut parts, user.no_user_group, "no user group");
            opt_flag(&mut parts, user.no_log_init, "no log init");
            opt_flag(&mut parts, user.should_exist, "should exist");
            self.line(2, &p(&user.name));
            if !parts.is_empty() {
                self.line(4, &parts.join(", "));
            }
            for key in &user.ssh_authorized_keys {
                self.line(4, &format!("ssh key: {}", p(key)));
            }
        }
        if !listing.groups.is_empty() {
            self.section("Groups", listing.groups.len());
        }
        for group in &listing.groups {
            let mut parts = Vec::new();
            if let Some(gid) = group.gid {
                parts.push(format!("gid {gid}"));
            }
            if let Some(hash) = &group.password_hash {
                parts.push(format!("password hash {}", p(hash)));
            }
            opt_flag(&mut parts, group.system, "system");
            opt_flag(&mut parts, group.should_exist, "should exist");
            let suffix = if parts.is_empty() {
                String::new()
            } else {
                format!("  ({})", parts.join(", "))
            };
            self.line(2, &format!("{}{suffix}", p(&group.name)));
        }
    }
}

mod storage;
#[cfg(test)]
mod tests;
