//! kindling: compile CoreOS fleets and Butane configs into Ignition.
pub mod encode;
