//! VAT returns (CA3) from the VAT index: the worksheet of a period, a box's lines page by page,
//! the settlement entry, filing and the list of periods.
//!
//! A return is computed from `VAT_TOTALS` (per month, tax code, class and account), never
//! from lines; line 22 comes from the previous return's line 27 (as settled or filed, else
//! computed). Settled and filed returns are kept in `VAT_RETURNS` with their boxes frozen.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use redb::{ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

use super::codec::{decode, encode};
use super::commands::new_entry;
use super::error::{LedgerError, Result};
use super::store::{View, day};
use super::tables::*;
use super::vat_index::{VAT_LINES, VAT_TAGS, VAT_TOTALS};
use super::{Ctx, Ledger};
use crate::model::calendar::Period;
use crate::model::settings::{EntryLanding, Settings, TAX_OFFICE_NAME};
use crate::model::{AccountNumber, Amount, EntryId, EntryInput, Party, PartyKind};
use crate::vat::tags::{TagClass, TagRole, vat_line};
use crate::vat::{
    AccountMovement, BoxRow, Ca3Box, Ca3Return, Checks, LineRef, Operation, Periodicity,
    ReturnPeriod, Role, SettlementAccounts, TaxKind, UntaggedLine, VatLine, VatOptions, box_rows,
    compute_return, consistency_checks, settlement_entry,
};

/// Period (`2026-10`, `2026-Q4`) -> the settled or filed return (`ReturnRecord`).
pub const VAT_RETURNS: TableDefinition<&str, Bytes> = TableDefinition::new("vat_returns");

/// Untagged lines listed per account at most (the count is always given).
const UNTAGGED_LISTED: usize = 200;
/// Periods walked back at most to find the credit carried on line 22.
const CARRY_BACK_PERIODS: usize = 60;
/// A box's lines per page at most.
pub const MAX_PAGE: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnStatus {
    ToPrepare,
    Settled,
    Filed,
}

impl ReturnStatus {
    pub fn name(self) -> &'static str {
        match self {
            ReturnStatus::ToPrepare => "to prepare",
            ReturnStatus::Settled => "settled",
            ReturnStatus::Filed => "filed",
        }
    }
}

/// A return as settled (and later filed): its boxes frozen, the settlement entry, who and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnRecord {
    pub period: String,
    pub status: ReturnStatus,
    /// (box code, base cents, tax cents), whole euros, as the form shows them.
    pub boxes: Vec<(String, Option<i64>, Option<i64>)>,
    pub settlement_entry: Option<EntryId>,
    pub settlement_date: NaiveDate,
    pub settled_by: String,
    pub settled_at: String,
    pub filed_by: Option<String>,
    pub filed_at: Option<String>,
    /// The VAT totals of the period when it was filed: a later change is reported.
    pub totals_at_filing: Vec<(u32, String, u32, String, i64, i64, i64)>,
}

impl ReturnRecord {
    fn tax(&self, b: Ca3Box) -> Amount {
        self.boxes
            .iter()
            .find(|(code, _, _)| code == b.code())
            .and_then(|(_, _, tax)| *tax)
            .map(Amount::from_cents)
            .unwrap_or(Amount::ZERO)
    }

    pub fn rows(&self) -> Vec<BoxRow> {
        Ca3Box::ALL
            .into_iter()
            .map(|b| {
                let found = self.boxes.iter().find(|(code, _, _)| code == b.code());
                BoxRow {
                    code: b.code(),
                    label: b.label(),
                    base: found.and_then(|f| f.1).map(Amount::from_cents),
                    tax: found.and_then(|f| f.2).map(Amount::from_cents),
                }
            })
            .collect()
    }
}

/// Where a VAT account's movement in the period went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnsplitBox {
    pub account: AccountNumber,
    pub amount: Amount,
    /// The box the amount was counted in.
    pub counted_in: Ca3Box,
    /// The boxes it could not be split between (rates, bases).
    pub could_not_split: Vec<Ca3Box>,
}

/// A period's worksheet: the return, its checks and its status.
#[derive(Debug, Clone, Serialize)]
pub struct Worksheet {
    pub period: ReturnPeriod,
    pub options: VatOptions,
    pub status: ReturnStatus,
    /// The return as computed now (for a filed period, `filed` holds what was filed).
    #[serde(rename = "return")]
    pub ret: Ca3Return,
    pub rows: Vec<BoxRow>,
    /// The rows as filed, for a filed period.
    pub filed: Option<Vec<BoxRow>>,
    pub checks: Checks,
    /// Where line 22 came from.
    pub carried_from: String,
    /// The period has VAT lines but none tagged (an imported year): the return is built
    /// from the VAT accounts, and says what it could not split.
    pub from_accounts: bool,
    pub unsplit: Vec<UnsplitBox>,
    /// Tagged lines changed in a filed period since it was filed, or dated in locked months
    /// of a period not filed: (account, tax code, what).
    pub late: Vec<String>,
    /// The notes on tagged lines, for people (tax code, account, what).
    pub notes: Vec<String>,
    pub settlement_entry: Option<EntryId>,
}

impl Worksheet {
    /// The net due (positive, line 32) or the credit (negative, line 27).
    pub fn net(&self) -> Amount {
        let rows = self.filed.as_ref().unwrap_or(&self.rows);
        let get = |code: &str| {
            rows.iter()
                .find(|r| r.code == code)
                .and_then(|r| r.tax)
                .unwrap_or(Amount::ZERO)
        };
        get("32").checked_sub(get("27")).unwrap_or(Amount::ZERO)
    }
}

