//! Helpers shared by the interface tests: the demo company at a fixed time, an application
//! over it, keys sent the way a keymap says, screens rendered into a `TestBackend`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use folio::ledger::{Ctx, Ledger};
use folio::tui::action::{Action, Context};
use folio::tui::keymap::Key;
use folio::tui::{App, Keymap};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// User "demo", 2026-11-20 10:00: screens and audit records come out the same every run.
pub fn demo_ctx() -> Ctx {
    let now = NaiveDate::from_ymd_opt(2026, 11, 20)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("fixed date");
    Ctx::fixed("demo", now)
}

/// User "demo", 2026-12-03 10:00: November has ended, its VAT return is due.
pub fn december_ctx() -> Ctx {
    let now = NaiveDate::from_ymd_opt(2026, 12, 3)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("fixed date");
    Ctx::fixed("demo", now)
}

pub fn demo_ledger(dir: &Path) -> Arc<Ledger> {
    Arc::new(folio::demo::build_demo(&dir.join("demo.ledger"), &demo_ctx()).expect("demo"))
}

/// The demo's books without its bank statements: for tests that import statements of their
/// own.
pub fn demo_books_ledger(dir: &Path) -> Arc<Ledger> {
    Arc::new(folio::demo::build_demo_books(&dir.join("demo.ledger"), &demo_ctx()).expect("demo"))
}

pub fn app(ledger: &Arc<Ledger>, keymap: &Keymap) -> App {
    App::new(Arc::clone(ledger), demo_ctx(), keymap.clone()).expect("app")
}

pub fn presets() -> Vec<(&'static str, Keymap)> {
    ["default", "emacs"]
        .into_iter()
        .map(|name| (name, Keymap::preset(name).expect("preset")))
        .collect()
}

/// Sends the keys written in keymap notation, separated by spaces (`g g j enter`).
pub fn press(app: &mut App, keys: &str) {
    for text in keys.split(' ').filter(|k| !k.is_empty()) {
        app.key(Key::parse(text).expect("key"));
    }
}

/// Drives an application with the keys a keymap gives to actions, counting them.
pub struct Driver<'a> {
    pub app: App,
    pub keymap: &'a Keymap,
    pub default: Keymap,
    /// Keys pressed that are not typed text.
    pub strokes: usize,
}

impl<'a> Driver<'a> {
    pub fn new(ledger: &Arc<Ledger>, keymap: &'a Keymap) -> Self {
        Self::with_ctx(ledger, keymap, demo_ctx())
    }

    /// A driver whose user works on another date.
    pub fn with_ctx(ledger: &Arc<Ledger>, keymap: &'a Keymap, ctx: Ctx) -> Self {
        Driver {
            app: App::new(Arc::clone(ledger), ctx, keymap.clone()).expect("app"),
            keymap,
            default: Keymap::embedded(),
            strokes: 0,
        }
    }

    /// The chord a user of this keymap would press for `action` in `context`: the one that
    /// is particular to the preset when there is one (so each preset's own keys are used),
    /// else the last one listed; never a typed character while a text field has the focus.
    pub fn chord(&self, context: Context, action: Action) -> Vec<Key> {
        let typing = self.app.typing();
        let chords: Vec<Vec<Key>> = self
            .keymap
            .keys_for(context, action)
            .into_iter()
            .filter(|c| !typing || c[0].text().is_none())
            .collect();
        let defaults = self.default.keys_for(context, action);
        chords
            .iter()
            .find(|c| !defaults.contains(c))
            .or(chords.last())
            .cloned()
            .unwrap_or_else(|| panic!("no key for {context}.{action:?}"))
    }

    pub fn act(&mut self, context: Context, action: Action) -> &mut Self {
        for key in self.chord(context, action) {
            self.app.key(key);
            self.strokes += 1;
        }
        self
    }

    pub fn list(&mut self, action: Action) -> &mut Self {
        self.act(Context::List, action)
    }

    pub fn global(&mut self, action: Action) -> &mut Self {
        self.act(Context::Global, action)
    }

    pub fn form(&mut self, action: Action) -> &mut Self {
        self.act(Context::Form, action)
    }

    pub fn next(&mut self) -> &mut Self {
        self.form(Action::NextField)
    }

    pub fn confirm(&mut self) -> &mut Self {
        self.act(Context::Dialog, Action::Confirm);
        self.app.wait_idle();
        self
    }

    pub fn text(&mut self, text: &str) -> &mut Self {
        self.app.type_text(text);
        self
    }

    pub fn message(&self) -> String {
        self.app.message().unwrap_or_default().to_string()
    }
}

/// The screen as text, drawn at `width` x `height`.
pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    terminal.draw(|frame| app.render(frame)).expect("draw");
    terminal.backend().to_string()
}
