use super::*;

fn bal(account: &str, cents: i64) -> AccountBalance {
    AccountBalance {
        account: AccountNumber::parse(account).unwrap(),
        label: format!("Compte {account}"),
        balance: Amount::from_cents(cents),
    }
}

/// Splits balances into the balance-sheet and income parts, as the ledger does.
fn books(year: &str, rows: &[(&str, i64)]) -> YearBooks {
    let all: Vec<AccountBalance> = rows.iter().map(|(a, c)| bal(a, *c)).collect();
    let total: i64 = rows.iter().map(|(_, c)| c).sum();
    assert_eq!(total, 0, "hand-made books must balance");
    YearBooks {
        year: year.into(),
        balance_sheet: all
            .iter()
            .filter(|r| !r.account.is_income_statement())
            .cloned()
            .collect(),
        income: all
            .iter()
            .filter(|r| r.account.is_income_statement())
            .cloned()
            .collect(),
        earlier_result: Amount::ZERO,
    }
}

fn line<'a>(s: &'a Statement, code: &str) -> &'a StatementLine {
    s.lines
        .iter()
        .find(|l| l.rubrique == code)
        .unwrap_or_else(|| panic!("no rubrique {code}"))
}

fn cents(a: Amount) -> i64 {
    a.cents()
}

/// Capital 10 000 in the bank, equipment 6 000 less 1 200 amortisation, a customer owing
/// 2 400, a supplier owed 1 800, VAT: 400 collected, 300 deductible; sales 2 000, purchases
/// 1 500, amortisation 1 200: a loss of 700.
fn year_2026() -> YearBooks {
    books(
        "2026",
        &[
            ("101", -1_000_000),
            ("2183", 600_000),
            ("28183", -120_000),
            ("411", 240_000),
            ("401", -180_000),
            ("44571", -40_000),
            ("44566", 30_000),
            ("512", 400_000),
            ("706", -200_000),
            ("607", 150_000),
            ("6811", 120_000),
        ],
    )
}

#[test]
fn the_pcg_mapping_loads_and_every_class_of_accounts_has_a_place() {
    let mapping = Mapping::pcg().unwrap();
    for (account, balance, rubrique) in [
        ("512", 1, "disponibilites"),
        ("512", -1, "emprunts_credit"),
        ("519", 1, "emprunts_credit"),
        ("411", 1, "creances_clients"),
        ("411", -1, "avances_recues"),
        ("401", -1, "dettes_fournisseurs"),
        ("401", 1, "avances_versees"),
        ("404", -1, "dettes_immobilisations"),
        ("44566", -1, "autres_creances"),
        ("44571", 1, "dettes_fiscales_sociales"),
        ("44551", -1, "dettes_fiscales_sociales"),
        ("44567", 1, "autres_creances"),
        ("455", -1, "emprunts_divers"),
        ("455", 1, "autres_creances"),
        ("28183", -1, "immo_corporelles"),
        ("2801", -1, "immo_incorporelles"),
        ("391", -1, "stocks"),
        ("491", -1, "creances_clients"),
        ("486", 1, "charges_constatees_avance"),
        ("487", -1, "produits_constates_avance"),
        ("120", -1, "resultat"),
        ("129", 1, "resultat"),
        ("110", -1, "report_a_nouveau"),
        ("119", 1, "report_a_nouveau"),
        ("471", 1, "autres_creances"),
        ("471", -1, "autres_dettes"),
    ] {
        let at = mapping
            .place(
                StatementKind::BalanceSheet,
                AccountNumber::parse(account).unwrap().as_str(),
                Amount::from_cents(balance),
            )
            .unwrap_or_else(|| panic!("{account} {balance} unplaced"));
        assert_eq!(
            mapping.rubriques()[at].code,
            rubrique,
            "{account} {balance}"
        );
    }
    for (account, rubrique) in [
        ("607", "achats_marchandises"),
        ("6037", "variation_marchandises"),
        ("606", "autres_achats_externes"),
        ("645", "charges_sociales"),
        ("641", "salaires"),
        ("6811", "dotations_exploitation"),
        ("661", "interets"),
        ("6865", "dotations_financieres"),
        ("671", "exceptionnel_gestion_charges"),
        ("691", "participation"),
        ("695", "impots_benefices"),
        ("706", "production_vendue"),
        ("707", "ventes_marchandises"),
        ("709", "production_vendue"),
        ("758", "autres_produits"),
        ("765", "autres_interets"),
        ("7815", "reprises_exploitation"),
        ("7865", "reprises_financieres"),
        ("775", "exceptionnel_capital_produits"),
    ] {
        let at = mapping
            .place(
                StatementKind::Income,
                AccountNumber::parse(account).unwrap().as_str(),
                Amount::from_cents(1),
            )
            .unwrap();
        assert_eq!(mapping.rubriques()[at].code, rubrique, "{account}");
    }
}

