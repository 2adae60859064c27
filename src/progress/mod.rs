//! The progress year: the forms departments fill (forms) and the filled
//! forms read back as each item's results (results).

pub mod forms;
pub mod results;
