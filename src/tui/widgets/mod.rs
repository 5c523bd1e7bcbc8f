//! Pieces the screens are drawn with.

pub mod amount;
pub mod fuzzy;
pub mod input;
pub mod overlay;
pub mod table;
