//! `folio keymap check|show`, `--keymap`, and `folio demo` without a terminal.

// Test helpers outside #[test] functions may unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output, Stdio};

fn folio(args: &[&str], home: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .env("HOME", home)
        .env_remove("XDG_CONFIG_HOME")
        .env("FOLIO_TODAY", "2026-11-20")
        .stdin(Stdio::null())
        .output()
        .expect("folio runs")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_accepts_a_good_file_and_names_file_and_line_of_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[list]\ndown = [\"j\", \"ctrl-n\"]\nfilter = []\n").unwrap();
    let out = folio(&["keymap", "check", good.to_str().unwrap()], dir.path());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("ok (2 actions set)"), "{stdout}");

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[list]\ndown = [\"j\"]\n\nup = [\"k\", \"j\"]\n").unwrap();
    let out = folio(&["keymap", "check", bad.to_str().unwrap()], dir.path());
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&format!(
            "{}:4: key `j` is already bound to `down`",
            bad.display()
        )),
        "{stderr}"
    );
}

#[test]
fn show_prints_the_layers_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join(".config/folio");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("keymap.toml"), "[global]\nquit = [\"Q\"]\n").unwrap();
    let out = folio(&["keymap", "show"], dir.path());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("quit = [\"Q\"]"), "{stdout}");
    assert!(stdout.contains("keymap.toml:2"), "{stdout}");
    assert!(stdout.contains("down = [\"down\", \"j\"]"), "{stdout}");

    let out = folio(&["--keymap", "emacs", "keymap", "show"], dir.path());
    let (stdout, _) = text(&out);
    assert!(stdout.contains("down = [\"down\", \"ctrl-n\"]"), "{stdout}");
    assert!(stdout.contains("quit = [\"ctrl-x ctrl-c\"]"), "{stdout}");

    // A broken user file stops the start with its name and line.
    std::fs::write(config.join("keymap.toml"), "[global]\nfly = [\"f\"]\n").unwrap();
    let out = folio(&["keymap", "show"], dir.path());
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    assert!(
        stderr.contains("keymap.toml:2: unknown action `fly`"),
        "{stderr}"
    );
}

#[test]
fn demo_without_a_terminal_prints_the_trial_balance() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.ledger");
    let out = folio(&["demo", path.to_str().unwrap()], dir.path());
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("demo company built"), "{stdout}");
    assert!(stdout.contains("512000"), "{stdout}");
}
