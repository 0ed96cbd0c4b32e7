//! Scripts: `#!python` shebang rewriting and console/GUI launchers from `entry_points.txt`, as
//! pip writes them (pip's `PipScriptMaker` on top of distlib's `ScriptMaker`).

use std::path::Path;

use super::InstallError;

/// A `[console_scripts]` or `[gui_scripts]` entry: `name = module:attr [extras]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EntryPoint {
    /// The script's file name in the scripts folder.
    pub(crate) name: String,
    pub(crate) module: String,
    /// A dotted attribute path inside `module`.
    pub(crate) attr: String,
}

/// The launchers `entry_points.txt` asks for. On POSIX `gui_scripts` are plain scripts too.
///
/// The names become file names and the values Python source, so both are checked strictly:
/// a name must be one path component, a value dotted identifiers (pip requires the
/// `module:attr` form as well).
pub(crate) fn parse_entry_points(
    content: &str,
    wheel: &Path,
) -> Result<Vec<EntryPoint>, InstallError> {
    let mut entry_points = Vec::new();
    let mut group: Option<&str> = None;
    for line in content.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(section) = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            group = Some(section.trim());
            continue;
        }
        let Some(group) = group.filter(|g| *g == "console_scripts" || *g == "gui_scripts") else {
            continue;
        };
        let invalid = |reason| InstallError::InvalidEntryPoint {
            wheel: wheel.to_path_buf(),
            group: group.to_string(),
            entry_point: trimmed.to_string(),
            reason,
        };
        let (name, value) = trimmed
            .split_once('=')
            .ok_or_else(|| invalid("expected `name = module:attr`"))?;
        let name = name.trim();
        if !is_safe_file_name(name) {
            return Err(invalid("the name must be a plain file name"));
        }
        // Extras (`[extra1, extra2]`) only matter to the resolver.
        let value = value.split('[').next().unwrap_or_default().trim();
        let (module, attr) = value
            .split_once(':')
            .ok_or_else(|| invalid("a script needs a callable: `module:function`"))?;
        let (module, attr) = (module.trim(), attr.trim());
        if !is_dotted_identifier(module) || !is_dotted_identifier(attr) {
            return Err(invalid(
                "module and function must be dotted Python identifiers",
            ));
        }
        entry_points.push(EntryPoint {
            name: name.to_string(),
            module: module.to_string(),
            attr: attr.to_string(),
        });
    }
    Ok(entry_points)
}

fn is_safe_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0', ':'])
        && !name.starts_with(char::is_whitespace)
}

fn is_dotted_identifier(value: &str) -> bool {
    value.split('.').all(|part| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|first| first == '_' || first.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
    })
}

/// The shebang line (without its newline) that runs `python`, as distlib writes it: a plain
/// `#!` line, unless the path has a space or is longer than the kernel reads (127 bytes on
/// Linux, 512 on macOS), where a `/bin/sh` trampoline `exec`s the interpreter instead.
pub(crate) fn shebang(python: &Path) -> Vec<u8> {
    let path = python.as_os_str().as_encoded_bytes();
    let max = if cfg!(target_os = "macos") { 512 } else { 127 };
    // `#!`, the path, the newline.
    if path.contains(&b' ') || path.len() + 3 > max {
        let mut line = b"#!/bin/sh\n'''exec' \"".to_vec();
        line.extend_from_slice(path);
        line.extend_from_slice(b"\" \"$0\" \"$@\"\n' '''");
        line
    } else {
        let mut line = b"#!".to_vec();
        line.extend_from_slice(path);
        line
    }
}

/// A `.data/scripts` file with its `#!python` (or `#!pythonw`) first line replaced by the
/// environment's interpreter (PEP 427); `None` for any other script, which is kept as is.
pub(crate) fn rewrite_shebang(content: &[u8], python: &Path) -> Option<Vec<u8>> {
    if !content.starts_with(b"#!python") {
        return None;
    }
    // pip replaces the whole first line, dropping anything after `#!python`.
    let rest = match content.iter().position(|&byte| byte == b'\n') {
        Some(newline) => &content[newline + 1..],
        None => &[],
    };
    let mut script = shebang(python);
    script.push(b'\n');
    script.extend_from_slice(rest);
    Some(script)
}

/// The launcher pip writes for an entry point.
pub(crate) fn launcher(entry_point: &EntryPoint, python: &Path) -> Vec<u8> {
    let import_name = entry_point
        .attr
        .split('.')
        .next()
        .expect("split yields at least one part");
    let mut script = shebang(python);
    script.extend_from_slice(
        format!(
            "\n# -*- coding: utf-8 -*-\n\
             import re\n\
             import sys\n\
             from {module} import {import_name}\n\
             if __name__ == \"__main__\":\n    \
             sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    \
             sys.exit({attr}())\n",
            module = entry_point.module,
            attr = entry_point.attr,
        )
        .as_bytes(),
    );
    script
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(content: &str) -> Result<Vec<EntryPoint>, InstallError> {
        parse_entry_points(content, Path::new("pkg-1.0-py3-none-any.whl"))
    }

    #[test]
    fn reads_console_and_gui_scripts_only() {
        let entry_points = parse(
            "[console_scripts]\npkg-cli = pkg.cli:main [color]\n\n[gui_scripts]\npkg-gui=pkg:App.run\n\n[pkg.plugins]\nx = y:z\n",
        )
        .unwrap();
        assert_eq!(
            entry_points,
            vec![
                EntryPoint {
                    name: "pkg-cli".into(),
                    module: "pkg.cli".into(),
                    attr: "main".into()
                },
                EntryPoint {
                    name: "pkg-gui".into(),
                    module: "pkg".into(),
                    attr: "App.run".into()
                },
            ]
        );
    }

    #[test]
    fn refuses_names_that_escape_and_values_that_inject() {
        for bad in [
            "../evil = pkg:main",
            "/usr/bin/evil = pkg:main",
            "evil = os; import shutil:main",
            "evil = pkg",
            "evil = pkg:main()",
        ] {
            let err = parse(&format!("[console_scripts]\n{bad}\n")).unwrap_err();
            assert!(
                matches!(err, InstallError::InvalidEntryPoint { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn long_or_spaced_interpreter_paths_use_the_sh_trampoline() {
        assert_eq!(
            shebang(Path::new("/venv/bin/python")),
            b"#!/venv/bin/python"
        );
        let spaced = shebang(Path::new("/my venv/bin/python"));
        assert_eq!(
            String::from_utf8(spaced).unwrap(),
            "#!/bin/sh\n'''exec' \"/my venv/bin/python\" \"$0\" \"$@\"\n' '''"
        );
        let long = format!("/{}/bin/python", "x".repeat(130));
        assert!(shebang(Path::new(&long)).starts_with(b"#!/bin/sh\n"));
    }

    #[test]
    fn rewrites_only_python_shebangs() {
        let python = Path::new("/venv/bin/python");
        assert_eq!(
            rewrite_shebang(b"#!python\r\nprint(1)\n", python).unwrap(),
            b"#!/venv/bin/python\nprint(1)\n"
        );
        assert_eq!(rewrite_shebang(b"#!/bin/sh\necho\n", python), None);
    }
}
