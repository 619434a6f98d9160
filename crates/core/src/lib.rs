//! gongxin-core
