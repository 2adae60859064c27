//! The 素案 round: the forms departments fill to propose their items.

pub mod forms;