/// One line of a box, as `--lines` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoxLineRow {
    pub entry: EntryId,
    pub line: u32,
    pub reference: String,
    pub date: NaiveDate,
    pub journal: String,
    pub piece: String,
    pub label: String,
    pub account: AccountNumber,
    pub tax_code: String,
    /// What the line brings to the box, to the cent.
    pub base: Amount,
    pub tax: Amount,
    /// The source document (`document:12`), for generated entries.
    pub source: Option<String>,
}

/// Keyset cursor of a box's lines: the last row's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoxCursor {
    pub month: u32,
    pub code: String,
    pub class: u32,
    pub account: String,
    pub date: i32,
    pub entry: u64,
    pub line: u32,
}

/// A page of a box's lines.
#[derive(Debug, Clone, Serialize)]
pub struct BoxPage {
    pub rows: Vec<BoxLineRow>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<BoxCursor>,
}

/// A period line of `folio vat periods`.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodSummary {
    pub period: ReturnPeriod,
    pub status: ReturnStatus,
    /// Line 32 (to pay) or minus line 27 (credit).
    pub net: Amount,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> LedgerError {
    LedgerError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn vat_err(err: crate::vat::VatError) -> LedgerError {
    invalid("period", err.to_string())
}

/// The month keys of a period.
fn months(period: ReturnPeriod) -> Vec<u32> {
    let mut out = Vec::new();
    let mut date = period.start();
    while date <= period.end() {
        out.push(Period::of(date).key());
        date = match date.checked_add_months(chrono::Months::new(1)) {
            Some(next) => next,
            None => break,
        };
    }
    out
}

type TotalsMap = BTreeMap<(u32, String, u32, String), (i64, i64, i64)>;
type TotalsRow = (u32, String, u32, String, i64, i64, i64, u64);

/// What the worksheet reads, once per period.
struct Reader<'v> {
    view: &'v View,
    settings: Settings,
}

impl Reader<'_> {
    fn totals(&self, period: ReturnPeriod) -> Result<Vec<TotalsRow>> {
        let Some(table) = self.view.table_if_exists(VAT_TOTALS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for month in months(period) {
            let end = month.saturating_add(1);
            for item in table.range((month, "", 0u32, "")..(end, "", 0u32, ""))? {
                let (key, value) = item?;
                let (m, code, class, account) = key.value();
                let (debit, credit, base, count) = value.value();
                out.push((
                    m,
                    code.to_string(),
                    class,
                    account.to_string(),
                    debit,
                    credit,
                    base,
                    count,
                ));
            }
        }
        Ok(out)
    }

    fn record(&self, period: ReturnPeriod) -> Result<Option<ReturnRecord>> {
        let Some(table) = self.view.table_if_exists(VAT_RETURNS)? else {
            return Ok(None);
        };
        match table.get(period.to_string().as_str())? {
            Some(bytes) => Ok(Some(decode(bytes.value(), "VAT return")?)),
            None => Ok(None),
        }
    }

    fn records(&self) -> Result<Vec<ReturnRecord>> {
        let Some(table) = self.view.table_if_exists(VAT_RETURNS)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for item in table.range::<&str>(..)? {
            let (_, value) = item?;
            out.push(decode(value.value(), "VAT return")?);
        }
        Ok(out)
    }

    fn tax_code(&self, code: &str) -> Result<&crate::model::tax::TaxCode> {
        self.settings.tax(code).ok_or_else(|| {
            invalid(
                "tax",
                format!("tax code {code} of tagged lines is not in the settings any more"),
            )
        })
    }

    /// The return's lines: one per totals row (the sum of its lines).
    fn vat_lines(&self, period: ReturnPeriod, rows: &[TotalsRow]) -> Result<Vec<VatLine>> {
        let mut out = Vec::new();
        for (i, (_, code, class, account, debit, credit, base, _)) in rows.iter().enumerate() {
            let tax = self.tax_code(code)?;
            let account = AccountNumber::parse(account)
                .map_err(|e| LedgerError::Corrupt(format!("VAT totals: {e}")))?;
            let amount = Amount::from_cents(debit.saturating_sub(*credit));
            let reference = LineRef {
                entry: 0,
                line: i as u32,
            };
            if let Some(line) = vat_line(
                reference,
                period.start(),
                account,
                tax,
                TagClass(*class),
                amount,
                Amount::from_cents(*base),
            )
            .map_err(vat_err)?
            {
                out.push(line);
            }
        }
        Ok(out)
    }

    /// The accounts VAT is due or deductible on (what the boxes explain), and the pending
    /// accounts.
    fn vat_accounts(&self) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut due = BTreeSet::new();
        let mut pending = BTreeSet::new();
        for code in &self.settings.taxes {
            due.insert(code.account.as_str().to_string());
            if let Some(a) = &code.reverse_charge_account {
                due.insert(a.as_str().to_string());
            }
            if let Some(a) = &code.pending_account {
                pending.insert(a.as_str().to_string());
            }
        }
        for strategy in &self.settings.tax_strategies {
            due.insert(strategy.account.as_str().to_string());
        }
        (due, pending)
    }

    /// Debit and credit of an account over the period's months.
    fn account_totals(&self, account: &str, period: ReturnPeriod) -> Result<(i64, i64)> {
        let table = self.view.table(TOTALS)?;
        let (mut debit, mut credit) = (0i64, 0i64);
        for month in months(period) {
            if let Some(v) = table.get((account, month))? {
                let (d, c) = v.value();
                debit = debit.saturating_add(d);
                credit = credit.saturating_add(c);
            }
        }
        Ok((debit, credit))
    }

    /// The lines of settlement entries dated in the period, per account (debit, credit).
    fn settlement_lines(&self, period: ReturnPeriod) -> Result<BTreeMap<String, (i64, i64)>> {
        let mut out: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for record in self.records()? {
            if !period.contains(record.settlement_date) {
                continue;
            }
            let Some(id) = record.settlement_entry else {
                continue;
            };
            let Some(entry) = self.view.entry_opt(id)? else {
                continue;
            };
            for line in &entry.lines {
                let slot = out.entry(line.account.as_str().to_string()).or_default();
                slot.0 = slot.0.saturating_add(line.debit.cents());
                slot.1 = slot.1.saturating_add(line.credit.cents());
            }
        }
        Ok(out)
    }

    fn settlement_ids(&self) -> Result<BTreeSet<EntryId>> {
        Ok(self
            .records()?
            .into_iter()
            .filter_map(|r| r.settlement_entry)
            .collect())
    }

    /// Untagged lines of one account in the period (at most `UNTAGGED_LISTED`).
    fn untagged_lines(&self, account: &str, period: ReturnPeriod) -> Result<Vec<UntaggedLine>> {
        let lines = self.view.table(LINES_BY_ACCOUNT)?;
        let tags = self.view.table_if_exists(VAT_TAGS)?;
        let settlements = self.settlement_ids()?;
        let number = AccountNumber::parse(account)
            .map_err(|e| LedgerError::Corrupt(format!("account index: {e}")))?;
        let mut out = Vec::new();
        let (from, to) = (day(period.start()), day(period.end()));
        for item in lines.range((account, from, 0u64, 0u32)..=(account, to, u64::MAX, u32::MAX))? {
            let (key, value) = item?;
            let (_, date, entry, line) = key.value();
            if settlements.contains(&entry) {
                continue;
            }
            let tagged = match &tags {
                Some(t) => t.get((entry, line))?.is_some(),
                None => false,
            };
            if tagged {
                continue;
            }
            out.push(UntaggedLine {
                reference: LineRef { entry, line },
                date: super::store::from_day(date),
                account: number.clone(),
                amount: Amount::from_cents(value.value()),
            });
            if out.len() >= UNTAGGED_LISTED {
                break;
            }
        }
        Ok(out)
    }

    /// The 445… accounts of the chart.
    fn vat_chart_accounts(&self) -> Result<Vec<String>> {
        let table = self.view.table(ACCOUNTS)?;
        let mut out = Vec::new();
        for item in table.range::<&str>("445".."446")? {
            let (key, _) = item?;
            out.push(key.value().to_string());
        }
        Ok(out)
    }

    /// Line 27 of the return before `period`: as settled or filed, else computed.
    fn carried_credit(
        &self,
        period: ReturnPeriod,
        options: &VatOptions,
        first_day: Option<NaiveDate>,
    ) -> Result<(Amount, String)> {
        // Walk back to the last recorded return (or the ledger's first day), then forward.
        let mut chain = Vec::new();
        let mut p = period.previous();
        let mut credit = Amount::ZERO;
        let mut source = "no earlier return".to_string();
        for _ in 0..CARRY_BACK_PERIODS {
            if let Some(record) = self.record(p)? {
                credit = record.tax(Ca3Box::L27);
                source = format!("line 27 of the {} return of {p}", record.status.name());
                break;
            }
            if first_day.is_none_or(|d| p.end() < d) {
                break;
            }
            chain.push(p);
            p = p.previous();
        }
        for p in chain.into_iter().rev() {
            let rows = self.totals(p)?;
            let lines = self.vat_lines(p, &rows)?;
            let ret = compute_return(&lines, p, options, credit).map_err(vat_err)?;
            credit = ret.tax(Ca3Box::L27);
            source = format!("line 27 of the return of {p} as computed");
        }
        Ok((credit, source))
    }
}

