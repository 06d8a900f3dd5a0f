//! Graft's plain data types: what the server sends the browser and the store hands the web
//! layer. Serde and the pure engine only (no I/O, no Leptos, no SQL), so the browser bundle
//! (wasm) and the server share one definition of each.

pub mod account;
pub mod annotation;
pub mod drawing;
pub mod eval;
pub mod model;
pub mod wording;
