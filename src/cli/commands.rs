//! One handler per command.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use chrono::NaiveDate;

use super::output::{Align, Format, Rows, SafeOutput, emit, write_json};
use super::*;
use crate::fixtures;
use crate::formats::entries_csv::{EntriesCsvReader, EntryGrouper};
use crate::formats::fec::{self, FecOptions, FecReader};
use crate::ledger::{
    AccountPatch, Ctx, FecImportOptions, ImportOptions, InitParams, JournalPatch, LabelSource,
    Ledger, PartyPatch, Selection,
};
use crate::model::calendar::{Period, parse_date};
use crate::model::journal::{JournalKind, parse_journal_code};
use crate::model::party::{PartyKind, parse_party_code};
use crate::model::text::{display_text, echo};
use crate::model::{AccountNumber, Amount, Company, Entry, EntryInput, Journal, Line, Party};

/// The acting person: the Unix login (over SSH, the person logged in): `USER`, `LOGNAME`,
/// else the name of the process's user id in /etc/passwd.
fn current_user() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .or_else(login_of_uid)
        .unwrap_or_else(|| "unknown".into())
}

fn login_of_uid() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid).then(|| name.to_string())
    })
}

/// `FOLIO_TODAY` fixes the working date (scripts, tests); the audit time stays the real one.
pub fn context() -> Result<Ctx> {
    let mut ctx = Ctx::live(current_user());
    if let Ok(text) = std::env::var("FOLIO_TODAY") {
        ctx.today = parse_date(&text)
            .ok_or_else(|| anyhow!("FOLIO_TODAY: `{text}` is not a date (YYYY-MM-DD)"))?;
    }
    Ok(ctx)
}

pub fn date_arg(field: &str, text: &str) -> Result<NaiveDate> {
    parse_date(text)
        .ok_or_else(|| anyhow!("{field}: `{text}` is not a date (YYYY-MM-DD or DD/MM/YYYY)"))
}

pub fn account_arg(text: &str) -> Result<AccountNumber> {
    AccountNumber::parse(text).map_err(|e| anyhow!("account: {e}"))
}

/// Opens the ledger for a command that changes it.
fn open(cli: &Cli) -> Result<Ledger> {
    Ok(Ledger::open(&cli.ledger)?)
}

/// Opens the ledger for a command that only reads it: the file is never written (its bytes and
/// modification time stay as they are), and a ledger the user may only read can be read.
fn open_read(cli: &Cli) -> Result<Ledger> {
    Ok(Ledger::open_read_only(&cli.ledger)?)
}

