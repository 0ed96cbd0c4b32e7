use std::fmt;

use pep508_rs::{ExtraName, PackageName};

/// A node of the resolution graph as pubgrub sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ResolverPackage {
    /// The user's requirements.
    Root,
    /// The target Python; every release depends on it within its Requires-Python so that a
    /// conflict explains itself.
    Python,
    /// A real package.
    Package(PackageName),
    /// `name[extra]`: depends on `name` at the same version plus the extra's requirements.
    Extra(PackageName, ExtraName),
}

impl ResolverPackage {
    pub(crate) fn name(&self) -> Option<&PackageName> {
        match self {
            Self::Package(name) | Self::Extra(name, _) => Some(name),
            Self::Root | Self::Python => None,
        }
    }
}

impl fmt::Display for ResolverPackage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => f.write_str("your requirements"),
            Self::Python => f.write_str("Python"),
            Self::Package(name) => write!(f, "{name}"),
            Self::Extra(name, extra) => write!(f, "{name}[{extra}]"),
        }
    }
}
