//! The install stage of a sync: with every wheel prepared and verified, remove what goes and
//! link in what comes. The only stage that writes to the venv.

use std::sync::Mutex;

use super::link::{LinkPlan, prepare_wheel};
use super::prepare::Prepared;
use super::{InstallError, InstallOptions, InstallPlan, InstalledDist, SitePackages, uninstall};
use crate::python::Interpreter;

/// Apply `plan` with the prepared `wheels` to the environment whose distributions are
/// `installed`. First every wheel is unpacked (or found in the cache, re-verified in
/// hash-checking mode) and its install planned and checked against the environment, and every
/// uninstall planned: a refusal leaves the venv unchanged. Then what goes is removed, and the
/// wheels are linked in on a few threads (packages are independent once prepared). `progress`
/// is called once per installed wheel.
pub(crate) fn apply(
    plan: &InstallPlan,
    wheels: &[Prepared],
    installed: &SitePackages,
    interpreter: &Interpreter,
    options: &InstallOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<InstalledDist>, InstallError> {
    let links = in_parallel(wheels, |prepared| {
        let options = InstallOptions {
            direct_url: prepared.direct_url.clone(),
            first_use: prepared.first_use,
            ..options.clone()
        };
        prepare_wheel(
            &prepared.wheel,
            prepared.sha256.as_deref(),
            interpreter,
            &options,
            installed,
        )
    })
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    let uninstalls = plan
        .remove
        .iter()
        .chain(plan.upgrade.iter().map(|(old, _)| old))
        .chain(plan.downgrade.iter().map(|(old, _)| old))
        .map(|dist| uninstall::plan(dist, interpreter))
        .collect::<Result<Vec<_>, _>>()?;
    for uninstall in uninstalls {
        uninstall.apply(interpreter)?;
    }
    let links: Vec<std::sync::Mutex<Option<LinkPlan>>> = links
        .into_iter()
        .map(|link| std::sync::Mutex::new(Some(link)))
        .collect();
    in_parallel(&links, |slot| {
        let link = slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        let result = link.map(LinkPlan::apply);
        progress();
        result
    })
    .into_iter()
    .flatten()
    .collect()
}

/// `work` on every item, on as many threads as there are cores; results in no set order.
fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let queue = Mutex::new(items.iter());
    let results = Mutex::new(Vec::with_capacity(items.len()));
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(items.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some(item) = next else { break };
                    let result = work(item);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(result);
                }
            });
        }
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner())
}
