//! Ledger
