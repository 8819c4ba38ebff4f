//! The Ignition side: the typed output model and the spec-version table.

pub mod model;
pub mod spec;
pub mod merge;
