//! The universe of a universal lockfile (`compile --universal`): every platform and every
//! Python from a lower bound up, possibly limited by `--environment` markers. It is a
//! [`MarkerTree`]; `check` stands it for a grid of concrete marker environments (Linux, macOS,
//! Windows; x86_64 and arm64; every CPython minor up to [`MAX_PYTHON_MINOR`]), in each of which
//! pins and inputs are evaluated as for a single target.

use std::str::FromStr;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder, MarkerTree};

/// The newest CPython minor the grid covers.
pub(crate) const MAX_PYTHON_MINOR: u64 = 14;

/// The patch releases tried for a minor when `.0` is outside the universe
/// (`python_full_version >= '3.10.1'`).
const MAX_PATCH: u64 = 30;

/// The universe's marker: `python_full_version >= python_min` and one of `environments` (all
/// environments when empty). An environment that is not a marker is an error naming it.
pub(crate) fn universe_marker(
    python_min: &str,
    environments: &[String],
) -> Result<MarkerTree, String> {
    let python = format!("python_full_version >= '{python_min}'");
    let mut universe = MarkerTree::from_str(&python).map_err(|e| format!("`{python}`: {e}"))?;
    if !environments.is_empty() {
        let mut any = MarkerTree::FALSE;
        for environment in environments {
            let marker = MarkerTree::from_str(environment)
                .map_err(|e| format!("`{environment}` is not a marker: {e}"))?;
            any.or(marker);
        }
        universe.and(any);
    }
    Ok(universe)
}

/// One concrete environment of the grid.
#[derive(Debug, Clone)]
pub(crate) struct GridEnvironment {
    /// `windows-arm64, Python 3.11`.
    pub(crate) label: String,
    pub(crate) markers: MarkerEnvironment,
}

/// The operating systems and architectures of the grid: a label and the markers CPython
/// reports there (`os_name`, `sys_platform`, `platform_system`, `platform_machine`).
const PLATFORMS: [(&str, [&str; 4]); 6] = [
    ("linux-x86_64", ["posix", "linux", "Linux", "x86_64"]),
    ("linux-aarch64", ["posix", "linux", "Linux", "aarch64"]),
    ("macos-x86_64", ["posix", "darwin", "Darwin", "x86_64"]),
    ("macos-arm64", ["posix", "darwin", "Darwin", "arm64"]),
    ("windows-amd64", ["nt", "win32", "Windows", "AMD64"]),
    ("windows-arm64", ["nt", "win32", "Windows", "ARM64"]),
];

/// Every grid environment inside `universe`: per platform and CPython 3 minor, the lowest
/// patch release the universe holds.
pub(crate) fn grid(universe: &MarkerTree) -> Vec<GridEnvironment> {
    let mut grid = Vec::new();
    for (label, [os_name, sys_platform, platform_system, machine]) in PLATFORMS {
        for minor in 0..=MAX_PYTHON_MINOR {
            let found = (0..=MAX_PATCH).find_map(|patch| {
                let version = format!("3.{minor}");
                let full = format!("3.{minor}.{patch}");
                let markers = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
                    implementation_name: "cpython",
                    implementation_version: &full,
                    os_name,
                    platform_machine: machine,
                    platform_python_implementation: "CPython",
                    platform_release: "",
                    platform_system,
                    platform_version: "",
                    python_full_version: &full,
                    python_version: &version,
                    sys_platform,
                })
                .expect("digits and dots are a version");
                universe.evaluate(&markers, &[]).then_some(markers)
            });
            if let Some(markers) = found {
                grid.push(GridEnvironment {
                    label: format!("{label}, Python 3.{minor}"),
                    markers,
                });
            }
        }
    }
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(universe: &MarkerTree) -> Vec<String> {
        grid(universe).into_iter().map(|e| e.label).collect()
    }

    #[test]
    fn every_platform_and_minor_from_the_lower_bound() {
        let universe = universe_marker("3.12", &[]).unwrap();
        let labels = labels(&universe);
        assert_eq!(labels.len(), 6 * 3);
        assert!(labels.contains(&"linux-x86_64, Python 3.12".to_string()));
        assert!(labels.contains(&"windows-arm64, Python 3.14".to_string()));
        assert!(!labels.iter().any(|l| l.ends_with("3.11")));
    }

    #[test]
    fn a_patch_lower_bound_keeps_its_minor() {
        let universe = universe_marker("3.10.1", &[]).unwrap();
        let grid = grid(&universe);
        let first = grid.iter().find(|e| e.label.ends_with("3.10")).unwrap();
        assert_eq!(first.markers.python_full_version().to_string(), "3.10.1");
    }

    #[test]
    fn environments_limit_the_grid() {
        let environments = ["sys_platform == 'win32'".to_string()];
        let universe = universe_marker("3.13", &environments).unwrap();
        assert_eq!(
            labels(&universe),
            [
                "windows-amd64, Python 3.13",
                "windows-amd64, Python 3.14",
                "windows-arm64, Python 3.13",
                "windows-arm64, Python 3.14"
            ]
        );
        assert!(universe_marker("3.13", &["nonsense ==".to_string()]).is_err());
    }
}
