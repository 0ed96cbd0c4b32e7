//! The sync engine, in three stages: **plan** ([`InstallPlan`]: the pins against what the
//! environment holds, read by [`SitePackages`]), **prepare** ([`Preparer`]: choose, download,
//! verify and build every wheel, touching nothing in the venv), **install** ([`apply`]:
//! uninstall by `RECORD`, then link wheels in with [`install_wheel`]). [`compile_bytecode`]
//! byte-compiles afterwards on request.
//!
//! Installing follows uv's shape: a wheel is validated and unpacked once into a cache, then
//! hard-linked (or reflinked, or copied) into each environment, so installing a cached wheel
//! costs one link per file.

mod checked;
mod compile;
mod error;
mod installer;
mod link;
mod lock;
mod pinned;
mod plan;
mod positioned;
mod prepare;
mod record;
mod scripts;
mod site_packages;
#[cfg(all(test, unix))]
mod tests;
mod uninstall;
mod wheel;

pub(crate) use compile::compile_bytecode;
pub(crate) use error::InstallError;
pub(crate) use installer::apply;
pub(crate) use link::{InstallOptions, install_wheel};
pub(crate) use lock::{EnvironmentLock, lock_environment, try_lock_environment};
pub(crate) use pinned::RememberedPins;
pub(crate) use plan::{DesiredDist, InstallPlan};
pub(crate) use prepare::{PrepareError, Prepared, Preparer, ResolvedSource};
pub(crate) use site_packages::{InstalledDist, SitePackages};
#[cfg(test)]
pub(crate) use uninstall::uninstall;
/// For the fuzz targets (`crate::fuzz`, and `fuzz/` which builds with `--cfg fuzzing`).
#[cfg(any(test, fuzzing))]
pub(crate) use wheel::unpack;
