//! The Ignition side: the typed output model and the spec-version table.

pub mod merge;
pub mod model;
pub mod spec;
