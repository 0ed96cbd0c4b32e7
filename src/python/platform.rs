//! The platform half of a target: what decides the platform wheel tags, and the
//! `--python-platform` spellings (uv's target triples) with the markers each one implies.

use serde::{Deserialize, Serialize};

use super::PythonError;

/// The operating system and architecture that platform tags are derived from, as packaging's
/// `platform_tags()` sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "os", rename_all = "kebab-case")]
pub(crate) enum Platform {
    /// Linux: `manylinux`, `musllinux` and `linux` tags for `arch` (`x86_64`, `aarch64`, `i686`,
    /// `armv7l`, ...: the tag spelling, already adjusted for a 32-bit interpreter).
    Linux { arch: String, libc: Libc },
    /// macOS `major.minor` on `arch` (`arm64`, `x86_64`, `i386`, `ppc`, ...).
    Macos {
        arch: String,
        major: u16,
        minor: u16,
    },
    /// Windows and every other system: a single platform tag, sysconfig's platform normalized
    /// (`win_amd64`, `win32`, `win_arm64`, `freebsd_14_0_release_amd64`, ...).
    Other { tag: String },
}

/// The C library of a Linux platform, which decides `manylinux` (PEP 600) or `musllinux`
/// (PEP 656) tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum Libc {
    /// glibc `major.minor`.
    Glibc { major: u16, minor: u16 },
    /// musl `major.minor`.
    Musl { major: u16, minor: u16 },
    /// Neither could be detected: only `linux_<arch>` applies.
    Unknown,
}

/// The platform markers (PEP 508) of a `--python-platform` target. Python-version markers come
/// from elsewhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PlatformMarkers {
    pub(crate) os_name: &'static str,
    pub(crate) sys_platform: &'static str,
    pub(crate) platform_system: &'static str,
    pub(crate) platform_machine: &'static str,
}

/// The macOS version assumed when none is given: uv's choice, the oldest release Apple still
/// supports. `MACOSX_DEPLOYMENT_TARGET` overrides it, as it does for uv and for builds.
const DEFAULT_MACOS: (u16, u16) = (13, 0);

/// The glibc minor `linux` and the GNU/Linux triples stand for: `manylinux_2_28`, as in uv.
const DEFAULT_GLIBC_MINOR: u16 = 28;

/// The `manylinux_2_NN` minors accepted after an architecture in `--python-platform`.
const MANYLINUX_MINORS: std::ops::RangeInclusive<u16> = 17..=40;

/// A parsed `--python-platform`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TargetPlatform {
    pub(crate) platform: Platform,
    pub(crate) markers: PlatformMarkers,
}

impl TargetPlatform {
    /// Parse uv's spellings: `linux`, `macos`, `windows`, Rust-style target triples, and
    /// `<arch>-manylinux2014` / `<arch>-manylinux_2_NN`.
    pub(crate) fn parse(value: &str) -> Result<Self, PythonError> {
        let unknown = || PythonError::UnknownPlatform {
            value: value.to_string(),
            accepted: accepted_spellings(),
        };
        let target = match value {
            // uv's meaning: a GNU/Linux triple is `manylinux_2_28`, what current wheels target.
            "linux" | "x86_64-unknown-linux-gnu" => linux("x86_64", glibc(DEFAULT_GLIBC_MINOR)),
            "aarch64-unknown-linux-gnu" => linux("aarch64", glibc(DEFAULT_GLIBC_MINOR)),
            "x86_64-unknown-linux-musl" => linux("x86_64", musl()),
            "aarch64-unknown-linux-musl" => linux("aarch64", musl()),
            "macos" | "aarch64-apple-darwin" => macos("arm64"),
            "x86_64-apple-darwin" => macos("x86_64"),
            "windows" | "x86_64-pc-windows-msvc" => windows("win_amd64", "AMD64"),
            "i686-pc-windows-msvc" => windows("win32", "x86"),
            "aarch64-pc-windows-msvc" => windows("win_arm64", "ARM64"),
            _ => {
                let (arch, rest) = value.split_once('-').ok_or_else(unknown)?;
                if arch != "x86_64" && arch != "aarch64" {
                    return Err(unknown());
                }
                let minor = match rest {
                    "manylinux2014" => 17,
                    _ => rest
                        .strip_prefix("manylinux_2_")
                        .and_then(|minor| minor.parse::<u16>().ok())
                        .filter(|minor| MANYLINUX_MINORS.contains(minor))
                        .ok_or_else(unknown)?,
                };
                linux(arch, glibc(minor))
            }
        };
        Ok(target)
    }
}

