//! The environments a wheel serves, as a marker, from its file name's tags (PEP 425): for
//! `--required-environment`, which asks whether a pin has a file usable in a marker region.

use std::str::FromStr;

use pep508_rs::MarkerTree;

use crate::metadata::WheelFilename;

/// The environments where some tag triple of `wheel` is one pip's tag list (packaging.tags)
/// accepts: the interpreter (implementation and Python version, from the Python and ABI tags)
/// and the platform (`sys_platform`). A compressed tag set is the product of its parts, so the
/// marker is the interpreters' union and the platforms' union, joined.
pub(super) fn wheel_marker(wheel: &WheelFilename) -> MarkerTree {
    let mut interpreters = MarkerTree::FALSE;
    for python in &wheel.python_tags {
        for abi in &wheel.abi_tags {
            interpreters.or(interpreter_marker(python, abi));
        }
    }
    let mut platforms = MarkerTree::FALSE;
    for platform in &wheel.platform_tags {
        platforms.or(platform_marker(platform));
    }
    interpreters.and(platforms);
    interpreters
}

/// The interpreters a Python tag with an ABI tag serves, as packaging.tags lists them:
/// `cp312` with its own ABI (or `none`) on CPython 3.12 only, with `abi3` on CPython 3.12 and
/// later; `pp310` on PyPy 3.10; `py3` anywhere, `py38` on 3.8 and later (pip lists `py3x`
/// for every minor up to its own); `py2` nowhere in a Python 3 universe. The implementation is
/// said by both markers that name it (`implementation_name` and
/// `platform_python_implementation`), so that a required environment written with either is
/// told apart. Tags this does not know serve everywhere: the check never fails on a guess.
fn interpreter_marker(python: &str, abi: &str) -> MarkerTree {
    let (implementation, digits) = match python.get(..2) {
        Some("cp") => (Some(("cpython", "CPython")), &python[2..]),
        Some("pp") => (Some(("pypy", "PyPy")), &python[2..]),
        Some("py") => (None, &python[2..]),
        _ => return MarkerTree::TRUE,
    };
    let version = match digits.as_bytes() {
        [b'3'] => None,
        [b'2', ..] => return MarkerTree::FALSE,
        [b'3', minor @ ..] if minor.iter().all(u8::is_ascii_digit) => {
            Some(format!("3.{}", String::from_utf8_lossy(minor)))
        }
        _ => return MarkerTree::TRUE,
    };
    let mut clauses = Vec::new();
    if let Some((name, platform_name)) = implementation {
        clauses.push(format!(
            "implementation_name == '{name}' and platform_python_implementation == '{platform_name}'"
        ));
    }
    if let Some(version) = version {
        let exact = implementation.is_some() && abi != "abi3";
        let operator = if exact { "==" } else { ">=" };
        clauses.push(format!("python_version {operator} '{version}'"));
    }
    if clauses.is_empty() {
        return MarkerTree::TRUE;
    }
    MarkerTree::from_str(&clauses.join(" and ")).unwrap_or(MarkerTree::TRUE)
}

/// The environments a wheel's platform tag serves, by `sys_platform` and, where the tag names
/// one, `platform_machine` (as `platform.machine()` says it there: `AMD64` on Windows, `arm64`
/// on macOS, `aarch64` on Linux); true for `any` and for platforms this does not know.
fn platform_marker(tag: &str) -> MarkerTree {
    let platform = if tag.starts_with("win") {
        "win32"
    } else if tag.starts_with("macosx") {
        "darwin"
    } else if tag.starts_with("manylinux")
        || tag.starts_with("musllinux")
        || tag.starts_with("linux")
    {
        "linux"
    } else {
        return MarkerTree::TRUE;
    };
    let machine = machine_of(tag);
    let machines: &[&str] = match (platform, machine.as_str()) {
        ("win32", "amd64") => &["AMD64"],
        ("win32", "arm64") => &["ARM64"],
        ("darwin", "universal2") => &["x86_64", "arm64"],
        // `win32` (32-bit Python on any Windows), macOS's `intel`/`universal`/`fat*`: any machine.
        ("win32", _) | ("darwin", "intel" | "universal" | "fat" | "fat3" | "fat32" | "fat64") => {
            &[]
        }
        (_, machine) if !machine.is_empty() => &[machine],
        _ => &[],
    };
    let mut marker = format!("sys_platform == '{platform}'");
    if !machines.is_empty() {
        let any: Vec<String> = machines
            .iter()
            .map(|m| format!("platform_machine == '{m}'"))
            .collect();
        marker = format!("{marker} and ({})", any.join(" or "));
    }
    MarkerTree::from_str(&marker).unwrap_or(MarkerTree::TRUE)
}

