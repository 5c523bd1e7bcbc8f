//! One document: what it is and what is due on it, its lines (or, for a payment, the documents
//! it pays), then the entry the posting engine generated with the rule behind each line. The
//! cursor runs through both tables: an allocation opens its document, an entry line its
//! account's ledger.

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::super::action::{Action, Context};
use super::super::keymap::Keymap;
use super::super::route::Route;
use super::super::theme::Theme;
use super::super::widgets::list::{List, Row};
use super::super::widgets::table::{Column, fit, needed};
use super::documents::{decimal_text, is_due, status_text, type_long, type_short};
use super::{Env, Outcome, Screen, amount_or_blank, amount_text, clean, date_text};
use crate::ledger::{DocumentSummary, LedgerError};
use crate::model::document::{DocumentBody, DocumentId, DocumentType};
use crate::model::{Amount, Entry, EntryStatus};

/// A document a payment is allocated to, as it stands now.
struct Target {
    id: DocumentId,
    number: String,
    doc_type: DocumentType,
    date: String,
    reference: String,
    allocated: String,
    total: String,
    due: String,
    status: &'static str,
}

/// A row of one of the document's two tables, by its position (the cells are drawn from the
/// document and its entry).
struct At(usize);

impl Row for At {
    type Key = usize;

    fn key(&self) -> usize {
        self.0
    }

    fn search(&self) -> String {
        String::new()
    }
}

pub struct DocumentScreen {
    id: DocumentId,
    summary: Option<DocumentSummary>,
    party_name: String,
    due_date: Option<NaiveDate>,
    today: NaiveDate,
    targets: Vec<Target>,
    entry: Option<Entry>,
    rules: Vec<String>,
    /// The document's lines or allocations.
    upper: List<At>,
    /// The generated entry's lines.
    lower: List<At>,
    /// The cursor is in the entry's lines.
    on_entry: bool,
}

impl DocumentScreen {
    pub fn new(env: &Env, id: DocumentId) -> Result<Self, LedgerError> {
        let mut screen = DocumentScreen {
            id,
            summary: None,
            party_name: String::new(),
            due_date: None,
            today: env.ctx.today,
            targets: Vec::new(),
            entry: None,
            rules: Vec::new(),
            upper: List::new(),
            lower: List::new(),
            on_entry: false,
        };
        screen.reload(env)?;
        Ok(screen)
    }

    /// The document an entry's `source` names (`document:12`), if it names one.
    pub fn source_id(source: &str) -> Option<DocumentId> {
        source.strip_prefix("document:")?.parse().ok()
    }

    fn upper_len(&self) -> usize {
        self.upper.len()
    }

    fn is_payment(&self) -> bool {
        self.summary
            .as_ref()
            .is_some_and(|s| s.document.doc_type.is_payment())
    }

    /// The cursor over both tables, the document's rows first.
    fn cursor(&self) -> usize {
        if self.on_entry {
            self.upper_len() + self.lower.cursor()
        } else {
            self.upper.cursor()
        }
    }

    fn set_cursor(&mut self, at: usize) {
        let upper = self.upper_len();
        if at < upper {
            self.on_entry = false;
            self.upper.set_cursor(at);
        } else {
            self.on_entry = true;
            self.lower.set_cursor(at - upper);
        }
    }

    fn navigate(&mut self, action: Action) -> bool {
        let total = self.upper_len() + self.lower.len();
        let page = if self.on_entry {
            self.lower.page()
        } else {
            self.upper.page()
        };
        let at = self.cursor();
        let last = total.saturating_sub(1);
        let next = match action {
            Action::Down => (at + 1).min(last),
            Action::Up => at.saturating_sub(1),
            Action::PageDown => (at + page).min(last),
            Action::PageUp => at.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return false,
        };
        if total > 0 {
            self.set_cursor(next);
        }
        true
    }

