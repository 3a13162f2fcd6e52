//! Subcommands of the `signbridge` binary and the options they share.

pub mod bench;
pub mod detect;
pub mod pipeline_args;
