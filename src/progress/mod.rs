//! The progress year: the forms departments fill (forms), the filled
//! forms read back as each item's results (results), and several rounds
//! read together (history).

pub mod forms;
pub mod history;
pub mod results;
