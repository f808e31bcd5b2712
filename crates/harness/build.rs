//! Probes whether a read-only directory stops this user from writing into it (it does not for root, as
//! in many containers), so the test that needs it shows as ignored with the reason instead of passing
//! without checking anything.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(read_only_dirs_bind)");
    println!("cargo::rerun-if-changed=build.rs");
    if read_only_dirs_bind() {
        println!("cargo::rustc-cfg=read_only_dirs_bind");
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
