//! Multi-process values: what prometheus_client's `values.MultiProcessValue()` sets up.
//!
//! A [`Context`] is one call of `MultiProcessValue(process_identifier)`: the files of this
//! process (one per metric type, and per mode for gauges) and every value written to them.
//! A metric created while `values.ValueClass` belongs to a context gets a [`Binding`] on
//! each of its core children: from then on every update goes to the core child and to its
//! entry in the file, together, under the context's lock, so the file always holds what the
//! child holds (as prometheus_client's cells keep the file equal to their `_value`).
//!
//! Forks: prometheus_client compares `os.getpid()` with the pid its files belong to on each
//! update. Here a `pthread_atfork` child handler bumps [`FORK_GENERATION`], and an update
//! that finds it moved reopens the files under the new pid and reloads every value from
//! them, exactly when prometheus_client would. A custom `process_identifier` is called on
//! every update instead, before the lock is taken (it is user code), as prometheus_client
//! calls it.
//!
//! Lock order: the GIL (held by every caller), then a context's lock. Nothing here calls
//! Python or releases the GIL while holding a context's lock.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};

use fastprom::multiprocess::encode_key;
use fastprom::Child;
use hashbrown::HashMap;
use parking_lot::Mutex;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;

use super::file::{FileError, MmapFile};
use crate::metrics::slot;

/// Bumped in the child of every `fork()`.
pub(crate) static FORK_GENERATION: AtomicU64 = AtomicU64::new(0);

extern "C" fn after_fork_in_child() {
    FORK_GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// Installs the fork handler, once per process.
pub(crate) fn install_fork_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a handler that only touches an atomic (async-signal-safe).
        unsafe {
            libc::pthread_atfork(None, None, Some(after_fork_in_child));
        }
    });
}

pub(crate) fn to_py(e: FileError) -> PyErr {
    match e {
        FileError::Io(e) => PyErr::from(e),
        FileError::Format(e) => PyRuntimeError::new_err(format!("multiprocess file is corrupted: {e}")),
        FileError::ReadOnly => PyOSError::new_err("the multiprocess file is open read-only"),
    }
}

/// The core child a binding keeps equal to its file entries.
pub(crate) enum Mirror {
    /// A standalone `MmapedValue` cell: the file holds the value.
    None,
    /// `[<name>_total]`.
    Counter(Child<slot::Counter>),
    /// `[<name>]`.
    Gauge(Child<slot::Gauge>),
    /// `[<name>_sum, <name>_bucket{le=...}...]`.
    Histogram(Child<slot::Histogram>),
    /// `[<name>_count, <name>_sum]`.
    Summary(Child<slot::Summary>),
}

impl Mirror {
    /// Makes the child hold `values` (read from the file, in key order).
    fn reload(&self, values: &[f64]) {
        let v = |i: usize| values.get(i).copied().unwrap_or(0.0);
        match self {
            Self::None => {}
            Self::Counter(c) => {
                // A counter cannot hold a negative total: such a value stays in the file only.
                let _ = c.set(v(0));
            }
            Self::Gauge(g) => g.set(v(0)),
            Self::Histogram(h) => {
                let counts: Vec<u64> = values.iter().skip(1).map(|c| c.max(0.0) as u64).collect();
                h.restore(&counts, v(0));
            }
            Self::Summary(s) => s.restore(v(0).max(0.0) as u64, v(1)),
        }
    }
}

/// One set of values (a metric child's, or a standalone cell's) in a file.
struct Cell {
    /// The file it lives in: `counter`, `gauge_livesum`, ...
    prefix: String,
    keys: Vec<String>,
    positions: Vec<usize>,
    mirror: Mirror,
}

/// How the process is told apart.
enum Ident {
    /// `os.getpid()`, checked through [`FORK_GENERATION`].
    Pid,
    /// A callable returning an identifier, called on every update.
    Custom(Py<PyAny>),
}

struct State {
    /// [`FORK_GENERATION`] when `ident` was read.
    generation: u64,
    /// The identifier the open files belong to.
    ident: String,
    files: HashMap<String, SharedFile, foldhash::fast::RandomState>,
    cells: Vec<Cell>,
    /// Bumped by `close_all_files()`: bindings made before it write nowhere (their files
    /// are closed); new ones open the files again, as prometheus_client's cells do.
    epoch: u64,
}

/// One `MultiProcessValue(...)`.
pub(crate) struct Context {
    ident: Ident,
    state: Mutex<State>,
}

/// A child's (or cell's) place in a context.
#[derive(Clone)]
pub(crate) struct Binding {
    ctx: Arc<Context>,
    id: usize,
    epoch: u64,
}

fn ident_string(v: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(v.str()?.to_string())
}

fn directory() -> PyResult<PathBuf> {
    std::env::var_os("PROMETHEUS_MULTIPROC_DIR").map(PathBuf::from).ok_or_else(|| {
        PyTypeError::new_err(
            "multiprocess mode needs the environment variable PROMETHEUS_MULTIPROC_DIR (a directory) to be set",
        )
    })
}

