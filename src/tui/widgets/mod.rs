//! Pieces the screens are drawn with.

pub mod amount;
pub mod fuzzy;
pub mod input;
pub mod list;
pub mod overlay;
pub mod table;
pub mod text;
