//! What a sync must do: the lockfile's pins against the installed distributions.

use std::collections::HashSet;
use std::fmt::Write;

use pep440_rs::Version;
use pep508_rs::PackageName;

use super::{InstalledDist, SitePackages};

/// One desired pin (from the lockfiles, markers already evaluated by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DesiredDist {
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    /// A direct requirement of the project: its install gets a `REQUESTED` file.
    pub(crate) requested: bool,
    /// PEP 610 `direct_url.json` of a direct reference or editable; None for an index pin.
    pub(crate) direct_url: Option<serde_json::Value>,
}

/// Whether `have` was installed from where `want` comes from: an index pin must not replace a
/// local or editable install of the same version silently, nor the other way round.
fn same_source(have: &InstalledDist, want: &DesiredDist) -> bool {
    let (have, want) = match (&have.direct_url, &want.direct_url) {
        (None, None) => return true,
        (Some(have), Some(want)) => (have, want),
        _ => return false,
    };
    let field = |v: &serde_json::Value, path: &[&str]| {
        path.iter()
            .try_fold(v, |v, key| v.get(key))
            .cloned()
            .unwrap_or(serde_json::Value::Null)
    };
    [
        &["url"][..],
        &["dir_info", "editable"],
        &["vcs_info", "commit_id"],
    ]
    .iter()
    .all(|path| field(have, path) == field(want, path))
}

/// The difference between an environment and the pins, each list sorted by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct InstallPlan {
    /// Pinned, not installed.
    pub(crate) install: Vec<DesiredDist>,
    /// Installed at a lower version than pinned.
    pub(crate) upgrade: Vec<(InstalledDist, DesiredDist)>,
    /// Installed at a higher version than pinned.
    pub(crate) downgrade: Vec<(InstalledDist, DesiredDist)>,
    /// Installed, not pinned (and not protected); or an extra copy of a pinned distribution.
    pub(crate) remove: Vec<InstalledDist>,
    /// Installed at the pinned version.
    pub(crate) unchanged: Vec<InstalledDist>,
}

/// Never removed by a sync, as pip-sync's `PACKAGES_TO_IGNORE` keeps the tools that manage the
/// environment: removing pip or setuptools from a venv breaks the user's next command. They are
/// still upgraded or downgraded when the lockfile pins them. A different list from the
/// lockfile's unsafe packages ([`crate::lockfile::is_unsafe`]): that one decides what compile
/// pins, this one what sync leaves in place (pinion itself among them).
const PROTECTED: [&str; 4] = ["pip", "setuptools", "wheel", "pinion"];

fn is_protected(name: &PackageName) -> bool {
    PROTECTED.contains(&name.as_ref())
}

impl InstallPlan {
    /// Classify every pin and every installed distribution.
    ///
    /// An environment holding two copies of one distribution (two `.dist-info` folders) is
    /// repaired: every copy is removed and the pin installed afresh; an unpinned duplicate is
    /// only removed when it is not protected. A pin listed twice counts once.
    pub(crate) fn new(desired: &[DesiredDist], installed: &SitePackages) -> InstallPlan {
        let mut plan = InstallPlan::default();
        let mut seen = HashSet::new();
        for want in desired {
            if !seen.insert(&want.name) {
                continue;
            }
            let copies: Vec<&InstalledDist> = installed.get_all(&want.name).collect();
            match copies.as_slice() {
                [] => plan.install.push(want.clone()),
                // An interrupted install or uninstall: reinstalled whatever its version.
                [have] if have.broken.is_some() => {
                    plan.upgrade.push(((*have).clone(), want.clone()));
                }
                [have] if have.version == want.version && same_source(have, want) => {
                    plan.unchanged.push((*have).clone());
                }
                // Same version from another source: reinstalled.
                [have] if have.version == want.version => {
                    plan.upgrade.push(((*have).clone(), want.clone()));
                }
                [have] if have.version < want.version => {
                    plan.upgrade.push(((*have).clone(), want.clone()));
                }
                [have] => plan.downgrade.push(((*have).clone(), want.clone())),
                several => {
                    plan.remove.extend(several.iter().map(|&dist| dist.clone()));
                    plan.install.push(want.clone());
                }
            }
        }
        plan.remove.extend(
            installed
                .iter()
                .filter(|dist| !seen.contains(&dist.name) && !is_protected(&dist.name))
                .cloned(),
        );
        plan.install.sort_by(|a, b| a.name.cmp(&b.name));
        plan.upgrade.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        plan.downgrade.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        plan.remove
            .sort_by(|a, b| a.name.cmp(&b.name).then(a.dist_info.cmp(&b.dist_info)));
        plan.unchanged.sort_by(|a, b| a.name.cmp(&b.name));
        plan
    }

    /// Whether the environment already matches the pins.
    pub(crate) fn is_empty(&self) -> bool {
        self.install.is_empty()
            && self.upgrade.is_empty()
            && self.downgrade.is_empty()
            && self.remove.is_empty()
    }

