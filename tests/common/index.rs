//! A hermetic package index: declarative specs, wheels and sdists built in memory, and a
//! loopback HTTP server speaking PEP 503 / 691 / 658 so every path of the index client is
//! exercised without the network.

mod build;
mod server;
mod spec;

pub use build::*;
pub use server::*;
pub use spec::*;