impl State {
    fn file(&mut self, prefix: &str) -> PyResult<SharedFile> {
        if let Some(f) = self.files.get(prefix) {
            return Ok(f.clone());
        }
        let path = directory()?.join(format!("{prefix}_{}.db", self.ident));
        let f = open_shared(&path)?;
        self.files.insert(prefix.to_owned(), f.clone());
        Ok(f)
    }

    /// Points cell `id` at its entries in the current files (creating them), and makes its
    /// child hold the values found there.
    /// Until that succeeds the cell has no positions, so nothing is written through
    /// offsets that belong to another file; updates retry (and raise) meanwhile.
    fn place(&mut self, id: usize) -> PyResult<()> {
        let prefix = self.cells[id].prefix.clone();
        self.cells[id].positions.clear();
        let keys = std::mem::take(&mut self.cells[id].keys);
        let placed = (|| {
            let file = self.file(&prefix)?;
            let mut file = file.lock();
            let mut positions = Vec::with_capacity(keys.len());
            for k in &keys {
                positions.push(file.position(k).map_err(to_py)?);
            }
            let values: Vec<f64> = positions.iter().map(|p| file.read(*p).0).collect();
            Ok::<_, PyErr>((positions, values))
        })();
        let cell = &mut self.cells[id];
        cell.keys = keys;
        let (positions, values) = placed?;
        cell.mirror.reload(&values);
        cell.positions = positions;
        Ok(())
    }

