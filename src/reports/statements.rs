//! Financial statements in the PCG layout (système de base, or abridged): the balance sheet
//! (bilan, actif / passif) and the income statement (compte de résultat, charges / produits),
//! from account balances, through a mapping table of account prefixes to rubriques
//! (`fixtures/statements-pcg.csv`, replaceable by the user's own file).
//!
//! Every account with a balance lands in exactly one rubrique: the one of the longest prefix
//! that matches it and its balance side. An account no prefix takes goes to "Comptes non
//! classés" on the side its balance says and is named in `unmapped`, so totals still tie and
//! nothing is dropped.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{AccountNumber, Amount};

/// The mapping of the PCG (système de base), embedded.
pub const PCG_MAPPING_CSV: &str = include_str!("../../fixtures/statements-pcg.csv");

/// Where the statement's rubriques go when no prefix takes an account.
pub const UNMAPPED_RUBRIQUE: &str = "NON_CLASSE";
const UNMAPPED_LABEL: &str = "Comptes non classés (à ajouter à la table des rubriques)";
const RESERVED: [&str; 3] = ["TOTAL", "RESULTAT", UNMAPPED_RUBRIQUE];
/// A mapping file bigger than this is refused (the PCG one holds under a hundred rows).
const MAX_RUBRIQUES: usize = 2_000;
/// Prefixes that deduct amortisation and depreciation from an asset (gross less these = net).
const CONTRA_PREFIXES: [&str; 5] = ["28", "29", "39", "49", "59"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementKind {
    BalanceSheet,
    Income,
}

impl StatementKind {
    pub fn sides(self) -> [Side; 2] {
        match self {
            StatementKind::BalanceSheet => [Side::Actif, Side::Passif],
            StatementKind::Income => [Side::Charges, Side::Produits],
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            StatementKind::BalanceSheet => "Bilan",
            StatementKind::Income => "Compte de résultat",
        }
    }

    /// Whether an account's balance belongs to this statement (bilan: classes 1 to 5 and the
    /// special class 8, whose balances would otherwise be lost; résultat: 6 and 7).
    fn holds(self, account: &AccountNumber) -> bool {
        match self {
            StatementKind::BalanceSheet => !account.is_income_statement(),
            StatementKind::Income => account.is_income_statement(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Actif,
    Passif,
    Charges,
    Produits,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Actif => "actif",
            Side::Passif => "passif",
            Side::Charges => "charges",
            Side::Produits => "produits",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Side::Actif => "Actif",
            Side::Passif => "Passif",
            Side::Charges => "Charges",
            Side::Produits => "Produits",
        }
    }

    fn parse(text: &str) -> Option<Side> {
        [Side::Actif, Side::Passif, Side::Charges, Side::Produits]
            .into_iter()
            .find(|s| s.name() == text)
    }

    pub fn statement(self) -> StatementKind {
        match self {
            Side::Actif | Side::Passif => StatementKind::BalanceSheet,
            Side::Charges | Side::Produits => StatementKind::Income,
        }
    }

    /// Debit-side sides count debit minus credit; the others credit minus debit.
    fn is_debit(self) -> bool {
        matches!(self, Side::Actif | Side::Charges)
    }

    /// An amount of this side from a balance (debit minus credit).
    fn amount(self, balance: Amount) -> Amount {
        if self.is_debit() { balance } else { -balance }
    }

    /// The side of a statement a balance belongs to when nothing else says.
    fn of_balance(statement: StatementKind, balance: Amount) -> Side {
        let [debit, credit] = statement.sides();
        if balance.is_negative() { credit } else { debit }
    }
}

/// When a prefix takes an account: whatever its balance, or only on one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum When {
    Any,
    Debit,
    Credit,
}

impl When {
    fn overlaps(self, other: When) -> bool {
        self == When::Any || other == When::Any || self == other
    }

    fn takes(self, balance: Amount) -> bool {
        match self {
            When::Any => true,
            When::Debit => balance.is_positive(),
            When::Credit => balance.is_negative(),
        }
    }
}

/// One rubrique of the mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RubriqueDef {
    pub side: Side,
    pub section: String,
    pub code: String,
    pub label: String,
    pub abridged: String,
    pub abridged_label: String,
    /// Line of the mapping file, for messages.
    pub line: usize,
}

