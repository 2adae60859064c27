//! gyokaku: department workbooks in, council documents out.
//!
//! readers (workbook, reader) → normalise (amount, resolve, normalize) →
//! validate → renderers (report). One model (model.rs) in the middle.

pub mod amount;
pub mod build;
pub mod compare;
pub mod config;
pub mod diff;
pub mod documents;
pub mod era;
pub mod findings;
pub mod forms;
pub mod model;
pub mod normalize;
pub mod packet;
pub mod pipeline;
pub mod reader;
pub mod report;
pub mod resolve;
pub mod results;
pub mod text;
pub mod typeset;
pub mod validate;
pub mod workbook;
pub mod write;
