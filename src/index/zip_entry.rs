//! Reading one entry (a wheel's `METADATA`, a zip sdist's `PKG-INFO`) out of a zip archive from a
//! few byte ranges, without the rest of the file (PEP 658's fallback, as pip's `lazy_wheel` does).
//!
//! Hand-written rather than `async_zip` over `async_http_range_reader`: that pair needs its own
//! `reqwest-middleware` client, so its requests would bypass the retries, the concurrency limit and
//! the `-v` logging of `http.rs`, and it maps a buffer the size of the whole wheel. What is needed is
//! small and fixed: the end-of-central-directory record, the central directory, one local entry,
//! inflated with flate2. The reader is sans-IO: it says which bytes it needs next and the caller
//! fetches them (an HTTP range request, or a read from a local file), so the same code serves both
//! and is tested on bytes in memory.

use std::io::Read;
use std::ops::Range;

/// How much of the end of the file to ask for first. For most wheels this holds the central
/// directory and the `.dist-info` files (written last), so one request is enough.
pub(crate) const TAIL_SIZE: u64 = 64 * 1024;

/// At most this much is read in front of a central directory larger than the tail.
const MAX_LEAD: u64 = 1024 * 1024;

/// The range of a file of `len` bytes to fetch first.
pub(crate) fn tail(len: u64) -> Range<u64> {
    len.saturating_sub(TAIL_SIZE)..len
}

/// The largest end-of-central-directory record: 22 bytes and a comment of up to 65535.
const EOCD_MAX: u64 = 22 + 0xffff;

/// A refusal to inflate more than this from one entry: metadata is never this big.
const MAX_ENTRY_SIZE: u64 = 64 * 1024 * 1024;

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIGNATURE: u32 = 0x0606_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ZipError {
    /// No end-of-central-directory record: not a zip file.
    #[error("no zip end-of-central-directory record")]
    NotZip,
    /// A structure is cut short or points outside the file.
    #[error("corrupt zip {0}")]
    Corrupt(&'static str),
    /// The selector found nothing to read.
    #[error("{0}")]
    NoEntry(String),
    /// The entry is compressed with something other than stored or deflate.
    #[error("`{name}` uses unsupported zip compression method {method}")]
    Method { name: String, method: u16 },
    /// The inflated bytes do not match the recorded CRC-32.
    #[error("`{0}` fails its CRC-32 check")]
    Crc(String),
}

/// One central directory record, as much of it as locating and inflating an entry needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CentralEntry {
    pub(crate) name: String,
    method: u16,
    crc32: u32,
    compressed_size: u64,
    uncompressed_size: u64,
    local_offset: u64,
}

/// What the reader needs next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// These bytes of the file.
    Need(Range<u64>),
    /// The inflated entry.
    Done(Vec<u8>),
}

#[derive(Debug)]
enum State {
    FindDirectory,
    ReadDirectory { offset: u64, size: u64 },
    ReadEntry { entry: CentralEntry, end: u64 },
}