    /// One line per change, sorted by name, in the style of uv and pip-sync:
    /// `- six==1.16.0`, `~ idna 3.6 -> 3.7`, `+ requests==2.32.3`. Empty when nothing changes.
    pub(crate) fn render(&self) -> String {
        // (name, order within one name, line): a reinstall of a duplicate reads `-` then `+`.
        let mut lines: Vec<(&PackageName, u8, String)> = Vec::new();
        let broken = |dist: &InstalledDist| match &dist.broken {
            Some(why) => format!(" (broken: {why})"),
            None => String::new(),
        };
        for dist in &self.remove {
            let line = format!("- {}=={}{}", dist.name, dist.version, broken(dist));
            lines.push((&dist.name, 0, line));
        }
        for (have, want) in self.upgrade.iter().chain(&self.downgrade) {
            let line = format!(
                "~ {} {} -> {}{}",
                want.name,
                have.version,
                want.version,
                broken(have)
            );
            lines.push((&want.name, 1, line));
        }
        for want in &self.install {
            lines.push((&want.name, 2, format!("+ {}=={}", want.name, want.version)));
        }
        lines.sort();
        lines
            .into_iter()
            .fold(String::new(), |mut out, (_, _, line)| {
                let _ = writeln!(out, "{line}");
                out
            })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::str::FromStr;

    use super::*;

    fn installed(name: &str, version: &str) -> InstalledDist {
        InstalledDist {
            broken: None,
            name: PackageName::from_str(name).unwrap(),
            version: Version::from_str(version).unwrap(),
            dist_info: PathBuf::from(format!("/venv/site-packages/{name}-{version}.dist-info")),
            direct_url: None,
        }
    }

    fn desired(name: &str, version: &str) -> DesiredDist {
        DesiredDist {
            name: PackageName::from_str(name).unwrap(),
            version: Version::from_str(version).unwrap(),
            requested: true,
            direct_url: None,
        }
    }

    fn names(dists: &[InstalledDist]) -> Vec<String> {
        dists.iter().map(|d| d.name.to_string()).collect()
    }

    #[test]
    fn classifies_every_pin_and_installed_dist() {
        let site = SitePackages::from_dists(vec![
            installed("idna", "3.6"),
            installed("six", "1.16.0"),
            installed("urllib3", "2.2.0"),
            installed("certifi", "2024.8.30"),
            installed("pip", "24.0"),
            installed("setuptools", "69.0"),
            installed("wheel", "0.42.0"),
            installed("pinion", "0.1.0"),
            installed("Typing_Extensions", "4.12.0"),
        ]);
        let plan = InstallPlan::new(
            &[
                desired("requests", "2.32.3"),
                desired("idna", "3.7"),
                desired("urllib3", "1.26.18"),
                desired("certifi", "2024.8.30.0"),
                desired("typing-extensions", "4.12.0"),
                desired("setuptools", "70.0"),
            ],
            &site,
        );
        assert_eq!(plan.install, vec![desired("requests", "2.32.3")]);
        assert_eq!(
            plan.upgrade,
            vec![
                (installed("idna", "3.6"), desired("idna", "3.7")),
                (
                    installed("setuptools", "69.0"),
                    desired("setuptools", "70.0")
                ),
            ]
        );
        assert_eq!(
            plan.downgrade,
            vec![(installed("urllib3", "2.2.0"), desired("urllib3", "1.26.18"))]
        );
        // pip, wheel and pinion are not pinned and stay; six goes.
        assert_eq!(names(&plan.remove), ["six"]);
        // PEP 440 equality: 2024.8.30 == 2024.8.30.0; names compare normalized.
        assert_eq!(names(&plan.unchanged), ["certifi", "typing-extensions"]);
        assert!(!plan.is_empty());
        assert_eq!(
            plan.render(),
            "\
~ idna 3.6 -> 3.7
+ requests==2.32.3
~ setuptools 69.0 -> 70.0
- six==1.16.0
~ urllib3 2.2.0 -> 1.26.18
"
        );
    }

    #[test]
    fn pinned_protected_dists_are_downgraded() {
        let site = SitePackages::from_dists(vec![installed("pip", "24.0")]);
        let plan = InstallPlan::new(&[desired("pip", "23.3")], &site);
        assert_eq!(plan.downgrade.len(), 1);
        assert!(plan.remove.is_empty());
    }

    #[test]
    fn matching_environment_is_an_empty_plan() {
        let site =
            SitePackages::from_dists(vec![installed("six", "1.16.0"), installed("pip", "24.0")]);
        let plan = InstallPlan::new(&[desired("six", "1.16.0")], &site);
        assert!(plan.is_empty());
        assert_eq!(plan.render(), "");
        assert_eq!(names(&plan.unchanged), ["six"]);
    }

    #[test]
    fn duplicate_copies_are_replaced() {
        let mut second = installed("six", "1.15.0");
        second.dist_info = PathBuf::from("/venv/lib64/site-packages/six-1.15.0.dist-info");
        let site = SitePackages::from_dists(vec![installed("six", "1.16.0"), second]);
        let plan = InstallPlan::new(&[desired("six", "1.16.0")], &site);
        assert_eq!(names(&plan.remove), ["six", "six"]);
        assert_eq!(plan.install, vec![desired("six", "1.16.0")]);
        assert_eq!(
            plan.render(),
            "- six==1.15.0\n- six==1.16.0\n+ six==1.16.0\n"
        );
    }
}