fn glibc(minor: u16) -> Libc {
    Libc::Glibc { major: 2, minor }
}

/// uv assumes musl 1.2 for its musl triples.
fn musl() -> Libc {
    Libc::Musl { major: 1, minor: 2 }
}

fn linux(arch: &str, libc: Libc) -> TargetPlatform {
    let platform_machine = match arch {
        "aarch64" => "aarch64",
        _ => "x86_64",
    };
    TargetPlatform {
        platform: Platform::Linux {
            arch: arch.to_string(),
            libc,
        },
        markers: PlatformMarkers {
            os_name: "posix",
            sys_platform: "linux",
            platform_system: "Linux",
            platform_machine,
        },
    }
}

fn macos(arch: &'static str) -> TargetPlatform {
    let (major, minor) = macos_deployment_target().unwrap_or(DEFAULT_MACOS);
    TargetPlatform {
        platform: Platform::Macos {
            arch: arch.to_string(),
            major,
            minor,
        },
        markers: PlatformMarkers {
            os_name: "posix",
            sys_platform: "darwin",
            platform_system: "Darwin",
            platform_machine: arch,
        },
    }
}

/// `platform_machine` is what CPython's `platform.machine()` reports on Windows (`AMD64`, `x86`,
/// `ARM64`): markers in the wild test `platform_machine == "AMD64"`. uv says `x86_64` for the
/// x64 triple; we follow the interpreter instead.
fn windows(tag: &str, platform_machine: &'static str) -> TargetPlatform {
    TargetPlatform {
        platform: Platform::Other {
            tag: tag.to_string(),
        },
        markers: PlatformMarkers {
            os_name: "nt",
            sys_platform: "win32",
            platform_system: "Windows",
            platform_machine,
        },
    }
}

/// `MACOSX_DEPLOYMENT_TARGET` as `(major, minor)`, e.g. `11` or `10.15`.
fn macos_deployment_target() -> Option<(u16, u16)> {
    let value = std::env::var("MACOSX_DEPLOYMENT_TARGET").ok()?;
    let mut parts = value.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().unwrap_or("0").parse().ok()?;
    Some((major, minor))
}

/// The help text of an unknown `--python-platform`.
fn accepted_spellings() -> String {
    let fixed = [
        "linux",
        "macos",
        "windows",
        "x86_64-unknown-linux-gnu",
        "aarch64-unknown-linux-gnu",
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "aarch64-apple-darwin",
        "x86_64-apple-darwin",
        "x86_64-pc-windows-msvc",
        "i686-pc-windows-msvc",
        "aarch64-pc-windows-msvc",
        "x86_64-manylinux2014",
        "aarch64-manylinux2014",
    ];
    let mut out = String::from("accepted platforms: ");
    for spelling in fixed {
        out.push('`');
        out.push_str(spelling);
        out.push_str("`, ");
    }
    out.push_str(&format!(
        "and `x86_64-manylinux_2_NN` or `aarch64-manylinux_2_NN` for NN from {} to {}",
        MANYLINUX_MINORS.start(),
        MANYLINUX_MINORS.end()
    ));
    out
}

/// The platform of the machine pinion runs on, for a target without an interpreter and without
/// `--python-platform`, as uv takes it: on Linux this machine's own C library (its glibc or
/// musl version, so wheels built for it are used), falling back to `manylinux_2_28` when it
/// cannot be told.
pub(crate) fn host() -> TargetPlatform {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "macos" => macos(if arch == "aarch64" { "arm64" } else { "x86_64" }),
        "windows" => match arch {
            "x86" => windows("win32", "x86"),
            "aarch64" => windows("win_arm64", "ARM64"),
            _ => windows("win_amd64", "AMD64"),
        },
        _ => {
            let fallback = if cfg!(target_env = "musl") {
                musl()
            } else {
                glibc(DEFAULT_GLIBC_MINOR)
            };
            linux(linux_arch(arch), host_libc().unwrap_or(fallback))
        }
    }
}

