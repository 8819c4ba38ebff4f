//! Values Ignition accepts but no node can use as meant, refused by
//! kindling (Butane and Ignition pass them through): a NUL byte in a path or
//! link target (the kernel cuts the path there), a negative uid or gid
//! (-1 means "leave unchanged" to chown, other values wrap around), and a
//! unit or drop-in name with `/` or `..` (Ignition joins it onto
//! `/etc/systemd/system`, so it names a file elsewhere).

use crate::diag::{Code, Diagnostic, DocPath};
use crate::ignition::model::{Config, NodeOwner};

/// Every such value in `config`, in document order.
pub fn check(config: &Config) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    let passwd = DocPath::root().key("passwd");
    for (index, group) in config.passwd.groups.iter().enumerate() {
        negative_id(
            group.gid,
            passwd.key("groups").index(index).key("gid"),
            &mut found,
        );
    }
    for (index, user) in config.passwd.users.iter().enumerate() {
        negative_id(
            user.uid,
            passwd.key("users").index(index).key("uid"),
            &mut found,
        );
    }
    let storage = DocPath::root().key("storage");
    let nodes = config
        .storage
        .directories
        .iter()
        .enumerate()
        .map(|(i, d)| {
            (
                storage.key("directories").index(i),
                &d.path,
                &d.user,
                &d.group,
                None,
            )
        })
        .chain(config.storage.files.iter().enumerate().map(|(i, f)| {
            (
                storage.key("files").index(i),
                &f.path,
                &f.user,
                &f.group,
                None,
            )
        }))
        .chain(config.storage.links.iter().enumerate().map(|(i, l)| {
            (
                storage.key("links").index(i),
                &l.path,
                &l.user,
                &l.group,
                l.target.as_ref(),
            )
        }));
    for (at, path, user, group, target) in nodes {
        nul_free(path, at.key("path"), &mut found);
        if let Some(target) = target {
            nul_free(target, at.key("target"), &mut found);
        }
        owner(user, at.key("user"), &mut found);
        owner(group, at.key("group"), &mut found);
    }
    let units = DocPath::root().key("systemd").key("units");
    for (index, unit) in config.systemd.units.iter().enumerate() {
        let at = units.index(index);
        unit_name(&unit.name, "unit", at.key("name"), &mut found);
        for (dropin_index, dropin) in unit.dropins.iter().enumerate() {
            let at = at.key("dropins").index(dropin_index).key("name");
            unit_name(&dropin.name, "drop-in", at, &mut found);
        }
    }
    found
}

fn negative_id(id: Option<i64>, at: DocPath, found: &mut Vec<Diagnostic>) {
    if let Some(id) = id
        && id < 0
    {
        found.push(
            Diagnostic::error(
                Code::UnsafeNegativeId,
                format!("id {id} is negative; user and group ids are 0 or more"),
            )
            .at(at)
            .with_help("use the account's real id, or a name instead of an id"),
        );
    }
}

fn owner(owner: &NodeOwner, at: DocPath, found: &mut Vec<Diagnostic>) {
    negative_id(owner.id, at.key("id"), found);
}

fn nul_free(path: &str, at: DocPath, found: &mut Vec<Diagnostic>) {
    if path.contains('\0') {
        found.push(
            Diagnostic::error(
                Code::UnsafeNulInPath,
                "the path contains a NUL byte, which ends a path on the node",
            )
            .at(at)
            .with_help("remove the \\0 from the path"),
        );
    }
}

/// A unit's or drop-in's (`what`) name.
fn unit_name(name: &str, what: &str, at: DocPath, found: &mut Vec<Diagnostic>) {
    let problem = if name.contains('/') {
        Some("contains `/`")
    } else if name.contains("..") {
        Some("contains `..`")
    } else if name.contains('\0') {
        Some("contains a NUL byte")
    } else {
        None
    };
    if let Some(problem) = problem {
        found.push(
            Diagnostic::error(
                Code::UnsafeUnitName,
                format!(
                    "{what} name {} {problem}; a {what} name is a file name, not a path",
                    name.escape_debug()
                ),
            )
            .at(at)
            .with_help(format!(
                "name the {what} by its file name alone (app.service, 10-app.conf)"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ignition::model::{Dropin, File, Link, PasswdGroup, PasswdUser, Unit};

    #[test]
    fn refuses_nul_paths_negative_ids_and_path_like_unit_names() {
        let mut config = Config::default();
        config.passwd.users.push(PasswdUser {
            name: "u".to_owned(),
            uid: Some(-3),
            ..PasswdUser::default()
        });
        config.passwd.groups.push(PasswdGroup {
            name: "g".to_owned(),
            gid: Some(0),
            ..PasswdGroup::default()
        });
        let mut file = File {
            path: "/etc/a\0b".to_owned(),
            ..File::default()
        };
        file.user.id = Some(-1);
        config.storage.files.push(file);
        config.storage.links.push(Link {
            path: "/etc/l".to_owned(),
            target: Some("/x\0".to_owned()),
            ..Link::default()
        });
        config.systemd.units.push(Unit {
            name: "../evil.service".to_owned(),
            dropins: vec![Dropin {
                name: "a/b.conf".to_owned(),
                contents: None,
            }],
            ..Unit::default()
        });
        config.systemd.units.push(Unit {
            name: "x..service".to_owned(),
            dropins: vec![Dropin {
                name: "..conf".to_owned(),
                contents: None,
            }],
            ..Unit::default()
        });
        config.systemd.units.push(Unit {
            name: "ok.service".to_owned(),
            ..Unit::default()
        });
        let found: Vec<String> = check(&config).iter().map(Diagnostic::raw).collect();
        insta::assert_snapshot!(found.join("\n"));
    }
}
