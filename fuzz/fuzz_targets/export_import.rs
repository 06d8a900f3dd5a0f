//! Fuzz target: the export importer (`Store::import_export`, store/src/export/restore.rs),
//! the real restore path of `graft import` and `POST /api/import`, driven into an in-memory
//! SQLite store. It has no pure entry point: the checks of every line (`plan`) are private
//! and run inside the import.
//!
//! Input: UTF-8 text, a whole export file (JSONL, first line the `graft_export` record).
//!
//! Checks, beyond "no panic, no overflow, no hang" (a panic inside the importer's blocking
//! task comes back as `StoreError::Internal`, which counts as a crash here):
//! - `export_marker` never panics;
//! - a refused file is refused with a reason and leaves the database exactly as it was
//!   (empty: no dataset, problem, variant, label, review event or user);
//! - an accepted file is exported again (full format) without error, that export imports
//!   again, and exporting the second copy gives the same records (a fixed point, dataset
//!   name aside); afterwards the store is emptied for the next input.
//!
//! With `GRAFT_FUZZ_EMIT_EXPORTS=<dir>` it first writes full exports of a small dataset
//! (problems, a problem without a graph, curriculum variants, users, review decisions, label
//! items, annotations, step labels, a gold question) there, as seeds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| graft_fuzz::store::export_import(data));
