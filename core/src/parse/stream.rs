//! The line loop both formats share: feeding a whole string or a [`BufRead`] to a
//! line-at-a-time engine, and where finished families go.

use std::collections::VecDeque;
use std::io::BufRead;

use crate::compat::python::kinds::SampleKinds;
use crate::error::{Error, Result};
use crate::model::MetricFamily;
use crate::names::ValidationScheme;

use super::lex::line_error;

/// What a parse is asked for besides the format's rules.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rules {
    /// Which metric and label names are valid.
    pub(crate) scheme: ValidationScheme,
    /// Whether to record each sample's [`SampleKinds`] (for the Python face).
    pub(crate) kinds: bool,
}

/// Where finished families go, each with its samples' kinds (empty unless the rules ask
/// for them).
pub(crate) trait Sink {
    fn put(&mut self, family: MetricFamily, kinds: Vec<SampleKinds>);
}

impl Sink for Vec<MetricFamily> {
    fn put(&mut self, family: MetricFamily, _kinds: Vec<SampleKinds>) {
        self.push(family);
    }
}

/// A family with its samples' kinds.
pub(crate) type Kinded = (MetricFamily, Vec<SampleKinds>);

impl Sink for Vec<Kinded> {
    fn put(&mut self, family: MetricFamily, kinds: Vec<SampleKinds>) {
        self.push((family, kinds));
    }
}

impl Sink for VecDeque<Kinded> {
    fn put(&mut self, family: MetricFamily, kinds: Vec<SampleKinds>) {
        self.push_back((family, kinds));
    }
}

/// A parser that reads one line at a time.
pub(crate) trait Engine {
    /// One line (1-based number `lineno`) without its `\n`; `terminated` tells whether it
    /// had one. A family the line completes goes to `out` before the line's verdict.
    fn line(&mut self, line: &str, lineno: usize, terminated: bool, out: &mut dyn Sink) -> Result<()>;

    /// The end of the input, after `lines` lines.
    fn finish(&mut self, lines: usize, out: &mut dyn Sink) -> Result<()>;
}

/// Feeds all of `text` to `engine`.
pub(crate) fn parse_all(text: &str, mut engine: impl Engine, out: &mut dyn Sink) -> Result<()> {
    let mut lineno = 0;
    for raw in text.split_inclusive('\n') {
        lineno += 1;
        let (line, terminated) = match raw.strip_suffix('\n') {
            Some(l) => (l, true),
            None => (raw, false),
        };
        engine.line(line, lineno, terminated, out)?;
    }
    engine.finish(lineno, out)
}

/// A streaming parse: the families of a [`BufRead`], each yielded once its last line has
/// been read, then the error that ends the input (if any), then `None`. It holds one line
/// and what the engine keeps (one family and the names seen), not the whole input.
pub(crate) struct Stream<R, E> {
    reader: R,
    buf: Vec<u8>,
    lineno: usize,
    engine: E,
    queue: VecDeque<Kinded>,
    error: Option<Error>,
    done: bool,
}

impl<R: BufRead, E: Engine> Stream<R, E> {
    pub(crate) fn new(reader: R, engine: E) -> Self {
        Self { reader, buf: Vec::new(), lineno: 0, engine, queue: VecDeque::new(), error: None, done: false }
    }

    /// The number of lines read so far.
    pub(crate) fn lines(&self) -> usize {
        self.lineno
    }

    /// Whether the input has been read to its end or to an error.
    pub(crate) fn done(&self) -> bool {
        self.done
    }

    fn step(&mut self) {
        self.buf.clear();
        match self.reader.read_until(b'\n', &mut self.buf) {
            Err(e) => {
                self.error = Some(line_error(self.lineno + 1, format!("read error: {e}")));
                self.done = true;
            }
            Ok(0) => {
                if let Err(e) = self.engine.finish(self.lineno, &mut self.queue) {
                    self.error = Some(e);
                }
                self.done = true;
            }
            Ok(_) => {
                self.lineno += 1;
                let terminated = self.buf.last() == Some(&b'\n');
                let content = if terminated { &self.buf[..self.buf.len() - 1] } else { &self.buf[..] };
                let r = match std::str::from_utf8(content) {
                    Ok(line) => self.engine.line(line, self.lineno, terminated, &mut self.queue),
                    Err(e) => Err(line_error(self.lineno, format!("invalid UTF-8: {e}"))),
                };
                if let Err(e) = r {
                    self.error = Some(e);
                    self.done = true;
                }
            }
        }
    }
}

impl<R: BufRead, E: Engine> Iterator for Stream<R, E> {
    type Item = Result<Kinded>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(f) = self.queue.pop_front() {
                return Some(Ok(f));
            }
            if let Some(e) = self.error.take() {
                return Some(Err(e));
            }
            if self.done {
                return None;
            }
            self.step();
        }
    }
}

impl<R: BufRead, E: Engine> std::iter::FusedIterator for Stream<R, E> {}