#[test]
fn a_balance_sheet_ties_with_the_result_in_the_passif_and_the_amortisation_deducted() {
    let mapping = Mapping::pcg().unwrap();
    let s = build(
        &mapping,
        StatementKind::BalanceSheet,
        &year_2026(),
        None,
        false,
    )
    .unwrap();
    assert!(s.ties(), "{:#?}", s.totals);
    let immo = line(&s, "immo_corporelles");
    assert_eq!(cents(immo.amount), 480_000);
    assert_eq!(immo.gross.map(cents), Some(600_000));
    assert_eq!(immo.depreciation.map(cents), Some(120_000));
    assert_eq!(cents(line(&s, "creances_clients").amount), 240_000);
    assert_eq!(cents(line(&s, "autres_creances").amount), 30_000);
    assert_eq!(cents(line(&s, "disponibilites").amount), 400_000);
    assert_eq!(cents(line(&s, "capital").amount), 1_000_000);
    assert_eq!(cents(line(&s, "dettes_fournisseurs").amount), 180_000);
    assert_eq!(cents(line(&s, "dettes_fiscales_sociales").amount), 40_000);
    // A loss of 700: 2 000 of sales less 1 500 of purchases and 1 200 of amortisation.
    assert_eq!(cents(s.result), -70_000);
    assert_eq!(cents(line(&s, "resultat").amount), -70_000);
    assert_eq!(cents(s.total(Side::Actif).amount), 1_150_000);
    assert_eq!(s.total(Side::Actif).previous, None);
    assert!(s.unmapped.is_empty());
    assert!(s.notes.is_empty(), "{:?}", s.notes);
}

#[test]
fn an_income_statement_gives_the_result_with_its_sign() {
    let mapping = Mapping::pcg().unwrap();
    let s = build(&mapping, StatementKind::Income, &year_2026(), None, false).unwrap();
    assert!(s.ties());
    assert_eq!(cents(line(&s, "production_vendue").amount), 200_000);
    assert_eq!(cents(line(&s, "achats_marchandises").amount), 150_000);
    assert_eq!(cents(line(&s, "dotations_exploitation").amount), 120_000);
    assert_eq!(cents(s.total(Side::Charges).amount), 270_000);
    assert_eq!(cents(s.total(Side::Produits).amount), 200_000);
    assert_eq!(cents(s.result), -70_000);
    // A profit reads positive.
    let profit = books(
        "2026",
        &[("512", 50_000), ("706", -80_000), ("606", 30_000)],
    );
    let s = build(&mapping, StatementKind::Income, &profit, None, false).unwrap();
    assert_eq!(cents(s.result), 50_000);
    let sheet = build(&mapping, StatementKind::BalanceSheet, &profit, None, false).unwrap();
    assert_eq!(cents(line(&sheet, "resultat").amount), 50_000);
    assert!(sheet.ties());
}