/// A mapping file broken: which file, line and field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: line {line}: {field}: {reason}")]
pub struct MappingError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub reason: String,
}

/// The mapping table: rubriques in print order, and account prefixes to rubriques.
#[derive(Debug, Clone)]
pub struct Mapping {
    source: String,
    rubriques: Vec<RubriqueDef>,
    /// Prefix -> (when, rubrique index), per statement.
    prefixes: HashMap<(StatementKind, String), Vec<(When, usize)>>,
    /// The rubrique receiving the year's result.
    result: usize,
}

const COLUMNS: [&str; 7] = [
    "side",
    "section",
    "rubrique",
    "label",
    "abridged",
    "abridged_label",
    "accounts",
];

impl Mapping {
    /// The PCG mapping embedded in the binary.
    pub fn pcg() -> Result<Mapping, MappingError> {
        Mapping::parse("fixtures/statements-pcg.csv", PCG_MAPPING_CSV)
    }

    /// Where the mapping was read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn rubriques(&self) -> &[RubriqueDef] {
        &self.rubriques
    }

    /// Reads a mapping file (see `fixtures/statements-pcg.csv`); lines starting with `#` are
    /// comments. Every rule is checked: an error names the file, line and field.
    pub fn parse(source: &str, text: &str) -> Result<Mapping, MappingError> {
        let error = |line: usize, field: &str, reason: String| MappingError {
            file: source.to_string(),
            line,
            field: field.to_string(),
            reason,
        };
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| error(csv_line(e.position()), "header", e.to_string()))?
            .clone();
        let header_line = text
            .lines()
            .position(|l| !l.trim_start().starts_with('#'))
            .map_or(1, |i| i + 1);
        let names: Vec<&str> = headers.iter().map(str::trim).collect();
        if names != COLUMNS {
            return Err(error(
                header_line,
                "header",
                format!("expected `{}`", COLUMNS.join(",")),
            ));
        }
        let mut mapping = Mapping {
            source: source.to_string(),
            rubriques: Vec::new(),
            prefixes: HashMap::new(),
            result: usize::MAX,
        };
        let mut abridged: HashMap<(StatementKind, String), (Side, String, usize)> = HashMap::new();
        let mut rules_at: HashMap<(StatementKind, String), Vec<(When, usize)>> = HashMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| error(csv_line(e.position()), "row", e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let field = |i: usize| record.get(i).unwrap_or("").trim();
            if mapping.rubriques.len() >= MAX_RUBRIQUES {
                return Err(error(
                    line,
                    "row",
                    format!("more than {MAX_RUBRIQUES} rubriques"),
                ));
            }
            let side = Side::parse(field(0)).ok_or_else(|| {
                error(
                    line,
                    "side",
                    format!(
                        "`{}` is not actif, passif, charges or produits",
                        field(0).escape_default()
                    ),
                )
            })?;
            let statement = side.statement();
            let def = RubriqueDef {
                side,
                section: field(1).to_string(),
                code: field(2).to_string(),
                label: field(3).to_string(),
                abridged: field(4).to_string(),
                abridged_label: field(5).to_string(),
                line,
            };
            for (name, value) in [
                ("section", &def.section),
                ("rubrique", &def.code),
                ("label", &def.label),
                ("abridged", &def.abridged),
                ("abridged_label", &def.abridged_label),
            ] {
                if value.is_empty() {
                    return Err(error(line, name, "empty".into()));
                }
            }
            for (name, code) in [("rubrique", &def.code), ("abridged", &def.abridged)] {
                if !code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(error(
                        line,
                        name,
                        format!(
                            "`{}`: letters, digits, `_` or `-` only",
                            code.escape_default()
                        ),
                    ));
                }
                if RESERVED.contains(&code.as_str()) {
                    return Err(error(line, name, format!("`{code}` is reserved")));
                }
            }
            if let Some(other) = mapping
                .rubriques
                .iter()
                .find(|r| r.side.statement() == statement && r.code == def.code)
            {
                return Err(error(
                    line,
                    "rubrique",
                    format!("`{}` is already on line {}", def.code, other.line),
                ));
            }
            match abridged.get(&(statement, def.abridged.clone())) {
                Some((s, label, at)) if *s != side || *label != def.abridged_label => {
                    return Err(error(
                        line,
                        "abridged_label",
                        format!(
                            "abridged rubrique `{}` is `{label}` on {} at line {at}",
                            def.abridged,
                            s.name()
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    abridged.insert(
                        (statement, def.abridged.clone()),
                        (side, def.abridged_label.clone(), line),
                    );
                }
            }
            let index = mapping.rubriques.len();
            for token in field(6).split_whitespace() {
                if token == "=result" {
                    if side != Side::Passif {
                        return Err(error(
                            line,
                            "accounts",
                            "`=result` goes on a passif rubrique".into(),
                        ));
                    }
                    if mapping.result != usize::MAX {
                        let other = mapping.rubriques[mapping.result].line;
                        return Err(error(
                            line,
                            "accounts",
                            format!("`=result` is already on line {other}"),
                        ));
                    }
                    mapping.result = index;
                    continue;
                }
                let (prefix, when) = match token.split_once(':') {
                    None => (token, When::Any),
                    Some((p, "D")) => (p, When::Debit),
                    Some((p, "C")) => (p, When::Credit),
                    Some(_) => {
                        return Err(error(
                            line,
                            "accounts",
                            format!(
                                "`{}`: a prefix may end with `:D` or `:C` only",
                                token.escape_default()
                            ),
                        ));
                    }
                };
                let classes: &[u8] = match statement {
                    StatementKind::BalanceSheet => b"123458",
                    StatementKind::Income => b"67",
                };
                if prefix.is_empty()
                    || !prefix.bytes().all(|b| b.is_ascii_digit())
                    || !classes.contains(&prefix.as_bytes()[0])
                    || prefix.len() > 10
                {
                    return Err(error(
                        line,
                        "accounts",
                        format!(
                            "`{}` is not an account prefix of the {} (classes {})",
                            token.escape_default(),
                            statement.title(),
                            match statement {
                                StatementKind::BalanceSheet => "1 to 5, or 8",
                                StatementKind::Income => "6 and 7",
                            }
                        ),
                    ));
                }
                let rules = rules_at.entry((statement, prefix.to_string())).or_default();
                if let Some((_, other)) = rules.iter().find(|(w, _)| w.overlaps(when)) {
                    let other = mapping.rubriques.get(*other).map_or(line, |r| r.line);
                    return Err(error(
                        line,
                        "accounts",
                        format!("`{token}` overlaps a prefix of line {other}"),
                    ));
                }
                rules.push((when, index));
            }
            mapping.rubriques.push(def);
        }
        if mapping.result == usize::MAX {
            return Err(error(
                0,
                "accounts",
                "no passif rubrique takes the year's result (`=result`)".into(),
            ));
        }
        for statement in [StatementKind::BalanceSheet, StatementKind::Income] {
            for side in statement.sides() {
                if !mapping.rubriques.iter().any(|r| r.side == side) {
                    return Err(error(0, "side", format!("no rubrique on {}", side.name())));
                }
            }
        }
        mapping.prefixes = rules_at;
        Ok(mapping)
    }

    /// The rubrique of an account with a (non-zero) balance: the longest prefix taking it.
    pub fn place(&self, statement: StatementKind, account: &str, balance: Amount) -> Option<usize> {
        for len in (1..=account.len()).rev() {
            let Some(prefix) = account.get(..len) else {
                continue;
            };
            if let Some(rules) = self.prefixes.get(&(statement, prefix.to_string()))
                && let Some((_, index)) = rules.iter().find(|(w, _)| w.takes(balance))
            {
                return Some(*index);
            }
        }
        None
    }
}

