//! Checking: the rules that compare items with each other, with the list
//! and with plan.toml, and turn what is wrong into findings.

pub mod names;
pub mod plan_rows;
pub mod sections;
pub mod targets;
pub mod titles;
pub mod validate;
