//! Subcommands of the `signbridge` binary and the options they share.

pub mod bench;
pub mod classify;
pub mod detect;
pub mod pipeline_args;
pub mod train;
pub mod transcribe;
