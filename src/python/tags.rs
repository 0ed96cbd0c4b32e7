//! Wheel tags (PEP 425) an environment accepts, in the order of packaging's `sys_tags()`
//! (`packaging/tags.py`): the first tag is the most specific, and a wheel's priority is where its
//! best tag stands in that list.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::platform::{Libc, Platform};

/// What decides the interpreter and ABI parts of the tags.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum AbiInfo {
    /// CPython, whose ABI tags packaging derives from the build flags (`_cpython_abis`).
    CPython {
        /// `Py_DEBUG`: the `d` flag.
        debug: bool,
        /// `Py_GIL_DISABLED` (3.13+): the `t` flag, and no `abi3`.
        free_threaded: bool,
        /// `WITH_PYMALLOC`: the `m` flag, before 3.8 only.
        pymalloc: bool,
    },
    /// Any other implementation (`generic_tags`): its interpreter tag (`pp310`), ABI tags from
    /// `EXT_SUFFIX` (`pypy310_pp73`), and the interpreter of its `-none-any` tag (`pp3`).
    Generic {
        interpreter: String,
        abis: Vec<String>,
        compatible_interpreter: Option<String>,
    },
}

impl AbiInfo {
    /// A regular CPython build, as `--python-version` targets assume.
    pub(crate) fn cpython() -> Self {
        AbiInfo::CPython {
            debug: false,
            free_threaded: false,
            pymalloc: true,
        }
    }
}

/// One accepted tag triple.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Tag {
    pub(crate) python: String,
    pub(crate) abi: String,
    pub(crate) platform: String,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

/// The tags an environment accepts, best first, with a lookup from triple to priority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tags {
    ordered: Vec<Tag>,
    /// python tag -> abi tag -> platform tag -> priority (higher is better).
    priorities: HashMap<String, HashMap<String, HashMap<String, u32>>>,
    /// A universal resolution's tags: every wheel fits (below the ones these tags accept), as
    /// uv assumes every file of a release has the same metadata.
    any_platform: bool,
}

impl Tags {
    /// The tags of Python `major.minor` with this ABI on this platform.
    pub(crate) fn new(python: (u64, u64), abi: &AbiInfo, platform: &Platform) -> Self {
        let platforms = platform_tags(platform);
        let mut ordered = Vec::new();
        let mut push = |python: &str, abi: &str, platform: &str| {
            ordered.push(Tag {
                python: python.to_string(),
                abi: abi.to_string(),
                platform: platform.to_string(),
            });
        };
        let (major, minor) = python;
        let interpreter_for_any = match abi {
            AbiInfo::CPython {
                debug,
                free_threaded,
                pymalloc,
            } => {
                // packaging `cpython_tags`.
                let interpreter = format!("cp{major}{minor}");
                for abi in cpython_abis(python, *debug, *free_threaded, *pymalloc) {
                    for platform in &platforms {
                        push(&interpreter, &abi, platform);
                    }
                }
                let abi3 = major == 3 && minor >= 2 && !free_threaded;
                if abi3 {
                    for platform in &platforms {
                        push(&interpreter, "abi3", platform);
                    }
                }
                for platform in &platforms {
                    push(&interpreter, "none", platform);
                }
                if abi3 {
                    for older in (2..minor).rev() {
                        for platform in &platforms {
                            push(&format!("cp{major}{older}"), "abi3", platform);
                        }
                    }
                }
                Some(interpreter)
            }
            AbiInfo::Generic {
                interpreter,
                abis,
                compatible_interpreter,
            } => {
                // packaging `generic_tags`: the ABIs, then `none` unless listed.
                let none = (!abis.iter().any(|abi| abi == "none")).then_some("none");
                for abi in abis.iter().map(String::as_str).chain(none) {
                    for platform in &platforms {
                        push(interpreter, abi, platform);
                    }
                }
                compatible_interpreter.clone()
            }
        };
        // packaging `compatible_tags`: pure-Python wheels for this or older versions.
        let py_versions = py_interpreter_range(python);
        for version in &py_versions {
            for platform in &platforms {
                push(version, "none", platform);
            }
        }
        if let Some(interpreter) = &interpreter_for_any {
            push(interpreter, "none", "any");
        }
        for version in &py_versions {
            push(version, "none", "any");
        }
        Self::from_ordered(ordered)
    }