pub(crate) struct ZipEntryReader<S> {
    len: u64,
    /// Known bytes of the file: sorted, disjoint, non-adjacent `(offset, bytes)`.
    windows: Vec<(u64, Vec<u8>)>,
    select: S,
    state: State,
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

impl<S> ZipEntryReader<S>
where
    S: FnMut(&[CentralEntry]) -> Result<usize, String>,
{
    /// A reader of the file of `len` bytes whose entry `select` picks from the central directory.
    pub(crate) fn new(len: u64, select: S) -> Self {
        Self {
            len,
            windows: Vec::new(),
            select,
            state: State::FindDirectory,
        }
    }

    /// Hands over the bytes of the file starting at `offset`.
    pub(crate) fn add(&mut self, offset: u64, bytes: Vec<u8>) {
        let end = (offset + bytes.len() as u64).min(self.len);
        if offset >= end {
            return;
        }
        let mut bytes = bytes;
        bytes.truncate((end - offset) as usize);
        self.windows.push((offset, bytes));
        self.windows.sort_by_key(|(start, _)| *start);
        let mut merged: Vec<(u64, Vec<u8>)> = Vec::with_capacity(self.windows.len());
        for (start, bytes) in self.windows.drain(..) {
            match merged.last_mut() {
                Some((last_start, last)) if *last_start + last.len() as u64 >= start => {
                    let last_end = *last_start + last.len() as u64;
                    let end = start + bytes.len() as u64;
                    if end > last_end {
                        last.extend_from_slice(&bytes[(last_end - start) as usize..]);
                    }
                }
                _ => merged.push((start, bytes)),
            }
        }
        self.windows = merged;
    }

    /// The bytes of `range` if known, else the part of it still to fetch: everything before a
    /// known window that covers its end, or all of it.
    fn slice(&self, range: Range<u64>) -> Result<&[u8], Range<u64>> {
        for (start, bytes) in &self.windows {
            let end = start + bytes.len() as u64;
            if *start <= range.start && range.end <= end {
                let from = (range.start - start) as usize;
                return Ok(&bytes[from..from + (range.end - range.start) as usize]);
            }
            if *start > range.start && *start < range.end && range.end <= end {
                return Err(range.start..*start);
            }
        }
        Err(range)
    }

    /// Advances as far as the known bytes allow.
    pub(crate) fn step(&mut self) -> Result<Step, ZipError> {
        loop {
            match &self.state {
                State::FindDirectory => match self.find_directory()? {
                    Ok(state) => self.state = state,
                    Err(need) => return Ok(Step::Need(need)),
                },
                State::ReadDirectory { offset, size } => {
                    let range = *offset..offset + size;
                    let directory = match self.slice(range) {
                        Ok(directory) => directory,
                        Err(need) => {
                            // The entry wanted is a wheel's METADATA, which sits in front of
                            // RECORD, the last file, whose rows are about as long as the
                            // directory's: as many bytes again in front of the directory
                            // usually hold it too, saving the round trip of a third request
                            // (django, botocore, mypy, jedi wheels). One more request if not.
                            let lead = (*size).min(MAX_LEAD);
                            return Ok(Step::Need(need.start.saturating_sub(lead)..need.end));
                        }
                    };
                    let entries = parse_directory(directory)?;
                    let chosen = (self.select)(&entries).map_err(ZipError::NoEntry)?;
                    let entry = entries.get(chosen).ok_or(ZipError::Corrupt("selection"))?;
                    // The entry's data ends where the next entry (or the directory) begins. This
                    // bounds the local header's extra field, which the directory does not give.
                    let end = entries
                        .iter()
                        .map(|e| e.local_offset)
                        .filter(|&o| o > entry.local_offset)
                        .min()
                        .unwrap_or(*offset)
                        .min(*offset);
                    if entry.local_offset + 30 > end {
                        return Err(ZipError::Corrupt("entry offset"));
                    }
                    self.state = State::ReadEntry {
                        entry: entry.clone(),
                        end,
                    };
                }
                State::ReadEntry { entry, end } => {
                    return match self.slice(entry.local_offset..*end) {
                        Ok(local) => read_local(local, entry).map(Step::Done),
                        Err(need) => Ok(Step::Need(need)),
                    };
                }
            }
        }
    }

    /// Finds the central directory through the (zip64) end-of-central-directory record.
    fn find_directory(&self) -> Result<Result<State, Range<u64>>, ZipError> {
        let search = self.len.saturating_sub(EOCD_MAX)..self.len;
        // The known bytes at the end of the file, however many there are.
        let Some((tail_start, tail)) = self
            .windows
            .last()
            .filter(|(start, bytes)| start + bytes.len() as u64 == self.len)
        else {
            return Ok(Err(tail(self.len)));
        };
        let Some(at) = find_eocd(tail) else {
            if *tail_start > search.start {
                return Ok(Err(search.start..*tail_start));
            }
            return Err(ZipError::NotZip);
        };
        let eocd = &tail[at..];
        let entries = u16_at(eocd, 10);
        let size = u32_at(eocd, 12);
        let offset = u32_at(eocd, 16);
        if entries != 0xffff && size != 0xffff_ffff && offset != 0xffff_ffff {
            let (size, offset) = (u64::from(size), u64::from(offset));
            if offset + size > tail_start + at as u64 {
                return Err(ZipError::Corrupt("central directory bounds"));
            }
            return Ok(Ok(State::ReadDirectory { offset, size }));
        }
        // Zip64: a 20-byte locator right before the record points at the zip64 record.
        let eocd_offset = tail_start + at as u64;
        let locator = eocd_offset
            .checked_sub(20)
            .ok_or(ZipError::Corrupt("zip64 locator"))?;
        let locator = match self.slice(locator..eocd_offset) {
            Ok(locator) => locator,
            Err(need) => return Ok(Err(need)),
        };
        if u32_at(locator, 0) != ZIP64_LOCATOR_SIGNATURE {
            return Err(ZipError::Corrupt("zip64 locator"));
        }
        let record_offset = u64_at(locator, 8);
        if record_offset + 56 > eocd_offset {
            return Err(ZipError::Corrupt("zip64 record offset"));
        }
        let record = match self.slice(record_offset..record_offset + 56) {
            Ok(record) => record,
            Err(need) => return Ok(Err(need)),
        };
        if u32_at(record, 0) != ZIP64_EOCD_SIGNATURE {
            return Err(ZipError::Corrupt("zip64 end of central directory"));
        }
        let (size, offset) = (u64_at(record, 40), u64_at(record, 48));
        if offset
            .checked_add(size)
            .is_none_or(|end| end > record_offset)
        {
            return Err(ZipError::Corrupt("central directory bounds"));
        }
        Ok(Ok(State::ReadDirectory { offset, size }))
    }
}

/// The position of the end-of-central-directory record in `tail`, searching backwards and
/// checking that its comment length reaches exactly the end of the file.
fn find_eocd(tail: &[u8]) -> Option<usize> {
    let last = tail.len().checked_sub(22)?;
    (0..=last).rev().find(|&at| {
        u32_at(tail, at) == EOCD_SIGNATURE
            && at + 22 + usize::from(u16_at(tail, at + 20)) == tail.len()
    })
}

fn parse_directory(bytes: &[u8]) -> Result<Vec<CentralEntry>, ZipError> {
    let mut entries = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let header = bytes
            .get(at..at + 46)
            .ok_or(ZipError::Corrupt("central directory"))?;
        if u32_at(header, 0) != CENTRAL_SIGNATURE {
            return Err(ZipError::Corrupt("central directory signature"));
        }
        let name_len = usize::from(u16_at(header, 28));
        let extra_len = usize::from(u16_at(header, 30));
        let comment_len = usize::from(u16_at(header, 32));
        let name = bytes
            .get(at + 46..at + 46 + name_len)
            .ok_or(ZipError::Corrupt("central directory name"))?;
        let extra = bytes
            .get(at + 46 + name_len..at + 46 + name_len + extra_len)
            .ok_or(ZipError::Corrupt("central directory extra field"))?;
        let mut entry = CentralEntry {
            name: String::from_utf8_lossy(name).into_owned(),
            method: u16_at(header, 10),
            crc32: u32_at(header, 16),
            compressed_size: u64::from(u32_at(header, 20)),
            uncompressed_size: u64::from(u32_at(header, 24)),
            local_offset: u64::from(u32_at(header, 42)),
        };
        apply_zip64_extra(&mut entry, extra)?;
        entries.push(entry);
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// Zip64 (APPNOTE 4.5.3): the fields saturated at 0xffffffff continue in extra field 0x0001, in
/// the order uncompressed size, compressed size, local header offset.
fn apply_zip64_extra(entry: &mut CentralEntry, mut extra: &[u8]) -> Result<(), ZipError> {
    while extra.len() >= 4 {
        let (id, len) = (u16_at(extra, 0), usize::from(u16_at(extra, 2)));
        let data = extra
            .get(4..4 + len)
            .ok_or(ZipError::Corrupt("extra field"))?;
        if id == 0x0001 {
            let mut values = data.chunks_exact(8).map(|c| u64_at(c, 0));
            for field in [
                &mut entry.uncompressed_size,
                &mut entry.compressed_size,
                &mut entry.local_offset,
            ] {
                if *field == 0xffff_ffff {
                    *field = values
                        .next()
                        .ok_or(ZipError::Corrupt("zip64 extra field"))?;
                }
            }
            return Ok(());
        }
        extra = &extra[4 + len..];
    }
    Ok(())
}

/// Inflates an entry from its local header onwards (sizes and CRC from the central directory,
/// which are right even when the local header defers them to a data descriptor).
fn read_local(local: &[u8], entry: &CentralEntry) -> Result<Vec<u8>, ZipError> {
    if local.len() < 30 || u32_at(local, 0) != LOCAL_SIGNATURE {
        return Err(ZipError::Corrupt("local header"));
    }
    let data_start = 30 + usize::from(u16_at(local, 26)) + usize::from(u16_at(local, 28));
    let data = usize::try_from(entry.compressed_size)
        .ok()
        .and_then(|size| local.get(data_start..data_start.checked_add(size)?))
        .ok_or(ZipError::Corrupt("entry size"))?;
    if entry.uncompressed_size > MAX_ENTRY_SIZE {
        return Err(ZipError::Corrupt("entry size"));
    }
    let mut out = Vec::with_capacity(entry.uncompressed_size as usize);
    match entry.method {
        0 => out.extend_from_slice(data),
        8 => {
            flate2::read::DeflateDecoder::new(data)
                .take(MAX_ENTRY_SIZE)
                .read_to_end(&mut out)
                .map_err(|_| ZipError::Corrupt("deflate stream"))?;
        }
        method => {
            return Err(ZipError::Method {
                name: entry.name.clone(),
                method,
            });
        }
    }
    let mut crc = flate2::Crc::new();
    crc.update(&out);
    if crc.sum() != entry.crc32 || out.len() as u64 != entry.uncompressed_size {
        return Err(ZipError::Crc(entry.name.clone()));
    }
    Ok(out)
}

/// Picks `<name>.dist-info/METADATA` at the top of a wheel. With several `.dist-info` directories
/// (a malformed wheel) the one named after the project wins, as pip decides.
pub(crate) fn select_wheel_metadata(
    project: &str,
) -> impl FnMut(&[CentralEntry]) -> Result<usize, String> {
    let project = normalize(project);
    move |entries| {
        let candidates: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.name
                    .strip_suffix(".dist-info/METADATA")
                    .is_some_and(|dir| !dir.contains('/'))
            })
            .map(|(i, _)| i)
            .collect();
        match candidates.as_slice() {
            [] => Err("no `.dist-info/METADATA` in the wheel".to_string()),
            [one] => Ok(*one),
            several => several
                .iter()
                .copied()
                .find(|&i| {
                    let dir = entries[i].name.trim_end_matches(".dist-info/METADATA");
                    let name = dir.rsplit_once('-').map_or(dir, |(name, _)| name);
                    normalize(name) == project
                })
                .ok_or_else(|| "several `.dist-info` directories in the wheel".to_string()),
        }
    }
}

