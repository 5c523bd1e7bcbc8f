//! Folio: double-entry bookkeeping for French accounting practice.
//!
//! Layers (see DESIGN.md): `model` is the vocabulary; `formats` and `reports` are pure logic
//! over it; `ledger` is the only module that touches redb; `cli` is the command-line face and
//! `tui` the full-screen one.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod cli;
pub mod demo;
pub mod fixtures;
pub mod formats;
pub mod ledger;
pub mod lettering;
pub mod matching;
pub mod model;
pub mod posting;
pub mod query;
pub mod reconcile;
pub mod reports;
pub mod settlement;
pub mod tui;
pub mod vat;
