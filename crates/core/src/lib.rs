//! The pure domain of gongxin: what a credit record is, which items the catalog allows, how
//! every change becomes a link in a verifiable chain, and the time rules around them.
//!
//! Invariant: nothing in this crate performs I/O or reads the clock. Data files are embedded
//! with `include_str!`, and "now" is always a parameter. Storage, HTTP and file formats live in
//! the crates around this one.

pub mod access;
pub mod attachment;
pub mod calendar;
pub mod catalog;
pub mod discipline;
pub mod event;
pub mod listing;
pub mod name_match;
pub mod objection;
pub mod personal;
pub mod problem;
pub mod publication;
pub mod push;
pub mod record;
pub mod repair;
pub mod value;
