//! One module per command of the CLI (main.rs parses the arguments):
//! each runs the pipeline and the renderers and writes the files. `build`
//! and `validate` are the engine's own (src/engine/), shared with the site.

pub mod decide;
pub mod diff;
pub mod forms;
pub mod init;
pub mod packet;
pub mod report;
