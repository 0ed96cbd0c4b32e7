//! `--only-binary`, `--no-binary` and `--no-build`: which packages may be built from source.

use pep508_rs::PackageName;

use super::SettingsError;
use crate::requirements::{BinaryChoice, IndexOptions};
use crate::resolver::{FormatPolicies, FormatPolicy};

/// The format flags of the command line (or a lockfile's header), before the requirement
/// files' own options join them.
#[derive(Debug, Clone, Default)]
pub(crate) struct FormatSettings {
    pub(crate) no_build: bool,
    pub(crate) only_binary: Vec<String>,
    pub(crate) no_binary: Vec<String>,
}

/// `--only-binary` / `--no-binary` per package.
#[derive(Debug, Clone)]
pub(crate) struct BinaryPolicies {
    only_binary: BinaryChoice,
    no_binary: BinaryChoice,
}

impl BinaryPolicies {
    /// The requirement files' choices, then the command line's over them (pip's order);
    /// `--no-build` is `--only-binary :all:`.
    pub(crate) fn new(files: &IndexOptions, flags: &FormatSettings) -> Result<Self, SettingsError> {
        let mut policies = Self {
            only_binary: files.only_binary.clone(),
            no_binary: files.no_binary.clone(),
        };
        let parse = |option: &'static str, value: &String| {
            BinaryChoice::parse(value).map_err(|reason| SettingsError::InvalidBinaryOption {
                option,
                value: value.clone(),
                reason,
            })
        };
        for value in &flags.only_binary {
            policies.only_binary.update(parse("--only-binary", value)?);
        }
        for value in &flags.no_binary {
            policies.no_binary.update(parse("--no-binary", value)?);
        }
        if flags.no_build {
            policies.only_binary = BinaryChoice::All;
        }
        Ok(policies)
    }
}

impl BinaryPolicies {
    /// The lockfile's `--no-binary` and `--only-binary` values (pip-compile writes its format
    /// controls), from the requirement files and the flags; `--no-build` is pinion's own and
    /// is not written.
    pub(crate) fn lockfile_values(
        files: &IndexOptions,
        flags: &FormatSettings,
    ) -> (Vec<String>, Vec<String>) {
        let flags = FormatSettings {
            no_build: false,
            ..flags.clone()
        };
        let Ok(policies) = Self::new(files, &flags) else {
            return (Vec::new(), Vec::new());
        };
        let values = |choice: &BinaryChoice| match choice {
            BinaryChoice::All => vec![":all:".to_string()],
            BinaryChoice::Packages(names) => names.iter().map(ToString::to_string).collect(),
            BinaryChoice::None | BinaryChoice::Unset => Vec::new(),
        };
        (values(&policies.no_binary), values(&policies.only_binary))
    }
}

impl FormatPolicies for BinaryPolicies {
    /// pip's `FormatControl.get_allowed_formats`: a package named in either option wins over
    /// `:all:` (`--only-binary :all: --no-binary foo` builds foo), `--only-binary` names first.
    fn policy(&self, name: &PackageName) -> FormatPolicy {
        let named = |choice: &BinaryChoice| matches!(choice, BinaryChoice::Packages(names) if names.contains(name));
        let all = |choice: &BinaryChoice| matches!(choice, BinaryChoice::All);
        let (only_binary, no_binary) = if named(&self.only_binary) {
            (true, false)
        } else if named(&self.no_binary) {
            (false, true)
        } else if all(&self.only_binary) {
            (true, false)
        } else {
            (false, all(&self.no_binary))
        };
        FormatPolicy {
            only_binary,
            no_binary,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn policy(only: &[&str], no: &[&str], name: &str) -> (bool, bool) {
        let to_vec = |v: &[&str]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
        let flags = FormatSettings {
            no_build: false,
            only_binary: to_vec(only),
            no_binary: to_vec(no),
        };
        let policies = BinaryPolicies::new(&IndexOptions::default(), &flags).unwrap();
        let p = policies.policy(&PackageName::from_str(name).unwrap());
        (p.only_binary, p.no_binary)
    }

    #[test]
    fn a_named_package_wins_over_all_as_in_pip() {
        assert_eq!(policy(&[":all:"], &["foo"], "foo"), (false, true));
        assert_eq!(policy(&[":all:"], &["foo"], "bar"), (true, false));
        assert_eq!(policy(&["foo"], &[":all:"], "foo"), (true, false));
        assert_eq!(policy(&[], &[], "foo"), (false, false));
    }

    #[test]
    fn a_file_without_binary_options_keeps_the_earlier_ones() {
        let mut merged = IndexOptions {
            only_binary: BinaryChoice::All,
            ..IndexOptions::default()
        };
        merged.merge(&IndexOptions::default());
        assert_eq!(merged.only_binary, BinaryChoice::All);
    }
}
