//! Seeing inside configs: a listing of everything a config does (text or
//! JSON), extraction of the node's file tree, and decompiling to Butane.
//!
//! * [`listing`] builds the typed [`Listing`] (every resource decoded,
//!   remote sources listed and never fetched); [`to_text()`] (module
//!   [`text`]) writes it as text.
//! * [`extract()`] writes the file tree into a directory without ever
//!   leaving it.
//! * [`decompile()`] emits an equivalent Butane config through the careful
//!   YAML emitter in [`yaml_emit`].
//! * [`content`] holds the shared helpers: where a resource's bytes come
//!   from and decoding them with the size cap (through [`crate::dataurl`]),
//!   text/binary, hash checks, escaping for terminals.

pub mod content;
pub mod decompile;
pub mod extract;
pub mod listing;
pub mod text;
pub mod yaml_emit;

pub use decompile::{DecompileError, butane_version, decompile};
pub use extract::{ExtractError, ExtractReport, extract};
pub use listing::{Listing, list};
pub use text::{TextOptions, to_text};
