//! One multi-process file, mapped for writing: prometheus_client's `MmapedDict`.
//!
//! The layout and its checks are the core's ([`fastprom::multiprocess::format`]); this is
//! the I/O: opening (creating and sizing a new file), mapping, growing, and writing values
//! in place. A writer appends an entry's bytes first and raises the header's `used` after
//! them, so a reader (another process, at any moment, even after this one is killed
//! mid-write) never sees half an entry.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::atomic::{fence, Ordering};

use fastprom::multiprocess::format::{self, FormatError, HEADER, INITIAL_SIZE};
use hashbrown::HashMap;
use memmap2::{Mmap, MmapMut};

/// The mapping: writable, or read-only (`read_mode=True`).
enum Map {
    Write(MmapMut),
    Read(Mmap),
}

impl Map {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Write(m) => m,
            Self::Read(m) => m,
        }
    }
}

/// Why a file cannot be used.
#[derive(Debug)]
pub(crate) enum FileError {
    /// The operating system said no.
    Io(io::Error),
    /// The contents are damaged.
    Format(FormatError),
    /// A write to a file opened read-only.
    ReadOnly,
}

impl From<io::Error> for FileError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Io(e) => e.fmt(f),
            Self::Format(e) => e.fmt(f),
            Self::ReadOnly => f.write_str("the file is open read-only"),
        }
    }
}

/// A mapped multi-process file and the positions of its keys.
pub(crate) struct MmapFile {
    file: File,
    map: Map,
    capacity: usize,
    used: usize,
    positions: HashMap<String, usize, foldhash::fast::RandomState>,
}

impl MmapFile {
    /// Opens `path` (created when missing, unless `read_only`), sizing a new file and
    /// writing its header, and reads where each key's value is.
    pub(crate) fn open(path: &Path, read_only: bool) -> Result<Self, FileError> {
        let file = if read_only {
            File::open(path)?
        } else {
            let f = OpenOptions::new().read(true).append(true).create(true).open(path)?;
            // Marks the file as in use for as long as it is open, so compaction never folds
            // it (see `dir::compact`); not having the lock changes nothing else.
            let _ = f.try_lock_shared();
            f
        };
        let mut capacity = file.metadata()?.len() as usize;
        if capacity > 0 && capacity < HEADER {
            return Err(FileError::Format(FormatError::Short { len: capacity }));
        }
        if capacity == 0 {
            if read_only {
                return Err(FileError::Io(io::Error::new(io::ErrorKind::InvalidData, "cannot map an empty file")));
            }
            file.set_len(INITIAL_SIZE as u64)?;
            capacity = INITIAL_SIZE;
        }
        // SAFETY: the mapping is only read or written through this value, within
        // `capacity`; another process truncating the file under us is outside the
        // contract of the format (prometheus_client maps it the same way).
        let map = unsafe {
            if read_only {
                Map::Read(Mmap::map(&file)?)
            } else {
                Map::Write(MmapMut::map_mut(&file)?)
            }
        };
        let mut this = Self { file, map, capacity, used: 0, positions: HashMap::default() };
        let used = format::used(this.map.bytes()).unwrap_or(0);
        if used == 0 {
            this.used = HEADER;
            if !read_only {
                this.write_header();
            }
            return Ok(this);
        }
        let entries = format::entries(this.map.bytes()).map_err(FileError::Format)?;
        this.used = used as usize;
        let positions = entries.iter().map(|e| (e.key.to_owned(), e.pos)).collect();
        this.positions = positions;
        Ok(this)
    }

    /// Bytes in the file (and mapped).
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes in use.
    pub(crate) fn used(&self) -> usize {
        self.used
    }

    /// The bytes in use.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.map.bytes().get(..self.used).unwrap_or_default()
    }

    /// Where each key's value is.
    pub(crate) fn positions(&self) -> impl Iterator<Item = (&str, usize)> {
        self.positions.iter().map(|(k, p)| (k.as_str(), *p))
    }

    fn write_header(&mut self) {
        // Every byte of the entries below `used` must be visible before `used` is.
        fence(Ordering::Release);
        let used = self.used as i32;
        if let Map::Write(m) = &mut self.map {
            m[..4].copy_from_slice(&used.to_ne_bytes());
        }
    }

    /// The position of `key`'s value, appending an entry (value and timestamp 0.0) when the
    /// file has none yet, growing the file when full.
    pub(crate) fn position(&mut self, key: &str) -> Result<usize, FileError> {
        if let Some(p) = self.positions.get(key) {
            return Ok(*p);
        }
        if matches!(self.map, Map::Read(_)) {
            return Err(FileError::ReadOnly);
        }
        let entry = format::new_entry(key);
        if self.used + entry.len() > i32::MAX as usize {
            return Err(FileError::Io(io::Error::new(
                io::ErrorKind::StorageFull,
                "multi-process file is full (2 GiB)",
            )));
        }
        if self.used + entry.len() > self.capacity {
            let mut capacity = self.capacity.max(HEADER);
            while self.used + entry.len() > capacity {
                capacity *= 2;
            }
            self.file.set_len(capacity as u64)?;
            // SAFETY: as in `open`; the old mapping is dropped only after the new one exists.
            let map = unsafe { MmapMut::map_mut(&self.file)? };
            self.map = Map::Write(map);
            self.capacity = capacity;
        }
        if let Map::Write(m) = &mut self.map {
            m[self.used..self.used + entry.len()].copy_from_slice(&entry);
        }
        self.used += entry.len();
        self.write_header();
        let pos = self.used - 16;
        self.positions.insert(key.to_owned(), pos);
        Ok(pos)
    }

    /// The value and timestamp at `pos` (a position this file handed out).
    pub(crate) fn read(&self, pos: usize) -> (f64, f64) {
        format::read_pair(self.map.bytes(), pos).unwrap_or((0.0, 0.0))
    }

    /// Writes a value and timestamp at `pos`.
    pub(crate) fn write(&mut self, pos: usize, value: f64, timestamp: f64) -> Result<(), FileError> {
        let Map::Write(m) = &mut self.map else { return Err(FileError::ReadOnly) };
        if let Some(slot) = m.get_mut(pos..pos + 16) {
            slot[..8].copy_from_slice(&value.to_ne_bytes());
            slot[8..].copy_from_slice(&timestamp.to_ne_bytes());
        }
        Ok(())
    }

    /// Adds to the value at `pos` (timestamp 0.0), returning the new value.
    pub(crate) fn add(&mut self, pos: usize, amount: f64) -> Result<f64, FileError> {
        let v = self.read(pos).0 + amount;
        self.write(pos, v, 0.0)?;
        Ok(v)
    }
}

/// Reads a file's bytes up to its header's `used` (one read for a small file), as a
/// scrape does: no mapping, so a file deleted or grown meanwhile cannot fault the reader.
pub(crate) fn read_used(path: &Path) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; 4096];
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    buf.truncate(got);
    let used = format::used(&buf).unwrap_or(0).max(0) as usize;
    if used > buf.len() {
        let mut rest = Vec::with_capacity(used - buf.len());
        (&mut f).take((used - buf.len()) as u64).read_to_end(&mut rest)?;
        buf.extend_from_slice(&rest);
    } else if used >= HEADER {
        buf.truncate(used);
    }
    Ok(buf)
}
