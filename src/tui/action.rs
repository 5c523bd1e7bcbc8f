//! Every user action, once: its name in keymaps and the palette, where it applies, what it does.
//!
//! Key handling, the help overlay and the command palette are all built from `REGISTRY`.

use std::fmt;

/// Where an action applies. A keymap has one table per context; the active contexts of a
/// screen are searched from the most specific (the screen) to `global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    List,
    Form,
    Dialog,
    Home,
    Entries,
    Entry,
    Editor,
    Chart,
    Ledger,
    Balance,
    Parties,
    History,
    Documents,
    Document,
    Aged,
    Lettering,
    Bank,
    Statements,
    Vat,
}

impl Context {
    pub const ALL: [Context; 20] = [
        Context::Global,
        Context::List,
        Context::Form,
        Context::Dialog,
        Context::Home,
        Context::Entries,
        Context::Entry,
        Context::Editor,
        Context::Chart,
        Context::Ledger,
        Context::Balance,
        Context::Parties,
        Context::History,
        Context::Documents,
        Context::Document,
        Context::Aged,
        Context::Lettering,
        Context::Bank,
        Context::Statements,
        Context::Vat,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::List => "list",
            Context::Form => "form",
            Context::Dialog => "dialog",
            Context::Home => "home",
            Context::Entries => "entries",
            Context::Entry => "entry",
            Context::Editor => "editor",
            Context::Chart => "chart",
            Context::Ledger => "ledger",
            Context::Balance => "balance",
            Context::Parties => "parties",
            Context::History => "history",
            Context::Documents => "documents",
            Context::Document => "document",
            Context::Aged => "aged",
            Context::Lettering => "lettering",
            Context::Bank => "bank",
            Context::Statements => "statements",
            Context::Vat => "vat",
        }
    }

    pub fn parse(text: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == text)
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    // global
    Quit,
    Help,
    Palette,
    Back,
    Forward,
    GoHome,
    GoEntries,
    GoChart,
    GoBalance,
    GoParties,
    GoHistory,
    GoDocuments,
    GoLettering,
    NewEntry,
    History,
    Refresh,
    // lists
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    Open,
    Filter,
    // forms and text inputs
    NextField,
    PrevField,
    NextLine,
    PrevLine,
    Cancel,
    // dialogs
    Confirm,
    Deny,
    // entries and one entry
    Mark,
    EditEntry,
    Validate,
    ValidateMarked,
    ValidateUntil,
    Reverse,
    DeleteEntry,
    JournalFilter,
    PeriodFilter,
    FollowLink,
    OpenSource,
    // documents and one document
    TypeFilter,
    OpenEntry,
    OpenParty,
    // entry editor
    SaveDraft,
    SaveValidated,
    DeleteLine,
    // ledgers and trial balance
    SetRange,
    // every dated screen
    PrevPeriod,
    NextPeriod,
    WholeYear,
    // trial balance and home
    ToggleDrafts,
    BalanceSign,
    // home
    CloseYear,
    // keys and conventions: editing keys of text fields (readline), duplicating and parking
    LineStart,
    LineEnd,
    CharBack,
    CharForward,
    WordBack,
    WordForward,
    KillToEnd,
    KillWordBack,
    Yank,
    Duplicate,
    Park,
    // aged balance, and the open items of ledgers
    GoAged,
    AgedSide,
    NextColumn,
    PrevColumn,
    OpenOnly,
    // lettering workbench
    Letter,
    WriteOff,
    Suggest,
    Unletter,
    LetterAuto,
    NextParty,
    PrevParty,
    ShowLettered,
    SwitchPane,
    // reconciliation session
    GoBank,
    Accept,
    /// Accept the candidate of this rank (1 to 9).
    Pick(u8),
    BankPay,
    PostLine,
    MakeRule,
    Suspense,
    Unreconcile,
    NextOpen,
    PrevOpen,
    BankReport,
    Statements,
    MatchAll,
    // financial statements
    GoStatements,
    StatementKind,
    Abridged,
    // VAT returns
    GoVat,
    /// The entry grid's tax column.
    LineTax,
    SettleVat,
    FileVat,
    VatChecks,
}

