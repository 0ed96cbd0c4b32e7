//! One sync at a time per environment: an exclusive advisory lock (flock) on the environment's
//! prefix folder itself, so that taking it writes nothing into the venv. The lock is released
//! when the process ends, however it ends, so a killed sync never leaves it held.

use std::fs::{File, TryLockError};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::InstallError;
use crate::python::Interpreter;

/// How long a sync waits for another one before giving up: `PINION_LOCK_TIMEOUT` seconds, else
/// five minutes (a cold sync of a large environment takes well under that).
fn timeout() -> Duration {
    std::env::var("PINION_LOCK_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(300), Duration::from_secs)
}

/// The held lock; dropping it releases it.
#[must_use = "the environment is unlocked when this is dropped"]
pub(crate) struct EnvironmentLock {
    _file: File,
}

/// Take the environment's lock if no other sync holds it; None when one does.
pub(crate) fn try_lock_environment(
    interpreter: &Interpreter,
) -> Result<Option<EnvironmentLock>, InstallError> {
    let path = &interpreter.prefix;
    let file = File::open(path).map_err(InstallError::io("open", path))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(EnvironmentLock { _file: file })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(source)) => Err(InstallError::io("lock", path)(source)),
    }
}

/// Take the environment's lock, waiting for another sync (saying so on stderr unless `quiet`).
pub(crate) fn lock_environment(
    interpreter: &Interpreter,
    quiet: bool,
) -> Result<EnvironmentLock, InstallError> {
    let path: PathBuf = interpreter.prefix.clone();
    let file = File::open(&path).map_err(InstallError::io("open", &path))?;
    let started = Instant::now();
    let limit = timeout();
    let mut said = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(EnvironmentLock { _file: file }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(source)) => {
                return Err(InstallError::io("lock", &path)(source));
            }
        }
        if !said && !quiet {
            eprintln!(
                "Waiting for another sync of `{}` to finish",
                interpreter.prefix.display()
            );
            said = true;
        }
        if started.elapsed() >= limit {
            return Err(InstallError::LockTimeout {
                path,
                waited: limit.as_secs(),
            });
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