#[test]
fn accounts_that_change_side_go_where_their_balance_says_each_year() {
    let mapping = Mapping::pcg().unwrap();
    // 2025: the bank overdrawn, a customer who paid in advance. 2026: the other way round.
    let before = books(
        "2025",
        &[
            ("512", -30_000),
            ("411", -10_000),
            ("101", -60_000),
            ("2183", 100_000),
        ],
    );
    let now = books(
        "2026",
        &[
            ("512", 40_000),
            ("411", 20_000),
            ("101", -60_000),
            ("706", 0),
            ("2183", 0),
        ],
    );
    let s = build(
        &mapping,
        StatementKind::BalanceSheet,
        &now,
        Some(&before),
        false,
    )
    .unwrap();
    assert!(s.ties(), "{:#?}", s.totals);
    let dispo = line(&s, "disponibilites");
    assert_eq!(
        (cents(dispo.amount), dispo.previous.map(cents)),
        (40_000, Some(0))
    );
    let bank = line(&s, "emprunts_credit");
    assert_eq!(
        (cents(bank.amount), bank.previous.map(cents)),
        (0, Some(30_000))
    );
    let clients = line(&s, "creances_clients");
    assert_eq!(cents(clients.amount), 20_000);
    let advances = line(&s, "avances_recues");
    assert_eq!(advances.previous.map(cents), Some(10_000));
    assert_eq!(s.total(Side::Passif).previous.map(cents), Some(100_000));
    // The bank account is listed under both rubriques, each with its year.
    assert_eq!(bank.accounts.len(), 1);
    assert_eq!(cents(bank.accounts[0].previous), 30_000);
    assert_eq!(cents(bank.accounts[0].amount), 0);
}

#[test]
fn vat_accounts_stay_on_their_side_whatever_their_balance() {
    let mapping = Mapping::pcg().unwrap();
    // Deductible VAT with a credit balance (a credit note) stays in the actif, deducted.
    let b = books(
        "2026",
        &[("44566", -5_000), ("44571", 2_000), ("512", 3_000)],
    );
    let s = build(&mapping, StatementKind::BalanceSheet, &b, None, false).unwrap();
    assert_eq!(cents(line(&s, "autres_creances").amount), -5_000);
    assert_eq!(cents(line(&s, "dettes_fiscales_sociales").amount), -2_000);
    assert!(s.ties());
}

#[test]
fn an_unmapped_account_is_reported_and_still_counted() {
    let mapping = Mapping::parse(
        "mine.csv",
        "side,section,rubrique,label,abridged,abridged_label,accounts\n\
         actif,A,dispo,Disponibilités,dispo,Disponibilités,512\n\
         passif,P,capital,Capital,capital,Capital,101\n\
         passif,P,resultat,Résultat,resultat,Résultat,12 =result\n\
         charges,C,achats,Achats,achats,Achats,60\n\
         produits,P,ventes,Ventes,ventes,Ventes,70\n",
    )
    .unwrap();
    let b = books(
        "2026",
        &[
            ("512", 10_000),
            ("411", 5_000),
            ("101", -12_000),
            ("706", -4_000),
            ("623", 1_000),
        ],
    );
    let s = build(&mapping, StatementKind::BalanceSheet, &b, None, false).unwrap();
    assert!(s.ties());
    let other = line(&s, UNMAPPED_RUBRIQUE);
    assert_eq!(other.side, Side::Actif);
    assert_eq!(cents(other.amount), 5_000);
    assert_eq!(s.unmapped.len(), 1);
    assert_eq!(s.unmapped[0].account.as_str(), "411000");
    assert!(
        s.notes.iter().any(|n| n.contains("411000")),
        "{:?}",
        s.notes
    );
    let i = build(&mapping, StatementKind::Income, &b, None, false).unwrap();
    assert!(i.ties());
    assert_eq!(i.unmapped[0].account.as_str(), "623000");
    assert_eq!(cents(line(&i, UNMAPPED_RUBRIQUE).amount), 1_000);
    assert_eq!(cents(i.result), 3_000);
}