impl Ledger {
    /// The company's VAT options (`folio company edit --vat-periodicity … --vat-debits …`):
    /// periodicity and the débits option for services.
    pub fn vat_options(&self) -> Result<VatOptions> {
        let profile = self.company_profile()?;
        Ok(VatOptions {
            periodicity: match profile.vat_periodicity {
                crate::model::company::VatPeriodicity::Monthly => Periodicity::Monthly,
                crate::model::company::VatPeriodicity::Quarterly => Periodicity::Quarterly,
            },
            debits_for_services: profile.vat_debits,
        })
    }

    /// The worksheet of a period: boxes, checks, status.
    pub fn vat_return(&self, period: ReturnPeriod, options: &VatOptions) -> Result<Worksheet> {
        let view = self.read()?;
        let settings: Settings = view
            .meta("settings")?
            .ok_or_else(|| invalid("settings", "this ledger has no posting settings"))?;
        worksheet(
            &Reader {
                view: &view,
                settings,
            },
            period,
            options,
        )
    }

    /// A page of a box's lines: what each line brings to the box, with its entry and
    /// document. `after` is the previous page's `next`.
    pub fn vat_box_lines(
        &self,
        period: ReturnPeriod,
        options: &VatOptions,
        b: Ca3Box,
        after: Option<&BoxCursor>,
        limit: usize,
    ) -> Result<BoxPage> {
        let view = self.read()?;
        let settings: Settings = view
            .meta("settings")?
            .ok_or_else(|| invalid("settings", "this ledger has no posting settings"))?;
        let reader = Reader {
            view: &view,
            settings,
        };
        box_page(&reader, period, options, b, after, limit.clamp(1, MAX_PAGE))
    }

