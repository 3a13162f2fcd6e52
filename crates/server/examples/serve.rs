//! The server alone, with the same flags as `signbridge serve`: for running the load driver
//! (shared/bench) against this crate without building the whole CLI.
//!
//! ```sh
//! cargo run --release -p signbridge-server --example serve -- --port 8000
//! ```

use clap::Parser;

fn main() -> anyhow::Result<()> {
    signbridge_server::run(signbridge_server::ServeArgs::parse())
}
