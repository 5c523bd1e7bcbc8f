//! The full-screen interface from the command line, and `folio keymap`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow};

use super::{Cli, KeymapAction};
use crate::ledger::{Ctx, Ledger};
use crate::tui::Keymap;
use crate::tui::keymap::{check_file, user_config_path};

/// The keymap layers: the user's config file when it exists, then `--keymap`.
fn layers(cli: &Cli) -> Vec<PathBuf> {
    let mut layers: Vec<PathBuf> = user_config_path()
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    layers.extend(cli.keymap.clone());
    layers
}

fn keymap_of(cli: &Cli) -> Result<Keymap> {
    Keymap::load(&layers(cli)).map_err(|err| anyhow!("keymap: {err}"))
}

/// `folio` without a command: the interface on `--ledger`.
pub fn open(cli: &Cli, ctx: Ctx) -> Result<ExitCode> {
    let keymap = keymap_of(cli)?;
    // The interface browses: a small page cache keeps it light.
    let ledger = Ledger::open_with_cache(&cli.ledger, crate::ledger::BROWSING_CACHE_BYTES)?;
    crate::tui::run(ledger, ctx, keymap)?;
    Ok(ExitCode::SUCCESS)
}

/// `folio demo` on a terminal: build the demo company and open it.
pub fn demo(cli: &Cli, path: Option<&Path>, ctx: Ctx) -> Result<ExitCode> {
    let keymap = keymap_of(cli)?;
    let path = super::commands::demo_path(path, &ctx);
    let ledger = crate::demo::build_demo(&path, &ctx)?;
    crate::tui::run(ledger, ctx, keymap)?;
    let mut out = super::output::SafeOutput::new(std::io::stdout().lock());
    writeln!(
        out,
        "The demo ledger is {}: reopen it with `folio --ledger {}`.",
        path.display(),
        path.display()
    )?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn keymap(cli: &Cli, action: &KeymapAction, out: &mut impl Write) -> Result<ExitCode> {
    match action {
        KeymapAction::Check { file } => {
            let actions = check_file(file).map_err(|err| anyhow!("{err}"))?;
            writeln!(out, "{}: ok ({actions} actions set)", file.display())?;
        }
        KeymapAction::Show => {
            let keymap = keymap_of(cli)?;
            write!(out, "{}", keymap.show())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
