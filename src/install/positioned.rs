//! A buffered reader of a file that seeks without a system call.
//!
//! The zip reader seeks to every entry it opens; through `BufReader<File>` each seek is an
//! `lseek` and throws the buffer away, 23,776 of them in a cold sync of 45 wheels
//! (benches/RESULTS.md, "Sync, round 3"). Here a seek only moves a number, and reads fill a
//! buffer with positioned reads (`pread`), so entries read in order share the buffer. Unlike
//! reading the whole archive into memory, it holds only the buffer.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

pub(crate) struct PositionedReader {
    file: File,
    /// The file's length when it was opened, for `SeekFrom::End`.
    len: u64,
    pos: u64,
    buffer: Box<[u8]>,
    /// Where in the file `buffer[..filled]` came from.
    buffer_start: u64,
    filled: usize,
}

impl PositionedReader {
    pub(crate) fn new(file: File, capacity: usize) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(Self {
            file,
            len,
            pos: 0,
            buffer: vec![0; capacity.max(1)].into_boxed_slice(),
            buffer_start: 0,
            filled: 0,
        })
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, out: &mut [u8], pos: u64) -> io::Result<usize> {
        loop {
            #[cfg(unix)]
            let read = std::os::unix::fs::FileExt::read_at(&self.file, out, pos);
            #[cfg(windows)]
            let read = std::os::windows::fs::FileExt::seek_read(&self.file, out, pos);
            match read {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
        }
    }
}

impl Read for PositionedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let buffered =
            self.pos >= self.buffer_start && self.pos < self.buffer_start + self.filled as u64;
        if !buffered {
            // A read as large as the buffer goes straight into `out`.
            if out.len() >= self.buffer.len() {
                let read = self.read_at(out, self.pos)?;
                self.pos += read as u64;
                return Ok(read);
            }
            let mut buffer = std::mem::take(&mut self.buffer);
            let read = self.read_at(&mut buffer, self.pos);
            self.buffer = buffer;
            self.buffer_start = self.pos;
            self.filled = read?;
            if self.filled == 0 {
                return Ok(0);
            }
        }
        let offset = (self.pos - self.buffer_start) as usize;
        let available = &self.buffer[offset..self.filled];
        let count = available.len().min(out.len());
        out[..count].copy_from_slice(&available[..count]);
        self.pos += count as u64;
        Ok(count)
    }
}

impl Seek for PositionedReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(pos) => Some(pos),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        self.pos = pos.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "a seek before the start")
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_and_seeks_like_the_file() {
        let content: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&content).unwrap();
        for capacity in [1, 7, 4096, 20_000] {
            let mut reader = PositionedReader::new(file.try_clone().unwrap(), capacity).unwrap();
            assert_eq!(reader.len(), 10_000);
            let mut all = Vec::new();
            reader.read_to_end(&mut all).unwrap();
            assert_eq!(all, content);
            let mut pos = 10_000u64;
            for to in [
                SeekFrom::Start(5000),
                SeekFrom::Current(-100),
                SeekFrom::End(-10),
                SeekFrom::Start(3),
            ] {
                let at = match to {
                    SeekFrom::Start(at) => at,
                    SeekFrom::Current(delta) => pos.checked_add_signed(delta).unwrap(),
                    SeekFrom::End(delta) => 10_000u64.checked_add_signed(delta).unwrap(),
                };
                assert_eq!(reader.seek(to).unwrap(), at);
                let mut some = [0; 37];
                let read = reader.read(&mut some).unwrap();
                assert!(read > 0);
                assert_eq!(some[..read], content[at as usize..at as usize + read]);
                pos = at + read as u64;
            }
            assert!(reader.seek(SeekFrom::Current(-100_000)).is_err());
            reader.seek(SeekFrom::Start(20_000)).unwrap();
            assert_eq!(reader.read(&mut [0; 8]).unwrap(), 0);
        }
    }
}
