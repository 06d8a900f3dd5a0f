//! Graft's fuzz targets: shared checks ([`checks`]), the engine targets' bodies
//! ([`targets`]) and, with feature `store`, the export importer's ([`store`]).

pub mod checks;
pub mod targets;

#[cfg(feature = "store")]
pub mod store;

pub use checks::*;