    /// The periods of a year (calendar year `year`) with their status and net due or credit.
    pub fn vat_periods(&self, year: i32, options: &VatOptions) -> Result<Vec<PeriodSummary>> {
        let view = self.read()?;
        let settings: Settings = view
            .meta("settings")?
            .ok_or_else(|| invalid("settings", "this ledger has no posting settings"))?;
        let reader = Reader {
            view: &view,
            settings,
        };
        let periods: Vec<ReturnPeriod> = match options.periodicity {
            Periodicity::Monthly => (1..=12)
                .map(|month| ReturnPeriod::Month { year, month })
                .collect(),
            Periodicity::Quarterly => (1..=4)
                .map(|quarter| ReturnPeriod::Quarter { year, quarter })
                .collect(),
        };
        let mut out = Vec::new();
        for period in periods {
            let sheet = worksheet(&reader, period, options)?;
            out.push(PeriodSummary {
                period,
                status: sheet.status,
                net: sheet.net(),
            });
        }
        Ok(out)
    }

    /// Posts the settlement entry of a period (draft or validated per the settings) and
    /// records the return as settled, its boxes frozen. Refused when already settled.
    pub fn vat_settle(
        &self,
        ctx: &Ctx,
        period: ReturnPeriod,
        options: &VatOptions,
        journal: &str,
    ) -> Result<(Worksheet, Option<crate::model::Entry>)> {
        self.vat_settle_on(ctx, period, options, journal, period.end())
    }

    /// `vat_settle` with the entry dated `date`, the day the return is filed (on or after
    /// the period's last day; the next period's checks leave the entry's lines out).
    pub fn vat_settle_on(
        &self,
        ctx: &Ctx,
        period: ReturnPeriod,
        options: &VatOptions,
        journal: &str,
        date: NaiveDate,
    ) -> Result<(Worksheet, Option<crate::model::Entry>)> {
        if date < period.end() {
            return Err(invalid(
                "date",
                format!(
                    "the settlement of {period} cannot be dated {date}, before the period ends on {}",
                    period.end()
                ),
            ));
        }
        let view = self.read()?;
        let counter: u64 = view.meta("counter")?.unwrap_or(0);
        let settings: Settings = view
            .meta("settings")?
            .ok_or_else(|| invalid("settings", "this ledger has no posting settings"))?;
        let reader = Reader {
            view: &view,
            settings: settings.clone(),
        };
        let sheet = worksheet(&reader, period, options)?;
        if let Some(existing) = reader.record(period)? {
            return Err(settled_once(period, &existing));
        }
        settle_when_due(&reader, period, ctx.today)?;
        drop(reader);
        drop(view);
        let tax_office = settings.vat.tax_office_party.clone();
        let lines = settlement_lines(&sheet, &tax_office)?;
        let result = self.write(ctx, |tx| {
            let now: u64 = tx.get_meta("counter")?.unwrap_or(0);
            if now != counter {
                return Err(invalid(
                    "period",
                    "the ledger changed while the return was computed: run the command again",
                ));
            }
            let mut created = String::new();
            let payable = lines
                .iter()
                .find(|l| l.third_party.as_deref() == Some(tax_office.as_str()))
                .map(|l| l.account.clone());
            let missing = match payable {
                Some(_) => tx.party_opt(&tax_office)?.is_none(),
                None => false,
            };
            if let Some(payable) = payable.filter(|_| missing) {
                tx.account(&payable)?;
                let party = Party::new(
                    tax_office.clone(),
                    TAX_OFFICE_NAME.to_string(),
                    PartyKind::Supplier,
                    payable,
                );
                tx.put_party(&party)?;
                created = format!(", third party {tax_office} {TAX_OFFICE_NAME} created");
            }
            let entry = if lines.is_empty() {
                None
            } else {
                let input = EntryInput {
                    journal: journal.to_string(),
                    date,
                    piece: settlement_piece(period),
                    label: settlement_label(period),
                    lines: lines.clone(),
                };
                tx.check_input(&input)?;
                let mut entry = new_entry(tx, ctx, input, Some(format!("vat:{period}")))?;
                if settings.general.generated_entries == EntryLanding::Validated {
                    tx.number_entry(&mut entry, ctx.today)?;
                }
                tx.insert_entry(&entry)?;
                Some(entry)
            };
            let record = ReturnRecord {
                period: period.to_string(),
                status: ReturnStatus::Settled,
                boxes: sheet
                    .rows
                    .iter()
                    .map(|r| {
                        (
                            r.code.to_string(),
                            r.base.map(|a| a.cents()),
                            r.tax.map(|a| a.cents()),
                        )
                    })
                    .collect(),
                settlement_entry: entry.as_ref().map(|e| e.id),
                settlement_date: date,
                settled_by: ctx.user.clone(),
                settled_at: ctx.now().format("%Y-%m-%d %H:%M:%S").to_string(),
                filed_by: None,
                filed_at: None,
                totals_at_filing: Vec::new(),
            };
            let mut table = tx.txn.open_table(VAT_RETURNS)?;
            table.insert(period.to_string().as_str(), encode(&record)?.as_slice())?;
            drop(table);
            let mut records = vec![format!("vat:{period}")];
            if let Some(e) = &entry {
                records.push(format!("entry:{}", e.id));
            }
            if !created.is_empty() {
                records.push(format!("party:{tax_office}"));
            }
            tx.audit(
                ctx,
                "vat.settle",
                records,
                format!(
                    "settled the VAT return of {period}: line 32 {} to pay, line 27 {} carried{}{created}",
                    sheet.ret.tax(Ca3Box::L32),
                    sheet.ret.tax(Ca3Box::L27),
                    entry
                        .as_ref()
                        .map(|e| format!(", entry {}", e.reference()))
                        .unwrap_or_default()
                ),
            )?;
            Ok(entry)
        })?;
        let after = self.vat_return(period, options)?;
        Ok((after, result))
    }

