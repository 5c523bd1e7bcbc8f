//! The terminal interface: a full-screen, keyboard-only application over one ledger.
//!
//! Elm-like loop (DESIGN.md section 6): a crossterm event goes through the keymap to an
//! `Action`, `App` updates its state (asking the `Ledger`, never redb), and `App::render`
//! draws the state. A tick every 250 ms polls the ledger's change counter so that screens
//! follow what other users commit, and collects the progress of long commands.

pub mod action;
pub mod app;
pub mod job;
pub mod keymap;
pub mod route;
pub mod screens;
pub mod theme;
pub mod widgets;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use crossterm::event::{self, Event, KeyEventKind};

pub use app::{App, Clock};
pub use keymap::{Key, Keymap, KeymapError};

use crate::ledger::{Ctx, Ledger};

/// How often the ledger is polled for other users' changes.
const TICK: Duration = Duration::from_millis(250);

/// Restores the terminal when dropped: on return, on error and while unwinding a panic.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

/// Runs the interface until the user quits. The terminal is restored on every way out; a panic
/// restores it before its message is printed (ratatui's hook).
pub fn run(ledger: Ledger, ctx: Ctx, keymap: Keymap) -> Result<()> {
    let today_fixed = ctx.today != ctx.now().date();
    let mut app = App::new(Arc::new(ledger), ctx, keymap)
        .context("cannot read the ledger")?
        .with_clock(Clock::Live { today_fixed });
    let mut terminal = ratatui::try_init().context("cannot set up the terminal")?;
    let _restore = Restore;
    terminal.draw(|frame| app.render(frame))?;
    let mut last_tick = Instant::now();
    while !app.should_quit() {
        let wait = if app.is_busy() {
            Duration::from_millis(50)
        } else {
            TICK.saturating_sub(last_tick.elapsed())
        };
        let mut dirty = false;
        if event::poll(wait)? {
            // Take every queued event before drawing once: held keys stay responsive.
            loop {
                let event = event::read()?;
                if let Event::Resize(..) = event {
                    // Draw at the new size first: screens learn their height from it.
                    terminal.draw(|frame| app.render(frame))?;
                    app.resized();
                }
                dirty |= handle(&mut app, event);
                if app.should_quit() || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        if last_tick.elapsed() >= TICK || app.is_busy() {
            dirty |= app.tick();
            last_tick = Instant::now();
        }
        if dirty && !app.should_quit() {
            terminal.draw(|frame| app.render(frame))?;
        }
    }
    Ok(())
}

fn handle(app: &mut App, event: Event) -> bool {
    match event {
        Event::Key(key) if key.kind != KeyEventKind::Release => {
            if let Some(key) = Key::from_event(&key) {
                app.key(key);
            }
            true
        }
        Event::Resize(..) => true,
        _ => false,
    }
}
