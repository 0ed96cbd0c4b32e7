//! Fuzz targets: one function per input class, taking arbitrary bytes. None may panic; errors
//! are rendered as `main.rs` renders them, so a diagnostic that cannot be shown is found too.
//!
//! Two harnesses drive them (README, "Fuzzing"): the coverage-guided one in `fuzz/` (libFuzzer,
//! which compiles this crate's modules into its own library), and the proptest one in this
//! module's tests, a short run of which is part of `cargo test`, over the seed corpora in
//! `testdata/fuzz/<target>/`.

use std::path::PathBuf;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};

use crate::lockfile;
use crate::metadata::{CoreMetadata, DistFilename, WheelFilename};
use crate::pyproject::{Pyproject, Selection};
use crate::requirements;

/// A fuzz target: arbitrary bytes in, no panic.
pub(crate) type Target = fn(&[u8]);

/// The targets, by the name of their corpus folder and fuzz binary.
pub(crate) const TARGETS: &[(&str, Target)] = &[
    ("requirements", requirements_file),
    ("lockfile", lockfile_file),
    ("pylock", pylock_file),
    ("pyproject", pyproject_file),
    ("metadata", core_metadata),
    ("wheel", wheel_archive),
    ("zip_ranges", zip_ranges),
];

/// Render an error as a person would see it; the text itself is thrown away.
fn render<E: miette::Diagnostic + Send + Sync>(err: E) {
    let windowed = crate::report::Windowed::new(err);
    let mut out = String::new();
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    handler
        .render_report(&mut out, &windowed)
        .expect("a diagnostic renders");
}

/// A folder that does not exist: inputs are "read from" it, so includes and paths relative to
/// them name nothing real (absolute ones may still be read, as a person's could be).
fn nowhere() -> PathBuf {
    std::env::temp_dir().join("pinion-fuzz-nowhere")
}

/// Markers of a plain Linux CPython 3.12.
fn markers() -> MarkerEnvironment {
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.12.1",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6.1.0",
        platform_system: "Linux",
        platform_version: "#1 SMP",
        python_full_version: "3.12.1",
        python_version: "3.12",
        sys_platform: "linux",
    })
    .expect("a valid marker environment")
}

/// A requirements file (`.in` or `.txt`), as `compile` reads it.
pub(crate) fn requirements_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = nowhere().join("requirements.in");
    if let Err(err) = requirements::read_str(&path, text.to_string()) {
        render(err);
    }
}

/// A lockfile, as `sync` and `check` read it: its requirements, pins, direct references and
/// the compile command its header records.
pub(crate) fn lockfile_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = nowhere().join("requirements.txt");
    let parsed = match requirements::read_str(&path, text.to_string()) {
        Ok(parsed) => parsed,
        Err(err) => return render(err),
    };
    let markers = markers();
    let parsed = [parsed];
    if let Err(err) = lockfile::pins(&parsed, &markers) {
        render(err);
    }
    if let Err(err) = lockfile::sources(&parsed, &markers) {
        render(err);
    }
    let _ = lockfile::header_python(text);
    if lockfile::header_command(text).is_some()
        && let Err(err) = crate::settings::recorded_compile(&path, text)
    {
        render(err);
    }
}

/// A pylock.toml, as `sync`, `check` and compile's preferences read it: its packages as pins.
pub(crate) fn pylock_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = nowhere().join("pylock.toml");
    let parsed = match lockfile::pylock::read_str(&path, text) {
        Ok(parsed) => parsed,
        Err(err) => return render(err),
    };
    let markers = markers();
    let parsed = [parsed];
    if let Err(err) = lockfile::pins(&parsed, &markers) {
        render(err);
    }
    if let Err(err) = lockfile::sources(&parsed, &markers) {
        render(err);
    }
    let _ = lockfile::header_python(text);
}

/// pyproject.toml: its requirements for every extra and group it names, and `[tool.pinion]`
/// read through each typed accessor the settings stage uses.
pub(crate) fn pyproject_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let pyproject = match Pyproject::parse(&nowhere().join("pyproject.toml"), text.to_string()) {
        Ok(pyproject) => pyproject,
        Err(err) => return render(err),
    };
    let _ = pyproject.name();
    let _ = pyproject.is_dynamic("dependencies");
    let doc: Option<toml_edit::DocumentMut> = text.parse().ok();
    let names = |table: &str| -> Vec<String> {
        let item = doc.as_ref().and_then(|doc| match table {
            "optional-dependencies" => doc.get("project")?.get(table),
            _ => doc.get(table),
        });
        item.and_then(toml_edit::Item::as_table_like)
            .map(|t| t.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default()
    };
    let selections = [
        Selection::default(),
        Selection {
            extras: names("optional-dependencies"),
            all_extras: false,
            groups: names("dependency-groups"),
            ..Selection::default()
        },
        Selection {
            extras: vec!["missing".into()],
            all_extras: true,
            groups: vec!["missing".into()],
            ..Selection::default()
        },
    ];
    for selection in &selections {
        if let Err(err) = pyproject.requirements(selection) {
            render(err);
        }
    }
    for top_level in [false, true] {
        let Some(table) = pyproject.tool_table(top_level) else {
            continue;
        };
        let keys = [
            "generate-hashes",
            "index-url",
            "extra-index-url",
            "annotation-style",
        ];
        let results = [
            table.check_keys(&keys).err(),
            table.bool("generate-hashes").err(),
            table.string("index-url").err(),
            table.strings("extra-index-url").err(),
            table.choice("annotation-style", &["split", "line"]).err(),
        ];
        results.into_iter().flatten().for_each(render);
    }
}

