//! The hermetic index as `src/index/tests.rs` includes it, by path: pinion is a binary crate, so
//! its index client is tested from inside against the same server the integration tests use.
//!
//! Only that inclusion reads this file; the integration tests include `support.rs` (TestContext,
//! pinion_snapshot! and this index). The allow below is for that one inclusion, where what only
//! the integration tests use (scenarios, built files, find-links folders, ...) is dead or
//! re-exported unused; it reaches no integration test, whose dead code still warns.
#![allow(dead_code, unused_imports)]

pub mod index;

pub use index::*;