fn csv_line(position: Option<&csv::Position>) -> usize {
    position.map_or(0, |p| p.line() as usize)
}

/// One account's balance (debit minus credit) for the statements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountBalance {
    pub account: AccountNumber,
    pub label: String,
    pub balance: Amount,
}

/// What one fiscal year's statements are made of.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YearBooks {
    /// The year's name (`2026`).
    pub year: String,
    /// Balances at the year's end of the accounts outside classes 6 and 7, brought forward
    /// (from the opening entry, or from earlier years still open).
    pub balance_sheet: Vec<AccountBalance>,
    /// Movements of classes 6 and 7 within the year.
    pub income: Vec<AccountBalance>,
    /// Classes 7 less 6 of earlier years still open (not closed, so not yet carried into
    /// 12x): part of the passif, beside the year's own result.
    pub earlier_result: Amount,
}

/// One account in a rubrique, with its amount this year and the year before (the rubrique's
/// sign: a deduction reads negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RubriqueAccount {
    pub account: AccountNumber,
    pub label: String,
    pub amount: Amount,
    pub previous: Amount,
}

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub side: Side,
    pub section: String,
    pub rubrique: String,
    pub label: String,
    /// Net amount of the year.
    pub amount: Amount,
    /// Net amount of the year before (`None` when there is no year before).
    pub previous: Option<Amount>,
    /// Actif only: gross amount and amortisation/depreciation deducted (accounts 28, 29, 39,
    /// 49, 59), of the year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gross: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depreciation: Option<Amount>,
    pub accounts: Vec<RubriqueAccount>,
    /// The year's result is part of this line (the passif rubrique of `=result`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub holds_result: bool,
}

