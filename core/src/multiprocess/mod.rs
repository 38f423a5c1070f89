//! prometheus_client's multi-process mode, as pure code over bytes.
//!
//! In that mode every process writes its values to files of its own in one directory
//! (`counter_<pid>.db`, `gauge_<mode>_<pid>.db`, ...) and a scrape merges every file it
//! finds. This module owns the rules and none of the I/O:
//!
//! * [`format`]: the file layout (prometheus_client's `MmapedDict`): reading a file's
//!   entries, laying out a new entry;
//! * [`key`]: the entry keys, the JSON text prometheus_client writes
//!   (`json.dumps([...], sort_keys=True)`), encoded byte for byte and parsed back;
//! * [`merge`]: what a scrape makes of a directory (prometheus_client's
//!   `MultiProcessCollector.merge`), and the folding of dead processes' files
//!   ([`merge::fold`]) behind compaction;
//! * [`fsum`]: the exactly rounded sums both use, so a total never depends on the order in
//!   which files are read, and folding files changes no total.
//!
//! Mapping the files, listing the directory and locking live in the Python binding.

pub mod format;
pub mod fsum;
pub mod key;
pub mod merge;

pub use format::{Entry, FormatError};
pub use key::{encode_key, ParsedKey};
pub use merge::{fold, merge, FileInput, FileKind, Folded, MergeOutput, MergedFamily, MergedSample, Shared};