#[test]
fn the_abridged_layout_sums_rubriques_and_keeps_the_totals() {
    let mapping = Mapping::pcg().unwrap();
    let full = build(
        &mapping,
        StatementKind::BalanceSheet,
        &year_2026(),
        None,
        false,
    )
    .unwrap();
    let short = build(
        &mapping,
        StatementKind::BalanceSheet,
        &year_2026(),
        None,
        true,
    )
    .unwrap();
    assert_eq!(full.totals, short.totals);
    assert!(short.lines.len() < full.lines.len());
    // Tax and social debts are "autres dettes" in the abridged layout.
    assert_eq!(cents(line(&short, "autres_dettes").amount), 40_000);
    assert_eq!(cents(line(&short, "creances").amount), 270_000);
}

#[test]
fn earlier_results_still_in_12x_are_in_the_passif_and_said() {
    let mapping = Mapping::pcg().unwrap();
    // The 2025 profit of 500 came back in 120 with the opening entry; 2026 made 300.
    let b = books(
        "2026",
        &[("512", 80_000), ("120", -50_000), ("706", -30_000)],
    );
    let s = build(&mapping, StatementKind::BalanceSheet, &b, None, false).unwrap();
    assert!(s.ties());
    assert_eq!(cents(s.result), 30_000);
    assert_eq!(cents(line(&s, "resultat").amount), 80_000);
    assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
}

#[test]
fn mapping_errors_name_the_line_and_field() {
    let head = "side,section,rubrique,label,abridged,abridged_label,accounts\n";
    let ok_rest = "passif,P,r,R,r,R,12 =result\ncharges,C,c,C,c,C,6\nproduits,P,p,P,p,P,7\n";
    for (rows, line, field) in [
        ("actif,A,a,A,a,A,51x\n", 2, "accounts"),
        ("actif,A,a,A,a,A,6\n", 2, "accounts"),
        ("débit,A,a,A,a,A,51\n", 2, "side"),
        ("actif,A,a,A,a,A,51 51:D\n", 2, "accounts"),
        ("actif,A,a,A,a,A,51:X\n", 2, "accounts"),
        ("actif,A,TOTAL,A,a,A,51\n", 2, "rubrique"),
        ("actif,A,a,,a,A,51\n", 2, "label"),
        ("actif,A,a,A,a,A,51\nactif,A,a,B,b,B,53\n", 3, "rubrique"),
        (
            "actif,A,a,A,x,X,51\nactif,A,b,B,x,Y,53\n",
            3,
            "abridged_label",
        ),
        ("actif,A,a,A,a,A,51 =result\n", 2, "accounts"),
    ] {
        let text = format!("{head}{rows}{ok_rest}");
        let err = Mapping::parse("m.csv", &text).unwrap_err();
        assert_eq!(
            (err.line, err.field.as_str()),
            (line, field),
            "{rows}: {err}"
        );
        assert!(err.to_string().starts_with("m.csv: line"), "{err}");
    }
    let err = Mapping::parse("m.csv", "side,rubrique\n").unwrap_err();
    assert_eq!(err.field, "header");
    // Comments before the header are skipped, and counted in line numbers.
    let err = Mapping::parse(
        "m.csv",
        &format!("# mine\n{head}actif,A,a,A,a,A,9\n{ok_rest}"),
    )
    .unwrap_err();
    assert_eq!(err.line, 3);
    assert!(Mapping::parse("m.csv", &format!("{head}actif,A,a,A,a,A,51 51:D\n")).is_err());
    // Debit and credit rules on one prefix do not overlap.
    assert!(Mapping::parse("m.csv", &format!("{head}actif,A,a,A,a,A,51:D\n{ok_rest}")).is_ok());
}
