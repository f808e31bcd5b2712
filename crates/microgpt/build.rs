//! Tells the tests whether makemore's `names.txt` is beside the workspace (`../shared/data/names.txt`,
//! or wherever `MAKEMORE_NAMES` points): the tests that need it then run, and otherwise show as ignored
//! with the reason instead of passing without checking anything.

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(makemore_names)");
    println!("cargo::rerun-if-env-changed=MAKEMORE_NAMES");
    let path = match std::env::var_os("MAKEMORE_NAMES") {
        Some(path) => PathBuf::from(path),
        None => {
            let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
            manifest.join("../../../shared/data/names.txt")
        }
    };
    // Watch the file only where it is: a watched path that does not exist makes cargo rerun this script,
    // and rebuild the crate, on every build. (Put it there later, or set MAKEMORE_NAMES: then
    // `touch crates/*/build.rs` or the variable tells cargo to probe again.)
    println!("cargo::rerun-if-changed=build.rs");
    if path.is_file() {
        println!("cargo::rerun-if-changed={}", path.display());
        println!("cargo::rustc-cfg=makemore_names");
    }
}