    fn from_ordered(ordered: Vec<Tag>) -> Self {
        let mut priorities: HashMap<String, HashMap<String, HashMap<String, u32>>> = HashMap::new();
        let count = u32::try_from(ordered.len()).expect("fewer than 2^32 tags");
        for (index, tag) in (0..count).zip(&ordered) {
            // The first occurrence wins, as in packaging's `support_index_min`.
            priorities
                .entry(tag.python.clone())
                .or_default()
                .entry(tag.abi.clone())
                .or_default()
                .entry(tag.platform.clone())
                .or_insert(count - index);
        }
        Tags {
            ordered,
            priorities,
            any_platform: false,
        }
    }

    /// `None` if a wheel with these (possibly compressed, PEP 425) tag sets fits no accepted
    /// tag, else the priority of its best tag: higher is more specific, like pip's
    /// `support_index_min` inverted.
    pub(crate) fn compatibility(
        &self,
        python_tags: &[String],
        abi_tags: &[String],
        platform_tags: &[String],
    ) -> Option<u32> {
        let mut best = None;
        for python in python_tags {
            let Some(abis) = self.priorities.get(python) else {
                continue;
            };
            for abi in abi_tags {
                let Some(platforms) = abis.get(abi) else {
                    continue;
                };
                for platform in platform_tags {
                    if let Some(&priority) = platforms.get(platform) {
                        best = best.max(Some(priority));
                    }
                }
            }
        }
        if best.is_none() && self.any_platform {
            return Some(0);
        }
        best
    }

    /// These tags, accepting any wheel besides (for a universal resolution, where a wheel for
    /// another platform or Python is as good as this one's).
    pub(crate) fn any_platform(mut self) -> Self {
        self.any_platform = true;
        self
    }

    /// Every accepted tag, best first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.ordered.iter()
    }
}

/// packaging `_cpython_abis`.
fn cpython_abis(
    (major, minor): (u64, u64),
    debug: bool,
    free_threaded: bool,
    pymalloc: bool,
) -> Vec<String> {
    let version = format!("{major}{minor}");
    let threading = if free_threaded && (major, minor) >= (3, 13) {
        "t"
    } else {
        ""
    };
    let debug = if debug { "d" } else { "" };
    let mut abis = Vec::new();
    let mut pymalloc_flag = "";
    if (major, minor) < (3, 8) {
        if pymalloc {
            pymalloc_flag = "m";
        }
    } else if !debug.is_empty() {
        // Debug builds also load regular extension modules.
        abis.push(format!("cp{version}{threading}"));
    }
    abis.insert(0, format!("cp{version}{threading}{debug}{pymalloc_flag}"));
    abis
}

/// packaging `_py_interpreter_range`: `py3X`, `py3`, then `py3(X-1)` down to `py30`.
fn py_interpreter_range((major, minor): (u64, u64)) -> Vec<String> {
    let mut versions = vec![format!("py{major}{minor}"), format!("py{major}")];
    versions.extend((0..minor).rev().map(|older| format!("py{major}{older}")));
    versions
}

/// packaging `platform_tags()`: the platform tags, most specific first.
fn platform_tags(platform: &Platform) -> Vec<String> {
    match platform {
        Platform::Linux { arch, libc } => linux_platforms(arch, *libc),
        Platform::Macos { arch, major, minor } => mac_platforms(arch, (*major, *minor)),
        Platform::Other { tag } => vec![tag.clone()],
    }
}

/// PEP 600 legacy aliases (packaging `_LEGACY_MANYLINUX_MAP`).
fn legacy_manylinux(minor: u16) -> Option<&'static str> {
    match minor {
        17 => Some("manylinux2014"),
        12 => Some("manylinux2010"),
        5 => Some("manylinux1"),
        _ => None,
    }
}