/// Total of one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SideTotal {
    pub side: Side,
    pub amount: Amount,
    pub previous: Option<Amount>,
}

/// An account with a balance that no prefix of the mapping takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unmapped {
    pub year: String,
    pub account: AccountNumber,
    pub label: String,
    pub balance: Amount,
}

/// A balance sheet or an income statement, with the year before side by side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    pub kind: StatementKind,
    pub year: String,
    pub previous_year: Option<String>,
    pub abridged: bool,
    pub mapping: String,
    pub lines: Vec<StatementLine>,
    pub totals: [SideTotal; 2],
    /// The year's result: classes 7 less 6 (positive for a profit).
    pub result: Amount,
    pub result_previous: Option<Amount>,
    /// Accounts the mapping does not place (shown under "Comptes non classés").
    pub unmapped: Vec<Unmapped>,
    /// Things the reader must know (an earlier result still in 12x, unmapped accounts).
    pub notes: Vec<String>,
}

impl Statement {
    /// Lines of one side, in print order.
    pub fn side(&self, side: Side) -> impl Iterator<Item = &StatementLine> {
        self.lines.iter().filter(move |l| l.side == side)
    }

    pub fn total(&self, side: Side) -> SideTotal {
        self.totals
            .iter()
            .copied()
            .find(|t| t.side == side)
            .unwrap_or(SideTotal {
                side,
                amount: Amount::ZERO,
                previous: None,
            })
    }

    /// Actif equals passif (balance sheet), or produits less charges equals the result
    /// (income statement), for both years.
    pub fn ties(&self) -> bool {
        let [a, b] = self.totals;
        match self.kind {
            StatementKind::BalanceSheet => a.amount == b.amount && a.previous == b.previous,
            StatementKind::Income => {
                b.amount.checked_sub(a.amount) == Some(self.result)
                    && match (a.previous, b.previous, self.result_previous) {
                        (Some(a), Some(b), Some(r)) => b.checked_sub(a) == Some(r),
                        (None, None, None) => true,
                        _ => false,
                    }
            }
        }
    }
}

/// An amount overflowed while summing a statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("amount overflow in the {0}")]
pub struct StatementOverflow(pub String);

fn add(a: Amount, b: Amount, what: &str) -> Result<Amount, StatementOverflow> {
    a.checked_add(b)
        .ok_or_else(|| StatementOverflow(what.to_string()))
}

/// The rubriques of one year: amount per rubrique index (the extra last index is
/// "non classés" of each side), accounts per rubrique, gross and depreciation.
struct Placed {
    /// (rubrique index or unmapped side, account, label, amount in the side's sign)
    accounts: Vec<(Slot, AccountNumber, String, Amount)>,
    result: Amount,
    unmapped: Vec<Unmapped>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    Rubrique(usize),
    Unmapped(Side),
}