/// The machine part of a platform tag: what follows its name and version numbers
/// (`manylinux_2_17_x86_64` and `manylinux2014_x86_64`: `x86_64`; `macosx_11_0_arm64`:
/// `arm64`; `win_amd64`: `amd64`; `win32`: nothing).
fn machine_of(tag: &str) -> String {
    let parts: Vec<&str> = tag.split('_').skip(1).collect();
    let first = parts
        .iter()
        .position(|p| !p.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or(parts.len());
    parts[first..].join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serves(file: &str, environment: &str) -> bool {
        let wheel = WheelFilename::parse(file).unwrap();
        let environment = MarkerTree::from_str(environment).unwrap();
        !wheel_marker(&wheel).is_disjoint(&environment)
    }

    #[test]
    fn interpreter_and_platform_count() {
        let cp312 = "x-1.0-cp312-cp312-manylinux_2_17_x86_64.whl";
        assert!(serves(
            cp312,
            "sys_platform == 'linux' and python_version == '3.12'"
        ));
        assert!(!serves(
            cp312,
            "sys_platform == 'linux' and python_version == '3.13'"
        ));
        assert!(!serves(cp312, "sys_platform == 'win32'"));
        assert!(!serves(cp312, "implementation_name == 'pypy'"));
        assert!(!serves(cp312, "platform_python_implementation == 'PyPy'"));
        assert!(!serves(cp312, "python_full_version == '3.11.4'"));
        let abi3 = "x-1.0-cp39-abi3-win_amd64.whl";
        assert!(serves(
            abi3,
            "sys_platform == 'win32' and python_version >= '3.13'"
        ));
        assert!(!serves(abi3, "python_version < '3.9'"));
        let pure = "x-1.0-py3-none-any.whl";
        assert!(serves(
            pure,
            "implementation_name == 'pypy' and python_version == '3.10'"
        ));
        assert!(!serves("x-1.0-py2-none-any.whl", "sys_platform == 'linux'"));
        let compressed = "x-1.0-cp311.cp312-cp311.cp312-macosx_11_0_arm64.whl";
        assert!(serves(
            compressed,
            "python_version == '3.11' and sys_platform == 'darwin'"
        ));
        assert!(!serves(compressed, "python_version == '3.10'"));
        let pypy = "x-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl";
        assert!(serves(
            pypy,
            "implementation_name == 'pypy' and python_version == '3.10'"
        ));
        assert!(!serves(pypy, "implementation_name == 'cpython'"));
    }

    #[test]
    fn machines_count() {
        let x86 = "x-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";
        assert!(serves(x86, "platform_machine == 'x86_64'"));
        assert!(!serves(
            x86,
            "sys_platform == 'linux' and platform_machine == 'aarch64'"
        ));
        let arm = "x-1.0-cp312-cp312-manylinux2014_aarch64.whl";
        assert!(serves(arm, "platform_machine == 'aarch64'"));
        assert!(!serves(arm, "platform_machine == 'x86_64'"));
        assert!(serves(
            "x-1.0-cp312-cp312-win_amd64.whl",
            "platform_machine == 'AMD64'"
        ));
        assert!(!serves(
            "x-1.0-cp312-cp312-win_amd64.whl",
            "platform_machine == 'ARM64'"
        ));
        assert!(serves(
            "x-1.0-cp312-cp312-win32.whl",
            "platform_machine == 'ARM64'"
        ));
        let mac = "x-1.0-cp312-cp312-macosx_11_0_universal2.whl";
        assert!(serves(
            mac,
            "sys_platform == 'darwin' and platform_machine == 'arm64'"
        ));
        assert!(!serves(
            "x-1.0-cp312-cp312-macosx_10_9_x86_64.whl",
            "sys_platform == 'darwin' and platform_machine == 'arm64'"
        ));
        assert_eq!(machine_of("musllinux_1_1_x86_64"), "x86_64");
        assert_eq!(machine_of("linux_armv7l"), "armv7l");
        assert_eq!(machine_of("win32"), "");
    }
}