/// Opens read-only when `read_only`, else for writing.
fn open_for(cli: &Cli, read_only: bool) -> Result<Ledger> {
    if read_only { open_read(cli) } else { open(cli) }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = context()?;
    let Some(command) = &cli.command else {
        return super::interactive::open(&cli, ctx);
    };
    if let Command::Demo { path } = command
        && io::stdout().is_terminal()
    {
        return super::interactive::demo(&cli, path.as_deref(), ctx);
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(SafeOutput::new(stdout.lock()));
    let code = match command {
        Command::Init(args) => init(&cli, args, &ctx, &mut out)?,
        Command::Demo { path } => demo(path.as_deref(), &ctx, &mut out)?,
        Command::Accounts { action, format } => accounts(&cli, action, *format, &ctx, &mut out)?,
        Command::Journals { action, format } => journals(&cli, action, *format, &ctx, &mut out)?,
        Command::Parties {
            action,
            format,
            details,
        } => parties(&cli, action, *format, *details, &ctx, &mut out)?,
        Command::Company { action } => {
            let read_only = matches!(action, super::company::CompanyAction::Show { .. });
            super::company::company(&open_for(&cli, read_only)?, action, &ctx, &mut out)?
        }
        Command::Sepa { action } => {
            let read_only = matches!(action, super::sepa::SepaAction::Mandates { .. });
            super::sepa::sepa(&open_for(&cli, read_only)?, action, &ctx, &mut out)?
        }
        Command::Entry { action } => entry(&cli, action, &ctx, &mut out)?,
        Command::Import { what } => import(&cli, what, &ctx, &mut out)?,
        Command::Validate(args) => validate(&cli, args, &ctx, &mut out)?,
        Command::Reverse { entry, date } => {
            let ledger = open(&cli)?;
            let original = ledger.find_entry(entry)?;
            let date = date.as_deref().map(|d| date_arg("date", d)).transpose()?;
            let reversal = ledger.reverse(&ctx, original.id, date)?;
            writeln!(
                out,
                "reversed {} by {} on {}",
                original.reference(),
                reversal.reference(),
                reversal.date
            )?;
            ExitCode::SUCCESS
        }
        Command::Period { action } => {
            let ledger = open(&cli)?;
            let (text, lock) = match action {
                PeriodAction::Lock { period } => (period, true),
                PeriodAction::Unlock { period } => (period, false),
            };
            let period = Period::parse(text)
                .ok_or_else(|| anyhow!("period: `{text}` is not a month (YYYY-MM)"))?;
            if lock {
                ledger.lock_period(&ctx, period)?;
                writeln!(out, "locked period {period}")?;
            } else {
                ledger.unlock_period(&ctx, period)?;
                writeln!(out, "unlocked period {period}")?;
            }
            ExitCode::SUCCESS
        }
        Command::Year { action } => year(&cli, action, &ctx, &mut out)?,
        Command::Report { report } => {
            super::reports::report(&open_read(&cli)?, report, &ctx, &mut out)?
        }
        Command::Export { what } => export(&cli, what, &mut out)?,
        Command::Check {
            format,
            print_head,
            expect_head,
        } => check(&cli, *format, *print_head, expect_head.as_deref(), &mut out)?,
        Command::Letter { action } => super::lettering::letter(&cli, action, &ctx, &mut out)?,
        Command::Bank { action } => super::bank::bank(&cli, action, &ctx, &mut out)?,
        Command::Vat { action } => super::vat::vat(&cli, action, &ctx, &mut out)?,
        Command::Log { record, format } => log(&cli, record, *format, &mut out)?,
        Command::Doc { action } => {
            let read_only = matches!(action, DocAction::List { .. } | DocAction::Show { .. });
            super::documents::doc(&open_for(&cli, read_only)?, action, &ctx, &mut out)?
        }
        Command::Pay { action } => {
            let read_only = matches!(action, PayAction::List { .. });
            super::documents::pay(&open_for(&cli, read_only)?, action, &ctx, &mut out)?
        }
        Command::Items { format } => super::documents::items(&open_read(&cli)?, *format, &mut out)?,
        Command::Taxes { format } => {
            super::documents::taxes(&open_read(&cli)?, *format, &ctx, &mut out)?
        }
        Command::Why { entry } => super::documents::why(&open_read(&cli)?, entry, &mut out)?,
        Command::Regenerate { year, document } => super::documents::regenerate(
            &open(&cli)?,
            year.as_deref(),
            document.as_deref(),
            &ctx,
            &mut out,
        )?,
        Command::Settings { action } => {
            let read_only = matches!(action, SettingsAction::Export { .. });
            super::documents::settings(&open_for(&cli, read_only)?, action, &ctx, &mut out)?
        }
        Command::Keymap { action } => super::interactive::keymap(&cli, action, &mut out)?,
    };
    out.flush()?;
    Ok(code)
}

fn init(cli: &Cli, args: &InitArgs, ctx: &Ctx, out: &mut impl Write) -> Result<ExitCode> {
    let chart = match &args.chart {
        Some(path) => {
            let text = fixtures::read_text_file(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            fixtures::parse_chart(&path.display().to_string(), &text)?
        }
        None => fixtures::default_chart()?,
    };
    let params = InitParams {
        company: Company {
            name: args.name.trim().to_string(),
            siren: args.siren.trim().to_string(),
        },
        first_year_start: date_arg("start", &args.start)?,
        first_year_months: args.months,
        chart,
        settings: Some(fixtures::default_settings()?),
    };
    let ledger = Ledger::create(&cli.ledger, &params, ctx)?;
    let year = ledger.years()?.remove(0);
    let company = ledger.company()?;
    writeln!(
        out,
        "created {} for {} (SIREN {}), fiscal year {} from {} to {}, {} accounts",
        cli.ledger.display(),
        company.name,
        company.siren,
        year.name(),
        year.start,
        year.end,
        params.chart.len()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn demo(path: Option<&Path>, ctx: &Ctx, out: &mut impl Write) -> Result<ExitCode> {
    let path = demo_path(path, ctx);
    let ledger = crate::demo::build_demo(&path, ctx)?;
    writeln!(
        out,
        "demo company built in {} ({} entries, {} drafts)\n",
        path.display(),
        ledger.entry_count()?,
        ledger.draft_count()?
    )?;
    let year = ledger.years()?.remove(0);
    let rows = ledger.trial_balance(year.start, year.end)?;
    super::reports::write_trial_balance(
        &crate::reports::TrialBalance::build(rows),
        Format::Table,
        out,
    )?;
    writeln!(out, "\nUse it with: folio --ledger {} ...", path.display())?;
    Ok(ExitCode::SUCCESS)
}

/// Where the demo goes: the path given, or a fresh temporary file.
pub fn demo_path(path: Option<&Path>, ctx: &Ctx) -> PathBuf {
    match path {
        Some(path) => path.to_path_buf(),
        None => std::env::temp_dir().join(format!(
            "folio-demo-{}-{}.ledger",
            std::process::id(),
            ctx.now().and_utc().timestamp()
        )),
    }
}

fn yes_no(flag: bool) -> String {
    if flag { "yes".into() } else { "no".into() }
}

fn accounts(
    cli: &Cli,
    action: &Option<AccountsAction>,
    format: Format,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let ledger = open_for(cli, matches!(action, None | Some(AccountsAction::List)))?;
    match action {
        None | Some(AccountsAction::List) => {
            let last_day = ledger.years()?.last().map(|y| y.end).unwrap_or(ctx.today);
            let balances: std::collections::HashMap<String, Amount> = ledger
                .balances_at(last_day)?
                .into_iter()
                .map(|r| (r.account.to_string(), r.balance()))
                .collect();
            let accounts = ledger.accounts()?;
            let mut rows = Rows::new(&[
                ("number", Align::Left),
                ("label", Align::Left),
                ("kind", Align::Left),
                ("third_party", Align::Left),
                ("letterable", Align::Left),
                ("reconcilable", Align::Left),
                ("active", Align::Left),
                ("balance", Align::Right),
            ]);
            for a in &accounts {
                let balance = balances.get(a.number.as_str()).copied().unwrap_or_default();
                rows.push(vec![
                    a.number.to_string(),
                    a.label.clone(),
                    a.kind.name().into(),
                    yes_no(a.third_party_required),
                    yes_no(a.letterable),
                    yes_no(a.reconcilable),
                    yes_no(a.active),
                    amount_cell(format, balance),
                ]);
            }
            emit(format, &rows, &accounts, out)?;
        }
        Some(AccountsAction::Add { number, label }) => {
            let account = ledger.add_account(ctx, account_arg(number)?, label)?;
            writeln!(out, "added account {} {}", account.number, account.label)?;
        }
        Some(AccountsAction::Edit {
            number,
            label,
            active,
            letterable,
            reconcilable,
            third_party_required,
        }) => {
            let patch = AccountPatch {
                label: label.clone(),
                active: *active,
                letterable: *letterable,
                reconcilable: *reconcilable,
                third_party_required: *third_party_required,
            };
            let account = ledger.edit_account(ctx, &account_arg(number)?, &patch)?;
            writeln!(out, "edited account {} {}", account.number, account.label)?;
        }
        Some(AccountsAction::Import { file, update }) => {
            return super::setup::import_accounts(&ledger, file, *update, ctx, out);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Tables show amounts the French way; CSV and JSON plainly.
pub fn amount_cell(format: Format, amount: Amount) -> String {
    match format {
        Format::Table => amount.to_french(),
        _ => amount.to_plain(),
    }
}

fn journals(
    cli: &Cli,
    action: &Option<JournalsAction>,
    format: Format,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let ledger = open_for(cli, matches!(action, None | Some(JournalsAction::List)))?;
    match action {
        None | Some(JournalsAction::List) => {
            let journals = ledger.journals()?;
            let banks = ledger.bank_details()?;
            let mut rows = Rows::new(&[
                ("code", Align::Left),
                ("label", Align::Left),
                ("kind", Align::Left),
                ("treasury_account", Align::Left),
                ("active", Align::Left),
                ("bank_account", Align::Left),
            ]);
            #[derive(serde::Serialize)]
            struct JournalRow<'a> {
                #[serde(flatten)]
                journal: &'a Journal,
                bank_account: Option<String>,
            }
            let mut json = Vec::new();
            for j in &journals {
                let bank_account = banks.get(&j.code).map(|b| b.display());
                rows.push(vec![
                    j.code.clone(),
                    j.label.clone(),
                    j.kind.name().into(),
                    j.treasury_account
                        .as_ref()
                        .map(|a| a.to_string())
                        .unwrap_or_default(),
                    yes_no(j.active),
                    bank_account.clone().unwrap_or_default(),
                ]);
                json.push(JournalRow {
                    journal: j,
                    bank_account,
                });
            }
            emit(format, &rows, &json, out)?;
        }
        Some(JournalsAction::Add {
            code,
            label,
            kind,
            treasury,
            iban,
            rib,
            number,
        }) => {
            let kind = JournalKind::parse(kind).ok_or_else(|| {
                anyhow!("kind: `{kind}` is not one of sales, purchases, bank, cash, miscellaneous, opening")
            })?;
            let journal = Journal {
                code: parse_journal_code(code).map_err(|e| anyhow!("code: {e}"))?,
                label: label.clone(),
                kind,
                treasury_account: treasury.as_deref().map(account_arg).transpose()?,
                active: true,
            };
            let bank =
                bank_details_arg(iban.as_deref(), rib.as_deref(), number.as_deref())?.flatten();
            let journal = ledger.add_journal_with_bank(ctx, journal, bank.as_ref())?;
            writeln!(out, "added journal {} {}", journal.code, journal.label)?;
        }
        Some(JournalsAction::Edit {
            code,
            label,
            active,
            treasury,
            kind,
            iban,
            rib,
            number,
        }) => {
            let kind = kind
                .as_deref()
                .map(|kind| {
                    JournalKind::parse(kind).ok_or_else(|| {
                        anyhow!("kind: `{kind}` is not one of sales, purchases, bank, cash, miscellaneous, opening")
                    })
                })
                .transpose()?;
            let patch = JournalPatch {
                label: label.clone(),
                active: *active,
                treasury_account: treasury.as_deref().map(account_arg).transpose()?,
                kind,
                bank: bank_details_arg(iban.as_deref(), rib.as_deref(), number.as_deref())?,
            };
            let code = parse_journal_code(code).map_err(|e| anyhow!("code: {e}"))?;
            let journal = ledger.edit_journal(ctx, &code, &patch)?;
            writeln!(out, "edited journal {} {}", journal.code, journal.label)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--iban` / `--rib` / `--number` to bank details: `None` when none is given, `Some(None)`
/// for an empty one (`--iban ""` removes them).
fn bank_details_arg(
    iban: Option<&str>,
    rib: Option<&str>,
    number: Option<&str>,
) -> Result<Option<Option<crate::ledger::BankDetails>>> {
    use crate::ledger::BankDetails;
    match (iban, rib, number) {
        (Some(iban), _, _) if iban.trim().is_empty() => Ok(Some(None)),
        (Some(iban), _, _) => Ok(Some(Some(BankDetails::from_iban(iban)?))),
        (None, Some(rib), _) if rib.trim().is_empty() => Ok(Some(None)),
        (None, Some(rib), _) => Ok(Some(Some(BankDetails::from_rib(rib)?))),
        (None, None, Some(number)) if number.trim().is_empty() => Ok(Some(None)),
        (None, None, Some(number)) => Ok(Some(Some(BankDetails::from_number(number)?))),
        (None, None, None) => Ok(None),
    }
}

fn parties(
    cli: &Cli,
    action: &Option<PartiesAction>,
    format: Format,
    details: bool,
    ctx: &Ctx,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let listing = matches!(action, None | Some(PartiesAction::List));
    if details && !listing {
        bail!("--details goes with the listing (`folio parties --details`)");
    }
    let ledger = open_for(cli, listing)?;
    match action {
        None | Some(PartiesAction::List) => {
            let last_day = ledger.years()?.last().map(|y| y.end).unwrap_or(ctx.today);
            let balances = ledger.party_balances(last_day)?;
            let parties = ledger.parties()?;
            let mut columns = vec![
                ("code", Align::Left),
                ("name", Align::Left),
                ("kind", Align::Left),
                ("account", Align::Left),
                ("auxiliary", Align::Left),
                ("active", Align::Left),
                ("balance", Align::Right),
            ];
            if details {
                columns.extend(super::setup::PARTY_DETAIL_COLUMNS.map(|c| (c, Align::Left)));
            }
            let mut rows = Rows::new(&columns);
            for p in &parties {
                let mut row = vec![
                    p.code.clone(),
                    p.name.clone(),
                    p.kind.name().into(),
                    p.collective_account.to_string(),
                    p.auxiliary_account.clone(),
                    yes_no(p.active),
                    amount_cell(format, balances.get(&p.code).copied().unwrap_or_default()),
                ];
                if details {
                    row.extend(super::setup::party_detail_cells(p));
                }
                rows.push(row);
            }
            emit(format, &rows, &parties, out)?;
        }
        Some(PartiesAction::Import { file, update }) => {
            return super::setup::import_parties(&ledger, file, *update, ctx, out);
        }
        Some(PartiesAction::Add {
            code,
            name,
            kind,
            account,
            aux,
            details,
        }) => {
            let kind = PartyKind::parse(kind)
                .ok_or_else(|| anyhow!("kind: `{kind}` is not customer or supplier"))?;
            let code = parse_party_code(code).map_err(|e| anyhow!("code: {e}"))?;
            let collective = match account {
                Some(a) => account_arg(a)?,
                None => kind.default_collective(),
            };
            let mut party = Party::new(code, name.clone(), kind, collective);
            if let Some(aux) = aux {
                party.auxiliary_account = aux.clone();
            }
            party_patch(None, None, details)?.apply(&mut party)?;
            let party = ledger.add_party_with_bic(ctx, party, details.bic.as_deref())?;
            writeln!(
                out,
                "added {} {} {}",
                party.kind.name(),
                party.code,
                party.name
            )?;
        }
        Some(PartiesAction::Edit {
            code,
            name,
            active,
            details,
        }) => {
            let patch = party_patch(name.clone(), *active, details)?;
            let code = parse_party_code(code).map_err(|e| anyhow!("code: {e}"))?;
            let party = ledger.edit_party(ctx, &code, &patch)?;
            writeln!(out, "edited third party {} {}", party.code, party.name)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn party_patch(
    name: Option<String>,
    active: Option<bool>,
    details: &PartyDetails,
) -> Result<PartyPatch> {
    let mandate = match (&details.mandate, &details.mandate_date) {
        (Some(reference), Some(date)) => Some(crate::model::party::Mandate {
            reference: reference.trim().to_string(),
            signed_on: date_arg("mandate-date", date)?,
        }),
        _ => None,
    };
    Ok(PartyPatch {
        name,
        active,
        tax_position: details.tax_position.clone(),
        payment_terms_days: details.terms,
        // `sepa` is the direct debit method's short name.
        payment_method: details.method.as_deref().map(|m| {
            if m.trim().eq_ignore_ascii_case("sepa") {
                crate::ledger::DIRECT_DEBIT_METHOD.to_string()
            } else {
                m.to_string()
            }
        }),
        iban: details.iban.clone(),
        mandate,
        bic: details.bic.clone(),
    })
}

/// Parses `ACCOUNT[@PARTY]=AMOUNT[:LABEL][#TAX]`: the line and its tax code.
pub fn parse_tagged_line_arg(text: &str, debit: bool) -> Result<(Line, Option<String>)> {
    let side = if debit { "debit" } else { "credit" };
    match text.rsplit_once('#') {
        Some((line, tax)) => {
            let tax = tax.trim();
            if tax.is_empty()
                || !tax
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                bail!(
                    "{side}: `{}`: the tax code after # must be a code like V20 (folio taxes lists them)",
                    echo(text)
                );
            }
            Ok((parse_line_arg(line, debit)?, Some(tax.to_string())))
        }
        None => Ok((parse_line_arg(text, debit)?, None)),
    }
}

/// Parses `ACCOUNT[@PARTY]=AMOUNT[:LABEL]`.
pub fn parse_line_arg(text: &str, debit: bool) -> Result<Line> {
    let side = if debit { "debit" } else { "credit" };
    let (target, rest) = text
        .split_once('=')
        .ok_or_else(|| anyhow!("{side}: `{text}` must look like ACCOUNT[@PARTY]=AMOUNT[:LABEL]"))?;
    let (account, party) = match target.split_once('@') {
        Some((a, p)) => (
            a,
            Some(parse_party_code(p).map_err(|e| anyhow!("{side}: {e}"))?),
        ),
        None => (target, None),
    };
    let (amount, label) = match rest.split_once(':') {
        Some((a, l)) => (a, l),
        None => (rest, ""),
    };
    let account = AccountNumber::parse(account).map_err(|e| anyhow!("{side}: {e}"))?;
    let amount = Amount::parse(amount).map_err(|e| anyhow!("{side}: {e}"))?;
    let line = if debit {
        Line::debit(account, amount)
    } else {
        Line::credit(account, amount)
    };
    Ok(line.with_party(party).with_label(label))
}

fn lines_of(fields: &EntryFields) -> Result<(Vec<Line>, Vec<Option<String>>)> {
    let mut lines = Vec::new();
    let mut taxes = Vec::new();
    for (text, debit) in fields
        .debit
        .iter()
        .map(|t| (t, true))
        .chain(fields.credit.iter().map(|t| (t, false)))
    {
        let (line, tax) = parse_tagged_line_arg(text, debit)?;
        lines.push(line);
        taxes.push(tax);
    }
    Ok((lines, taxes))
}

fn entry(cli: &Cli, action: &EntryAction, ctx: &Ctx, out: &mut impl Write) -> Result<ExitCode> {
    let ledger = open_for(cli, matches!(action, EntryAction::Show { .. }))?;
    match action {
        EntryAction::Add { fields, validate } => {
            let need = |v: &Option<String>, name: &str| {
                v.clone().ok_or_else(|| anyhow!("{name}: required"))
            };
            let piece = need(&fields.piece, "piece")?;
            let (lines, taxes) = lines_of(fields)?;
            let input = EntryInput {
                journal: parse_journal_code(&need(&fields.journal, "journal")?)
                    .map_err(|e| anyhow!("journal: {e}"))?,
                date: date_arg("date", &need(&fields.date, "date")?)?,
                // Without a label the piece names the entry, as the FEC needs a label.
                label: fields.label.clone().unwrap_or_else(|| piece.clone()),
                piece,
                lines,
            };
            let entry = ledger.add_entry_tagged(ctx, &input, &taxes)?;
            if *validate {
                let validated = ledger.validate(ctx, &Selection::Entries(vec![entry.id]))?;
                let number = validated.first().map(Entry::reference).unwrap_or_default();
                writeln!(out, "added and validated {number} (#{})", entry.id)?;
            } else {
                writeln!(out, "added draft #{}", entry.id)?;
            }
        }
        EntryAction::Edit {
            entry,
            fields,
            revision,
        } => {
            let current = ledger.find_entry(entry)?;
            let (lines, taxes) = lines_of(fields)?;
            let taxes = (!lines.is_empty()).then_some(taxes);
            let input = EntryInput {
                journal: match &fields.journal {
                    Some(j) => parse_journal_code(j).map_err(|e| anyhow!("journal: {e}"))?,
                    None => current.journal.clone(),
                },
                date: match &fields.date {
                    Some(d) => date_arg("date", d)?,
                    None => current.date,
                },
                piece: fields
                    .piece
                    .clone()
                    .unwrap_or_else(|| current.piece.clone()),
                label: fields
                    .label
                    .clone()
                    .unwrap_or_else(|| current.label.clone()),
                lines: if lines.is_empty() {
                    current.lines.clone()
                } else {
                    lines
                },
            };
            // Without --revision, the copy just read: a change committed in between is not
            // overwritten either.
            let expected = revision.unwrap_or(current.revision);
            let edited = ledger.edit_entry_tagged(
                ctx,
                current.id,
                &input,
                Some(expected),
                taxes.as_deref(),
            )?;
            if edited.revision == current.revision {
                writeln!(
                    out,
                    "draft #{} unchanged (revision {})",
                    edited.id, edited.revision
                )?;
            } else {
                writeln!(
                    out,
                    "edited draft #{} (revision {})",
                    edited.id, edited.revision
                )?;
            }
        }
        EntryAction::Delete { entry } => {
            let current = ledger.find_entry(entry)?;
            ledger.delete_entry(ctx, current.id)?;
            writeln!(out, "deleted draft #{}", current.id)?;
        }
        EntryAction::Show { entry, format } => {
            let entry = ledger.find_entry(entry)?;
            super::reports::write_entry(&ledger, &entry, *format, out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open_input(path: &Path) -> Result<BufReader<File>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    Ok(BufReader::with_capacity(1 << 20, file))
}

fn import(cli: &Cli, what: &ImportWhat, ctx: &Ctx, out: &mut impl Write) -> Result<ExitCode> {
    let ledger = Ledger::open_with_cache(&cli.ledger, crate::ledger::IMPORT_CACHE_BYTES)?;
    let summary = match what {
        ImportWhat::Entries {
            file,
            validate,
            allow_existing_pieces,
            create_parties,
        } => {
            let name = file.display().to_string();
            let reader = EntriesCsvReader::new(&name, open_input(file)?)?;
            let options = ImportOptions {
                validate: *validate,
                allow_existing_pieces: *allow_existing_pieces,
                fec: false,
            };
            ledger.import_entries_creating_parties(
                ctx,
                &name,
                EntryGrouper::new(&name, reader),
                &options,
                *create_parties,
            )?
        }
        ImportWhat::Fec {
            file,
            allow_existing_pieces,
            labels,
            dry_run,
        } => {
            let name = file.display().to_string();
            let encoding = fec::detect_encoding(open_input(file)?)
                .with_context(|| format!("cannot read {name}"))?;
            let options = FecImportOptions {
                allow_existing_pieces: *allow_existing_pieces,
                labels: match labels {
                    super::Labels::File => LabelSource::File,
                    super::Labels::Ledger => LabelSource::Ledger,
                },
                dry_run: *dry_run,
                encoding,
            };
            let open_fec = || -> std::result::Result<_, crate::formats::FormatError> {
                let input = open_input(file).map_err(|err| {
                    crate::formats::FormatError::new(&name, 1, "record", format!("{err:#}"))
                })?;
                FecReader::new(&name, input, encoding.encoding)
            };
            let summary = ledger.import_fec(ctx, &name, open_fec, &options)?;
            super::fec_import::write_fec_import_summary(out, &summary)?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    writeln!(
        out,
        "imported {} entries ({} lines), {} validated; created {} journals, {} accounts, {} third parties; {} lettered lines",
        summary.entries,
        summary.lines,
        summary.validated,
        summary.journals_created,
        summary.accounts_created,
        summary.parties_created,
        summary.letters
    )?;
    for (code, kind, account) in &summary.created_parties {
        writeln!(out, "created {} {code} on {account}", kind.name())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn validate(cli: &Cli, args: &ValidateArgs, ctx: &Ctx, out: &mut impl Write) -> Result<ExitCode> {
    let ledger = open(cli)?;
    let journal = args
        .journal
        .as_deref()
        .map(|j| parse_journal_code(j).map_err(|e| anyhow!("journal: {e}")))
        .transpose()?;
    let selection = if !args.entries.is_empty() {
        if args.until.is_some() || args.all || journal.is_some() {
            bail!("give either entries or --until/--all (with an optional --journal), not both");
        }
        let ids = args
            .entries
            .iter()
            .map(|r| ledger.find_entry(r).map(|e| e.id))
            .collect::<Result<Vec<_>, _>>()?;
        Selection::Entries(ids)
    } else if let Some(until) = &args.until {
        Selection::Until {
            date: date_arg("until", until)?,
            journal,
        }
    } else if args.all {
        Selection::Until {
            date: NaiveDate::MAX,
            journal,
        }
    } else {
        bail!("say which drafts to validate: entry ids, --until DATE or --all");
    };
    let validated = ledger.validate_summary(ctx, &selection)?;
    match (validated.count, &validated.first, &validated.last) {
        (1, Some(one), _) => writeln!(out, "validated {} (#{})", one.reference(), one.id)?,
        (count, Some(first), Some(last)) => writeln!(
            out,
            "validated {} entries: {} … {}",
            count,
            first.reference(),
            last.reference()
        )?,
        _ => writeln!(out, "no draft to validate")?,
    }
    Ok(ExitCode::SUCCESS)
}

fn year(cli: &Cli, action: &YearAction, ctx: &Ctx, out: &mut impl Write) -> Result<ExitCode> {
    let ledger = open_for(cli, matches!(action, YearAction::List { .. }))?;
    match action {
        YearAction::List { format } => {
            let years = ledger.years()?;
            let mut rows = Rows::new(&[
                ("year", Align::Left),
                ("start", Align::Left),
                ("end", Align::Left),
                ("status", Align::Left),
                ("locked_periods", Align::Left),
            ]);
            for y in &years {
                let locked: Vec<String> = y
                    .locked_periods
                    .iter()
                    .map(|k| Period::from_key(*k).to_string())
                    .collect();
                rows.push(vec![
                    y.name(),
                    y.start.to_string(),
                    y.end.to_string(),
                    if y.is_open() {
                        "open".into()
                    } else {
                        "closed".into()
                    },
                    locked.join(" "),
                ]);
            }
            emit(*format, &rows, &years, out)?;
        }
        YearAction::Open { months } => {
            let year = ledger.open_next_year(ctx, Some(*months))?;
            writeln!(
                out,
                "opened fiscal year {} ({} to {})",
                year.name(),
                year.start,
                year.end
            )?;
        }
        YearAction::Close { year } => {
            let closing = ledger.close_year(ctx, year.as_deref())?;
            writeln!(
                out,
                "closed fiscal year {}: {} {}; opening entry {} in fiscal year {}",
                closing.year.name(),
                if closing.result.is_negative() {
                    "loss"
                } else {
                    "profit"
                },
                closing.result.abs().to_french(),
                closing
                    .opening_entry
                    .as_ref()
                    .map(Entry::reference)
                    .unwrap_or_else(|| "none".into()),
                closing.next_year.name()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn export(cli: &Cli, what: &ExportWhat, out: &mut impl Write) -> Result<ExitCode> {
    let ledger = open_read(cli)?;
    match what {
        ExportWhat::Fec {
            year,
            out: dir,
            separator,
            encoding,
            force,
        } => {
            let year = ledger.fec_year(year.as_deref())?;
            let options = FecOptions {
                separator: match separator {
                    Separator::Tab => fec::Separator::Tab,
                    Separator::Pipe => fec::Separator::Pipe,
                },
                encoding: match encoding {
                    Encoding::Utf8 => fec::Encoding::Utf8,
                    Encoding::Latin9 => fec::Encoding::Latin9,
                },
            };
            if !dir.is_dir() {
                bail!("out: {} is not a directory", dir.display());
            }
            let company = ledger.company()?;
            let path = dir.join(fec::fec_file_name(&company.siren, year.end));
            // Written beside the target and renamed: a failed export leaves no half file.
            let export = super::files::write_file(&path, *force, |file| {
                Ok(ledger.export_fec(&year, file, options)?)
            })?;
            writeln!(
                out,
                "wrote {} ({} entries, {} lines, fiscal year {})",
                path.display(),
                export.entries,
                export.lines,
                export.year.name()
            )?;
        }
        ExportWhat::Hledger => {
            ledger.export_hledger(&mut *out)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(
    cli: &Cli,
    format: Format,
    print_head: bool,
    expect_head: Option<&str>,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let expected = expect_head
        .map(|text| {
            crate::ledger::parse_head(text).ok_or_else(|| {
                anyhow!("expect-head: `{text}` is not a head (SEQ:HASH, as --print-head prints)")
            })
        })
        .transpose()?;
    let ledger = open_read(cli)?;
    let report = ledger.check_expecting(expected)?;
    if print_head && format != Format::Json && report.findings.is_empty() {
        writeln!(out, "{}", report.entry_chain_head)?;
        return Ok(ExitCode::SUCCESS);
    }
    if format == Format::Json {
        write_json(out, &report)?;
    } else {
        for finding in &report.findings {
            writeln!(out, "{}: {}", finding.area, display_text(&finding.message))?;
        }
        if report.more_findings > 0 {
            writeln!(out, "… and {} more findings", report.more_findings)?;
        }

        let verdict = if report.findings.is_empty() {
            "ok"
        } else {
            "FAILED"
        };
        writeln!(
            out,
            "check {verdict}: {} entries, {} lines, {} audit records, {} findings",
            report.entries,
            report.lines,
            report.audit_records,
            report.findings.len() + report.more_findings
        )?;
        for note in &report.information {
            writeln!(
                out,
                "information: {}: {}",
                note.area,
                display_text(&note.message)
            )?;
        }
    }
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Turns what a user types into an audit record key.
fn record_key(ledger: &Ledger, record: &str) -> Result<String> {
    let record = record.trim();
    if let Some((kind, key)) = record.split_once(':') {
        return Ok(match kind {
            "account" => format!("account:{}", account_arg(key)?),
            "journal" => format!("journal:{}", key.to_ascii_uppercase()),
            "party" => format!("party:{}", key.to_uppercase()),
            "entry" => format!("entry:{}", ledger.find_entry(key)?.id),
            _ => record.to_string(),
        });
    }
    if record == "company" {
        return Ok(record.to_string());
    }
    Ok(format!("entry:{}", ledger.find_entry(record)?.id))
}

fn log(cli: &Cli, record: &str, format: Format, out: &mut impl Write) -> Result<ExitCode> {
    let ledger = open_read(cli)?;
    let records = if record == "all" {
        ledger.recent_history(50)?
    } else {
        let key = record_key(&ledger, record)?;
        let history = ledger.history(&key)?;
        if history.is_empty() {
            bail!("no audit record names {}", echo(&key));
        }
        history
    };
    let mut rows = Rows::new(&[
        ("seq", Align::Right),
        ("at", Align::Left),
        ("user", Align::Left),
        ("action", Align::Left),
        ("detail", Align::Left),
    ]);
    for r in &records {
        rows.push(vec![
            r.seq.to_string(),
            r.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            r.user.clone(),
            r.action.clone(),
            r.detail.clone(),
        ]);
    }
    emit(format, &rows, &records, out)?;
    Ok(ExitCode::SUCCESS)
}