fn place_year(
    mapping: &Mapping,
    kind: StatementKind,
    books: &YearBooks,
) -> Result<Placed, StatementOverflow> {
    let mut out = Placed {
        accounts: Vec::new(),
        result: Amount::ZERO,
        unmapped: Vec::new(),
    };
    for row in &books.income {
        out.result = add(out.result, -row.balance, "result of the year")?;
    }
    let source = match kind {
        StatementKind::BalanceSheet => &books.balance_sheet,
        StatementKind::Income => &books.income,
    };
    for row in source {
        if row.balance.is_zero() || !kind.holds(&row.account) {
            continue;
        }
        match mapping.place(kind, row.account.as_str(), row.balance) {
            Some(index) => {
                let side = mapping.rubriques[index].side;
                out.accounts.push((
                    Slot::Rubrique(index),
                    row.account.clone(),
                    row.label.clone(),
                    side.amount(row.balance),
                ));
            }
            None => {
                let side = Side::of_balance(kind, row.balance);
                out.accounts.push((
                    Slot::Unmapped(side),
                    row.account.clone(),
                    row.label.clone(),
                    side.amount(row.balance),
                ));
                out.unmapped.push(Unmapped {
                    year: books.year.clone(),
                    account: row.account.clone(),
                    label: row.label.clone(),
                    balance: row.balance,
                });
            }
        }
    }
    Ok(out)
}

