//! One module per subcommand.

pub mod backup;
pub mod bench;
pub mod bench_federate;
pub mod bench_screen;
pub mod bench_serve;
pub mod catalog;
pub mod code;
pub mod demo;
pub mod federate;
pub mod generate;
pub mod import;
pub mod keys;
pub mod reindex;
pub mod screen;
pub mod serve;
pub mod subject;
pub mod verify;