    fn open(&self, env: &Env) -> Outcome {
        if self.on_entry {
            let Some(entry) = &self.entry else {
                return Outcome::None;
            };
            let Some(line) = self.lower.selected().and_then(|at| entry.lines.get(at.0)) else {
                return Outcome::None;
            };
            return Outcome::Open(Route::AccountAt {
                account: line.account.clone(),
                entry: entry.id,
            });
        }
        if self.is_payment() {
            return match self.upper.selected().and_then(|at| self.targets.get(at.0)) {
                Some(target) => Outcome::Open(Route::Document(target.id)),
                None => Outcome::None,
            };
        }
        Outcome::Info(format!(
            "{} opens the entry generated from this document",
            env.keymap.hint(Context::Document, Action::OpenEntry)
        ))
    }

    fn open_entry(&self) -> Outcome {
        match &self.entry {
            Some(entry) => Outcome::Open(Route::Entry(entry.id)),
            None => Outcome::Info(format!(
                "{} has no entry yet: a draft is posted when it is validated",
                self.number()
            )),
        }
    }

    fn open_party(&self) -> Outcome {
        match &self.summary {
            Some(s) => Outcome::Open(Route::Party(s.document.party.clone())),
            None => Outcome::None,
        }
    }

    fn number(&self) -> String {
        self.summary
            .as_ref()
            .map(|s| s.document.display_ref())
            .unwrap_or_else(|| format!("D{}", self.id))
    }

    /// The line under the heading: what the document amounts to and what is due.
    fn amounts(&self, summary: &DocumentSummary) -> String {
        let doc = &summary.document;
        match &doc.body {
            DocumentBody::Payment { amount, method, .. } => format!(
                "Amount {} · method {} · allocated {} · unallocated {}",
                amount_text(*amount),
                clean(method),
                amount_text(summary.allocated),
                amount_text(summary.remaining)
            ),
            DocumentBody::Lines(lines) if summary.status.is_none() => {
                let net: Amount = lines.iter().map(|l| l.net()).sum();
                format!(
                    "Net {} before tax · not posted yet (draft)",
                    amount_text(net)
                )
            }
            DocumentBody::Lines(_) => {
                let mut text = format!(
                    "Total {} · paid {} · due {}",
                    amount_text(summary.total),
                    amount_text(summary.allocated),
                    amount_text(summary.remaining)
                );
                if is_due(summary)
                    && let Some(date) = self.due_date
                {
                    text.push_str(&format!(" by {}", date_text(date)));
                    if date < self.today {
                        text.push_str(" (overdue)");
                    }
                }
                text
            }
        }
    }

    fn draw_lines(&self, buf: &mut Buffer, area: Rect, theme: &Theme, summary: &DocumentSummary) {
        let lines = summary.document.lines();
        let cells: Vec<[String; 7]> = lines
            .iter()
            .map(|l| {
                [
                    l.item.as_deref().map(clean).unwrap_or_default(),
                    clean(&l.label),
                    decimal_text(l.quantity, 0),
                    decimal_text(l.unit_price, 2),
                    if l.discount.is_zero() {
                        String::new()
                    } else {
                        format!("{} %", decimal_text(l.discount, 0))
                    },
                    // No code given: the item's, or the party's tax position's, applies.
                    l.tax_code
                        .as_deref()
                        .map(clean)
                        .unwrap_or_else(|| "auto".into()),
                    amount_text(l.net()),
                ]
            })
            .collect();
        let width = |title: &str, i: usize, max: u16| {
            needed(title, cells.iter().map(|c| c[i].as_str()), max)
        };
        let columns = [
            Column::left("item", width("item", 0, 14)),
            Column::fill("label"),
            Column::right("qty", width("qty", 2, 10)),
            Column::right("unit price", width("unit price", 3, 14)),
            Column::right("disc", width("disc", 4, 7)),
            Column::left("tax", width("tax", 5, 8)),
            Column::right("net", width("net", 6, 16)),
        ];
        self.upper
            .draw_with_cursor(buf, area, &columns, theme, !self.on_entry, |at| {
                (cells[at.0].to_vec(), Style::new())
            });
    }

