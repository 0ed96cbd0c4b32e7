//! What the resolver needs from a PEP 517 frontend, as a trait the resolver owns (uv's
//! `BuildContext` in `uv-types` plays this part). The build module implements it; the resolver
//! never names the build module, which itself resolves build requirements with the resolver.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;
use miette::Diagnostic;

use crate::metadata::CoreMetadata;

/// Builds the metadata of sdists whose PKG-INFO cannot be trusted (PEP 643: metadata older than
/// 2.2, or `Requires-Dist` marked dynamic), as pip does by running the build backend.
pub(crate) trait MetadataBuilder: Send + Sync {
    /// The core metadata of the downloaded sdist at `sdist`; `sha256` is its hash (a cache
    /// key), `package` names it in messages (`name==1.0`).
    fn metadata_from_sdist<'a>(
        &'a self,
        sdist: &'a Path,
        sha256: &'a str,
        package: &'a str,
    ) -> BoxFuture<'a, Result<Arc<CoreMetadata>, BuildFailure>>;
}

/// A failed build as the builder reported it; the resolver passes it on untouched, so the user
/// sees the builder's own message, code, help and causes.
pub(crate) struct BuildFailure(Box<dyn Diagnostic + Send + Sync + 'static>);

impl BuildFailure {
    pub(crate) fn new(error: impl Diagnostic + Send + Sync + 'static) -> Self {
        Self(Box::new(error))
    }
}

impl fmt::Debug for BuildFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BuildFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for BuildFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl Diagnostic for BuildFailure {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.code()
    }

    fn severity(&self) -> Option<miette::Severity> {
        self.0.severity()
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.help()
    }

    fn url<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0.url()
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.0.labels()
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        self.0.related()
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.0.diagnostic_source()
    }
}
