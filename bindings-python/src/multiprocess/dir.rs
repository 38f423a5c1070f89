//! The directory side of multi-process mode: scrapes (listing and reading the files, then
//! the core's merge) and compaction (folding dead processes' files into one).
//!
//! Compaction and fastprom's scrapes agree through a lock file, `.fastprom.lock`, in the
//! directory: a scrape holds it shared while it lists and reads, compaction holds it
//! exclusively while it swaps files, so a scrape sees the directory either before or after
//! a compaction, never between (no file counted twice, none missed). Workers writing their
//! own files take no lock: compaction never touches a live process's files.
//!
//! A compaction that dies part-way leaves the directory as it was, or as it will be: the
//! new files are written under temporary names, then a journal listing the renames and
//! deletions is made durable (the commit), then applied. Whoever next takes the lock
//! exclusively (a compaction, or a scrape that finds the journal) finishes the job.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use fastprom::multiprocess::format::encode_file;
use fastprom::multiprocess::{fold, merge, FileInput, FormatError, MergeOutput};

use super::file::read_used;

const LOCK: &str = ".fastprom.lock";
const JOURNAL: &str = ".fastprom-compact.journal";
/// The types whose values only add up, and so can be folded.
pub(crate) const FOLDABLE: [&str; 3] = ["counter", "histogram", "summary"];

/// The directory lock, released on drop.
struct DirLock {
    file: Option<File>,
}

impl DirLock {
    fn take(dir: &Path, exclusive: bool) -> io::Result<Self> {
        let path = dir.join(LOCK);
        let file = match OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path) {
            Ok(f) => f,
            // Made by another user (gunicorn's master compacting for workers that run as
            // someone else): `flock` works as well on a read-only descriptor.
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied && path.exists() => File::open(&path)?,
            // A directory this process cannot write (no permission, a read-only mount): nothing can compact
            // it either, so there is nothing to wait for.
            Err(e)
                if !exclusive
                    && matches!(e.kind(), io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem) =>
            {
                return Ok(Self { file: None })
            }
            Err(e) => return Err(e),
        };
        if exclusive {
            file.lock()?;
        } else {
            file.lock_shared()?;
        }
        Ok(Self { file: Some(file) })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            let _ = f.unlock();
        }
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Finishes (or rolls back) an interrupted compaction. Needs the lock exclusively.
fn recover(dir: &Path) -> io::Result<()> {
    let journal = dir.join(JOURNAL);
    match fs::read_to_string(&journal) {
        Ok(text) => {
            for line in text.lines() {
                let mut parts = line.split('\t');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some("rename"), Some(from), Some(to)) => match fs::rename(dir.join(from), dir.join(to)) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                        _ => {}
                    },
                    (Some("remove"), Some(name), None) => match fs::remove_file(dir.join(name)) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                        _ => {}
                    },
                    _ => {}
                }
            }
            sync_dir(dir)?;
            fs::remove_file(&journal)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    // Temporary files of a compaction that died before its commit.
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".db.tmp") || name == format!("{JOURNAL}.tmp") {
            let _ = fs::remove_file(dir.join(&*name));
        }
    }
    Ok(())
}

/// Takes the lock shared for a scrape, first finishing an interrupted compaction.
fn lock_for_scrape(dir: &Path) -> io::Result<DirLock> {
    let lock = DirLock::take(dir, false)?;
    if lock.file.is_some() && dir.join(JOURNAL).exists() {
        drop(lock);
        {
            let _excl = DirLock::take(dir, true)?;
            recover(dir)?;
        }
        return DirLock::take(dir, false);
    }
    Ok(lock)
}

/// The `*.db` files of `dir`, in the order the directory lists them (as `glob` does).
fn db_files(dir: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    use std::os::unix::ffi::OsStrExt;
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let b = name.as_bytes();
        if b.ends_with(b".db") && !b.starts_with(b".") {
            out.push(name);
        }
    }
    Ok(out)
}

/// What a scrape read: the merge and the files it left out.
pub(crate) struct Scrape {
    pub(crate) output: MergeOutput,
    /// Paths of the files in `output.skipped`, in the same order.
    pub(crate) skipped_paths: Vec<PathBuf>,
}

