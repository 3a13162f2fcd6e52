//! Rebuilds the server when the embedded web front end (`web/`) changes.

fn main() {
    println!("cargo:rerun-if-changed=../../web");
}
