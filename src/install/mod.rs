//! The sync engine's local half: read what an environment holds ([`SitePackages`]), plan
//! against the pins ([`InstallPlan`]), install wheel files ([`install_wheel`], or split into
//! [`unpack_to_cache`] and [`link_into`]), uninstall by `RECORD` ([`uninstall`]) and
//! byte-compile ([`compile_bytecode`]). Downloading is the index client's job: this module only
//! sees wheel files on disk.
//!
//! Installing follows uv's shape: a wheel is validated and unpacked once into a cache, then
//! hard-linked (or reflinked, or copied) into each environment, so installing a cached wheel
//! costs one link per file.

mod compile;
mod error;
mod link;
mod plan;
mod record;
mod scripts;
mod site_packages;
#[cfg(all(test, unix))]
mod tests;
mod uninstall;
mod wheel;

pub(crate) use compile::compile_bytecode;
pub(crate) use error::InstallError;
pub(crate) use link::{InstallOptions, install_wheel};
pub(crate) use plan::{DesiredDist, InstallPlan};
pub(crate) use site_packages::{InstalledDist, SitePackages};
pub(crate) use uninstall::uninstall;
// The two halves of `install_wheel`: the prepare stage unpacks ahead, the install stage links.
#[allow(unused_imports)] // used by the prepare stage (issue 11)
pub(crate) use link::link_into;
#[allow(unused_imports)] // used by the prepare stage (issue 11)
pub(crate) use wheel::unpack_to_cache;