/// One row of the registry: an action as it is known in one context.
#[derive(Debug, Clone, Copy)]
pub struct ActionInfo {
    pub action: Action,
    pub name: &'static str,
    pub context: Context,
    pub description: &'static str,
}

const fn info(
    context: Context,
    name: &'static str,
    action: Action,
    description: &'static str,
) -> ActionInfo {
    ActionInfo {
        action,
        name,
        context,
        description,
    }
}

use Action as A;
use Context as C;

pub const REGISTRY: &[ActionInfo] = &[
    info(C::Global, "quit", A::Quit, "Quit Folio"),
    info(C::Global, "help", A::Help, "Show the keys of this screen"),
    info(
        C::Global,
        "palette",
        A::Palette,
        "Search actions and screens by name",
    ),
    info(
        C::Global,
        "back",
        A::Back,
        "Go back (clears a filter first)",
    ),
    info(C::Global, "forward", A::Forward, "Go forward again"),
    info(
        C::Global,
        "go-home",
        A::GoHome,
        "Home: company, balances, drafts",
    ),
    info(
        C::Global,
        "go-entries",
        A::GoEntries,
        "Entries by journal and period",
    ),
    info(
        C::Global,
        "go-chart",
        A::GoChart,
        "Chart of accounts with balances",
    ),
    info(
        C::Global,
        "go-balance",
        A::GoBalance,
        "Trial balance with class subtotals",
    ),
    info(
        C::Global,
        "go-parties",
        A::GoParties,
        "Third parties with balances",
    ),
    info(
        C::Global,
        "go-history",
        A::GoHistory,
        "Latest changes to the ledger",
    ),
    info(
        C::Global,
        "go-documents",
        A::GoDocuments,
        "Documents: invoices, credit notes, payments, amounts due",
    ),
    info(
        C::Global,
        "go-lettering",
        A::GoLettering,
        "Lettering: open items of parties",
    ),
    info(
        C::Global,
        "go-bank",
        A::GoBank,
        "Bank reconciliation: a statement's lines and their candidates",
    ),
    info(C::Global, "new-entry", A::NewEntry, "Type a new entry"),
    info(
        C::Global,
        "history",
        A::History,
        "Audit history of the current record",
    ),
    info(C::Global, "refresh", A::Refresh, "Read the ledger again"),
    info(C::List, "down", A::Down, "Next row"),
    info(C::List, "up", A::Up, "Previous row"),
    info(C::List, "page-down", A::PageDown, "Next page"),
    info(C::List, "page-up", A::PageUp, "Previous page"),
    info(C::List, "top", A::Top, "First row"),
    info(C::List, "bottom", A::Bottom, "Last row"),
    info(C::List, "open", A::Open, "Open the row (drill down)"),
    info(
        C::List,
        "filter",
        A::Filter,
        "Filter the rows: words, acct: party: amt: date: status: not:",
    ),
    info(
        C::List,
        "mark",
        A::Mark,
        "Mark or unmark the row; marked rows add up",
    ),
    info(
        C::Form,
        "next-field",
        A::NextField,
        "Next field (accepts a completion)",
    ),
    info(C::Form, "prev-field", A::PrevField, "Previous field"),
    info(
        C::Form,
        "next-line",
        A::NextLine,
        "Next line or next completion",
    ),
    info(
        C::Form,
        "prev-line",
        A::PrevLine,
        "Previous line or previous completion",
    ),
    info(
        C::Form,
        "cancel",
        A::Cancel,
        "Close the completion, or leave the form",
    ),
    info(C::Dialog, "confirm", A::Confirm, "Yes, do it"),
    info(C::Dialog, "deny", A::Deny, "No, leave it"),
    info(
        C::Home,
        "close-year",
        A::CloseYear,
        "Close the fiscal year: shows the result and opening entry, then asks",
    ),
    info(C::Entries, "edit", A::EditEntry, "Edit the draft"),
    info(
        C::Entries,
        "validate",
        A::Validate,
        "Validate the draft (gives its number)",
    ),
    info(
        C::Entries,
        "validate-marked",
        A::ValidateMarked,
        "Validate the marked drafts",
    ),
    info(
        C::Entries,
        "validate-until",
        A::ValidateUntil,
        "Validate every draft up to a date",
    ),
    info(
        C::Entries,
        "reverse",
        A::Reverse,
        "Reverse the validated entry",
    ),
    info(C::Entries, "delete", A::DeleteEntry, "Delete the draft"),
    info(
        C::Entries,
        "journal",
        A::JournalFilter,
        "Show one journal or all",
    ),
    info(
        C::Entries,
        "period",
        A::PeriodFilter,
        "Show a month, a year or all",
    ),
    info(C::Entry, "edit", A::EditEntry, "Edit the draft"),
    info(
        C::Entry,
        "validate",
        A::Validate,
        "Validate the draft (gives its number)",
    ),
    info(
        C::Entry,
        "reverse",
        A::Reverse,
        "Reverse the validated entry",
    ),
    info(C::Entry, "delete", A::DeleteEntry, "Delete the draft"),
    info(
        C::Entry,
        "follow",
        A::FollowLink,
        "Open the reversal, or the entry this one reverses",
    ),
    info(
        C::Entry,
        "source",
        A::OpenSource,
        "Open the document this entry was generated from",
    ),
    info(C::Editor, "save", A::SaveDraft, "Save as a draft"),
    info(
        C::Editor,
        "save-validated",
        A::SaveValidated,
        "Save and validate (must balance)",
    ),
    info(
        C::Editor,
        "delete-line",
        A::DeleteLine,
        "Delete the current line",
    ),
    info(C::Ledger, "range", A::SetRange, "Set the date range"),
    info(
        C::Ledger,
        "balance-sign",
        A::BalanceSign,
        "Show balances with D/C (débiteur/créditeur) or with a sign",
    ),
    info(
        C::Documents,
        "type",
        A::TypeFilter,
        "Show all, invoices and credit notes, or payments",
    ),
    info(
        C::Document,
        "entry",
        A::OpenEntry,
        "Open the entry generated from the document",
    ),
    info(
        C::Document,
        "party",
        A::OpenParty,
        "Open the third party's ledger",
    ),
    info(C::Balance, "range", A::SetRange, "Set the date range"),
    // keys and conventions
    info(
        C::List,
        "back",
        A::Back,
        "Go back (left, as in a file manager)",
    ),
    info(
        C::Form,
        "line-start",
        A::LineStart,
        "Cursor to the start of the field",
    ),
    info(
        C::Form,
        "line-end",
        A::LineEnd,
        "Cursor to the end of the field",
    ),
    info(
        C::Form,
        "char-back",
        A::CharBack,
        "Cursor one character back",
    ),
    info(
        C::Form,
        "char-forward",
        A::CharForward,
        "Cursor one character forward",
    ),
    info(C::Form, "word-back", A::WordBack, "Cursor one word back"),
    info(
        C::Form,
        "word-forward",
        A::WordForward,
        "Cursor one word forward",
    ),
    info(
        C::Form,
        "kill-to-end",
        A::KillToEnd,
        "Cut the text from the cursor to the end of the field",
    ),
    info(
        C::Form,
        "kill-word-back",
        A::KillWordBack,
        "Cut the word before the cursor",
    ),
    info(C::Form, "yank", A::Yank, "Paste the text cut last"),
    info(
        C::Entries,
        "duplicate",
        A::Duplicate,
        "Copy the entry into the grid as a new draft",
    ),
    info(
        C::Entry,
        "duplicate",
        A::Duplicate,
        "Copy the entry into the grid as a new draft",
    ),
    info(
        C::Editor,
        "park",
        A::Park,
        "Park the unfinished entry outside the books, to finish later",
    ),
    info(
        C::Entries,
        "prev-period",
        A::PrevPeriod,
        "Previous period of the same length",
    ),
    info(
        C::Entries,
        "next-period",
        A::NextPeriod,
        "Next period of the same length",
    ),
    info(
        C::Entries,
        "whole-year",
        A::WholeYear,
        "Back to the whole fiscal year",
    ),
    info(
        C::Ledger,
        "prev-period",
        A::PrevPeriod,
        "Previous period of the same length",
    ),
    info(
        C::Ledger,
        "next-period",
        A::NextPeriod,
        "Next period of the same length",
    ),
    info(
        C::Ledger,
        "whole-year",
        A::WholeYear,
        "Back to the whole fiscal year",
    ),
    info(
        C::Balance,
        "prev-period",
        A::PrevPeriod,
        "Previous period of the same length",
    ),
    info(
        C::Balance,
        "next-period",
        A::NextPeriod,
        "Next period of the same length",
    ),
    info(
        C::Balance,
        "whole-year",
        A::WholeYear,
        "Back to the whole fiscal year",
    ),
    info(
        C::Balance,
        "drafts",
        A::ToggleDrafts,
        "Include drafts in the figures, or validated entries only",
    ),
    info(
        C::Home,
        "drafts",
        A::ToggleDrafts,
        "Include drafts in the figures, or validated entries only",
    ),
    // aged balance, and the open items of ledgers
    info(
        C::Global,
        "go-aged",
        A::GoAged,
        "Aged balance of customers or suppliers",
    ),
    info(
        C::Aged,
        "side",
        A::AgedSide,
        "Show suppliers instead of customers, or the other way",
    ),
    info(
        C::Aged,
        "next-column",
        A::NextColumn,
        "Next column: the cell whose lines the list opens",
    ),
    info(
        C::Aged,
        "prev-column",
        A::PrevColumn,
        "Previous column: the cell whose lines the list opens",
    ),
    info(
        C::Aged,
        "date",
        A::SetRange,
        "Age the items at another date (empty: today)",
    ),
    info(
        C::Aged,
        "prev-period",
        A::PrevPeriod,
        "Age at the end of the previous month",
    ),
    info(
        C::Aged,
        "next-period",
        A::NextPeriod,
        "Age at the end of the next month",
    ),
    info(
        C::Ledger,
        "open-only",
        A::OpenOnly,
        "Show only the open items (not in a complete letter group), or every line",
    ),
    info(
        C::Lettering,
        "letter",
        A::Letter,
        "Letter the marked lines together",
    ),
    info(
        C::Lettering,
        "write-off",
        A::WriteOff,
        "Complete the group with a write-off",
    ),
    info(
        C::Lettering,
        "suggest",
        A::Suggest,
        "Sets that complete the line (enter, 1-9)",
    ),
    info(
        C::Lettering,
        "unletter",
        A::Unletter,
        "Unletter the group of the line",
    ),
    info(
        C::Lettering,
        "auto",
        A::LetterAuto,
        "Letter this party by the rules",
    ),
    info(
        C::Lettering,
        "next-party",
        A::NextParty,
        "Next party with open items",
    ),
    info(
        C::Lettering,
        "prev-party",
        A::PrevParty,
        "Previous party with open items",
    ),
    info(
        C::Lettering,
        "show-lettered",
        A::ShowLettered,
        "Show or hide the lettered lines",
    ),
    info(
        C::Lettering,
        "switch-pane",
        A::SwitchPane,
        "Parties or open items",
    ),
    info(
        C::Bank,
        "accept",
        A::Accept,
        "Accept the best candidate of the line",
    ),
    info(C::Bank, "pick-1", A::Pick(1), "Accept candidate 1"),
    info(C::Bank, "pick-2", A::Pick(2), "Accept candidate 2"),
    info(C::Bank, "pick-3", A::Pick(3), "Accept candidate 3"),
    info(C::Bank, "pick-4", A::Pick(4), "Accept candidate 4"),
    info(C::Bank, "pick-5", A::Pick(5), "Accept candidate 5"),
    info(C::Bank, "pick-6", A::Pick(6), "Accept candidate 6"),
    info(C::Bank, "pick-7", A::Pick(7), "Accept candidate 7"),
    info(C::Bank, "pick-8", A::Pick(8), "Accept candidate 8"),
    info(C::Bank, "pick-9", A::Pick(9), "Accept candidate 9"),
    info(
        C::Bank,
        "pay",
        A::BankPay,
        "Payment from the line for the party, allocated to its open invoices",
    ),
    info(
        C::Bank,
        "post",
        A::PostLine,
        "Post the line to an account (optional tax code)",
    ),
    info(
        C::Bank,
        "rule",
        A::MakeRule,
        "Make a rule from the line and apply it to the statement",
    ),
    info(
        C::Bank,
        "suspense",
        A::Suspense,
        "Send the line to the suspense account (471)",
    ),
    info(
        C::Bank,
        "unreconcile",
        A::Unreconcile,
        "Undo the reconciliation of the line",
    ),
    info(C::Bank, "next-open", A::NextOpen, "Next unreconciled line"),
    info(
        C::Bank,
        "prev-open",
        A::PrevOpen,
        "Previous unreconciled line",
    ),
    info(
        C::Bank,
        "report",
        A::BankReport,
        "Bank reconciliation statement (état de rapprochement)",
    ),
    info(
        C::Bank,
        "match",
        A::MatchAll,
        "Reconcile every line whose best candidate applies automatically",
    ),
    info(
        C::Bank,
        "statements",
        A::Statements,
        "Choose another statement",
    ),
    // financial statements
    info(
        C::Global,
        "go-statements",
        A::GoStatements,
        "Financial statements: balance sheet and income statement",
    ),
    info(
        C::Statements,
        "statement",
        A::StatementKind,
        "Balance sheet or income statement",
    ),
    info(
        C::Statements,
        "abridged",
        A::Abridged,
        "Abridged layout, or the full one (système de base)",
    ),
    info(
        C::Statements,
        "prev-period",
        A::PrevPeriod,
        "Previous fiscal year",
    ),
    info(
        C::Statements,
        "next-period",
        A::NextPeriod,
        "Next fiscal year",
    ),
    info(
        C::Statements,
        "drafts",
        A::ToggleDrafts,
        "Include drafts in the figures, or validated entries only",
    ),
    info(
        C::Editor,
        "tax",
        A::LineTax,
        "The line's tax code (optional: the line's amount is its base or its tax)",
    ),
    // VAT returns
    info(
        C::Global,
        "go-vat",
        A::GoVat,
        "VAT returns (CA3): periods, the form box by box, settlement and filing",
    ),
    info(
        C::Vat,
        "settle",
        A::SettleVat,
        "Settle the period: shows the settlement entry, then posts it",
    ),
    info(
        C::Vat,
        "file",
        A::FileVat,
        "File the settled return: freezes its boxes and locks its months",
    ),
    info(
        C::Vat,
        "checks",
        A::VatChecks,
        "The consistency checks of the return, line by line",
    ),
    info(
        C::Vat,
        "entry",
        A::OpenEntry,
        "Open the settlement entry of the period",
    ),
    info(
        C::Vat,
        "prev-period",
        A::PrevPeriod,
        "Previous year or period",
    ),
    info(C::Vat, "next-period", A::NextPeriod, "Next year or period"),
];

/// The registry rows of one context, in registry order.
pub fn in_context(context: Context) -> impl Iterator<Item = &'static ActionInfo> {
    REGISTRY.iter().filter(move |info| info.context == context)
}

/// The registry row named `name` in `context`.
pub fn find(context: Context, name: &str) -> Option<&'static ActionInfo> {
    in_context(context).find(|info| info.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_per_context_and_contexts_round_trip() {
        for context in Context::ALL {
            assert_eq!(Context::parse(context.name()), Some(context));
            let names: Vec<&str> = in_context(context).map(|i| i.name).collect();
            let mut sorted = names.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), names.len(), "duplicate name in {context}");
        }
        assert_eq!(find(C::List, "down").map(|i| i.action), Some(A::Down));
        assert!(find(C::Global, "down").is_none());
    }
}