    fn draw_allocations(&self, buf: &mut Buffer, area: Rect, theme: &Theme) {
        let targets = &self.targets;
        let width = |title: &str, cell: fn(&Target) -> &str, max: u16| {
            needed(title, targets.iter().map(cell), max)
        };
        let columns = [
            Column::left("document", width("document", |t| &t.number, 16)),
            Column::left("type", width("type", |t| type_short(t.doc_type), 12)).from(100),
            Column::left("date", 10),
            Column::fill("reference"),
            Column::right("allocated", width("allocated", |t| &t.allocated, 16)),
            Column::right("total", width("total", |t| &t.total, 16)).from(100),
            Column::right("due", width("due", |t| &t.due, 16)),
            Column::left("status", width("status", |t| t.status, 14)),
        ];
        self.upper
            .draw_with_cursor(buf, area, &columns, theme, !self.on_entry, |at| {
                let t = &self.targets[at.0];
                (
                    vec![
                        t.number.clone(),
                        type_short(t.doc_type).to_string(),
                        t.date.clone(),
                        t.reference.clone(),
                        t.allocated.clone(),
                        t.total.clone(),
                        t.due.clone(),
                        t.status.to_string(),
                    ],
                    Style::new(),
                )
            });
    }

    fn draw_entry(&self, buf: &mut Buffer, area: Rect, theme: &Theme) {
        if area.height == 0 {
            return;
        }
        let Some(entry) = &self.entry else {
            line(
                buf,
                area,
                area.y,
                "No entry yet: a draft document is posted when it is validated",
                theme.dim,
            );
            return;
        };
        let status = match entry.status {
            EntryStatus::Draft => "draft".to_string(),
            EntryStatus::Validated => match entry.validated_on {
                Some(date) => format!("validated on {}", date_text(date)),
                None => "validated".into(),
            },
        };
        line(
            buf,
            area,
            area.y,
            &format!(
                "Entry {} · {status} · journal {} · {}",
                entry.reference(),
                entry.journal,
                date_text(entry.date)
            ),
            theme.header,
        );
        let table = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
        let cells: Vec<[String; 5]> = entry
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                [
                    l.account.to_string(),
                    l.third_party.as_deref().map(clean).unwrap_or_default(),
                    amount_or_blank(l.debit),
                    amount_or_blank(l.credit),
                    self.rules.get(i).map(|r| clean(r)).unwrap_or_default(),
                ]
            })
            .collect();
        let width = |title: &str, i: usize, max: u16| {
            needed(title, cells.iter().map(|c| c[i].as_str()), max)
        };
        let columns = [
            Column::left("account", width("account", 0, 10)),
            Column::left("third party", width("third party", 1, 12)).from(100),
            Column::right("debit", width("debit", 2, 16)),
            Column::right("credit", width("credit", 3, 16)),
            Column::fill("why this account"),
        ];
        self.lower
            .draw_with_cursor(buf, table, &columns, theme, self.on_entry, |at| {
                (cells[at.0].to_vec(), Style::new())
            });
    }
}

/// Draws a line of text, ending with `…` when cut to the area's width.
fn line(buf: &mut Buffer, area: Rect, y: u16, text: &str, style: Style) {
    super::line(buf, area, y, &fit(text, area.width as usize), style);
}

impl Screen for DocumentScreen {
    fn context(&self) -> Context {
        Context::Document
    }

    fn title(&self) -> String {
        match &self.summary {
            Some(s) => format!(
                "{} {}",
                type_long(s.document.doc_type),
                s.document.display_ref()
            ),
            None => format!("Document D{}", self.id),
        }
    }

