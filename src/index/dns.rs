//! Name resolution for the HTTP client: one lookup per host per process, hedged.
//!
//! glibc sends the A and AAAA queries of a lookup in parallel, and some resolvers (NAT and
//! conntrack setups) drop one of them: the lookup then waits out resolv.conf's 5 s timeout.
//! A cold compile opens a dozen connections at once, so one such lookup stalled it for 5 s in
//! about half the runs. One lookup per host, and a second one started when the first is slow,
//! keep the stall under the hedge delay.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::OnceMap;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// A failed lookup, shared by the connections that waited for it.
type SharedError = Arc<dyn std::error::Error + Send + Sync>;

/// A lookup still running after this gets a twin; whichever answers first wins.
const HEDGE_AFTER: Duration = Duration::from_millis(250);

/// The resolver the HTTP client is built with.
///
/// A failed lookup is shared with the connections waiting for it, then forgotten (the
/// [`OnceMap`] rule), so that the HTTP layer's retry looks the host up again.
#[derive(Default)]
pub(crate) struct HedgedResolver {
    hosts: Arc<OnceMap<String, Vec<SocketAddr>, SharedError>>,
}

impl Resolve for HedgedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        let hosts = Arc::clone(&self.hosts);
        Box::pin(async move {
            let addrs = hosts
                .get_or_try_init(host.clone(), || async {
                    lookup(host).await.map_err(SharedError::from)
                })
                .await
                .map_err(|err| Box::new(err) as BoxError)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

async fn lookup(host: String) -> Result<Vec<SocketAddr>, BoxError> {
    let first = getaddrinfo(host.clone());
    tokio::pin!(first);
    tokio::select! {
        result = &mut first => return result,
        () = tokio::time::sleep(HEDGE_AFTER) => {}
    }
    tracing::debug!("looking up `{host}` again: the first lookup is slow");
    let second = getaddrinfo(host);
    tokio::pin!(second);
    // The first answer wins, unless it is a failure and the other may still succeed.
    tokio::select! {
        result = &mut first => match result {
            Ok(addrs) if !addrs.is_empty() => Ok(addrs),
            _ => second.await,
        },
        result = &mut second => match result {
            Ok(addrs) if !addrs.is_empty() => Ok(addrs),
            _ => first.await,
        },
    }
}

/// The system's resolver (the port is the connector's to set).
async fn getaddrinfo(host: String) -> Result<Vec<SocketAddr>, BoxError> {
    let addrs = tokio::task::spawn_blocking(move || {
        (host.as_str(), 0).to_socket_addrs().map(Iterator::collect)
    })
    .await??;
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resolves_loopback_once_per_host() {
        let resolver = HedgedResolver::default();
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = resolver.resolve(name).await.unwrap().collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
        assert!(resolver.hosts.get(&"localhost".to_string()).is_some());
    }
}