/// Core metadata (METADATA, PKG-INFO) as an index serves it, and file names as an index lists
/// them (the first line).
pub(crate) fn core_metadata(data: &[u8]) {
    match CoreMetadata::parse(data) {
        Ok(metadata) => {
            let _ = metadata.is_static();
        }
        Err(err) => render(err),
    }
    let first = data.split(|&b| b == b'\n').next().unwrap_or_default();
    if let Ok(name) = std::str::from_utf8(first) {
        let _ = WheelFilename::parse(name);
        let _ = DistFilename::parse(name, None);
    }
}

/// A wheel, validated and unpacked by sync's install stage (into a temporary folder).
pub(crate) fn wheel_archive(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let wheel = dir.path().join("pkg-1.0-py3-none-any.whl");
    let dest = dir.path().join("unpacked");
    if std::fs::write(&wheel, data).is_err() || std::fs::create_dir(&dest).is_err() {
        return;
    }
    if let Err(err) = crate::install::unpack(&wheel, &dest) {
        render(err);
    }
}

/// The index's zip range reader (`index::zip_entry`), as a wheel's METADATA (or a zip sdist's
/// PKG-INFO) is read through HTTP range requests. The file is `data`, served twice: honestly,
/// as a well-behaved server sends the ranges asked for; then by a hostile server whose
/// `Content-Range` claims the file length and first offset the first 16 bytes of `data` say,
/// and whose answers come from the rest of `data`, shorter than asked when it runs out.
pub(crate) fn zip_ranges(data: &[u8]) {
    use crate::index::zip_entry::{self, ZipEntryReader};
    let honest = |select| {
        let len = data.len() as u64;
        let reader = ZipEntryReader::new(len, select);
        drive_zip(reader, zip_entry::tail(len), |range| {
            let range = usize::try_from(range.start).unwrap_or(usize::MAX)
                ..usize::try_from(range.end).unwrap_or(usize::MAX);
            data.get(range).map(<[u8]>::to_vec).unwrap_or_default()
        });
    };
    honest(Box::new(zip_entry::select_wheel_metadata("pkg")) as Box<ZipSelect>);
    honest(Box::new(zip_entry::select_sdist_pkg_info) as Box<ZipSelect>);
    let Some((control, file)) = data.split_at_checked(16) else {
        return;
    };
    let claimed_len = u64::from_le_bytes(control[..8].try_into().expect("8 bytes"));
    let first = u64::from_le_bytes(control[8..].try_into().expect("8 bytes"));
    // As `IndexClient::range` checks it: a first offset inside the claimed length.
    if claimed_len == 0 || first >= claimed_len {
        return;
    }
    let reader = ZipEntryReader::new(claimed_len, zip_entry::select_wheel_metadata("pkg"));
    let mut offset: usize = 0;
    drive_zip(reader, first..claimed_len, |range| {
        let want = usize::try_from(range.end - range.start).unwrap_or(usize::MAX);
        let end = file.len().min(offset.saturating_add(want));
        let bytes = file[offset.min(end)..end].to_vec();
        offset = end;
        bytes
    });
}

type ZipSelect = dyn FnMut(&[crate::index::zip_entry::CentralEntry]) -> Result<usize, String>;

/// Steps a reader as `IndexClient::range_metadata` does: the first answer at `first.start`,
/// then each range it needs, from `serve`, for at most a few rounds.
fn drive_zip<S>(
    mut reader: crate::index::zip_entry::ZipEntryReader<S>,
    first: std::ops::Range<u64>,
    mut serve: impl FnMut(std::ops::Range<u64>) -> Vec<u8>,
) where
    S: FnMut(&[crate::index::zip_entry::CentralEntry]) -> Result<usize, String>,
{
    use crate::index::zip_entry::Step;
    reader.add(first.start, serve(first));
    for _ in 0..8 {
        match reader.step() {
            Ok(Step::Need(range)) if range.start < range.end => {
                let bytes = serve(range.clone());
                if bytes.is_empty() {
                    return;
                }
                reader.add(range.start, bytes);
            }
            Ok(_) | Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests;
