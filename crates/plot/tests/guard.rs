//! Figures never replace a file that is not ours, never write through a symlink, never leave the chosen
//! directory, and refuse sizes too large to draw before allocating them.

use std::path::{Path, PathBuf};

use plot::{check_figure, is_our_figure, save_figure};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("plot-guard-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn blank(_: &plot::Area<'_>) -> anyhow::Result<()> {
    Ok(())
}

fn one_line(err: &anyhow::Error) -> String {
    let s = format!("{err:#}");
    assert_eq!(s.lines().count(), 1, "{s}");
    s
}

#[test]
fn our_figures_carry_the_marker_and_are_replaced() {
    let dir = scratch("ours");
    let saved = save_figure(&dir.join("fig"), (40, 30), blank).unwrap();
    assert!(is_our_figure(&saved.png) && is_our_figure(&saved.svg));
    let svg = std::fs::read_to_string(&saved.svg).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<!-- zero-to-gpt plot -->"), "{svg}");
    // A second run replaces them, and leaves no temporary file behind.
    save_figure(&dir.join("fig"), (50, 30), blank).unwrap();
    let mut names: Vec<_> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["fig.png", "fig.svg"]);
}

#[test]
fn a_users_file_at_either_name_is_refused_and_untouched() {
    for ext in ["png", "svg"] {
        let dir = scratch(&format!("foreign-{ext}"));
        let theirs = dir.join(format!("photo.{ext}"));
        // Even a real PNG/SVG, if not ours.
        let content: &[u8] =
            if ext == "png" { b"\x89PNG\r\n\x1a\nholiday" } else { b"<svg>my drawing</svg>" };
        std::fs::write(&theirs, content).unwrap();
        let err = save_figure(&dir.join("photo"), (40, 30), blank).unwrap_err();
        assert!(one_line(&err).starts_with("refusing to overwrite"), "{err:#}");
        assert_eq!(std::fs::read(&theirs).unwrap(), content);
        // Nothing else was written: not even the other, free, name.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert!(check_figure(&dir.join("photo")).is_err());
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_is_refused_and_its_target_untouched() {
    let dir = scratch("symlink");
    let target = dir.join("precious.txt");
    std::fs::write(&target, "do not truncate me").unwrap();
    std::os::unix::fs::symlink(&target, dir.join("fig.png")).unwrap();
    let err = save_figure(&dir.join("fig"), (40, 30), blank).unwrap_err();
    assert!(one_line(&err).contains("is a symlink"), "{err:#}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "do not truncate me");
    assert!(std::fs::symlink_metadata(dir.join("fig.png")).unwrap().file_type().is_symlink());
    assert!(!dir.join("fig.svg").exists());
}

#[test]
fn stems_that_are_not_file_names_are_refused() {
    let dir = scratch("names");
    for stem in [dir.join(".."), dir.join("."), PathBuf::from("/")] {
        let err = save_figure(&stem, (40, 30), blank).unwrap_err();
        assert!(one_line(&err).contains("not a plain file name"), "{stem:?}: {err:#}");
    }
}

#[test]
fn a_directory_in_the_way_is_refused() {
    let dir = scratch("dir-in-way");
    std::fs::create_dir(dir.join("fig.svg")).unwrap();
    let err = save_figure(&dir.join("fig"), (40, 30), blank).unwrap_err();
    assert!(one_line(&err).contains("a directory is in the way"), "{err:#}");
    assert!(!dir.join("fig.png").exists(), "nothing written before the refusal");
}

#[test]
fn sizes_too_large_to_draw_are_refused_before_allocating() {
    let dir = scratch("huge");
    // bigram's heatmap of 3,001 characters: 60 px a cell.
    for size in [(180_140, 180_180), (16_385, 10), (8000, 8000), (u32::MAX, u32::MAX)] {
        let err = save_figure(&dir.join("fig"), size, blank).unwrap_err();
        assert!(one_line(&err).contains("too large to draw"), "{size:?}: {err:#}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn marker_check_needs_the_marker_where_we_put_it() {
    let dir = scratch("marker");
    let path: &Path = &dir.join("x.svg");
    std::fs::write(path, "<p>zero-to-gpt plot</p>").unwrap();
    assert!(!is_our_figure(path));
    std::fs::write(path, "not svg <!-- zero-to-gpt plot -->").unwrap();
    assert!(!is_our_figure(path));
    assert!(!is_our_figure(&dir.join("absent.png")));
}