    /// prometheus_client's pid check: when the process is no longer the one the files
    /// belong to, every value moves to the files of the new one.
    fn follow(&mut self, ident: &Ident, given: Option<String>) -> PyResult<()> {
        let now = match ident {
            Ident::Pid => {
                let g = FORK_GENERATION.load(Ordering::SeqCst);
                if g == self.generation {
                    return Ok(());
                }
                self.generation = g;
                std::process::id().to_string()
            }
            Ident::Custom(_) => match given {
                Some(s) => s,
                None => return Ok(()),
            },
        };
        if now == self.ident {
            return Ok(());
        }
        self.ident = now;
        self.files.clear();
        for cell in &mut self.cells {
            cell.positions.clear();
        }
        // Every cell is tried; one that fails keeps no positions and is tried again at its
        // next update (see `Binding::apply`), so the others move on regardless.
        let mut first_error = None;
        for id in 0..self.cells.len() {
            if let Err(e) = self.place(id) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// A file open for writing, shared by every context of this process that writes it.
type SharedFile = Arc<Mutex<MmapFile>>;

/// The files this process has open for writing, by path. Two `MultiProcessValue()`
/// classes with one identifier (the one made at import from the environment, and another
/// assigned to `values.ValueClass` later, say) write one file through one mapping, so
/// neither appends over the other's entries (each prometheus_client class keeps its own
/// idea of the file's end). Lock order: a context's lock, then a file's.
static OPEN: Mutex<Vec<(PathBuf, std::sync::Weak<Mutex<MmapFile>>)>> = Mutex::new(Vec::new());

fn open_shared(path: &std::path::Path) -> PyResult<SharedFile> {
    let mut open = OPEN.lock();
    open.retain(|(_, w)| w.strong_count() > 0);
    if let Some(f) = open.iter().find(|(p, _)| p == path).and_then(|(_, w)| w.upgrade()) {
        return Ok(f);
    }
    let f = Arc::new(Mutex::new(MmapFile::open(path, false).map_err(to_py)?));
    open.push((path.to_owned(), Arc::downgrade(&f)));
    Ok(f)
}

/// Every context made so far, so a scrape can notice a fork before it reads children (see
/// [`follow_forks`]).
static CONTEXTS: Mutex<Vec<std::sync::Weak<Context>>> = Mutex::new(Vec::new());

/// Moves every context of this process to its own files if the process forked since the
/// context last looked (what prometheus_client's `get()` does, through its pid check):
/// called before a scrape or a `get()` reads core children.
pub(crate) fn follow_forks(py: Python<'_>) -> PyResult<()> {
    let live: Vec<Arc<Context>> = {
        let mut all = CONTEXTS.lock();
        all.retain(|w| w.strong_count() > 0);
        all.iter().filter_map(std::sync::Weak::upgrade).collect()
    };
    for ctx in live {
        let given = ctx.current(py)?;
        ctx.state.lock().follow(&ctx.ident, given)?;
    }
    Ok(())
}

impl Context {
    /// A context for `process_identifier` (`None`: the pid).
    pub(crate) fn new(py: Python<'_>, process_identifier: Option<Py<PyAny>>) -> PyResult<Arc<Self>> {
        install_fork_hook();
        let (ident, first) = match process_identifier {
            None => (Ident::Pid, std::process::id().to_string()),
            Some(f) => {
                let first = ident_string(&f.bind(py).call0()?)?;
                (Ident::Custom(f), first)
            }
        };
        let state = State {
            generation: FORK_GENERATION.load(Ordering::SeqCst),
            ident: first,
            files: HashMap::default(),
            cells: Vec::new(),
            epoch: 0,
        };
        let ctx = Arc::new(Self { ident, state: Mutex::new(state) });
        CONTEXTS.lock().push(Arc::downgrade(&ctx));
        Ok(ctx)
    }

    /// The identifier from a custom `process_identifier`, read before any lock.
    fn current(&self, py: Python<'_>) -> PyResult<Option<String>> {
        match &self.ident {
            Ident::Pid => Ok(None),
            Ident::Custom(f) => Ok(Some(ident_string(&f.bind(py).call0()?)?)),
        }
    }

    /// Registers a set of values (keys in `keys`) in file `prefix`, kept equal to `mirror`.
    pub(crate) fn bind(
        self: &Arc<Self>,
        py: Python<'_>,
        prefix: String,
        keys: Vec<String>,
        mirror: Mirror,
    ) -> PyResult<Option<Binding>> {
        let given = self.current(py)?;
        let mut st = self.state.lock();
        st.follow(&self.ident, given)?;
        let id = st.cells.len();
        st.cells.push(Cell { prefix, keys, positions: Vec::new(), mirror });
        if let Err(e) = st.place(id) {
            st.cells.pop();
            return Err(e);
        }
        Ok(Some(Binding { ctx: self.clone(), id, epoch: st.epoch }))
    }

    /// Closes every file and forgets every value: those made so far stay in the process
    /// only; values made afterwards open the files again.
    pub(crate) fn close(&self) {
        let mut st = self.state.lock();
        st.files.clear();
        let cells = std::mem::take(&mut st.cells);
        st.epoch += 1;
        drop(st);
        drop(cells);
    }
}

impl Binding {
    /// Runs `f` on this binding's file and value positions, under the context's lock, after
    /// following a fork. `f` gets `None` once the context is closed.
    pub(crate) fn apply<R>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(Option<(&mut MmapFile, &[usize])>) -> Result<R, FileError>,
    ) -> PyResult<R> {
        let given = self.ctx.current(py)?;
        let mut st = self.ctx.state.lock();
        if st.epoch != self.epoch {
            return f(None).map_err(to_py);
        }
        st.follow(&self.ctx.ident, given)?;
        if st.cells[self.id].positions.len() != st.cells[self.id].keys.len() {
            // Not placed in the current files (a failure after a fork): try again.
            st.place(self.id)?;
        }
        let State { files, cells, .. } = &mut *st;
        let cell = &cells[self.id];
        match files.get(&cell.prefix) {
            Some(file) => f(Some((&mut file.lock(), &cell.positions))).map_err(to_py),
            None => f(None).map_err(to_py),
        }
    }
}

/// The keys of one metric child, in the order prometheus_client creates its values.
impl<'a> KeySpec<'a> {
    /// The keys of `child` of `family`.
    pub(crate) fn of<M: fastprom::metrics::MetricCore>(
        family: &'a fastprom::Family<M>,
        label_values: &'a [&'a str],
    ) -> Self {
        Self { metric_name: family.name(), help: family.help(), label_names: family.label_names(), label_values }
    }
}

/// Binds `child` of `family` to its entries in file `prefix` (`keys` makes them from the
/// child's [`KeySpec`]), kept equal to `mirror`: what each metric type's `mp_bind` does.
pub(crate) fn bind_child<M: fastprom::metrics::MetricCore>(
    py: Python<'_>,
    ctx: &Arc<Context>,
    family: &fastprom::Family<slot::Slotted<M>>,
    child: &Child<slot::Slotted<M>>,
    prefix: String,
    keys: impl FnOnce(&KeySpec<'_>) -> Vec<String>,
    mirror: Mirror,
) -> PyResult<()> {
    let values = child.label_values();
    let keys = keys(&KeySpec::of(family, &values));
    if let Some(b) = ctx.bind(py, prefix, keys, mirror)? {
        child.set_mp(b);
    }
    Ok(())
}

/// What a child's keys are made of.
pub(crate) struct KeySpec<'a> {
    pub(crate) metric_name: &'a str,
    pub(crate) help: &'a str,
    pub(crate) label_names: &'a [String],
    pub(crate) label_values: &'a [&'a str],
}

impl KeySpec<'_> {
    fn labels(&self) -> Vec<(&str, &str)> {
        self.label_names.iter().map(String::as_str).zip(self.label_values.iter().copied()).collect()
    }

    /// The key of sample `suffix` (`_total`, `_sum`, ...).
    pub(crate) fn key(&self, suffix: &str) -> String {
        encode_key(self.metric_name, &format!("{}{suffix}", self.metric_name), &self.labels(), self.help)
    }

    /// The key of a bucket (`le` added to the labels).
    pub(crate) fn bucket(&self, le: &str) -> String {
        let mut labels = self.labels();
        labels.push(("le", le));
        encode_key(self.metric_name, &format!("{}_bucket", self.metric_name), &labels, self.help)
    }
}
