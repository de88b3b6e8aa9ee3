//! Geometry: where each part of the screen goes and how many rows text
//! takes at a given width.
//!
//! The update function measures with it (scrolling counts lines, a click
//! finds its room) and the view draws with it, so the two always agree.
//! It is a leaf: it knows rectangles, widths and text, never the state
//! ([`crate::app`]) nor how anything is styled ([`crate::view`]).

pub mod layout;
pub mod timeline;
pub mod wrap;