/// Picks `<name>-<version>/PKG-INFO` at the top of a zip sdist (not an `.egg-info`'s copy).
pub(crate) fn select_sdist_pkg_info(entries: &[CentralEntry]) -> Result<usize, String> {
    entries
        .iter()
        .position(|e| {
            e.name
                .strip_suffix("/PKG-INFO")
                .is_some_and(|dir| !dir.is_empty() && !dir.contains('/'))
        })
        .ok_or_else(|| "no `PKG-INFO` at the top of the sdist".to_string())
}

/// PEP 503 normalization, for comparing names found inside archives.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;

    use super::*;

    const METADATA: &[u8] = b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\n";

    /// A wheel with `filler` entries of `filler_size` bytes before its dist-info.
    fn wheel(filler: usize, filler_size: usize, method: zip::CompressionMethod) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(method);
        // Incompressible filler, so that the file really is as large as asked.
        let mut state = 0x2545_f491_u32;
        for i in 0..filler {
            zip.start_file(format!("foo/module_{i:05}.py"), options)
                .unwrap();
            let noise: Vec<u8> = (0..filler_size)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect();
            zip.write_all(&noise).unwrap();
        }
        zip.start_file("foo-1.0.dist-info/METADATA", options)
            .unwrap();
        zip.write_all(METADATA).unwrap();
        zip.start_file("foo-1.0.dist-info/WHEEL", options).unwrap();
        zip.write_all(b"Wheel-Version: 1.0\n").unwrap();
        zip.start_file("foo-1.0.dist-info/RECORD", options).unwrap();
        zip.write_all(&[b'r'; 100]).unwrap();
        zip.finish().unwrap().into_inner()
    }

    /// Drives the reader over `file` like the HTTP client does; returns the entry and the ranges
    /// fetched after the first tail.
    fn drive(
        file: &[u8],
        select: impl FnMut(&[CentralEntry]) -> Result<usize, String>,
    ) -> (Result<Vec<u8>, ZipError>, Vec<Range<u64>>) {
        let len = file.len() as u64;
        let mut reader = ZipEntryReader::new(len, select);
        let tail = tail(len);
        reader.add(tail.start, file[tail.start as usize..].to_vec());
        let mut fetched = Vec::new();
        loop {
            match reader.step() {
                Ok(Step::Done(bytes)) => return (Ok(bytes), fetched),
                Ok(Step::Need(range)) => {
                    assert!(fetched.len() < 5, "too many fetches: {fetched:?}");
                    reader.add(
                        range.start,
                        file[range.start as usize..range.end as usize].to_vec(),
                    );
                    fetched.push(range);
                }
                Err(err) => return (Err(err), fetched),
            }
        }
    }

    #[test]
    fn small_wheel_needs_only_the_tail() {
        let file = wheel(3, 100, zip::CompressionMethod::Deflated);
        let (metadata, fetched) = drive(&file, select_wheel_metadata("foo"));
        assert_eq!(metadata.unwrap(), METADATA);
        assert!(fetched.is_empty());
    }

    #[test]
    fn large_central_directory_is_fetched_in_front_of_the_tail() {
        // 3000 entries make a central directory of about 130 KiB, more than the tail.
        let file = wheel(3000, 10, zip::CompressionMethod::Stored);
        let (metadata, fetched) = drive(&file, select_wheel_metadata("foo"));
        assert_eq!(metadata.unwrap(), METADATA);
        // The part of the directory in front of what the tail holds, with as much again in
        // front of it, which holds the entry (right before the directory): one request.
        assert_eq!(fetched.len(), 1, "{fetched:?}");
        assert_eq!(fetched[0].end, file.len() as u64 - TAIL_SIZE);
    }

    #[test]
    fn metadata_beyond_the_lead_costs_one_more_request() {
        // A directory of ~130 KiB, and 300 KiB of data between METADATA and the directory.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        for i in 0..3000 {
            zip.start_file(format!("foo/module_{i:05}.py"), options)
                .unwrap();
        }
        zip.start_file("foo-1.0.dist-info/METADATA", options)
            .unwrap();
        zip.write_all(METADATA).unwrap();
        zip.start_file("foo-1.0.dist-info/RECORD", options).unwrap();
        zip.write_all(&vec![b'r'; 300 * 1024]).unwrap();
        let file = zip.finish().unwrap().into_inner();
        let (metadata, fetched) = drive(&file, select_wheel_metadata("foo"));
        assert_eq!(metadata.unwrap(), METADATA);
        assert_eq!(fetched.len(), 2, "{fetched:?}");
        assert!(fetched[1].end <= fetched[0].start);
        assert!(fetched[1].end - fetched[1].start < 200, "{fetched:?}");
    }

    #[test]
    fn metadata_far_from_the_end_is_fetched_exactly() {
        // METADATA first, then 200 KiB of data: the entry is not in the tail.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        zip.start_file("foo-1.0.dist-info/METADATA", options)
            .unwrap();
        zip.write_all(METADATA).unwrap();
        zip.start_file(
            "foo/data.bin",
            options.compression_method(zip::CompressionMethod::Stored),
        )
        .unwrap();
        zip.write_all(&vec![7; 200 * 1024]).unwrap();
        let file = zip.finish().unwrap().into_inner();
        let (metadata, fetched) = drive(&file, select_wheel_metadata("foo"));
        assert_eq!(metadata.unwrap(), METADATA);
        assert_eq!(fetched.len(), 1);
        assert_eq!(fetched[0].start, 0);
        assert!(fetched[0].end < 1024, "{fetched:?}");
    }

    #[test]
    fn zip64_archives_are_read() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().large_file(true);
        zip.start_file("foo-1.0.dist-info/METADATA", options)
            .unwrap();
        zip.write_all(METADATA).unwrap();
        let file = zip.finish().unwrap().into_inner();
        assert_eq!(
            drive(&file, select_wheel_metadata("foo")).0.unwrap(),
            METADATA
        );
    }

    #[test]
    fn errors_are_reported_not_panicked() {
        let (result, _) = drive(b"not a zip at all", select_wheel_metadata("foo"));
        assert_eq!(result.unwrap_err(), ZipError::NotZip);
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("foo/__init__.py", SimpleFileOptions::default())
            .unwrap();
        let file = zip.finish().unwrap().into_inner();
        let (result, _) = drive(&file, select_wheel_metadata("foo"));
        assert!(matches!(result, Err(ZipError::NoEntry(_))));
        // A flipped byte inside the compressed METADATA fails the CRC (or the inflater).
        let mut file = wheel(0, 0, zip::CompressionMethod::Stored);
        let at = file.windows(4).position(|w| w == b"Name").unwrap();
        file[at] = b'X';
        let (result, _) = drive(&file, select_wheel_metadata("foo"));
        assert_eq!(
            result.unwrap_err(),
            ZipError::Crc("foo-1.0.dist-info/METADATA".into())
        );
    }

    #[test]
    fn several_dist_infos_pick_the_projects_own() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        zip.start_file("vendored-2.0.dist-info/METADATA", options)
            .unwrap();
        zip.write_all(b"Name: vendored\n").unwrap();
        zip.start_file("Foo_Bar-1.0.dist-info/METADATA", options)
            .unwrap();
        zip.write_all(METADATA).unwrap();
        let file = zip.finish().unwrap().into_inner();
        assert_eq!(
            drive(&file, select_wheel_metadata("foo-bar")).0.unwrap(),
            METADATA
        );
    }

    #[test]
    fn sdist_pkg_info_at_the_top_only() {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        zip.start_file("foo-1.0/src/foo.egg-info/PKG-INFO", options)
            .unwrap();
        zip.write_all(b"wrong").unwrap();
        zip.start_file("foo-1.0/PKG-INFO", options).unwrap();
        zip.write_all(METADATA).unwrap();
        let file = zip.finish().unwrap().into_inner();
        assert_eq!(drive(&file, select_sdist_pkg_info).0.unwrap(), METADATA);
    }

    #[test]
    fn windows_merge() {
        let mut reader = ZipEntryReader::new(100, select_sdist_pkg_info);
        reader.add(50, vec![1; 50]);
        reader.add(10, vec![2; 20]);
        assert_eq!(reader.slice(0..100), Err(0..50));
        assert_eq!(reader.slice(0..20), Err(0..10));
        assert_eq!(reader.slice(40..100), Err(40..50));
        reader.add(30, vec![3; 20]);
        assert_eq!(reader.windows.len(), 1);
        assert_eq!(reader.slice(10..100).unwrap().len(), 90);
    }
}
