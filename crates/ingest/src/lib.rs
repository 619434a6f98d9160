//! gongxin-ingest

pub mod bind;
pub mod generate;
pub mod import;
pub mod name_variants;
pub mod read;