/// This machine's C library, from `ldd --version` as uv reads it: glibc prints
/// `ldd (GNU libc) 2.36` on stdout, musl `musl libc (x86_64)` and `Version 1.2.4` on stderr.
fn host_libc() -> Option<Libc> {
    let output = std::process::Command::new("ldd")
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    parse_ldd(
        &String::from_utf8_lossy(&output.stdout),
        &String::from_utf8_lossy(&output.stderr),
    )
}

fn parse_ldd(stdout: &str, stderr: &str) -> Option<Libc> {
    if stderr.contains("musl") {
        let version = stderr
            .lines()
            .find_map(|line| line.strip_prefix("Version "))?;
        let (major, minor) = parse_major_minor(version)?;
        return Some(Libc::Musl { major, minor });
    }
    let first = stdout.lines().next()?;
    let lower = first.to_ascii_lowercase();
    if !(lower.contains("glibc") || lower.contains("gnu libc")) {
        return None;
    }
    let (major, minor) = parse_major_minor(first.split_whitespace().last()?)?;
    (major == 2).then_some(Libc::Glibc { major, minor })
}

fn linux_arch(arch: &str) -> &'static str {
    if arch == "aarch64" {
        "aarch64"
    } else {
        "x86_64"
    }
}

/// Derive the tag platform from what an interpreter reported, as packaging's `platform_tags()`
/// does.
pub(crate) fn from_probe(
    sysconfig_platform: &str,
    pointer_size: u8,
    glibc_version: Option<&str>,
    musl_version: Option<&str>,
    mac: Option<(&str, &str)>,
) -> Platform {
    let normalized = normalize(sysconfig_platform);
    let is_32bit = pointer_size == 32;
    if let Some((version, cpu_arch)) = mac {
        let (major, minor) = parse_major_minor(version).unwrap_or(DEFAULT_MACOS);
        // packaging `_mac_arch`: a 32-bit interpreter on a 64-bit Mac.
        let arch = if !is_32bit {
            cpu_arch.to_string()
        } else if cpu_arch.starts_with("ppc") {
            "ppc".to_string()
        } else {
            "i386".to_string()
        };
        return Platform::Macos { arch, major, minor };
    }
    let Some(arch) = normalized.strip_prefix("linux_") else {
        return Platform::Other { tag: normalized };
    };
    // packaging `_linux_platforms`: a 32-bit interpreter on a 64-bit kernel.
    let arch = match arch {
        "x86_64" if is_32bit => "i686",
        "aarch64" if is_32bit => "armv8l",
        arch => arch,
    };
    let libc = if let Some((major, minor)) = glibc_version.and_then(parse_major_minor) {
        Libc::Glibc { major, minor }
    } else if let Some((major, minor)) = musl_version.and_then(parse_major_minor) {
        Libc::Musl { major, minor }
    } else {
        Libc::Unknown
    };
    Platform::Linux {
        arch: arch.to_string(),
        libc,
    }
}

/// packaging `_normalize_string`.
fn normalize(value: &str) -> String {
    value.replace(['-', '.', ' '], "_")
}

fn parse_major_minor(version: &str) -> Option<(u16, u16)> {
    let mut parts = version.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    // glibc versions may carry a suffix (`2.28-stable`); packaging drops it too.
    let minor = parts.next().map_or(Some(0), |minor| {
        let digits: String = minor.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })?;
    Some((major, minor))
}

#[cfg(test)]
mod ldd_tests {
    use super::*;

    #[test]
    fn reads_the_c_library_from_ldd() {
        assert_eq!(
            parse_ldd("ldd (Ubuntu GLIBC 2.35-0ubuntu3.8) 2.35\nCopyright", ""),
            Some(Libc::Glibc {
                major: 2,
                minor: 35
            })
        );
        assert_eq!(
            parse_ldd("ldd (GNU libc) 2.36\n", ""),
            Some(Libc::Glibc {
                major: 2,
                minor: 36
            })
        );
        assert_eq!(
            parse_ldd(
                "",
                "musl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\n"
            ),
            Some(Libc::Musl { major: 1, minor: 2 })
        );
        assert_eq!(parse_ldd("something else", ""), None);
    }
}
