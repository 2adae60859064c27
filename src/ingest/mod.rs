//! Reading: workbooks → cell grids (workbook) → labelled sheets and list
//! rows with source cells (reader) → items of the model (normalize), with
//! amounts parsed (amount) and names resolved against plan.toml (resolve).

pub mod amount;
pub mod files;
pub mod marks;
pub mod normalize;
pub mod reader;
pub mod resolve;
pub mod workbook;
