//! gongxin-ingest
