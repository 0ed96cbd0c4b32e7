//! Helpers shared by the integration tests (each test binary includes this with `mod common;`).
#![allow(dead_code, unused_imports)]

pub mod cmd;
pub mod index;

pub use cmd::*;
pub use index::*;