fn merge_read(paths: Vec<PathBuf>, datas: Vec<Vec<u8>>, accumulate: bool) -> Scrape {
    let names: Vec<String> =
        paths.iter().map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()).collect();
    let inputs: Vec<FileInput<'_>> = names.iter().zip(&datas).map(|(name, data)| FileInput { name, data }).collect();
    let output = merge(&inputs, accumulate);
    let skipped_paths = output.skipped.iter().map(|(i, _)| paths[*i].clone()).collect();
    Scrape { output, skipped_paths }
}

/// A scrape of `dir`: every `*.db` file, read under the shared lock, then merged. A
/// directory that is gone (wiped by a deployment) reads as empty, as a glob finds nothing.
pub(crate) fn scrape(dir: &Path) -> io::Result<Scrape> {
    if !dir.is_dir() {
        return Ok(merge_read(Vec::new(), Vec::new(), true));
    }
    let (paths, datas) = {
        let _lock = lock_for_scrape(dir)?;
        let mut paths = Vec::new();
        let mut datas = Vec::new();
        for name in db_files(dir)? {
            let path = dir.join(name);
            match read_used(&path) {
                Ok(d) => {
                    paths.push(path);
                    datas.push(d);
                }
                // Removed since the listing (a live gauge of a dead process).
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        (paths, datas)
    };
    Ok(merge_read(paths, datas, true))
}

/// prometheus_client's `merge(files, accumulate)`: the files given, in order. A missing
/// file is an error, except a live gauge's (removed by `mark_process_dead` meanwhile).
pub(crate) fn merge_files(files: Vec<PathBuf>, accumulate: bool) -> io::Result<Scrape> {
    // Files of one directory (the usual call, from a collector's `collect`) are read under
    // its lock, as a scrape is.
    let dir = files.first().and_then(|f| f.parent()).map(Path::to_path_buf);
    let one_dir = dir.as_ref().is_some_and(|d| d.is_dir() && files.iter().all(|f| f.parent() == Some(d.as_path())));
    let _lock = match (&dir, one_dir) {
        (Some(d), true) => Some(lock_for_scrape(d)?),
        _ => None,
    };
    let mut paths = Vec::new();
    let mut datas = Vec::new();
    for path in files {
        match read_used(&path) {
            Ok(d) => {
                paths.push(path);
                datas.push(d);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let mut parts = name.split('_');
                let live_gauge = parts.next() == Some("gauge") && parts.next().is_some_and(|m| m.starts_with("live"));
                if !live_gauge {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(merge_read(paths, datas, accumulate))
}

/// What [`compact`] did.
#[derive(Default)]
pub(crate) struct Compaction {
    /// Dead processes' files folded (and removed).
    pub(crate) folded: Vec<String>,
    /// Compacted files written.
    pub(crate) written: Vec<String>,
    /// Files that could not be read, left in place.
    pub(crate) skipped: Vec<(String, FormatError)>,
}

/// Whether a process still has `path` open for writing: every fastprom writer holds a shared
/// `flock` on its files (see `MmapFile::open`), so a file whose exclusive lock cannot be
/// had belongs to a live process (for instance one that took over a dead one's pid). On
/// success the returned file keeps that lock until compaction is done with it.
fn lock_if_unused(path: &Path) -> io::Result<Option<File>> {
    let f = File::open(path)?;
    match f.try_lock() {
        Ok(()) => Ok(Some(f)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// The process identifier in the name of a foldable file (`counter_123.db` -> `123`), or
/// `None` for other files and for compacted ones.
fn foldable_ident(name: &str) -> Option<(&'static str, &str)> {
    let stem = name.strip_suffix(".db")?;
    let (typ, ident) = stem.split_once('_')?;
    let typ = FOLDABLE.iter().find(|t| **t == typ)?;
    if ident.starts_with("compacted") || ident.contains(['\t', '\n']) {
        return None;
    }
    Some((typ, ident))
}

fn compacted_name(typ: &str) -> String {
    format!("{typ}_compacted.db")
}

fn is_compacted_of(name: &str, typ: &str) -> bool {
    name.strip_prefix(typ)
        .and_then(|r| r.strip_prefix("_compacted"))
        .is_some_and(|r| r == ".db" || r.strip_suffix(".db").is_some_and(|n| n.starts_with('.')))
}

fn write_file(path: &Path, entries: &[(&str, f64, f64)]) -> io::Result<()> {
    let mut f = File::create(path)?;
    f.write_all(&encode_file(entries))?;
    f.sync_all()
}

/// Folds the counter, histogram and summary files of the processes `dead` says are dead
/// (given each file's identifier) into `<type>_compacted*.db`.
pub(crate) fn compact(dir: &Path, dead: &dyn Fn(&str) -> bool) -> io::Result<Compaction> {
    let _lock = DirLock::take(dir, true)?;
    recover(dir)?;
    // Names that are not UTF-8 are never a foldable `<type>_<id>.db`.
    let names: Vec<String> = db_files(dir)?.into_iter().filter_map(|n| n.into_string().ok()).collect();
    let mut done = Compaction::default();
    let mut journal = String::new();
    // Exclusive locks on the files being folded, held until they are gone.
    let mut held: Vec<File> = Vec::new();
    for typ in FOLDABLE {
        let mut dead_files: Vec<&String> = Vec::new();
        for n in names.iter().filter(|n| foldable_ident(n).is_some_and(|(t, id)| t == typ && dead(id))) {
            if let Some(guard) = lock_if_unused(&dir.join(n.as_str()))? {
                held.push(guard);
                dead_files.push(n);
            }
        }
        if dead_files.is_empty() {
            continue;
        }
        let old_compacted: Vec<&String> = names.iter().filter(|n| is_compacted_of(n, typ)).collect();
        let inputs_names: Vec<&String> = old_compacted.iter().chain(dead_files.iter()).copied().collect();
        let mut datas = Vec::with_capacity(inputs_names.len());
        for n in &inputs_names {
            datas.push(read_used(&dir.join(n.as_str()))?);
        }
        let inputs: Vec<FileInput<'_>> =
            inputs_names.iter().zip(&datas).map(|(name, data)| FileInput { name, data }).collect();
        let (folded, skipped) = fold(&inputs);
        let bad: Vec<usize> = skipped.iter().map(|(i, _)| *i).collect();
        if bad.iter().any(|i| *i < old_compacted.len()) {
            // A damaged compacted file: folding on top of it would lose its totals.
            let (i, e) = skipped.into_iter().find(|(i, _)| *i < old_compacted.len()).expect("found above");
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", inputs_names[i])));
        }
        for (i, e) in skipped {
            done.skipped.push((inputs_names[i].clone(), e));
        }
        // One file: every key with its largest partial, then the few keys whose exact sum
        // needs more than one float again with the rest (readers add a key's entries up).
        let mut entries: Vec<(&str, f64, f64)> = folded.iter().map(|f| (f.key.as_str(), f.partials[0], 0.0)).collect();
        for f in &folded {
            entries.extend(f.partials[1..].iter().map(|p| (f.key.as_str(), *p, 0.0)));
        }
        let name = compacted_name(typ);
        let tmp = format!("{name}.tmp");
        write_file(&dir.join(&tmp), &entries)?;
        journal.push_str(&format!("rename\t{tmp}\t{name}\n"));
        done.written.push(name);
        for old in &old_compacted {
            if !done.written.contains(old) {
                journal.push_str(&format!("remove\t{old}\n"));
            }
        }
        for (i, name) in dead_files.iter().enumerate() {
            if !bad.contains(&(old_compacted.len() + i)) {
                journal.push_str(&format!("remove\t{name}\n"));
                done.folded.push((*name).clone());
            }
        }
    }
    if journal.is_empty() {
        return Ok(done);
    }
    // The commit: once the journal is in place, the compaction will complete.
    let tmp = dir.join(format!("{JOURNAL}.tmp"));
    {
        let mut f = File::create(&tmp)?;
        f.write_all(journal.as_bytes())?;
        f.sync_all()?;
    }
    sync_dir(dir)?;
    fs::rename(&tmp, dir.join(JOURNAL))?;
    sync_dir(dir)?;
    recover(dir)?;
    Ok(done)
}