/// packaging `_linux_platforms` with `_manylinux.platform_tags` and `_musllinux.platform_tags`.
///
/// Two checks of packaging are not made: the `_manylinux` module a distributor may install to
/// veto tags, and the ELF test that an `armv7l` interpreter uses the hard-float ABI.
fn linux_platforms(arch: &str, libc: Libc) -> Vec<String> {
    let archs: &[&str] = if arch == "armv8l" {
        &["armv8l", "armv7l"]
    } else {
        &[arch]
    };
    let mut tags = Vec::new();
    match libc {
        Libc::Glibc { major, minor } => {
            // manylinux tags start at glibc 2.5 on x86, at 2.17 elsewhere. glibc keeps
            // compatibility across its 2.x releases, so every older minor applies.
            let oldest = if archs.iter().any(|a| *a == "x86_64" || *a == "i686") {
                5
            } else {
                17
            };
            for arch in archs {
                if major != 2 {
                    // No glibc 3 exists; packaging would continue into 2.x from a table.
                    continue;
                }
                for minor in (oldest..=minor).rev() {
                    tags.push(format!("manylinux_2_{minor}_{arch}"));
                    if let Some(legacy) = legacy_manylinux(minor) {
                        tags.push(format!("{legacy}_{arch}"));
                    }
                }
            }
        }
        Libc::Musl { major, minor } => {
            for arch in archs {
                for minor in (0..=minor).rev() {
                    tags.push(format!("musllinux_{major}_{minor}_{arch}"));
                }
            }
        }
        Libc::Unknown => {}
    }
    tags.extend(archs.iter().map(|arch| format!("linux_{arch}")));
    tags
}

/// packaging `mac_platforms`.
fn mac_platforms(arch: &str, (major, minor): (u16, u16)) -> Vec<String> {
    let mut tags = Vec::new();
    if major == 10 {
        // Before macOS 11, every yearly release bumped the minor version.
        for minor in (0..=minor).rev() {
            push_mac_formats(&mut tags, arch, (10, minor));
        }
    }
    if major >= 11 {
        // Since macOS 11 the major version is the yearly release; only `X_0` is tagged.
        for major in (11..=major).rev() {
            push_mac_formats(&mut tags, arch, (major, 0));
        }
        // macOS 11 runs x86_64 binaries of earlier releases; arm64 ones did not exist, but
        // `universal2` wheels may name an older release for their x86_64 half.
        for minor in (4..=16).rev() {
            if arch == "x86_64" {
                push_mac_formats(&mut tags, arch, (10, minor));
            } else {
                tags.push(format!("macosx_10_{minor}_universal2"));
            }
        }
    }
    tags
}

fn push_mac_formats(tags: &mut Vec<String>, arch: &str, (major, minor): (u16, u16)) {
    for format in mac_binary_formats((major, minor), arch) {
        tags.push(format!("macosx_{major}_{minor}_{format}"));
    }
}

/// packaging `_mac_binary_formats`: the fat-binary formats that contain `arch`.
fn mac_binary_formats(version: (u16, u16), arch: &str) -> Vec<&str> {
    let mut formats = vec![arch];
    match arch {
        "x86_64" => {
            if version < (10, 4) {
                return Vec::new();
            }
            formats.extend(["intel", "fat64", "fat32"]);
        }
        "i386" => {
            if version < (10, 4) {
                return Vec::new();
            }
            formats.extend(["intel", "fat32", "fat"]);
        }
        "ppc64" => {
            if !((10, 4)..=(10, 5)).contains(&version) {
                return Vec::new();
            }
            formats.push("fat64");
        }
        "ppc" => {
            if version > (10, 6) {
                return Vec::new();
            }
            formats.extend(["fat32", "fat"]);
        }
        _ => {}
    }
    if arch == "arm64" || arch == "x86_64" {
        formats.push("universal2");
    }
    if matches!(arch, "x86_64" | "i386" | "ppc64" | "ppc" | "intel") {
        formats.push("universal");
    }
    formats
}
