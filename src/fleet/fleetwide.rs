//! Fleet-wide checks: what no single host's resolution can see. Which
//! hosts a build covers (and the names on the command line that are no
//! host), service users of different hosts or services that hash to one
//! uid, and findings that many hosts repeat (a `fleet.yaml` value, a
//! service every host lists), reported once. Per-host resolution is
//! `resolve`; `fleet::compile` runs it host by host in its workers and
//! these checks over the results, [`plan_hosts`] does both for listings.

use std::collections::{BTreeMap, BTreeSet};

use super::load::{HostSource, Inventory, ServiceSource};
use super::resolve::{HostPlan, Origin, Resolver, ServiceBody};
use crate::diag::{Code, Diagnostic, Diagnostics};

/// Plans every host (or the named ones), for listings. Findings accumulate
/// in the result, those many hosts share (a bad `fleet.yaml` value) once;
/// hosts whose planning failed are still planned as far as possible.
/// `fleet::compile` plans the same way, host by host in its workers.
pub fn plan_hosts(
    inventory: &Inventory,
    only: &[String],
) -> (BTreeMap<String, HostPlan>, Diagnostics) {
    let mut resolver = Resolver::new(inventory);
    resolver.diagnostics.extend(unknown_hosts(inventory, only));
    resolver.check_butane_hosts();
    let mut plans = BTreeMap::new();
    for (name, source) in selected_hosts(inventory, only) {
        if let Some(plan) = resolver.plan(name, source) {
            plans.insert(name.clone(), plan);
        }
    }
    let accounts: Vec<AccountUse> = plans
        .iter()
        .flat_map(|(name, plan)| account_uses(name, plan))
        .collect();
    let (clashes, _) = check_account_ids(inventory, &accounts);
    resolver.diagnostics.extend(clashes);
    resolver
        .diagnostics
        .extend(unused_broken_services(inventory));
    (plans, dedup(resolver.diagnostics.into_vec()))
}

/// The errors of service definitions that do not parse and that no host
/// lists (a listed one fails its hosts, reported with their findings): a
/// broken file in the fleet fails the check all the same.
pub(crate) fn unused_broken_services(inventory: &Inventory) -> Vec<Diagnostic> {
    let listed: BTreeSet<&str> = inventory
        .hosts
        .values()
        .filter_map(|source| match source {
            HostSource::Manifest { host, .. } => Some(host),
            HostSource::Butane { .. } => None,
        })
        .flat_map(|host| host.services.iter().map(|s| s.name.as_str()))
        .collect();
    inventory
        .services
        .iter()
        .filter(|(name, _)| !listed.contains(name.as_str()))
        .filter_map(|(_, source)| match source {
            ServiceSource::Broken { error, .. } => Some((**error).clone()),
            _ => None,
        })
        .collect()
}

/// `diagnostics` without repeats, first occurrences kept in order.
pub(crate) fn dedup(diagnostics: Vec<Diagnostic>) -> Diagnostics {
    let mut seen = BTreeSet::new();
    let mut unique = Diagnostics::new();
    unique.extend(diagnostics.into_iter().filter(|d| seen.insert(d.raw())));
    unique
}

/// An error for each name in `only` that is not a host of the fleet.
pub(crate) fn unknown_hosts(inventory: &Inventory, only: &[String]) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for name in only {
        if !inventory.hosts.contains_key(name) {
            let known: Vec<&str> = inventory.hosts.keys().map(String::as_str).collect();
            let mut diagnostic =
                Diagnostic::error(Code::FleetUnknownHost, format!("unknown host {name}"));
            diagnostic.help = Some(format!("hosts in this fleet: {}", known.join(", ")));
            found.push(diagnostic);
        }
    }
    found
}

/// The hosts to plan, in name order: all of them, or those in `only`.
pub(crate) fn selected_hosts<'i>(
    inventory: &'i Inventory,
    only: &'i [String],
) -> impl Iterator<Item = (&'i String, &'i HostSource)> {
    inventory
        .hosts
        .iter()
        .filter(move |(name, _)| only.is_empty() || only.contains(name))
}

/// A service account a host plan creates, as `check_account_ids` needs it.
#[derive(Clone, Debug)]
pub(crate) struct AccountUse {
    host: String,
    user: String,
    uid: u32,
    /// Where the service definition is (its merged YAML node).
    origin: Origin,
    service: String,
}

/// The service accounts of `host`'s `plan`, in service order.
pub(crate) fn account_uses(host: &str, plan: &HostPlan) -> Vec<AccountUse> {
    let HostPlan::Manifest(plan) = plan else {
        return Vec::new();
    };
    plan.services
        .iter()
        .filter_map(|service| {
            let ServiceBody::Definition(resolved) = &service.body else {
                return None;
            };
            let account = resolved.account.as_ref()?;
            Some(AccountUse {
                host: host.to_owned(),
                user: account.user.clone(),
                uid: account.uid,
                origin: Origin::of(&resolved.node),
                service: service.name.clone(),
            })
        })
        .collect()
}

/// Two different service users must not share a uid (nor groups a gid).
/// `accounts` are in host order, then service order. Returns the findings
/// and the hosts involved in a clash (they must not get an output).
pub(crate) fn check_account_ids(
    inventory: &Inventory,
    accounts: &[AccountUse],
) -> (Vec<Diagnostic>, BTreeSet<String>) {
    let mut found = Vec::new();
    let mut failed = BTreeSet::new();
    // uid → the first account that has it
    let mut by_uid: BTreeMap<u32, &AccountUse> = BTreeMap::new();
    for account in accounts {
        match by_uid.get(&account.uid) {
            Some(first) if first.user != account.user => {
                failed.insert(first.host.clone());
                failed.insert(account.host.clone());
                found.push(
                    Diagnostic::error(
                        Code::FleetUidClash,
                        format!(
                            "service users {} and {} both get uid {}",
                            first.user, account.user, account.uid
                        ),
                    )
                    .in_file(inventory.sources.name(account.origin.file))
                    .at_position(account.origin.position)
                    .with_help(format!(
                        "set `uid:` explicitly in the service definition of {}",
                        account.service
                    )),
                );
            }
            Some(_) => {}
            None => {
                by_uid.insert(account.uid, account);
            }
        }
    }
    (found, failed)
}
