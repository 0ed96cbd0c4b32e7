//! The one run-once map of the crate: index pages, metadata and downloads, DNS lookups, and the
//! resolver's version maps and metadata all go through it.
//!
//! The rule: **the first caller for a key runs `init`; callers that arrive while it runs wait and
//! get the same outcome, success or failure; a success is kept for the life of the map, a
//! failure is forgotten once delivered, so the next caller runs `init` again.**
//!
//! Sharing a failure with the callers already waiting keeps "one request per key at a time" (a
//! dozen connections to one host make one DNS lookup, not a dozen in a row when it fails).
//! Forgetting it afterwards lets the HTTP layer's retry with backoff reach a fresh lookup or a
//! fresh request, as pip's retries do, instead of replaying a fault that may have passed.
//! Errors are shared, so `E` is cheap to clone: an `Arc` of the module's error.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

type Cell<V, E> = Arc<OnceCell<Result<V, E>>>;

pub(crate) struct OnceMap<K, V, E> {
    cells: Mutex<HashMap<K, Cell<V, E>>>,
}

impl<K, V, E> Default for OnceMap<K, V, E> {
    fn default() -> Self {
        Self {
            cells: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone, E: Clone> OnceMap<K, V, E> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The value of `key` when a run has already succeeded; never waits.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        let cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        cells.get(key)?.get()?.as_ref().ok().cloned()
    }

    /// The keys whose run succeeded.
    pub(crate) fn keys(&self) -> Vec<K> {
        let cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
        cells
            .iter()
            .filter(|(_, cell)| cell.get().is_some_and(Result::is_ok))
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// The value of `key`, running `init` when no run succeeded and none is under way.
    pub(crate) async fn get_or_try_init<F, Fut>(&self, key: K, init: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(cells.entry(key.clone()).or_default())
        };
        // A run dropped half-way (its caller was cancelled) hands over to the next waiter.
        let result = cell.get_or_init(init).await.clone();
        if result.is_err() {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            // Only this run's cell: a newer run for the key may have started already.
            if cells.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                cells.remove(&key);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_success_is_kept() {
        let map: OnceMap<u8, u8, ()> = OnceMap::new();
        let runs = AtomicUsize::new(0);
        for _ in 0..3 {
            let value = map
                .get_or_try_init(1, || async {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok(7)
                })
                .await;
            assert_eq!(value, Ok(7));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(map.get(&1), Some(7));
    }

    #[tokio::test]
    async fn a_failure_is_shared_with_waiters_then_forgotten() {
        let map: OnceMap<u8, u8, &str> = OnceMap::new();
        let runs = AtomicUsize::new(0);
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let first = map.get_or_try_init(1, || async {
            runs.fetch_add(1, Ordering::SeqCst);
            let _ = wait.await;
            Err("down")
        });
        let second = async {
            // Arrives while the first run is under way: waits for it, never runs its own.
            tokio::task::yield_now().await;
            map.get_or_try_init(1, || async {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(1)
            })
            .await
        };
        let opener = async {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            let _ = release.send(());
        };
        let (first, second, ()) = tokio::join!(first, second, opener);
        assert_eq!((first, second), (Err("down"), Err("down")));
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(map.get(&1), None);
        // Delivered, so forgotten: the next caller runs again.
        let again = map.get_or_try_init(1, || async { Ok(2) }).await;
        assert_eq!(again, Ok(2));
    }
}
