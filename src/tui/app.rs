//! The application state and its update: a key becomes an action through the keymap, the
//! action changes the state (or asks the ledger), and `render` draws the state as it is.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::action::{self, Action, Context};
use super::job::{Job, Poll};
use super::keymap::{Code, Key, Keymap, Lookup, chord_text};
use super::route::Route;
use super::screens::documents::Show;
use super::screens::entries::reverse_answer;
use super::screens::{
    Command, Confirm, Env, Focus, Outcome, Prompt, Purpose, Saved, Screen, Write,
};
use super::theme::Theme;
use super::widgets::fuzzy;
use super::widgets::input::TextInput;
use super::widgets::list::ListOutcome;
use super::widgets::overlay::{KeyRow, boxed, draw_confirm, draw_input, draw_key_rows};
use super::widgets::table::fit;
use super::widgets::text::put;
use crate::ledger::{Ctx, Ledger, LedgerError, Selection};
use crate::model::{Entry, EntryId, EntryInput};

/// Screens kept for going back; older ones are forgotten.
const MAX_STACK: usize = 100;

enum Overlay {
    Help {
        offset: usize,
    },
    /// `keys`: every key of each action is shown (`?` in the palette).
    Palette {
        input: TextInput,
        selected: usize,
        keys: bool,
    },
    /// `fresh`: nothing typed yet, typing replaces the proposed answer.
    Prompt {
        prompt: Prompt,
        input: TextInput,
        fresh: bool,
    },
    Confirm(Confirm),
    Filter {
        input: TextInput,
        before: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Status {
    Info(String),
    Error(String),
}

/// What a background job hands back when it is done: one variant per command that runs as a
/// job.
pub enum Done {
    /// The entries validated.
    Validated(Vec<Entry>),
}

/// The job running, and the name of what it does once done or cancelled ("validation").
struct Running {
    job: Job<Done>,
    name: &'static str,
}

/// Where the current time comes from: the real clock, or fixed (tests, snapshots).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    Fixed,
    /// The clock moves; `today` too unless it was fixed by the caller (`FOLIO_TODAY`).
    Live {
        today_fixed: bool,
    },
}

pub struct App {
    ledger: Arc<Ledger>,
    ctx: Ctx,
    clock: Clock,
    keymap: Keymap,
    theme: Theme,
    stack: Vec<Box<dyn Screen>>,
    pos: usize,
    overlay: Option<Overlay>,
    status: Option<Status>,
    pending: Vec<Key>,
    counter: u64,
    job: Option<Running>,
    /// A new entry saved from the grid: the list the grid goes back to puts its cursor on it.
    saved_new: Option<EntryId>,
    company: String,
    quit: bool,
}

impl App {
    /// The application on its home screen.
    pub fn new(ledger: Arc<Ledger>, ctx: Ctx, keymap: Keymap) -> Result<App, LedgerError> {
        let counter = ledger.change_counter()?;
        let company = ledger.company()?.name;
        let home = {
            let env = Env {
                ledger: &ledger,
                ctx: &ctx,
                keymap: &keymap,
            };
            Route::Home.resolve(&env)?
        };
        Ok(App {
            ledger,
            ctx,
            clock: Clock::Fixed,
            keymap,
            theme: Theme::default(),
            stack: vec![home],
            pos: 0,
            overlay: None,
            status: None,
            pending: Vec::new(),
            counter,
            job: None,
            saved_new: None,
            company: crate::model::sanitize_text(&company),
            quit: false,
        })
    }

    pub fn with_clock(mut self, clock: Clock) -> App {
        self.clock = clock;
        if let Clock::Live { today_fixed } = clock {
            // A live interface stamps each audit record with the time of its own commit.
            let today = self.ctx.today;
            self.ctx = Ctx::live(self.ctx.user.clone());
            if today_fixed {
                self.ctx.today = today;
            }
        }
        self
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The current screen's title.
    pub fn title(&self) -> String {
        self.screen().title()
    }

    /// The message on the status line, if any.
    pub fn message(&self) -> Option<&str> {
        match &self.status {
            Some(Status::Info(text) | Status::Error(text)) => Some(text),
            None => None,
        }
    }

    /// Whether typed characters go to a text field now (then `q` is a letter, not quit).
    pub fn typing(&self) -> bool {
        match &self.overlay {
            Some(Overlay::Palette { .. } | Overlay::Prompt { .. } | Overlay::Filter { .. }) => true,
            Some(Overlay::Help { .. } | Overlay::Confirm(_)) => false,
            None => self.screen().wants_text(),
        }
    }

    /// The record the current screen shows or has under its cursor (`entry:42`).
    pub fn record(&self) -> Option<String> {
        self.screen().record()
    }

    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    fn screen(&self) -> &dyn Screen {
        self.stack[self.pos].as_ref()
    }

    fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status::Info(text.into()));
    }

    fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status::Error(text.into()));
    }

    /// Moves the working date on at midnight (the audit time comes from the context's clock
    /// at each record).
    fn refresh_clock(&mut self) {
        if let Clock::Live { today_fixed: false } = self.clock {
            self.ctx.today = self.ctx.now().date();
        }
    }

    // ----- navigation -------------------------------------------------------------------------

    fn push(&mut self, screen: Box<dyn Screen>) {
        self.stack.truncate(self.pos + 1);
        self.stack.push(screen);
        if self.stack.len() > MAX_STACK {
            self.stack.remove(0);
        }
        self.pos = self.stack.len() - 1;
    }

    fn back(&mut self) -> bool {
        if self.pos == 0 {
            return false;
        }
        self.pos -= 1;
        self.reload();
        self.show_saved();
        true
    }

    /// Puts the list's cursor on the entry saved last from the grid, once.
    fn show_saved(&mut self) {
        if let Some(id) = self.saved_new.take() {
            let env = Env {
                ledger: &self.ledger,
                ctx: &self.ctx,
                keymap: &self.keymap,
            };
            self.stack[self.pos].show_entry(id, &env);
        }
    }

    /// Leaves the current screen for good (after it was saved or dropped).
    fn close(&mut self) {
        if self.pos == 0 {
            return;
        }
        self.stack.remove(self.pos);
        self.stack.truncate(self.pos);
        self.pos -= 1;
        self.reload();
        self.show_saved();
    }

    /// Reads the ledger again for the current screen; a screen whose record is gone closes.
    fn reload(&mut self) {
        loop {
            let env = Env {
                ledger: &self.ledger,
                ctx: &self.ctx,
                keymap: &self.keymap,
            };
            match self.stack[self.pos].reload(&env) {
                Ok(()) => return,
                Err(err) => {
                    let gone = matches!(
                        err,
                        LedgerError::EntryNotFound(_)
                            | LedgerError::UnknownAccount(_)
                            | LedgerError::UnknownParty(_)
                            | LedgerError::Invalid {
                                field: "document",
                                ..
                            }
                    );
                    if !gone || self.pos == 0 {
                        self.error(err.to_string());
                        return;
                    }
                    self.stack.remove(self.pos);
                    self.stack.truncate(self.pos);
                    self.pos -= 1;
                }
            }
        }
    }

    /// Re-reads the visible screen when another process (or a command) committed.
    pub fn poll_changes(&mut self) -> bool {
        match self.ledger.change_counter() {
            Ok(counter) if counter != self.counter => {
                self.counter = counter;
                self.reload();
                true
            }
            Ok(_) => false,
            Err(err) => {
                self.error(err.to_string());
                false
            }
        }
    }

    /// The terminal changed size: screens that hold only what they show read again.
    pub fn resized(&mut self) {
        self.reload();
    }

    /// Called on every tick: long commands' progress, other users' changes.
    pub fn tick(&mut self) -> bool {
        let mut changed = self.poll_job();
        changed |= self.poll_changes();
        changed
    }

    /// Opens the screen `route` leads to, in front of the current one.
    pub fn open(&mut self, route: &Route) {
        let env = Env {
            ledger: &self.ledger,
            ctx: &self.ctx,
            keymap: &self.keymap,
        };
        match route.resolve(&env) {
            Ok(screen) => self.push(screen),
            Err(err) => self.error(err.to_string()),
        }
    }

    /// A screen of the top bar: read again when it is the current one, else opened.
    fn go(&mut self, route: Route) {
        if self.screen().context() == route.context() {
            self.reload();
        } else {
            self.open(&route);
        }
    }

    // ----- keys -------------------------------------------------------------------------------

    /// The contexts whose keys apply now, most specific first.
    fn contexts(&self) -> [Context; 3] {
        let screen = self.screen();
        let focus = match screen.focus() {
            Focus::List => Context::List,
            Focus::Form => Context::Form,
        };
        [screen.context(), focus, Context::Global]
    }

    fn lookup(&self, contexts: &[Context], keys: &[Key]) -> Lookup {
        let screen = self.screen();
        for context in contexts {
            match self.keymap.lookup(*context, keys) {
                Lookup::None => continue,
                // The screen has nothing for its own key now: the next table says.
                Lookup::Action(action) if *context == screen.context() && screen.passes(action) => {
                    continue;
                }
                found => return found,
            }
        }
        Lookup::None
    }

    /// Handles one key press.
    pub fn key(&mut self, key: Key) {
        if self.job.is_some() {
            self.key_while_busy(key);
            return;
        }
        if let Some(overlay) = self.overlay.take() {
            self.overlay_key(overlay, key);
            return;
        }

        if self.pending.is_empty() && self.screen().wants_text() && is_typing(key) {
            self.status = None;
            let env = Env {
                ledger: &self.ledger,
                ctx: &self.ctx,
                keymap: &self.keymap,
            };
            let outcome = self.stack[self.pos].input(key, &env);
            self.apply(outcome);
            return;
        }
        self.pending.push(key);
        let contexts = self.contexts();
        match self.lookup(&contexts, &self.pending) {
            Lookup::Action(action) => {
                self.pending.clear();
                self.status = None;
                self.dispatch(action);
            }
            Lookup::Prefix => {}
            Lookup::None => {
                let keys = chord_text(&self.pending);
                self.pending.clear();
                if key.code != Code::Esc {
                    self.info(format!(
                        "{keys} does nothing here ({} lists the keys)",
                        self.keymap.hint(Context::Global, Action::Help)
                    ));
                }
            }
        }
    }

    /// Types a text, one character at a time (tests and scripts).
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(Key::char(c));
        }
    }

    fn key_while_busy(&mut self, key: Key) {
        let cancels = [Context::Form, Context::Global].iter().any(|c| {
            matches!(
                self.keymap.lookup(*c, &[key]),
                Lookup::Action(Action::Cancel | Action::Back)
            )
        });
        if let Some(Running { job, .. }) = &self.job {
            if cancels {
                job.cancel();
                self.info(format!("cancelling {}…", job.what()));
            } else {
                let progress = job.progress();
                self.info(format!(
                    "{} is running ({}/{}) — {} cancels it",
                    job.what(),
                    progress.done,
                    progress.total,
                    self.keymap.hint(Context::Form, Action::Cancel)
                ));
            }
        }
    }

    fn overlay_key(&mut self, overlay: Overlay, key: Key) {
        let lookup = |contexts: &[Context]| match self.lookup(contexts, &[key]) {
            Lookup::Action(action) => Some(action),
            _ => None,
        };
        match overlay {
            Overlay::Confirm(confirm) => match lookup(&[Context::Dialog]) {
                Some(Action::Confirm) => self.run(confirm.yes),
                Some(Action::Deny) => self.info("left as it was"),
                _ => self.overlay = Some(Overlay::Confirm(confirm)),
            },
            Overlay::Help { offset } => {
                let rows = self.help_rows().len();
                let offset = match lookup(&[Context::List, Context::Form]) {
                    Some(Action::Down | Action::NextLine) => {
                        (offset + 1).min(rows.saturating_sub(1))
                    }
                    Some(Action::Up | Action::PrevLine) => offset.saturating_sub(1),
                    Some(Action::PageDown) => (offset + 10).min(rows.saturating_sub(1)),
                    Some(Action::PageUp) => offset.saturating_sub(10),
                    Some(Action::Top) => 0,
                    _ => return,
                };
                self.overlay = Some(Overlay::Help { offset });
            }
            Overlay::Palette {
                mut input,
                mut selected,
                mut keys,
            } => {
                if key.text() == Some('?') {
                    // No action's name holds a `?`: it shows (or hides) every key instead.
                    keys = !keys;
                    self.overlay = Some(Overlay::Palette {
                        input,
                        selected,
                        keys,
                    });
                    return;
                }
                if is_typing(key) {
                    input.edit(key);
                    self.overlay = Some(Overlay::Palette {
                        input,
                        selected: 0,
                        keys,
                    });
                    return;
                }
                let matches = self.palette_matches(input.text());
                match lookup(&[Context::Form]) {
                    Some(Action::NextLine) => {
                        selected = (selected + 1).min(matches.len().saturating_sub(1))
                    }
                    Some(Action::PrevLine) => selected = selected.saturating_sub(1),
                    Some(Action::NextField) => {
                        if let Some(&(info, active)) = matches.get(selected) {
                            self.run_palette(info, active);
                        }
                        return;
                    }
                    Some(Action::Cancel) => return,
                    Some(edit) => {
                        input.apply(edit);
                    }
                    None => {}
                }
                self.overlay = Some(Overlay::Palette {
                    input,
                    selected,
                    keys,
                });
            }
            Overlay::Prompt {
                prompt,
                mut input,
                fresh,
            } => {
                if is_typing(key) {
                    if fresh && (key.text().is_some() || key.code == Code::Backspace) {
                        input.clear();
                    }
                    if key.code != Code::Backspace || !fresh {
                        input.edit(key);
                    }
                    self.overlay = Some(Overlay::Prompt {
                        prompt,
                        input,
                        fresh: false,
                    });
                    return;
                }
                match lookup(&[Context::Form]) {
                    Some(Action::NextField) => {
                        if let Purpose::Reverse { id, .. } = &prompt.purpose {
                            let env = Env {
                                ledger: &self.ledger,
                                ctx: &self.ctx,
                                keymap: &self.keymap,
                            };
                            let outcome = reverse_answer(&env, *id, input.text());
                            self.apply(outcome);
                            return;
                        }
                        let env = Env {
                            ledger: &self.ledger,
                            ctx: &self.ctx,
                            keymap: &self.keymap,
                        };
                        let outcome =
                            self.stack[self.pos].answer(&prompt.purpose, input.text(), &env);
                        self.apply(outcome);
                    }
                    Some(Action::Cancel) => {}
                    Some(edit) if input.apply(edit) => {
                        self.overlay = Some(Overlay::Prompt {
                            prompt,
                            input,
                            fresh: false,
                        })
                    }
                    _ => {
                        self.overlay = Some(Overlay::Prompt {
                            prompt,
                            input,
                            fresh,
                        })
                    }
                }
            }
            Overlay::Filter { mut input, before } => {
                if is_typing(key) {
                    input.edit(key);
                    self.set_filter(input.text());
                    self.overlay = Some(Overlay::Filter { input, before });
                    return;
                }
                match lookup(&[Context::Form]) {
                    Some(Action::NextField) => {
                        let ledger = Arc::clone(&self.ledger);
                        if let Some(list) = self.stack[self.pos].list_mut()
                            && let Err(err) = list.commit_filter(&ledger)
                        {
                            self.error(err.to_string());
                        }
                    }
                    Some(Action::Cancel) => self.set_filter(&before),
                    Some(action @ (Action::NextLine | Action::PrevLine)) => {
                        let action = if action == Action::NextLine {
                            Action::Down
                        } else {
                            Action::Up
                        };
                        self.screen_action(action);
                        self.overlay = Some(Overlay::Filter { input, before });
                    }
                    Some(edit) => {
                        if input.apply(edit) {
                            self.set_filter(input.text());
                        }
                        self.overlay = Some(Overlay::Filter { input, before });
                    }
                    None => self.overlay = Some(Overlay::Filter { input, before }),
                }
            }
        }
    }

    fn set_filter(&mut self, text: &str) {
        let ledger = Arc::clone(&self.ledger);
        if let Some(list) = self.stack[self.pos].list_mut()
            && let Err(err) = list.set_filter(text, &ledger)
        {
            self.error(err.to_string());
        }
    }

    /// The current screen's filter, when it has a list.
    fn filter(&self) -> Option<&str> {
        self.screen().list().map(|list| list.filter())
    }

    /// An action for the current screen: its list moves or marks first, then the screen.
    fn screen_action(&mut self, action: Action) {
        let ledger = Arc::clone(&self.ledger);
        if let Some(list) = self.stack[self.pos].list_mut() {
            match list.act(action, &ledger) {
                Ok(ListOutcome::Ignored) => {}
                Ok(ListOutcome::Moved) => return,
                Ok(ListOutcome::Info(text)) => return self.info(text),
                Ok(ListOutcome::Error(text)) => return self.error(text),
                Err(err) => return self.error(err.to_string()),
            }
        }
        let env = Env {
            ledger: &self.ledger,
            ctx: &self.ctx,
            keymap: &self.keymap,
        };
        let outcome = self.stack[self.pos].handle(action, &env);
        self.apply(outcome);
    }

    /// Carries out an action.
    pub fn dispatch(&mut self, action: Action) {
        match action {
            Action::Quit => {
                if self.stack.iter().any(|s| s.is_dirty()) {
                    self.overlay = Some(Overlay::Confirm(Confirm {
                        message: "An entry is being typed. Quit and drop it?".into(),
                        yes: Command::Quit,
                    }));
                } else {
                    self.quit = true;
                }
            }
            Action::Help => self.overlay = Some(Overlay::Help { offset: 0 }),
            Action::Palette => {
                self.overlay = Some(Overlay::Palette {
                    input: TextInput::default(),
                    selected: 0,
                    keys: false,
                })
            }
            Action::Back => {
                if self.filter().is_some_and(|f| !f.is_empty()) {
                    self.set_filter("");
                } else if self.stack[self.pos].back_within() {
                } else if !self.back() {
                    self.info("this is the first screen");
                }
            }
            Action::Forward => {
                if self.pos + 1 < self.stack.len() {
                    self.pos += 1;
                    self.reload();
                } else {
                    self.info("nothing to go forward to");
                }
            }
            Action::GoHome => self.go(Route::Home),
            Action::GoEntries => self.go(Route::Entries),
            Action::GoChart => self.go(Route::Chart {
                filter: String::new(),
            }),
            Action::GoBalance => self.go(Route::Balance),
            Action::GoParties => self.go(Route::Parties {
                filter: String::new(),
            }),
            Action::GoHistory => self.go(Route::History(None)),
            Action::GoDocuments => self.go(Route::Documents(Show::All)),
            Action::GoAged => self.go(Route::Aged {
                side: crate::reports::aged::AgedSide::Customers,
                at: None,
                drill: None,
            }),
            Action::GoLettering => self.go(Route::Lettering {
                account: None,
                party: None,
            }),
            Action::GoBank => self.go(Route::Bank {
                account: None,
                statement: None,
            }),
            Action::GoStatements => self.go(Route::Statements {
                view: super::screens::statements::StatementView::default(),
                drill: None,
            }),
            Action::NewEntry => {
                let journal = self.screen().journal();
                self.go(Route::NewEntry { journal })
            }
            Action::History => {
                let record = self.screen().record();
                self.go(Route::History(record))
            }
            Action::Refresh => {
                self.reload();
                self.info("read again");
            }
            Action::Filter => match self.filter() {
                Some(current) => {
                    self.overlay = Some(Overlay::Filter {
                        input: TextInput::new(current),
                        before: current.to_string(),
                    })
                }
                None => self.info("this screen has no list to filter"),
            },
            other => self.screen_action(other),
        }
    }

    fn apply(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::None => {}
            Outcome::Open(route) => self.open(&route),
            Outcome::Back => {
                self.back();
            }
            Outcome::Done(message) => {
                self.close();
                self.info(message);
            }
            Outcome::Info(text) => self.info(text),
            Outcome::Error(text) => self.error(text),
            Outcome::Prompt(prompt) => {
                let input = TextInput::new(&prompt.initial);
                self.overlay = Some(Overlay::Prompt {
                    prompt,
                    input,
                    fresh: true,
                });
            }
            Outcome::Confirm(confirm) => self.overlay = Some(Overlay::Confirm(confirm)),
            Outcome::Run(command) => self.run(command),
        }
        if let Ok(counter) = self.ledger.change_counter()
            && counter != self.counter
        {
            self.counter = counter;
            self.reload();
        }
    }

    // ----- commands ---------------------------------------------------------------------------

    fn run(&mut self, command: Command) {
        match command {
            Command::Write(write) => self.write(write),
            Command::Discard => {
                self.close();
                self.info("dropped");
            }
            Command::Revert => {
                let env = Env {
                    ledger: &self.ledger,
                    ctx: &self.ctx,
                    keymap: &self.keymap,
                };
                let outcome = self.stack[self.pos].revert(&env);
                self.apply(outcome);
            }
            Command::Quit => self.quit = true,
        }
    }

    /// The one way the interface changes the ledger: runs `write` (long ones as a background
    /// job), says on the status line what was done or why it was refused, and reads the
    /// screens again.
    pub fn write(&mut self, write: Write) {
        self.refresh_clock();
        match write {
            Write::Validate { selection, what } => self.start_validation(selection, what),
            Write::Reverse { id, date } => {
                match self.ledger.reverse(&self.ctx, id, Some(date)) {
                    Ok(reversal) => {
                        let original = self
                            .ledger
                            .entry(id)
                            .map(|e| e.reference())
                            .unwrap_or_default();
                        self.info(format!("reversed {original} by {}", reversal.reference()));
                    }
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::Delete { id } => {
                match self.ledger.delete_entry(&self.ctx, id) {
                    Ok(entry) => self.info(format!("deleted draft {}", entry.reference())),
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::CloseYear { year } => {
                match self.ledger.close_year(&self.ctx, Some(&year)) {
                    Ok(closing) => {
                        self.close();
                        self.info(super::screens::closing::summary(&closing));
                    }
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::Letter { lines } => {
                // Whether the screen shows the ledger as it is (no other change waiting).
                let current = self.ledger.change_counter().ok() == Some(self.counter);
                match self.ledger.letter(&self.ctx, &lines) {
                    Ok(group) => {
                        self.info(super::screens::lettering::lettered_text(&group));
                        // Only this change since the screen read the ledger: it may show the
                        // result itself, without reading everything again.
                        let next = self.counter.checked_add(1);
                        if current
                            && self.ledger.change_counter().ok() == next
                            && self.stack[self.pos].lettered(&group)
                        {
                            self.counter = next.unwrap_or(self.counter);
                            return;
                        }
                    }
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::WriteOff { lines } => {
                match self.ledger.letter_writeoff(&self.ctx, &lines) {
                    Ok((entry, group)) => self.info(format!(
                        "wrote off {} by {}; {}",
                        super::screens::amount_text(entry.total_debit()),
                        entry.reference(),
                        super::screens::lettering::lettered_text(&group)
                    )),
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::LetterAuto { account, party } => {
                match self
                    .ledger
                    .letter_auto(&self.ctx, Some(&account), Some(&party), false)
                {
                    Ok(report) => self.info(super::screens::lettering::auto_text(&report)),
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::Unletter { account, code } => {
                match self.ledger.unletter(&self.ctx, &account, &code) {
                    Ok(group) => self.info(format!(
                        "unlettered {} on {account} ({}): {} lines open again",
                        group.code(),
                        group.party,
                        group.lines.len()
                    )),
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::Bank(write) => {
                match write.run(&self.ledger, &self.ctx) {
                    Ok(done) => self.info(done),
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::Park { id, input } => {
                match self.ledger.park(&self.ctx, &input, id) {
                    Ok(parked) => {
                        self.close();
                        self.info(format!(
                            "parked {} outside the books: resume it from the entries list",
                            parked.reference()
                        ));
                    }
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::DropParked { id } => {
                match self.ledger.drop_parked(&self.ctx, id) {
                    Ok(parked) => self.info(format!("dropped parked {}", parked.reference())),
                    Err(err) => self.lost(err),
                }
                self.after_command();
            }
            Write::SaveEntry {
                id,
                input,
                validate,
                parked,
            } => match self.save_entry(id, input, validate, parked) {
                Ok(saved) => {
                    if id.is_none() {
                        self.saved_new = Some(saved.entry.id);
                    }
                    // The grid says what was saved and where the user goes next.
                    let outcome = self.stack[self.pos].saved(&saved);
                    self.apply(outcome);
                }
                Err(err) => {
                    let outcome = self.stack[self.pos].save_refused(err);
                    self.apply(outcome);
                }
            },
        }
    }

    /// Saves an entry typed in the grid, then validates it when asked.
    fn save_entry(
        &mut self,
        id: Option<(EntryId, u64)>,
        input: EntryInput,
        validate: bool,
        parked: Option<u64>,
    ) -> Result<Saved, LedgerError> {
        let entry = match (id, parked) {
            (Some((id, revision)), _) => {
                self.ledger
                    .edit_entry(&self.ctx, id, &input, Some(revision))?
            }
            (None, Some(parked)) => self
                .ledger
                .add_entry_from_parked(&self.ctx, &input, parked)?,
            (None, None) => self.ledger.add_entry(&self.ctx, &input)?,
        };
        let validated = validate.then(|| {
            self.ledger
                .validate(&self.ctx, &Selection::Entries(vec![entry.id]))
                .map_err(|err| err.to_string())
                .and_then(|entries| {
                    entries
                        .into_iter()
                        .next()
                        .ok_or_else(|| "nothing was validated".to_string())
                })
        });
        Ok(Saved {
            entry,
            input,
            validated,
        })
    }

    /// A command refused, often because another user got there first: say it and reload.
    fn lost(&mut self, err: LedgerError) {
        self.error(format!("{err} (the screen was read again)"));
    }

    /// Re-reads after a command, keeping the command's message unless reading failed.
    fn after_command(&mut self) {
        let status = self.status.take();
        if let Ok(counter) = self.ledger.change_counter() {
            self.counter = counter;
        }
        self.reload();
        if self.status.is_none() {
            self.status = status;
        }
    }

    fn start_validation(&mut self, selection: Selection, what: String) {
        let ledger = Arc::clone(&self.ledger);
        let ctx = self.ctx.clone();
        self.start(
            "validation",
            Job::spawn(format!("validating {what}"), move |job| {
                ledger
                    .validate_with_progress(&ctx, &selection, &mut |p| job.report(p))
                    .map(Done::Validated)
            }),
        );
    }

    /// Runs a job in the background: keys wait (but the cancel key) until it is done.
    fn start(&mut self, name: &'static str, job: Job<Done>) {
        self.job = Some(Running { job, name });
    }

    /// Takes the news of a running job; returns whether something changed.
    fn poll_job(&mut self) -> bool {
        let Some(Running { job, name }) = &mut self.job else {
            return false;
        };
        let result = match job.poll() {
            Poll::Running => return true,
            Poll::Finished(result) => result,
        };
        let name = *name;
        self.job = None;
        match result {
            Ok(done) => self.finished(done),
            Err(LedgerError::Cancelled) => {
                self.info(format!("{name} cancelled: nothing was written"))
            }
            Err(err) => self.lost(err),
        }
        self.after_command();
        true
    }

    /// Says what a finished job did.
    fn finished(&mut self, done: Done) {
        match done {
            Done::Validated(entries) => {
                let numbers: Vec<String> = entries.iter().map(Entry::reference).collect();
                let text = match numbers.as_slice() {
                    [] => "no draft to validate".to_string(),
                    [one] => format!("validated {one}"),
                    [first, .., last] => {
                        format!("validated {} entries: {first} … {last}", numbers.len())
                    }
                };
                self.info(text);
            }
        }
    }

    /// Waits for a running command to finish (tests, scripts).
    pub fn wait_idle(&mut self) {
        while self.job.is_some() {
            if !self.poll_job() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    }

    // ----- drawing ----------------------------------------------------------------------------

    pub fn render(&self, frame: &mut Frame) {
        let area = frame.area();
        let cursor = self.draw(frame.buffer_mut(), area);
        if let Some(position) = cursor {
            frame.set_cursor_position(position);
        }
    }

    /// Draws everything into `buf`; returns where the text cursor goes.
    pub fn draw(&self, buf: &mut Buffer, area: Rect) -> Option<(u16, u16)> {
        if area.width < 20 || area.height < 6 {
            put(
                buf,
                area.x,
                area.y,
                "Folio: window too small",
                area.width as usize,
                self.theme.error,
            );
            return None;
        }
        self.draw_top(buf, Rect::new(area.x, area.y, area.width, 1));
        let body = Rect::new(area.x, area.y + 1, area.width, area.height - 2);
        self.screen().render(buf, body, &self.theme, &self.keymap);
        let status = Rect::new(area.x, area.bottom() - 1, area.width, 1);
        let mut cursor = self.draw_status(buf, status).or(self.screen().caret());
        if self.overlay.is_none() && self.draw_long_message(buf, body) {
            cursor = None;
        }
        match &self.overlay {
            Some(Overlay::Help { offset }) => {
                cursor = None;
                self.draw_help(buf, body, *offset);
            }
            Some(Overlay::Palette {
                input,
                selected,
                keys,
            }) => cursor = Some(self.draw_palette(buf, body, input, *selected, *keys)),
            Some(Overlay::Prompt { prompt, input, .. }) => {
                let rect = Rect::new(area.x, status.y.saturating_sub(3), area.width, 3);
                let inner = boxed(buf, rect, &prompt.title, &self.theme);
                cursor = Some(draw_input(
                    buf,
                    inner.x,
                    inner.y,
                    inner.width,
                    input,
                    self.theme.input,
                ));
            }
            Some(Overlay::Confirm(confirm)) => {
                let keys = format!(
                    "{} yes · {} no",
                    self.keymap.hint(Context::Dialog, Action::Confirm),
                    self.keymap.hint(Context::Dialog, Action::Deny)
                );
                draw_confirm(buf, body, &confirm.message, &keys, &self.theme);
                cursor = None;
            }
            Some(Overlay::Filter { .. }) | None => {}
        }
        cursor
    }

    /// The status message when it is too long for the status line.
    fn long_message(&self, width: u16) -> Option<(&str, Style)> {
        let (text, style) = match &self.status {
            Some(Status::Error(text)) => (text.as_str(), self.theme.error),
            Some(Status::Info(text)) => (text.as_str(), self.theme.info),
            None => return None,
        };
        let fits = text.chars().count() < width as usize;
        (!fits && self.job.is_none() && self.pending.is_empty()).then_some((text, style))
    }

    /// Draws a message too long for the status line in a box above it, whole; returns
    /// whether there was one.
    fn draw_long_message(&self, buf: &mut Buffer, body: Rect) -> bool {
        let Some((text, style)) = self.long_message(body.width) else {
            return false;
        };
        let inner_width = body.width.saturating_sub(2).max(1) as usize;
        let lines = wrap(text, inner_width);
        let height = (lines.len() as u16 + 2).min(body.height);
        let rect = Rect::new(body.x, body.bottom() - height, body.width, height);
        let inner = boxed(buf, rect, "Message", &self.theme);
        for (i, line) in lines.iter().enumerate().take(inner.height as usize) {
            put(buf, inner.x, inner.y + i as u16, line, inner_width, style);
        }
        true
    }

    fn draw_top(&self, buf: &mut Buffer, area: Rect) {
        buf.set_style(area, self.theme.cursor);
        let left = format!(" Folio · {} │ {}", self.company, self.screen().title());
        let tabs = [
            (Action::GoHome, "Home", "Home", Context::Home),
            (Action::GoEntries, "Entries", "Entries", Context::Entries),
            (Action::GoChart, "Chart", "Chart", Context::Chart),
            (Action::GoBalance, "Balance", "Balance", Context::Balance),
            (Action::GoParties, "Parties", "Parties", Context::Parties),
            (Action::GoHistory, "History", "History", Context::History),
            (Action::GoDocuments, "Documents", "Docs", Context::Documents),
            (
                Action::GoLettering,
                "Lettering",
                "Letter",
                Context::Lettering,
            ),
            (Action::GoBank, "Bank", "Bank", Context::Bank),
        ];
        let left_width = left.chars().count();
        let room = area.width as usize;
        // Full names two cells apart when they fit with the title, else short names one cell
        // apart, else (at 80 columns) the digit keys with the current screen's name: the tabs
        // are always shown, the title is cut first.
        let layouts = [(Some(false), 2usize), (Some(true), 1usize), (None, 1usize)];
        let tab_text = layouts.iter().find_map(|&(short, gap)| {
            let texts: Vec<(String, bool)> = tabs
                .iter()
                .map(|(action, name, short_name, context)| {
                    let active = *context == self.screen().context();
                    let key = self.keymap.hint(Context::Global, *action);
                    let text = match short {
                        Some(false) => format!("{key} {name}"),
                        Some(true) => format!("{key} {short_name}"),
                        None if active => format!("{key} {short_name}"),
                        None => key,
                    };
                    (text, active)
                })
                .collect();
            let width: usize = texts.iter().map(|(t, _)| t.chars().count() + gap).sum();
            // Full names need the whole title beside them; from 100 columns, short names only
            // the screen's title (the company goes first when room is short).
            let title_width = format!(" {}", self.screen().title()).chars().count();
            let fits = match short {
                Some(false) => left_width + width + 2 <= room,
                Some(true) => {
                    left_width + width + 2 <= room
                        || (room >= 100 && title_width + width + 2 <= room)
                }
                None => width + 2 <= room,
            };
            fits.then_some((texts, gap, width))
        });
        if let Some((tab_text, gap, tabs_width)) = tab_text {
            // Short of room, the company goes before the screen's title.
            let left_room = room.saturating_sub(tabs_width + 1);
            let title = self.screen().title();
            let left = [
                left.clone(),
                format!(" {} │ {title}", self.company),
                format!(" {title}"),
            ]
            .into_iter()
            .find(|text| text.chars().count() <= left_room)
            .unwrap_or_else(|| format!(" {title}"));
            put(
                buf,
                area.x,
                area.y,
                fit(&left, left_room),
                left_room,
                self.theme.cursor.patch(self.theme.title),
            );
            let mut x = area.x + (room - tabs_width) as u16;
            for (text, active) in tab_text {
                let style = if active {
                    self.theme.cursor.patch(self.theme.tab_active)
                } else {
                    self.theme.cursor
                };
                put(buf, x, area.y, &text, text.chars().count(), style);
                x += (text.chars().count() + gap) as u16;
            }
        } else {
            put(
                buf,
                area.x,
                area.y,
                fit(&left, room),
                room,
                self.theme.cursor.patch(self.theme.title),
            );
        }
    }

    fn draw_status(&self, buf: &mut Buffer, area: Rect) -> Option<(u16, u16)> {
        let width = area.width as usize;
        if let Some(Running { job, .. }) = &self.job {
            let progress = job.progress();
            let text = format!(
                " {} {}/{} — {} cancels",
                job.what(),
                progress.done,
                progress.total,
                self.keymap.hint(Context::Form, Action::Cancel)
            );
            put(
                buf,
                area.x,
                area.y,
                fit(&text, width),
                width,
                self.theme.progress,
            );
            return None;
        }
        if let Some(Overlay::Filter { input, .. }) = &self.overlay {
            put(buf, area.x, area.y, " filter: ", width, self.theme.key);
            let x = area.x + 9;
            // What the query finds, or why it cannot, right of the input.
            let list = self.screen().list();
            let note = list.and_then(|l| l.filter_error().map(|e| (e, self.theme.error)));
            let note =
                note.or_else(|| list.and_then(|l| l.count_text().map(|c| (c, self.theme.info))));
            let mut input_width = area.width.saturating_sub(10);
            if let Some((text, style)) = note {
                let room = (area.width / 2).saturating_sub(2) as usize;
                let text = fit(&format!(" {text}"), room);
                let used = text.chars().count() as u16;
                let at = area.x + area.width.saturating_sub(used);
                put(buf, at, area.y, &text, used as usize, style);
                input_width = input_width.saturating_sub(used + 1);
            }
            return Some(draw_input(
                buf,
                x,
                area.y,
                input_width,
                input,
                self.theme.input,
            ));
        }
        if !self.pending.is_empty() {
            let text = format!(" {} …", chord_text(&self.pending));
            put(buf, area.x, area.y, text, width, self.theme.key);
            return None;
        }
        if self.long_message(area.width).is_some() {
            put(
                buf,
                area.x,
                area.y,
                " ↑ message above",
                width,
                self.theme.dim,
            );
            return None;
        }
        match &self.status {
            Some(Status::Error(text)) => {
                put(
                    buf,
                    area.x,
                    area.y,
                    fit(&format!(" {text}"), width),
                    width,
                    self.theme.error,
                );
            }
            Some(Status::Info(text)) => {
                put(
                    buf,
                    area.x,
                    area.y,
                    fit(&format!(" {text}"), width),
                    width,
                    self.theme.info,
                );
            }
            None => {
                let hints = self.screen().hints(&self.keymap);
                let mut rest = area;
                if let Some(list) = self.screen().list()
                    && let Some(status) = list.status()
                {
                    let text = format!(" {status} ·");
                    let style = if list.filter_error().is_some() {
                        self.theme.error
                    } else {
                        self.theme.marked
                    };
                    put(buf, area.x, area.y, &text, width, style);
                    let used = (text.chars().count() as u16).min(area.width);
                    rest = Rect::new(area.x + used, area.y, area.width - used, 1);
                }
                self.draw_hints(buf, rest, hints);
            }
        }
        None
    }

    fn draw_hints(&self, buf: &mut Buffer, area: Rect, mut hints: Vec<(String, &'static str)>) {
        let global = |action| {
            if self.screen().wants_text() {
                self.keymap.hint_untyped(Context::Global, action)
            } else {
                self.keymap.hint(Context::Global, action)
            }
        };
        hints.insert(0, (global(Action::Help), "help"));
        hints.push((global(Action::Palette), "palette"));
        hints.push((global(Action::Quit), "quit"));
        let mut x = area.x + 1;
        for (key, what) in hints.into_iter().filter(|(k, _)| !k.is_empty()) {
            let needed = (key.chars().count() + what.chars().count() + 3) as u16;
            if x + needed > area.right() {
                break;
            }
            put(buf, x, area.y, &key, key.len(), self.theme.key);
            x += key.chars().count() as u16 + 1;
            put(buf, x, area.y, what, what.len(), self.theme.dim);
            x += what.chars().count() as u16 + 2;
        }
    }

    /// The actions that apply on this screen: its own, then list or form, then global.
    fn active_actions(&self) -> Vec<&'static action::ActionInfo> {
        self.contexts()
            .iter()
            .flat_map(|c| action::in_context(*c))
            .collect()
    }

    /// The keys of this screen, then of its list or form, then the global ones in groups.
    /// While a text field has the focus, only keys that work while typing are listed.
    fn help_rows(&self) -> Vec<KeyRow> {
        let typing = self.screen().wants_text();
        let contexts = self.contexts();
        let mut rows = Vec::new();
        for (at, &context) in contexts.iter().enumerate() {
            let mut groups: Vec<(String, Vec<KeyRow>)> = Vec::new();
            for info in action::in_context(context) {
                // A key a more specific context binds to something else does not reach here.
                let shadowed = |chord: &Vec<Key>| {
                    contexts[..at]
                        .iter()
                        .any(|c| match self.keymap.lookup(*c, chord) {
                            Lookup::Action(other) => other != info.action,
                            Lookup::Prefix => true,
                            Lookup::None => false,
                        })
                };
                let chords: Vec<String> = self
                    .keymap
                    .keys_for(context, info.action)
                    .iter()
                    .filter(|chord| !shadowed(chord))
                    .filter(|chord| !typing || chord.first().is_some_and(|k| !is_typing(*k)))
                    .map(|chord| chord_text(chord))
                    .collect();
                if typing && chords.is_empty() {
                    continue;
                }
                let heading = match context {
                    Context::Global => format!("[global: {}]", global_group(info.action)),
                    _ => format!("[{context}]"),
                };
                let row = KeyRow {
                    keys: if chords.is_empty() {
                        "—".into()
                    } else {
                        chords.join(", ")
                    },
                    name: info.name.to_string(),
                    description: info.description.to_string(),
                    heading: false,
                };
                match groups.iter_mut().find(|(h, _)| *h == heading) {
                    Some((_, group)) => group.push(row),
                    None => groups.push((heading, vec![row])),
                }
            }
            for (heading, group) in groups {
                rows.push(KeyRow {
                    keys: String::new(),
                    name: heading,
                    description: String::new(),
                    heading: true,
                });
                rows.extend(group);
            }
        }
        if self.screen().list().is_some() {
            rows.extend(query_help_rows());
        }
        rows
    }

    fn draw_help(&self, buf: &mut Buffer, body: Rect, offset: usize) {
        let inner = boxed(buf, body, "Keys (esc closes)", &self.theme);
        draw_key_rows(buf, inner, &self.help_rows(), offset, None, &self.theme);
    }

    /// The actions matching `text`: those of this screen first, then those of every screen
    /// the interface can open from anywhere (`true` marks the ones that apply here).
    fn palette_matches(&self, text: &str) -> Vec<(&'static action::ActionInfo, bool)> {
        let active = self.active_actions();
        let elsewhere = action::REGISTRY.iter().filter(|info| {
            !active.iter().any(|a| a.context == info.context)
                && Route::of_context(info.context).is_some()
        });
        let candidates = active
            .iter()
            .map(|info| (*info, true))
            .chain(elsewhere.map(|info| (info, false)));
        let mut scored: Vec<(i64, usize, &'static action::ActionInfo, bool)> = candidates
            .enumerate()
            .filter_map(|(i, (info, here))| {
                let haystack = format!("{} {} {}", info.name, info.description, info.context);
                fuzzy::score(text, &haystack).map(|s| (s, i, info, here))
            })
            .collect();
        let whole = 100 * text.split_whitespace().count() as i64;
        if whole > 0 && scored.iter().any(|(s, ..)| *s >= whole) {
            scored.retain(|(s, ..)| *s >= whole);
        }
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .into_iter()
            .map(|(_, _, info, here)| (info, here))
            .collect()
    }

    /// Runs an action chosen in the palette; one of another screen opens that screen first.
    fn run_palette(&mut self, info: &'static action::ActionInfo, here: bool) {
        if !here {
            let Some(route) = Route::of_context(info.context) else {
                return;
            };
            let depth = self.pos;
            self.open(&route);
            if self.pos == depth {
                return;
            }
        }
        self.dispatch(info.action);
    }

    fn draw_palette(
        &self,
        buf: &mut Buffer,
        body: Rect,
        input: &TextInput,
        selected: usize,
        all_keys: bool,
    ) -> (u16, u16) {
        let matches = self.palette_matches(input.text());
        let width = match (body.width < 90, all_keys) {
            (true, _) => body.width,
            (false, false) => 80,
            (false, true) => body.width.min(110),
        };
        let rect = Rect::new(
            body.x + (body.width - width) / 2,
            body.y,
            width,
            body.height.min(matches.len() as u16 + 3).max(4),
        );
        let title = if all_keys {
            "Actions and every key (? hides them)"
        } else {
            "Actions (? shows every key)"
        };
        let inner = boxed(buf, rect, title, &self.theme);
        put(buf, inner.x, inner.y, "> ", 2, self.theme.key);
        let cursor = draw_input(
            buf,
            inner.x + 2,
            inner.y,
            inner.width.saturating_sub(2),
            input,
            Style::new(),
        );
        let rows: Vec<KeyRow> = matches
            .iter()
            .map(|&(info, here)| KeyRow {
                keys: if all_keys {
                    self.keymap.hints(info.context, info.action)
                } else {
                    self.keymap.hint(info.context, info.action)
                },
                name: if here || info.context == Context::Global {
                    info.name.to_string()
                } else {
                    format!("{}: {}", info.context, info.name)
                },
                description: info.description.to_string(),
                heading: false,
            })
            .collect();
        let list = Rect::new(
            inner.x,
            inner.y + 1,
            inner.width,
            inner.height.saturating_sub(1),
        );
        let offset = selected.saturating_sub(list.height.saturating_sub(1) as usize);
        draw_key_rows(buf, list, &rows, offset, Some(selected), &self.theme);
        cursor
    }
}

/// Cuts a text into lines of at most `width` characters, at spaces when it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let room = if used == 0 {
                width
            } else {
                width.saturating_sub(used + 1)
            };
            if word.len() <= room {
                if used > 0 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The group of a global action in the help.
fn global_group(action: Action) -> &'static str {
    match action {
        Action::GoHome
        | Action::GoEntries
        | Action::GoChart
        | Action::GoBalance
        | Action::GoParties
        | Action::GoHistory
        | Action::GoDocuments
        | Action::GoAged
        | Action::GoLettering
        | Action::GoBank
        | Action::GoStatements
        | Action::NewEntry => "screens",
        Action::Back | Action::Forward | Action::History | Action::Refresh => "moving",
        _ => "general",
    }
}

/// Keys that edit text when a text field has the focus.
/// The `/` query language, at the end of the help of a screen with a list.
fn query_help_rows() -> Vec<KeyRow> {
    let mut rows = vec![KeyRow {
        keys: String::new(),
        name: "[filter query]".into(),
        description: String::new(),
        heading: true,
    }];
    rows.extend(
        crate::query::SYNTAX
            .iter()
            .map(|(example, meaning)| KeyRow {
                keys: example.to_string(),
                name: String::new(),
                description: meaning.to_string(),
                heading: false,
            }),
    );
    rows
}

fn is_typing(key: Key) -> bool {
    key.text().is_some()
        || (!key.ctrl
            && !key.alt
            && matches!(
                key.code,
                Code::Backspace | Code::Delete | Code::Left | Code::Right | Code::Home | Code::End
            ))
}
