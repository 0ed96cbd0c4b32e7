//! Git references, cloned with the system `git` (as pip does): one bare clone per repository,
//! one checkout per commit, both kept in the cache.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};
use url::Url;

use super::BuildError;

/// `git+https://example.invalid/repo.git@v1.2#subdirectory=pkg`, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitReference {
    /// What `git clone` gets: the URL without `git+`, the reference and the fragment.
    pub(crate) repository: String,
    /// A branch, tag or commit; None for the default branch.
    pub(crate) reference: Option<String>,
    pub(crate) subdirectory: Option<String>,
}

impl GitReference {
    pub(crate) fn parse(url: &Url) -> Option<Self> {
        let scheme = url.scheme().strip_prefix("git+")?;
        let mut plain = url.clone();
        plain.set_fragment(None);
        let text = plain.as_str().strip_prefix("git+")?.to_string();
        // pip: the reference follows the last `@` of the path (not of the user info).
        let path_start = text.find("://").map_or(0, |i| i + 3);
        let path_start = path_start + text[path_start..].find('/').unwrap_or(0);
        let (repository, reference) = match text[path_start..].rfind('@') {
            Some(at) => (
                text[..path_start + at].to_string(),
                Some(text[path_start + at + 1..].to_string()).filter(|r| !r.is_empty()),
            ),
            None => (text, None),
        };
        let subdirectory = url.fragment().and_then(|fragment| {
            fragment
                .split('&')
                .find_map(|pair| pair.strip_prefix("subdirectory="))
                .map(str::to_string)
        });
        let _ = scheme;
        Some(Self {
            repository,
            reference,
            subdirectory,
        })
    }

    /// The reference pinned to `commit`, as pip-compile writes it: `git+URL@COMMIT`.
    pub(crate) fn pinned(&self, commit: &str) -> String {
        let mut out = format!("git+{}@{commit}", self.repository);
        if let Some(subdirectory) = &self.subdirectory {
            out.push_str("#subdirectory=");
            out.push_str(subdirectory);
        }
        out
    }
}

impl fmt::Display for GitReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "git+{}", self.repository)?;
        if let Some(reference) = &self.reference {
            write!(f, "@{reference}")?;
        }
        Ok(())
    }
}

fn is_commit(reference: &str) -> bool {
    reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit())
}

fn git(reference: &GitReference, dir: Option<&Path>, args: &[&str]) -> Result<String, BuildError> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.arg("-C").arg(dir);
    }
    let output = command
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| BuildError::Git {
            url: reference.repository.clone(),
            command: args.join(" "),
            output: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(BuildError::Git {
            url: reference.repository.clone(),
            command: args.join(" "),
            output: String::from_utf8_lossy(&output.stderr)
                .trim_end()
                .to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Check `reference` out under `root`; returns the project directory and the commit.
pub(crate) fn checkout(
    reference: &GitReference,
    root: &Path,
) -> Result<(PathBuf, String), BuildError> {
    let key = hex::encode(&Sha256::digest(reference.repository.as_bytes())[..8]);
    let db = root.join("db").join(&key);
    fs_err::create_dir_all(root.join("db")).map_err(BuildError::io("create", root))?;
    let wanted = reference.reference.as_deref().unwrap_or("HEAD");
    if !db.is_dir() {
        let temp = tempfile::tempdir_in(root.join("db"))
            .map_err(BuildError::io("create a directory in", root))?;
        let into = temp.path().join("repo");
        git(
            reference,
            None,
            &[
                "clone",
                "--bare",
                "--quiet",
                &reference.repository,
                &into.to_string_lossy(),
            ],
        )?;
        // Another process may have made it meanwhile; theirs is as good.
        let _ = fs_err::rename(&into, &db);
    } else if !(is_commit(wanted) && git(reference, Some(&db), &["cat-file", "-e", wanted]).is_ok())
    {
        git(
            reference,
            Some(&db),
            &[
                "fetch",
                "--quiet",
                "--force",
                "--tags",
                "origin",
                "+refs/heads/*:refs/heads/*",
            ],
        )?;
    }
    let commit = git(
        reference,
        Some(&db),
        &["rev-parse", "--verify", &format!("{wanted}^{{commit}}")],
    )?;
    let checkout = root.join("checkouts").join(&key).join(&commit);
    if !checkout.is_dir() {
        let parent = root.join("checkouts").join(&key);
        fs_err::create_dir_all(&parent).map_err(BuildError::io("create", &parent))?;
        let temp = tempfile::tempdir_in(&parent)
            .map_err(BuildError::io("create a directory in", &parent))?;
        let into = temp.path().join("tree");
        let into_text = into.to_string_lossy().to_string();
        git(
            reference,
            None,
            &[
                "clone",
                "--quiet",
                "--no-checkout",
                &db.to_string_lossy(),
                &into_text,
            ],
        )?;
        git(
            reference,
            Some(&into),
            &["checkout", "--quiet", "--detach", &commit],
        )?;
        let _ = fs_err::rename(&into, &checkout);
    }
    let project = match &reference.subdirectory {
        Some(sub) => checkout.join(sub),
        None => checkout,
    };
    Ok((project, commit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_reference_and_subdirectory() {
        let url =
            Url::parse("git+https://example.invalid/org/repo.git@v1.2#egg=x&subdirectory=pkg")
                .unwrap();
        let git = GitReference::parse(&url).unwrap();
        assert_eq!(git.repository, "https://example.invalid/org/repo.git");
        assert_eq!(git.reference.as_deref(), Some("v1.2"));
        assert_eq!(git.subdirectory.as_deref(), Some("pkg"));
        assert_eq!(
            git.pinned("abc"),
            "git+https://example.invalid/org/repo.git@abc#subdirectory=pkg"
        );
    }

    #[test]
    fn user_info_is_not_a_reference() {
        let url = Url::parse("git+ssh://git@example.invalid/org/repo.git").unwrap();
        let git = GitReference::parse(&url).unwrap();
        assert_eq!(git.repository, "ssh://git@example.invalid/org/repo.git");
        assert_eq!(git.reference, None);
    }
}
