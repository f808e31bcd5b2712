//! Probes what some tests need, so that a test that cannot run here shows as ignored with the reason
//! instead of passing without checking anything:
//! - whether a read-only directory stops this user from writing into it (it does not for root, as in
//!   many containers);
//! - whether makemore's `names.txt` is beside the workspace (`../shared/data/names.txt`, or wherever
//!   `MAKEMORE_NAMES` points).

use std::path::PathBuf;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(read_only_dirs_bind)");
    println!("cargo::rustc-check-cfg=cfg(makemore_names)");
    println!("cargo::rerun-if-changed=build.rs");
    if read_only_dirs_bind() {
        println!("cargo::rustc-cfg=read_only_dirs_bind");
    }
    println!("cargo::rerun-if-env-changed=MAKEMORE_NAMES");
    let names = match std::env::var_os("MAKEMORE_NAMES") {
        Some(path) => PathBuf::from(path),
        None => {
            let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
            manifest.join("../../../shared/data/names.txt")
        }
    };
    // Watch the file only where it is: a watched path that does not exist makes cargo rerun this script,
    // and rebuild harness and every crate above it, on every build. (Put it there later, or set
    // MAKEMORE_NAMES: then `touch crates/*/build.rs` or the variable tells cargo to probe again.)
    if names.is_file() {
        println!("cargo::rerun-if-changed={}", names.display());
        println!("cargo::rustc-cfg=makemore_names");
    }
}

#[cfg(unix)]
fn read_only_dirs_bind() -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(out) = std::env::var_os("OUT_DIR") else { return false };
    let dir = std::path::Path::new(&out).join("read-only-probe");
    let _ = std::fs::create_dir_all(&dir);
    if std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).is_err() {
        return false;
    }
    let file = dir.join("x");
    let bound = std::fs::write(&file, "x").is_err();
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755));
    bound
}

#[cfg(not(unix))]
fn read_only_dirs_bind() -> bool {
    false
}
