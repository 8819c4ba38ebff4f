//! Entries that need no resource decoding: storage devices, users and
//! groups, units.

use super::{Map, Yaml};
use crate::ignition::model as ign;

pub(super) fn disk(disk: &ign::Disk) -> Map {
    let mut map = Map::new();
    map.str("device", &disk.device);
    map.opt_bool("wipe_table", disk.wipe_table);
    let partitions = disk
        .partitions
        .iter()
        .map(|p| {
            let mut entry = Map::new();
            if p.number != 0 {
                entry.put("number", Yaml::Int(p.number));
            }
            entry.opt_str("label", p.label.as_ref());
            entry.opt_int("size_mib", p.size_mib);
            entry.opt_int("start_mib", p.start_mib);
            entry.opt_str("type_guid", p.type_guid.as_ref());
            entry.opt_str("guid", p.guid.as_ref());
            entry.opt_bool("resize", p.resize);
            entry.opt_bool("should_exist", p.should_exist);
            entry.opt_bool("wipe_partition_entry", p.wipe_partition_entry);
            entry
        })
        .collect();
    map.seq("partitions", partitions);
    map
}

pub(super) fn raid(raid: &ign::Raid) -> Map {
    let mut map = Map::new();
    map.str("name", &raid.name);
    map.opt_str("level", raid.level.as_ref());
    map.strs("devices", &raid.devices);
    map.opt_int("spares", raid.spares);
    map.strs("options", &raid.options);
    map
}

pub(super) fn filesystem(fs: &ign::Filesystem) -> Map {
    let mut map = Map::new();
    map.str("device", &fs.device);
    map.opt_str("format", fs.format.as_ref());
    map.opt_str("path", fs.path.as_ref());
    map.opt_str("label", fs.label.as_ref());
    map.opt_str("uuid", fs.uuid.as_ref());
    map.opt_bool("wipe_filesystem", fs.wipe_filesystem);
    map.strs("options", &fs.options);
    map.strs("mount_options", &fs.mount_options);
    map
}

pub(super) fn passwd(passwd: &ign::Passwd) -> Map {
    let users = passwd
        .users
        .iter()
        .map(|user| {
            let mut map = Map::new();
            map.str("name", &user.name);
            map.opt_int("uid", user.uid);
            map.opt_str("gecos", user.gecos.as_ref());
            map.opt_str("home_dir", user.home_dir.as_ref());
            map.opt_bool("no_create_home", user.no_create_home);
            map.opt_str("primary_group", user.primary_group.as_ref());
            map.strs("groups", &user.groups);
            map.opt_bool("no_user_group", user.no_user_group);
            map.opt_bool("no_log_init", user.no_log_init);
            map.opt_str("shell", user.shell.as_ref());
            map.opt_bool("system", user.system);
            map.opt_bool("should_exist", user.should_exist);
            map.opt_str("password_hash", user.password_hash.as_ref());
            map.strs("ssh_authorized_keys", &user.ssh_authorized_keys);
            map
        })
        .collect();
    let groups = passwd
        .groups
        .iter()
        .map(|group| {
            let mut map = Map::new();
            map.str("name", &group.name);
            map.opt_int("gid", group.gid);
            map.opt_str("password_hash", group.password_hash.as_ref());
            map.opt_bool("system", group.system);
            map.opt_bool("should_exist", group.should_exist);
            map
        })
        .collect();
    let mut map = Map::new();
    map.seq("users", users);
    map.seq("groups", groups);
    map
}

pub(super) fn systemd(systemd: &ign::Systemd) -> Map {
    let units = systemd
        .units
        .iter()
        .map(|unit| {
            let mut map = Map::new();
            map.str("name", &unit.name);
            map.opt_bool("enabled", unit.enabled);
            map.opt_bool("mask", unit.mask);
            map.opt_str("contents", unit.contents.as_ref());
            let dropins = unit
                .dropins
                .iter()
                .map(|dropin| {
                    let mut entry = Map::new();
                    entry.str("name", &dropin.name);
                    entry.opt_str("contents", dropin.contents.as_ref());
                    entry
                })
                .collect();
            map.seq("dropins", dropins);
            map
        })
        .collect();
    let mut map = Map::new();
    map.seq("units", units);
    map
}
