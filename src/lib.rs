//! kindling: compile CoreOS fleets and Butane configs into Ignition.

pub mod diag;
pub mod ignition;
pub mod validate;
pub mod yaml;
