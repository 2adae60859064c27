//! gyokaku: department workbooks in, council documents out.
//!
//! ingest (workbooks → items with source cells) → check (findings) →
//! progress (the year's filled forms → results) → documents (the data each
//! document prints) → typeset (Typst PDF) and the workbook writers.
//! `pipeline` runs ingest, check and progress into one `Run`; `commands`
//! holds what each CLI command does with it. One model (model.rs) in the
//! middle; the foundation below everything is model, config, findings,
//! text, era and write.

pub mod cache;
pub mod check;
pub mod commands;
pub mod compare;
pub mod config;
pub mod decisions;
pub mod engine;
pub mod documents;
pub mod era;
pub mod figures;
pub mod findings;
pub mod format;
pub mod ingest;
pub mod model;
pub mod pipeline;
pub mod progress;
pub mod proposal;
pub mod site;
pub mod text;
pub mod threads;
pub mod typeset;
pub mod validation_report;
pub mod write;
pub mod xlsx;
