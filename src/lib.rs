//! kindling: compile CoreOS fleets and Butane configs into Ignition.

pub mod diag;
pub mod yaml;
pub mod ignition;
