//! What the integration tests share: [`TestContext`] (a project, its cache, a venv, the local
//! index, and `pinion` commands built the way a user types them), [`pinion_snapshot!`] with its
//! [`Filters`], and the hermetic index of [`index`].
//!
//! Each test binary declares `pub mod common;`, so this is its public API, as
//! cargo-test-support's is a library's: an item only some binaries use is not dead in the
//! others, while a private helper nothing calls still is.

pub mod context;
pub mod index;
pub mod snapshot;

pub use context::TestContext;
pub use index::*;
pub use snapshot::{Filters, render, run_and_render};
