//! The install stage of a sync: with every wheel prepared and verified, remove what goes and
//! link in what comes. The only stage that writes to the venv.

use std::sync::Mutex;

use super::prepare::Prepared;
use super::{InstallError, InstallOptions, InstallPlan, InstalledDist, install_wheel, uninstall};
use crate::python::Interpreter;

/// Apply `plan` with the prepared `wheels`: uninstall what is removed or replaced, then install
/// on a few threads (packages are independent once downloaded). `progress` is called once per
/// installed wheel.
pub(crate) fn apply(
    plan: &InstallPlan,
    wheels: &[Prepared],
    interpreter: &Interpreter,
    options: &InstallOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<InstalledDist>, InstallError> {
    for dist in plan
        .remove
        .iter()
        .chain(plan.upgrade.iter().map(|(old, _)| old))
        .chain(plan.downgrade.iter().map(|(old, _)| old))
    {
        uninstall(dist, interpreter)?;
    }
    let queue = Mutex::new(wheels.iter());
    let results = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(wheels.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
                    let Some(prepared) = next else { break };
                    let options = InstallOptions {
                        direct_url: prepared.direct_url.clone(),
                        ..options.clone()
                    };
                    let result = install_wheel(&prepared.wheel, interpreter, &options);
                    progress();
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .collect()
}