    fn reload(&mut self, env: &Env) -> Result<(), LedgerError> {
        let summary = env.ledger.document(&format!("D{}", self.id))?;
        let doc = &summary.document;
        let party = env.ledger.party(&doc.party).ok();
        self.party_name = party.as_ref().map(|p| clean(&p.name)).unwrap_or_default();
        // Fixed at validation: a later change of the party's terms does not move it.
        self.due_date = doc.due_date;
        self.today = env.ctx.today;
        self.targets = Vec::new();
        for allocation in doc.allocations() {
            let target = env.ledger.document(&format!("D{}", allocation.document))?;
            let t = &target.document;
            self.targets.push(Target {
                id: t.id,
                number: t.display_ref(),
                doc_type: t.doc_type,
                date: date_text(t.date),
                reference: clean(&t.reference),
                allocated: amount_text(allocation.amount),
                total: amount_text(target.total),
                due: amount_text(target.remaining),
                status: status_text(&target),
            });
        }
        self.entry = match doc.entry.map(|id| env.ledger.entry(id)) {
            Some(Ok(entry)) => Some(entry),
            Some(Err(LedgerError::EntryNotFound(_))) | None => None,
            Some(Err(err)) => return Err(err),
        };
        self.rules = match &self.entry {
            Some(entry) => env
                .ledger
                .why(entry)?
                .into_iter()
                .map(|(_, rule)| rule)
                .collect(),
            None => Vec::new(),
        };
        let upper = match &doc.body {
            DocumentBody::Lines(lines) => lines.len(),
            DocumentBody::Payment { allocations, .. } => allocations.len(),
        };
        let lower = self.entry.as_ref().map_or(0, |e| e.lines.len());
        self.summary = Some(summary);
        self.upper.set_rows((0..upper).map(At).collect());
        self.lower.set_rows((0..lower).map(At).collect());
        if upper == 0 && lower > 0 {
            self.on_entry = true;
        } else if lower == 0 {
            self.on_entry = false;
        }
        Ok(())
    }

    fn render(&self, buf: &mut Buffer, area: Rect, theme: &Theme, _keymap: &Keymap) {
        let Some(summary) = &self.summary else {
            return;
        };
        let doc = &summary.document;
        let inner = Rect::new(
            area.x + 1,
            area.y,
            area.width.saturating_sub(2),
            area.height,
        );
        line(
            buf,
            inner,
            inner.y,
            &format!(
                "{} {} · {} · {}",
                type_long(doc.doc_type),
                doc.display_ref(),
                date_text(doc.date),
                status_text(summary)
            ),
            theme.title,
        );
        let mut party = format!("Third party {} {}", clean(&doc.party), self.party_name);
        if !doc.reference.is_empty() {
            party.push_str(&format!(" · reference {}", clean(&doc.reference)));
        }
        line(buf, inner, inner.y + 1, &party, Style::new());
        line(
            buf,
            inner,
            inner.y + 2,
            &self.amounts(summary),
            Style::new(),
        );
        // The document's table and the entry share what is left; when both do not fit, the
        // entry gets at least half of it and each table scrolls.
        let room = inner.height.saturating_sub(4);
        let avail = room.saturating_sub(1);
        let need_upper = self.upper_len() as u16 + 1;
        let need_lower = 1 + self.entry.as_ref().map_or(0, |e| e.lines.len() as u16 + 1);
        let lower_height = need_lower.min(avail.saturating_sub(need_upper.min(avail / 2)));
        let upper_height = need_upper.min(avail.saturating_sub(lower_height));
        let upper = Rect::new(inner.x, inner.y + 4, inner.width, upper_height);
        let lower = Rect::new(
            inner.x,
            (upper.bottom() + 1).min(inner.bottom()),
            inner.width,
            lower_height,
        );
        if upper.bottom() <= inner.bottom() && upper.height > 0 {
            if self.is_payment() {
                self.draw_allocations(buf, upper, theme);
            } else {
                self.draw_lines(buf, upper, theme, summary);
            }
        }
        if lower.bottom() <= inner.bottom() {
            self.draw_entry(buf, lower, theme);
        }
    }

    fn handle(&mut self, action: Action, env: &Env) -> Outcome {
        if self.navigate(action) {
            return Outcome::None;
        }
        match action {
            Action::Open => self.open(env),
            Action::OpenEntry => self.open_entry(),
            Action::OpenParty => self.open_party(),
            _ => Outcome::None,
        }
    }

    fn record(&self) -> Option<String> {
        Some(format!("document:{}", self.id))
    }

    fn hints(&self, keymap: &Keymap) -> Vec<(String, &'static str)> {
        let key = |action| keymap.hint(Context::Document, action);
        let mut hints = Vec::new();
        if self.on_entry {
            hints.push((keymap.hint(Context::List, Action::Open), "account ledger"));
        } else if self.is_payment() {
            hints.push((keymap.hint(Context::List, Action::Open), "document"));
        }
        hints.push((key(Action::OpenEntry), "entry"));
        hints.push((key(Action::OpenParty), "party"));
        hints.push((keymap.hint(Context::Global, Action::History), "history"));
        hints
    }
}