    /// The settlement entry `vat_settle` would post for a period, without posting it:
    /// refused, as settling is, when the period is settled already.
    pub fn vat_settlement_preview(
        &self,
        period: ReturnPeriod,
        options: &VatOptions,
        today: NaiveDate,
    ) -> Result<SettlementPreview> {
        let view = self.read()?;
        let settings: Settings = view
            .meta("settings")?
            .ok_or_else(|| invalid("settings", "this ledger has no posting settings"))?;
        let validated = settings.general.generated_entries == EntryLanding::Validated;
        let reader = Reader {
            view: &view,
            settings,
        };
        if let Some(existing) = reader.record(period)? {
            return Err(settled_once(period, &existing));
        }
        settle_when_due(&reader, period, today)?;
        let sheet = worksheet(&reader, period, options)?;
        let lines = settlement_lines(&sheet, &reader.settings.vat.tax_office_party)?;
        Ok(SettlementPreview {
            date: period.end(),
            piece: settlement_piece(period),
            label: settlement_label(period),
            lines,
            validated,
            sheet,
        })
    }

    /// Records a settled return as filed: its boxes stay as settled, the period's months are
    /// locked, the audit log names who filed it and when.
    pub fn vat_file(&self, ctx: &Ctx, period: ReturnPeriod) -> Result<ReturnRecord> {
        self.write(ctx, |tx| {
            let table = tx.txn.open_table(VAT_RETURNS)?;
            let record: Option<ReturnRecord> = match table.get(period.to_string().as_str())? {
                Some(bytes) => Some(decode(bytes.value(), "VAT return")?),
                None => None,
            };
            drop(table);
            let Some(mut record) = record else {
                return Err(invalid(
                    "period",
                    format!(
                        "the VAT return of {period} is not settled: run folio vat settle --period {period} first"
                    ),
                ));
            };
            if record.status == ReturnStatus::Filed {
                return Err(invalid(
                    "period",
                    format!(
                        "the VAT return of {period} was filed by {} at {}: a filed return never changes; a correction goes in the next return",
                        record.filed_by.clone().unwrap_or_default(),
                        record.filed_at.clone().unwrap_or_default()
                    ),
                ));
            }
            if let Some(id) = record.settlement_entry {
                match tx.entry_opt(id)? {
                    Some(e) if e.is_validated() => {}
                    Some(e) => {
                        return Err(invalid(
                            "period",
                            format!(
                                "the settlement entry {} of {period} is a draft: validate it before filing",
                                e.reference()
                            ),
                        ));
                    }
                    None => {
                        return Err(invalid(
                            "period",
                            format!("the settlement entry of {period} was deleted: the period is not settled"),
                        ));
                    }
                }
            }
            // Lock the months: drafts in them are refused first.
            let mut month = period.start();
            while month <= period.end() {
                let p = Period::of(month);
                let mut year = tx
                    .year_of(month)
                    .cloned()
                    .ok_or(LedgerError::NoOpenYear { date: month })?;
                if year.is_open() && !year.is_locked(p) {
                    let drafts = tx
                        .draft_ids()?
                        .into_iter()
                        .map(|id| tx.entry(id))
                        .collect::<Result<Vec<_>>>()?
                        .into_iter()
                        .filter(|e| Period::of(e.date) == p)
                        .count();
                    if drafts > 0 {
                        return Err(LedgerError::DraftsInPeriod {
                            period: p.to_string(),
                            count: drafts,
                        });
                    }
                    year.lock(p);
                    tx.put_year(&year)?;
                }
                month = match month.checked_add_months(chrono::Months::new(1)) {
                    Some(m) => m,
                    None => break,
                };
            }
            let mut snapshot = Vec::new();
            for m in months(period) {
                for item in tx
                    .vat
                    .totals
                    .range((m, "", 0u32, "")..(m.saturating_add(1), "", 0u32, ""))?
                {
                    let (key, value) = item?;
                    let (m, code, class, account) = key.value();
                    let (d, c, b, _) = value.value();
                    snapshot.push((m, code.to_string(), class, account.to_string(), d, c, b));
                }
            }
            record.status = ReturnStatus::Filed;
            record.filed_by = Some(ctx.user.clone());
            record.filed_at = Some(ctx.now().format("%Y-%m-%d %H:%M:%S").to_string());
            record.totals_at_filing = snapshot;
            let mut table = tx.txn.open_table(VAT_RETURNS)?;
            table.insert(period.to_string().as_str(), encode(&record)?.as_slice())?;
            drop(table);
            tx.audit(
                ctx,
                "vat.file",
                vec![format!("vat:{period}")],
                format!(
                    "filed the VAT return of {period}: line 32 {}, line 27 {}; months locked; boxes {}",
                    record.tax(Ca3Box::L32),
                    record.tax(Ca3Box::L27),
                    record
                        .boxes
                        .iter()
                        .filter_map(|(code, base, tax)| {
                            let shown = [base, tax]
                                .iter()
                                .filter_map(|v| v.map(|c| (c / 100).to_string()))
                                .collect::<Vec<_>>();
                            (!shown.is_empty() && shown.iter().any(|s| s != "0"))
                                .then(|| format!("{code}={}", shown.join("/")))
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            )?;
            Ok(record)
        })
    }
}

/// The settlement entry of a period, as `vat_settle` posts it, before it is posted.
#[derive(Debug, Clone)]
pub struct SettlementPreview {
    pub sheet: Worksheet,
    pub date: NaiveDate,
    pub piece: String,
    pub label: String,
    /// No line when the return has nothing to settle.
    pub lines: Vec<crate::model::Line>,
    /// Posted validated (numbered) rather than as a draft, per the settings.
    pub validated: bool,
}

/// A return is settled once its period has ended (entries may still be dated in it until
/// then), and after the return before it when Folio settled an earlier one (line 22 carries
/// the previous return's line 27).
fn settle_when_due(reader: &Reader<'_>, period: ReturnPeriod, today: NaiveDate) -> Result<()> {
    if today <= period.end() {
        return Err(invalid(
            "period",
            format!(
                "{period} has not ended: it ends on {}, and its return is settled from the day after",
                period.end()
            ),
        ));
    }
    let ends: Vec<NaiveDate> = reader
        .records()?
        .iter()
        .filter_map(|r| r.period.parse::<ReturnPeriod>().ok())
        .map(ReturnPeriod::end)
        .collect();
    let earlier = ends.iter().any(|end| *end < period.start());
    // The previous period is settled when a return ends with it (a month's return closes a
    // quarter after a change of periodicity).
    let previous = period.previous();
    if earlier && !ends.contains(&previous.end()) {
        return Err(invalid(
            "period",
            format!(
                "returns are settled in order: settle {previous} before {period} (its line 27 is {period}'s line 22)"
            ),
        ));
    }
    Ok(())
}

fn settled_once(period: ReturnPeriod, existing: &ReturnRecord) -> LedgerError {
    invalid(
        "period",
        format!(
            "the VAT return of {period} is already {} (by {} at {}): it is settled once",
            existing.status.name(),
            existing.settled_by,
            existing.settled_at
        ),
    )
}

/// The settlement entry's lines; the VAT to pay (445510) names the tax office, so that its
/// payment letters with it.
fn settlement_lines(sheet: &Worksheet, tax_office: &str) -> Result<Vec<crate::model::Line>> {
    let mut accounts = SettlementAccounts::pcg()
        .map_err(|e| LedgerError::Corrupt(format!("settlement accounts: {e}")))?;
    accounts.tax_office = Some(tax_office.to_string());
    settlement_entry(&sheet.ret, &accounts).map_err(vat_err)
}

fn settlement_piece(period: ReturnPeriod) -> String {
    format!("CA3 {period}")
}

fn settlement_label(period: ReturnPeriod) -> String {
    format!("Déclaration de TVA {period}")
}

fn worksheet(reader: &Reader<'_>, period: ReturnPeriod, options: &VatOptions) -> Result<Worksheet> {
    let years = reader.view.years()?;
    let first_day = years.iter().map(|y| y.start).min();
    let rows = reader.totals(period)?;
    let (credit, carried_from) = reader.carried_credit(period, options, first_day)?;
    let mut lines = reader.vat_lines(period, &rows)?;
    let (due_accounts, pending_accounts) = reader.vat_accounts();
    let settlement = reader.settlement_lines(period)?;
    let accounts = SettlementAccounts::pcg()
        .map_err(|e| LedgerError::Corrupt(format!("settlement accounts: {e}")))?;
    // Tagged amounts per account (every class, waiting included).
    let mut tagged: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (_, _, _, account, debit, credit, _, _) in &rows {
        let slot = tagged.entry(account.clone()).or_default();
        slot.0 = slot.0.saturating_add(*debit);
        slot.1 = slot.1.saturating_add(*credit);
    }
    // Untagged lines on VAT accounts, from the totals: an account whose debits or credits
    // exceed its tagged ones (and its settlement lines) has untagged lines.
    let mut untagged = Vec::new();
    let mut untagged_by_account: BTreeMap<String, i64> = BTreeMap::new();
    for account in reader.vat_chart_accounts()? {
        if account == accounts.credit.as_str() || account == accounts.payable.as_str() {
            continue;
        }
        let (debit, credit) = reader.account_totals(&account, period)?;
        let (td, tc) = tagged.get(&account).copied().unwrap_or_default();
        let (sd, sc) = settlement.get(&account).copied().unwrap_or_default();
        let (ud, uc) = (
            debit.saturating_sub(td).saturating_sub(sd),
            credit.saturating_sub(tc).saturating_sub(sc),
        );
        if ud != 0 || uc != 0 {
            untagged_by_account.insert(account.clone(), ud.saturating_sub(uc));
            untagged.extend(reader.untagged_lines(&account, period)?);
        }
    }
    // An imported year: VAT moved but nothing is tagged. The return is built from the
    // accounts, and says what it could not split.
    let from_accounts = rows.is_empty() && !untagged_by_account.is_empty();
    let mut unsplit = Vec::new();
    if from_accounts {
        lines = account_lines(reader, period, &untagged_by_account, &mut unsplit)?;
    }
    let ret = compute_return(&lines, period, options, credit).map_err(vat_err)?;
    let mut movements = Vec::new();
    let mut moved_accounts: BTreeSet<String> = due_accounts;
    for (_, _, class, account, _, _, _, _) in &rows {
        if TagClass(*class)
            .unpack()
            .is_some_and(|(r, _, _)| matches!(r, TagRole::Collected | TagRole::Deductible))
        {
            moved_accounts.insert(account.clone());
        }
    }
    for account in moved_accounts {
        if pending_accounts.contains(&account) {
            continue;
        }
        let (debit, credit) = reader.account_totals(&account, period)?;
        let (sd, sc) = settlement.get(&account).copied().unwrap_or_default();
        let movement = debit
            .saturating_sub(sd)
            .saturating_sub(credit.saturating_sub(sc));
        let number = AccountNumber::parse(&account)
            .map_err(|e| LedgerError::Corrupt(format!("settings account: {e}")))?;
        if movement != 0 || ret.counted_tax.iter().any(|l| l.account == number) {
            movements.push(AccountMovement {
                account: number,
                movement: Amount::from_cents(movement),
            });
        }
    }
    let checks = consistency_checks(&ret, &movements, &untagged).map_err(vat_err)?;
    let notes = checks
        .notes
        .iter()
        .filter_map(|n| {
            let line = lines.iter().find(|l| l.reference == n.reference)?;
            Some(format!(
                "tax code {} on {}: {}",
                line.tax_code,
                line.account,
                note_text(n.kind)
            ))
        })
        .collect();
    let record = reader.record(period)?;
    let mut late = Vec::new();
    let status = match &record {
        Some(r) => {
            let entry_exists = match r.settlement_entry {
                Some(id) => reader.view.entry_opt(id)?.is_some(),
                None => true,
            };
            if entry_exists {
                r.status
            } else {
                ReturnStatus::ToPrepare
            }
        }
        None => ReturnStatus::ToPrepare,
    };
    if let Some(r) = &record
        && r.status == ReturnStatus::Filed
    {
        let then: TotalsMap = r
            .totals_at_filing
            .iter()
            .map(|(m, c, k, a, d, cr, b)| ((*m, c.clone(), *k, a.clone()), (*d, *cr, *b)))
            .collect();
        let now: TotalsMap = rows
            .iter()
            .map(|(m, c, k, a, d, cr, b, _)| ((*m, c.clone(), *k, a.clone()), (*d, *cr, *b)))
            .collect();
        let keys: BTreeSet<_> = then.keys().chain(now.keys()).cloned().collect();
        for key in keys {
            let (a, b) = (then.get(&key), now.get(&key));
            if a != b {
                let signed = |v: Option<&(i64, i64, i64)>| {
                    v.map(|(d, c, _)| d.saturating_sub(*c)).unwrap_or(0)
                };
                late.push(format!(
                    "{} tax code {} ({}) changed since filing: {} then, {} now; correct it in the next return",
                    key.3,
                    key.1,
                    Period::from_key(key.0),
                    Amount::from_cents(signed(a)),
                    Amount::from_cents(signed(b)),
                ));
            }
        }
    } else if !rows.is_empty() {
        for year in &years {
            for m in months(period) {
                let p = Period::from_key(m);
                if year.contains(p.first_day()) && year.is_locked(p) {
                    late.push(format!(
                        "month {p} is locked but the return of {period} is not filed: its tagged lines cannot be corrected any more"
                    ));
                }
            }
        }
    }
    let filed = record
        .as_ref()
        .filter(|r| r.status == ReturnStatus::Filed && status == ReturnStatus::Filed)
        .map(|r| r.rows());
    Ok(Worksheet {
        period,
        options: *options,
        status,
        rows: box_rows(&ret),
        filed,
        checks,
        carried_from,
        from_accounts,
        unsplit,
        late,
        notes,
        settlement_entry: record.and_then(|r| r.settlement_entry),
        ret,
    })
}

/// The return's lines of an untagged period, from its VAT accounts' movements: collected VAT
/// (credit) in the rate box of the tax codes that post to the account (08 when they name
/// several), deductible VAT in the deduction box of the codes (20 when several). Bases are
/// not known.
fn account_lines(
    reader: &Reader<'_>,
    period: ReturnPeriod,
    untagged: &BTreeMap<String, i64>,
    unsplit: &mut Vec<UnsplitBox>,
) -> Result<Vec<VatLine>> {
    let mut out = Vec::new();
    for (i, (account, movement)) in untagged.iter().enumerate() {
        let codes: Vec<&crate::model::tax::TaxCode> = reader
            .settings
            .taxes
            .iter()
            .filter(|c| {
                c.account.as_str() == account
                    || c.reverse_charge_account.as_ref().map(|a| a.as_str()) == Some(account)
            })
            .collect();
        let Some(first) = codes.first() else {
            continue;
        };
        let reverse = first.reverse_charge_account.as_ref().map(|a| a.as_str()) == Some(account);
        let collected = first.kind == TaxKind::Collected || reverse;
        let boxes = |c: &&crate::model::tax::TaxCode| -> Option<Ca3Box> {
            let (base_box, tax_box) = VatLine::boxes_of(c).ok()?;
            if collected {
                [tax_box, base_box]
                    .into_iter()
                    .flatten()
                    .find(|b| b.is_rate())
            } else {
                Some(match tax_box {
                    Some(Ca3Box::L19) => Ca3Box::L19,
                    Some(Ca3Box::L21) => Ca3Box::L21,
                    _ => Ca3Box::L20,
                })
            }
        };
        let mut all: Vec<Ca3Box> = codes.iter().filter_map(boxes).collect();
        all.sort();
        all.dedup();
        let chosen = if collected {
            all.first().copied().unwrap_or(Ca3Box::L08)
        } else if all.len() == 1 {
            all[0]
        } else {
            Ca3Box::L20
        };
        let mut could_not_split: Vec<Ca3Box> = if all.len() > 1 {
            all.clone()
        } else {
            Vec::new()
        };
        if collected && !reverse {
            could_not_split.push(Ca3Box::A1);
        }
        if reverse {
            could_not_split.push(Ca3Box::B2);
        }
        could_not_split.sort();
        could_not_split.dedup();
        let (operation, role, tax_box) = if reverse {
            (
                Operation::IntraEuAcquisition,
                Role::Tax(TaxKind::Collected),
                Some(chosen),
            )
        } else if collected {
            (
                Operation::DomesticSale,
                Role::Tax(TaxKind::Collected),
                Some(chosen),
            )
        } else {
            (
                Operation::DomesticPurchase,
                Role::Tax(TaxKind::Deductible),
                Some(chosen),
            )
        };
        let number = AccountNumber::parse(account)
            .map_err(|e| LedgerError::Corrupt(format!("account: {e}")))?;
        unsplit.push(UnsplitBox {
            account: number.clone(),
            amount: Amount::from_cents(*movement),
            counted_in: chosen,
            could_not_split,
        });
        out.push(VatLine {
            reference: LineRef {
                entry: 0,
                line: i as u32,
            },
            date: period.start(),
            account: number,
            tax_code: format!("account {account}"),
            base_box: None,
            tax_box,
            role,
            amount: Amount::from_cents(*movement),
            base: Amount::ZERO,
            operation,
            supply: crate::vat::Supply::Goods,
            exigibility: crate::vat::Exigibility::OnInvoice,
        });
    }
    Ok(out)
}

/// A page of a box's lines: the totals rows that make the box name the (month, code,
/// class, account) groups to read; each line of a group is run through the same rules.
fn box_page(
    reader: &Reader<'_>,
    period: ReturnPeriod,
    options: &VatOptions,
    b: Ca3Box,
    after: Option<&BoxCursor>,
    limit: usize,
) -> Result<BoxPage> {
    let rows = reader.totals(period)?;
    let lines = reader.vat_lines(period, &rows)?;
    // Which rows bring something to the box: compute with each row alone.
    let mut groups: Vec<(u32, String, u32, String)> = Vec::new();
    let mut li = 0usize;
    for (i, row) in rows.iter().enumerate() {
        // `vat_lines` skipped waiting rows: find this row's line by its reference.
        while li < lines.len() && (lines[li].reference.line as usize) < i {
            li = li.saturating_add(1);
        }
        let Some(line) = lines.get(li).filter(|l| l.reference.line as usize == i) else {
            continue;
        };
        let alone = compute_return(std::slice::from_ref(line), period, options, Amount::ZERO)
            .map_err(vat_err)?;
        if !alone.get(b).lines.is_empty() {
            groups.push((row.0, row.1.clone(), row.2, row.3.clone()));
        }
    }
    groups.sort();
    let table = reader.view.table_if_exists(VAT_LINES)?;
    let Some(table) = table else {
        return Ok(BoxPage {
            rows: Vec::new(),
            next: None,
        });
    };
    let mut out = Vec::new();
    let mut next = None;
    let mut last_key: Option<BoxCursor> = None;
    'groups: for (month, code, class, account) in &groups {
        let group_key = (*month, code.clone(), *class, account.clone());
        let start = match after {
            Some(c) => {
                let ck = (c.month, c.code.clone(), c.class, c.account.clone());
                if group_key < ck {
                    continue;
                }
                if group_key == ck {
                    Some((c.date, c.entry, c.line))
                } else {
                    None
                }
            }
            None => None,
        };
        let lo = (
            *month,
            code.as_str(),
            *class,
            account.as_str(),
            i32::MIN,
            0u64,
            0u32,
        );
        let hi = (
            *month,
            code.as_str(),
            *class,
            account.as_str(),
            i32::MAX,
            u64::MAX,
            u32::MAX,
        );
        let tax = reader.tax_code(code)?;
        let number = AccountNumber::parse(account)
            .map_err(|e| LedgerError::Corrupt(format!("VAT lines: {e}")))?;
        for item in table.range(lo..=hi)? {
            let (key, value) = item?;
            let (_, _, _, _, date, entry, line) = key.value();
            if let Some(s) = start
                && (date, entry, line) <= s
            {
                continue;
            }
            if out.len() >= limit {
                next = last_key.clone();
                break 'groups;
            }
            let (amount, base) = value.value();
            let date = super::store::from_day(date);
            let Some(vl) = vat_line(
                LineRef { entry, line },
                date,
                number.clone(),
                tax,
                TagClass(*class),
                Amount::from_cents(amount),
                Amount::from_cents(base),
            )
            .map_err(vat_err)?
            else {
                continue;
            };
            let alone = compute_return(std::slice::from_ref(&vl), period, options, Amount::ZERO)
                .map_err(vat_err)?;
            let Some(share) = alone.get(b).lines.first().cloned() else {
                continue;
            };
            let e = reader.view.entry_opt(entry)?.ok_or_else(|| {
                LedgerError::Corrupt(format!(
                    "the VAT index names entry #{entry}, which is missing"
                ))
            })?;
            out.push(BoxLineRow {
                entry,
                line,
                reference: e.reference(),
                date,
                journal: e.journal.clone(),
                piece: e.piece.clone(),
                label: e
                    .lines
                    .get(line as usize)
                    .map(|l| l.label.clone())
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| e.label.clone()),
                account: number.clone(),
                tax_code: code.clone(),
                base: share.base,
                tax: share.tax,
                source: e.source.clone(),
            });
            last_key = Some(BoxCursor {
                month: *month,
                code: code.clone(),
                class: *class,
                account: account.clone(),
                date: day(date),
                entry,
                line,
            });
        }
    }
    Ok(BoxPage { rows: out, next })
}

fn note_text(kind: crate::vat::NoteKind) -> &'static str {
    use crate::vat::NoteKind::*;
    match kind {
        OutsidePeriod => "dated outside the period, not counted",
        NoRateBox => "the tax code names no rate box (08, 09, 9B), not counted",
        RoleDoesNotFit => "the tax does not fit the operation of its code, not counted",
        DeferredBase => "base of VAT due on payment, counted when paid",
        GoodsOnPayment => "goods taxed on payment: VAT on goods is due on delivery",
        ServicesOnInvoiceWithoutOption => {
            "services taxed on invoice though the company did not opt for débits"
        }
        ServicesOnPaymentWithOption => {
            "services taxed on payment though the company opted for débits"
        }
        RateNotOfBox => {
            "taxed at another rate than its box's (08 20 %, 09 5.5 %, 9B 10 %): check the tax code's box"
        }
    }
}
