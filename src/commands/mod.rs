//! One module per command of the CLI (main.rs parses the arguments):
//! each runs the pipeline and the renderers and writes the files.

pub mod build;
pub mod decide;
pub mod diff;
pub mod forms;
pub mod init;
pub mod packet;
pub mod report;
pub mod validate;
