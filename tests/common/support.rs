//! What the integration tests share: [`TestContext`] (a project, its cache, a venv, the local
//! index, and `pinion` commands built the way a user types them), [`pinion_snapshot!`] with its
//! [`Filters`], and the hermetic index of [`index`].
//!
//! Each test binary includes it as its public module `common`:
//!
//! ```ignore
//! #[path = "common/support.rs"]
//! pub mod common;
//! ```
//!
//! so this is its public API, as cargo-test-support's is a library's: an item only some binaries
//! use is not dead in the others, while a private helper nothing calls still is. (`mod.rs` beside
//! it is the index alone, for `src/index/tests.rs`.)

pub mod context;
pub mod index;
pub mod snapshot;
pub mod universal;

pub use context::TestContext;
pub use index::*;
pub use snapshot::{Filters, render, run_and_render};

/// The resolver conformance scenarios (`../shared/scenarios`, packse format): the folder named by
/// PINION_SCENARIOS, which must exist and hold something (a wrong path fails the test loudly);
/// unset, the shared folder beside the repository. None, after a loud warning on stderr, when
/// that default is missing too: the caller skips.
pub fn scenarios_dir() -> Option<std::path::PathBuf> {
    let is_empty = |dir: &std::path::Path| {
        std::fs::read_dir(dir).map_or(true, |mut entries| entries.next().is_none())
    };
    if let Some(dir) = std::env::var_os("PINION_SCENARIOS") {
        let dir = std::path::PathBuf::from(dir);
        assert!(
            dir.is_dir() && !is_empty(&dir),
            "PINION_SCENARIOS={} is not a folder of scenarios",
            dir.display()
        );
        return Some(dir);
    }
    let default = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/scenarios");
    if default.is_dir() && !is_empty(&default) {
        return Some(default);
    }
    eprintln!(
        "\n\
         ************************************************************************\n\
         WARNING: conformance scenarios SKIPPED: PINION_SCENARIOS is not set and\n\
         {} is missing or empty\n\
         ************************************************************************\n",
        default.display()
    );
    None
}
