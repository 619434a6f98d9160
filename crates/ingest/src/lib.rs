//! gongxin-ingest

pub mod bind;
pub mod generate;
pub mod import;
pub mod read;