/// Builds a statement of `year`, with `previous` beside it when there is a year before.
pub fn build(
    mapping: &Mapping,
    kind: StatementKind,
    year: &YearBooks,
    previous: Option<&YearBooks>,
    abridged: bool,
) -> Result<Statement, StatementOverflow> {
    let now = place_year(mapping, kind, year)?;
    let before = previous.map(|p| place_year(mapping, kind, p)).transpose()?;
    // Lines in print order: (slot key) -> index in `lines`.
    let mut lines: Vec<StatementLine> = Vec::new();
    let mut line_of: HashMap<Slot, usize> = HashMap::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    for (index, def) in mapping.rubriques.iter().enumerate() {
        if def.side.statement() != kind {
            continue;
        }
        let (code, label) = if abridged {
            (&def.abridged, &def.abridged_label)
        } else {
            (&def.code, &def.label)
        };
        let at = *by_code.entry(code.clone()).or_insert_with(|| {
            lines.push(StatementLine {
                side: def.side,
                section: def.section.clone(),
                rubrique: code.clone(),
                label: label.clone(),
                amount: Amount::ZERO,
                previous: previous.map(|_| Amount::ZERO),
                gross: None,
                depreciation: None,
                accounts: Vec::new(),
                holds_result: false,
            });
            lines.len() - 1
        });
        line_of.insert(Slot::Rubrique(index), at);
        if index == mapping.result {
            lines[at].holds_result = true;
        }
    }
    // Lines keep the mapping's order within each side: actif (charges) first.
    let side_rank = |s: Side| usize::from(s == kind.sides()[1]);
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by_key(|&i| side_rank(lines[i].side));
    let mut sorted: Vec<StatementLine> = order.iter().map(|&i| lines[i].clone()).collect();
    let moved: HashMap<usize, usize> = order.iter().enumerate().map(|(n, &o)| (o, n)).collect();
    for at in line_of.values_mut() {
        *at = moved[at];
    }
    let any_unmapped = now
        .accounts
        .iter()
        .chain(before.iter().flat_map(|b| b.accounts.iter()))
        .filter_map(|(slot, ..)| match slot {
            Slot::Unmapped(side) => Some(*side),
            Slot::Rubrique(_) => None,
        })
        .collect::<Vec<_>>();
    for side in kind.sides() {
        if any_unmapped.contains(&side) {
            let last = sorted.iter().rposition(|l| l.side == side);
            let at = last.map_or(sorted.len(), |l| l + 1);
            sorted.insert(
                at,
                StatementLine {
                    side,
                    section: UNMAPPED_LABEL.into(),
                    rubrique: UNMAPPED_RUBRIQUE.into(),
                    label: UNMAPPED_LABEL.into(),
                    amount: Amount::ZERO,
                    previous: previous.map(|_| Amount::ZERO),
                    gross: None,
                    depreciation: None,
                    accounts: Vec::new(),
                    holds_result: false,
                },
            );
            for v in line_of.values_mut() {
                if *v >= at {
                    *v += 1;
                }
            }
            line_of.insert(Slot::Unmapped(side), at);
        }
    }
    let mut lines = sorted;
    for (which, placed) in [(0, Some(&now)), (1, before.as_ref())] {
        let Some(placed) = placed else { continue };
        for (slot, account, label, amount) in &placed.accounts {
            let Some(&at) = line_of.get(slot) else {
                continue;
            };
            let line = &mut lines[at];
            let entry = match line.accounts.iter().position(|a| a.account == *account) {
                Some(i) => &mut line.accounts[i],
                None => {
                    line.accounts.push(RubriqueAccount {
                        account: account.clone(),
                        label: label.clone(),
                        amount: Amount::ZERO,
                        previous: Amount::ZERO,
                    });
                    let last = line.accounts.len() - 1;
                    &mut line.accounts[last]
                }
            };
            if which == 0 {
                entry.amount = add(entry.amount, *amount, "rubrique")?;
                line.amount = add(line.amount, *amount, "rubrique")?;
            } else {
                entry.previous = add(entry.previous, *amount, "rubrique")?;
                let previous = line.previous.unwrap_or_default();
                line.previous = Some(add(previous, *amount, "rubrique")?);
            }
        }
    }
    let mut notes = Vec::new();
    if kind == StatementKind::BalanceSheet {
        let result_line = line_of
            .get(&Slot::Rubrique(mapping.result))
            .copied()
            .unwrap_or(0);
        let with_earlier = |placed: &Placed, books: &YearBooks| {
            add(placed.result, books.earlier_result, "result of the year")
        };
        let line = &mut lines[result_line];
        line.amount = add(line.amount, with_earlier(&now, year)?, "rubrique")?;
        if let (Some(b), Some(p)) = (&before, previous) {
            let prev = line.previous.unwrap_or_default();
            line.previous = Some(add(prev, with_earlier(b, p)?, "rubrique")?);
        }
        for (books, placed) in [(Some(year), Some(&now)), (previous, before.as_ref())] {
            let (Some(books), Some(placed)) = (books, placed) else {
                continue;
            };
            let in_12x: Amount = placed
                .accounts
                .iter()
                .filter(|(slot, ..)| *slot == Slot::Rubrique(mapping.result))
                .map(|(.., amount)| *amount)
                .sum();
            let earlier = add(in_12x, books.earlier_result, "result of the year")?;
            if !earlier.is_zero() {
                notes.push(format!(
                    "{}: « {} » includes {} of earlier years' results not yet appropriated \
                     (accounts of the rubrique, or classes 6 and 7 of earlier years still open)",
                    books.year,
                    lines[result_line].label,
                    earlier.to_french()
                ));
            }
        }
        for line in lines.iter_mut().filter(|l| l.side == Side::Actif) {
            let depreciation: Amount = line
                .accounts
                .iter()
                .filter(|a| CONTRA_PREFIXES.iter().any(|p| a.account.starts_with(p)))
                .map(|a| -a.amount)
                .sum();
            line.depreciation = Some(depreciation);
            line.gross = Some(add(line.amount, depreciation, "gross amount")?);
        }
    }
    for line in &mut lines {
        line.accounts.sort_by(|a, b| a.account.cmp(&b.account));
    }
    let total = |side: Side| -> Result<SideTotal, StatementOverflow> {
        let mut amount = Amount::ZERO;
        let mut prev = previous.map(|_| Amount::ZERO);
        for line in lines.iter().filter(|l| l.side == side) {
            amount = add(amount, line.amount, "total")?;
            if let (Some(p), Some(l)) = (prev, line.previous) {
                prev = Some(add(p, l, "total")?);
            }
        }
        Ok(SideTotal {
            side,
            amount,
            previous: prev,
        })
    };
    let [first, second] = kind.sides();
    let totals = [total(first)?, total(second)?];
    let result_previous = before.as_ref().map(|b| b.result);
    let mut unmapped = now.unmapped;
    if let Some(before) = before {
        unmapped.extend(before.unmapped);
    }
    for u in &unmapped {
        notes.push(format!(
            "{}: account {} ({}) with a balance of {} is in no rubrique of {}: shown under \
             « Comptes non classés »",
            u.year,
            u.account,
            u.label,
            u.balance.to_french(),
            mapping.source()
        ));
    }
    Ok(Statement {
        kind,
        year: year.year.clone(),
        previous_year: previous.map(|p| p.year.clone()),
        abridged,
        mapping: mapping.source().to_string(),
        lines,
        totals,
        result: now.result,
        result_previous,
        unmapped,
        notes,
    })
}

#[cfg(test)]
mod tests;
