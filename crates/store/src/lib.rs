//! gongxin-store
