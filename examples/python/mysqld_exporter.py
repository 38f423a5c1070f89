#!/usr/bin/env python3
"""A MySQL/MariaDB exporter on fastprom: part 3 of the tutorial (section 5.2), in place of
Prometheus' official mysqld_exporter for the collection groups the tutorial scrapes.

    python examples/python/mysqld_exporter.py [--web.listen-address=:9104]
        [--config.my-cnf=~/.my.cnf] [--collect.NAME | --no-collect.NAME ...]

Credentials come as mysqld_exporter 0.15 reads them: the ``[client]`` section of a my.cnf
(``user``, ``password``, ``host``, ``port``, ``socket``), with ``--mysqld.address``,
``--mysqld.username`` and the MYSQLD_EXPORTER_PASSWORD variable filling what it leaves out.
The password is never logged.

``/metrics`` answers every scrape with a registry of its own holding one custom collector
for the groups asked for with ``collect[]`` query parameters (an unknown name is refused
with 400), or for the default groups when there are none. The collector opens one
connection for the scrape (connect and read timeouts; the Prometheus scrape timeout
header shortens them), queries only those groups, and closes it. Metric names, labels and
types are mysqld_exporter's:

- ``global_status`` (default): SHOW GLOBAL STATUS as ``mysql_global_status_*``.
- ``global_variables`` (default): SHOW GLOBAL VARIABLES as ``mysql_global_variables_*``,
  plus ``mysql_version_info`` and ``mysql_transaction_isolation``.
- ``perf_schema.tableiowaits``, ``perf_schema.indexiowaits``, ``perf_schema.tablelocks``:
  performance_schema's table I/O and lock wait summaries.

Besides them: ``mysql_up`` (0 when the server cannot be reached; the scrape still answers
200), ``mysql_exporter_collector_success`` and ``mysql_exporter_collector_duration_seconds``
by collector, and the process-wide ``mysql_exporter_scrapes_total``,
``mysql_exporter_scrape_errors_total``, ``mysql_exporter_last_scrape_error`` and
``mysql_exporter_last_scrape_duration_seconds`` that mysqld_exporter had before 0.15.
SIGTERM or SIGINT stops it cleanly.

Where it parts from mysqld_exporter 0.15, on purpose: ``collect[]`` may name any group
implemented here, enabled by flag or not (mysqld_exporter only filters the ones enabled),
and an unknown name is a 400 (mysqld_exporter ignores it); the default my.cnf is
``~/.my.cnf`` (0.15 looks in the working directory); the process metrics are fastprom's
``process_*`` and ``python_*`` where Go's exporter has ``go_*``; MyRocks variables get the
generic HELP text, not mysqld_exporter's per-variable one; my.cnf values are taken as
written (no ``${VAR}`` expansion, no ``!include``); the groups' queries go to the server as
one multi-statement batch (a statement that fails ends it, and the groups after it go in
a new one), so the server runs the next while the last result is decoded; the server
version comes from the connection handshake rather than ``SELECT @@version``; the
``perf_schema`` queries fetch their numbers as one text column per row, which PyMySQL
decodes several times faster.
"""

import argparse
import configparser
import datetime
import gc
import math
import os
import re
import signal
import socket
import ssl
import sys
import threading
import time
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pymysql
from pymysql.constants import CLIENT

from fastprom import (
    GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR, CollectorRegistry, make_wsgi_app,
)
from fastprom.core import CounterMetricFamily, GaugeMetricFamily, Sample, UntypedMetricFamily

PICO = 1e12  # performance_schema timers count picoseconds

# --- logging (logfmt on stderr, the password scrubbed from every line) -------------------

_LEVELS = {"debug": 0, "info": 1, "warn": 2, "error": 3}
_log_level = 1
_secrets = []


def _logfmt(value) -> str:
    text = str(value)
    return text if text and re.fullmatch(r"[\w.:/@\[\]-]+", text) else '"' + text.replace('"', '\\"') + '"'


def log(level: str, msg: str, **fields) -> None:
    """Writes one logfmt line to stderr when ``level`` is at or above the chosen level."""
    if _LEVELS[level] < _log_level:
        return
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    line = " ".join([f"ts={ts}", f"level={level}", f"msg={_logfmt(msg)}"]
                    + [f"{k}={_logfmt(v)}" for k, v in fields.items()])
    for secret in _secrets:
        line = line.replace(secret, "<secret>")
    print(line, file=sys.stderr, flush=True)


# --- values as mysqld_exporter reads them (parseStatus, validPrometheusName) -------------

_FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.I)
_WORDS = {"yes": 1.0, "on": 1.0, "no": 0.0, "off": 0.0, "disabled": 0.0,
          "connecting": 0.0, "primary": 1.0, "non-primary": 0.0, "disconnected": 0.0}
# The two timestamp layouts mysqld_exporter reads: "Jan 02 15:04:05 2006 MST" (any zone
# abbreviation, taken as UTC) and "2006-01-02 15:04:05".
_CLOCK = r"(?P<H>\d\d):(?P<M>\d\d):(?P<S>\d\d)"
_STAMPS = (re.compile(r"(?P<mon>[A-Z][a-z]{2}) (?P<d>\d\d) " + _CLOCK + r" (?P<y>\d{4}) [A-Za-z]{3,}"),
           re.compile(r"(?P<y>\d{4})-(?P<mon>\d\d)-(?P<d>\d\d) " + _CLOCK))
_MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split())}
_MONTHS.update({f"{i:02d}": i for i in range(1, 13)})


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, (bytes, bytearray)) else ("" if raw is None else str(raw))


def parse_status(raw):
    """The number a status or variable value stands for, or None: ON/YES and friends are
    1, OFF/NO/DISABLED 0, timestamps become Unix seconds (UTC), and anything else must be
    a whole decimal float (no spaces, no out-of-range exponents)."""
    text = _text(raw)
    if text.isdigit() and text.isascii():  # most values: a plain count
        return float(text)
    word = _WORDS.get(text.lower())
    if word is not None:
        return word
    if _FLOAT.fullmatch(text):
        value = float(text)
        return None if math.isinf(value) and "inf" not in text.lower() else value
    for layout in _STAMPS:
        stamp = layout.fullmatch(text)
        if stamp and stamp["mon"] in _MONTHS:
            try:
                when = datetime.datetime(int(stamp["y"]), _MONTHS[stamp["mon"]], int(stamp["d"]),
                                         int(stamp["H"]), int(stamp["M"]), int(stamp["S"]))
            except ValueError:
                return None
            return float(when.replace(tzinfo=datetime.timezone.utc).timestamp())
    return None


def valid_name(key: str) -> str:
    """A status or variable name as a metric-name part: lower case, anything outside
    [a-zA-Z0-9_] replaced by '_'."""
    return re.sub(r"[^a-zA-Z0-9_]", "_", key).lower()


# --- the groups (one scraper each, named as mysqld_exporter's collect[] names) -----------

class Families:
    """Labelled families of one scrape, made on first use and kept in order."""

    def __init__(self):
        self.out = []
        self._made = {}

    def add(self, kind, name, doc, labels, values, value):
        family = self._made.get(name)
        if family is None:
            family = self._made[name] = kind(name, doc, labels=labels)
            self.out.append(family)
        family.add_metric(values, value)

    def one(self, kind, name, doc, value):
        self.out.append(kind(name, doc, value=value))


# SHOW GLOBAL STATUS groups that become one labelled family: prefix -> (type, name, label, help)
_STATUS_RE = re.compile(
    r"^(com|handler|connection_errors|innodb_buffer_pool_pages|innodb_rows|performance_schema)_(.*)$")
_STATUS_GROUPS = {
    "com": (CounterMetricFamily, "commands_total", "command", "Total number of executed MySQL commands."),
    "handler": (CounterMetricFamily, "handlers_total", "handler", "Total number of executed MySQL handlers."),
    "connection_errors": (CounterMetricFamily, "connection_errors_total", "error",
                          "Total number of MySQL connection errors."),
    "innodb_rows": (CounterMetricFamily, "innodb_row_ops_total", "operation",
                    "Total number of MySQL InnoDB row operations."),
    "performance_schema": (CounterMetricFamily, "performance_schema_lost_total", "instrumentation",
                           "Total number of MySQL instrumentations that could not be loaded or created due to "
                           "memory constraints."),
}
_POOL_PAGES = (GaugeMetricFamily, "buffer_pool_pages", "state", "Innodb buffer pool pages by state.")
_POOL_CHANGES = (CounterMetricFamily, "buffer_pool_page_changes_total", "operation",
                 "Innodb buffer pool page state changes.")
_EVS_LATENCY = [("min_seconds", "Min value."), ("avg_seconds", "Avg value."), ("max_seconds", "Max value."),
                ("stdev", "Standard Deviation."), ("sample_size", "Sample Size.")]


class GlobalStatus:
    """``global_status``: every numeric SHOW GLOBAL STATUS value, untyped, except the
    groups mysqld_exporter folds into labelled families (commands, handlers, connection
    errors, buffer pool pages, InnoDB row operations, lost instrumentations), plus the
    Galera status on a Galera node."""
    name, help, min_version = "global_status", "Collect from SHOW GLOBAL STATUS", 5.1

    query = "SHOW GLOBAL STATUS"

    def parse(self, rows):
        """The families of one SHOW GLOBAL STATUS."""
        fams = Families()
        text = dict.fromkeys(("wsrep_local_state_uuid", "wsrep_cluster_state_uuid",
                              "wsrep_provider_version", "wsrep_evs_repl_latency"), "")
        for raw_key, raw in rows:
            value = parse_status(raw)
            if value is None:
                if raw_key in text:
                    text[raw_key] = _text(raw)
                continue
            key = valid_name(raw_key)
            match = _STATUS_RE.match(key)
            if match is None:
                fams.one(UntypedMetricFamily, "mysql_global_status_" + key,
                         "Generic metric from SHOW GLOBAL STATUS.", value)
                continue
            group, rest = match.groups()
            spec = _STATUS_GROUPS.get(group)
            if group == "innodb_buffer_pool_pages":
                if rest == "total":
                    continue
                if rest == "dirty":
                    fams.one(GaugeMetricFamily, "mysql_global_status_buffer_pool_dirty_pages",
                             "Innodb buffer pool dirty pages.", value)
                    continue
                spec = _POOL_PAGES if rest in ("data", "free", "misc", "old") else _POOL_CHANGES
            kind, name, label, doc = spec
            fams.add(kind, "mysql_global_status_" + name, doc, [label], [rest], value)
        self._galera(fams, text)
        return fams.out

    @staticmethod
    def _galera(fams, text):
        if text["wsrep_local_state_uuid"]:
            labels = ["wsrep_local_state_uuid", "wsrep_cluster_state_uuid", "wsrep_provider_version"]
            fams.add(GaugeMetricFamily, "mysql_galera_status_info", "PXC/Galera status information.",
                     labels, [text[k] for k in labels], 1)
        parts = text["wsrep_evs_repl_latency"].split("/") if text["wsrep_evs_repl_latency"] else []
        if len(parts) == len(_EVS_LATENCY):
            try:
                values = [float(p) for p in parts]
            except ValueError:
                return
            for (suffix, doc), value in zip(_EVS_LATENCY, values):
                fams.one(GaugeMetricFamily, "mysql_galera_evs_repl_latency_" + suffix,
                         "PXC/Galera group communication latency. " + doc, value)


class GlobalVariables:
    """``global_variables``: every numeric SHOW GLOBAL VARIABLES value as a gauge, plus the
    version, the transaction isolation level and the Galera settings as info-style gauges."""
    name, help, min_version = "global_variables", "Collect from SHOW GLOBAL VARIABLES", 5.1
    _TEXT = ("innodb_version", "version", "version_comment", "wsrep_cluster_name",
             "wsrep_provider_options", "transaction_isolation", "tx_isolation")

    query = "SHOW GLOBAL VARIABLES"

    def parse(self, rows):
        """The families of one SHOW GLOBAL VARIABLES."""
        fams = Families()
        text = dict.fromkeys(self._TEXT, "")
        for raw_key, raw in rows:
            key = valid_name(raw_key)
            value = parse_status(raw)
            if value is not None:
                fams.one(GaugeMetricFamily, "mysql_global_variables_" + key,
                         "Generic gauge metric from SHOW GLOBAL VARIABLES.", value)
            elif key in text:
                text[key] = _text(raw)
        labels = ["innodb_version", "version", "version_comment"]
        fams.add(GaugeMetricFamily, "mysql_version_info", "MySQL version and distribution.",
                 labels, [text[k] for k in labels], 1)
        level = text["transaction_isolation"] or text["tx_isolation"]
        if level:
            fams.add(GaugeMetricFamily, "mysql_transaction_isolation", "MySQL transaction isolation.",
                     ["level"], [level], 1)
        if text["wsrep_cluster_name"]:
            fams.add(GaugeMetricFamily, "mysql_galera_variables_info", "PXC/Galera variables information.",
                     ["wsrep_cluster_name"], [text["wsrep_cluster_name"]], 1)
        if text["wsrep_provider_options"]:
            size = re.search(r"gcache.size = (\d+)([MG]?);", text["wsrep_provider_options"])
            value = float(size.group(1)) * {"": 1, "M": 1 << 20, "G": 1 << 30}[size.group(2)] if size else 0.0
            fams.one(GaugeMetricFamily, "mysql_galera_gcache_size_bytes", "PXC/Galera gcache size.", value)
        return fams.out


def _wait_pair(stem, what, labels, series):
    """The ``mysql_perf_schema_<stem>_total`` and ``..._seconds_total`` counter families
    of a wait summary, from ``series``: (labels, event count, picoseconds waited), the
    numbers as text. Rows run to thousands of series, so the samples are made in two
    comprehensions (one label dict shared by a series' count and time) rather than by a
    call to ``add_metric`` each."""
    counts = CounterMetricFamily(f"mysql_perf_schema_{stem}_total", f"The total number of {what}.", labels=labels)
    seconds = CounterMetricFamily(f"mysql_perf_schema_{stem}_seconds_total", f"The total time of {what}.",
                                  labels=labels)
    count_name, time_name = counts.name + "_total", seconds.name + "_total"
    # Sample is a named tuple: tuple.__new__ with all six fields is what its constructor
    # does, without a Python-level call per sample (about 0.2 us of 0.4 each).
    make = tuple.__new__
    counts.samples.extend([make(Sample, (count_name, labels, float(count), None, None, None))
                           for labels, count, _ in series])
    seconds.samples.extend([make(Sample, (time_name, labels, float(ps) / PICO, None, None, None))
                            for labels, _, ps in series])
    return counts, seconds


def _summary_query(keys, columns, table, skip):
    """mysqld_exporter's SELECT of ``columns`` from a performance_schema summary, with the
    numeric columns travelling as one space-separated text: PyMySQL decodes every column
    of every row in Python, so 20 numbers in one column cost a fraction of 20 columns."""
    return (f"SELECT {keys}, CONCAT_WS(' ', {', '.join(columns)}) FROM performance_schema.{table}"
            f" WHERE OBJECT_SCHEMA NOT IN ({', '.join(repr(s) for s in skip)})")


def _numbers(text, count):
    """The ``count`` numbers of a row's concatenated column (all NOT NULL, so all there)."""
    numbers = text.split()
    if len(numbers) != count:
        raise ValueError(f"expected {count} numbers in a performance_schema row, got {text!r}")
    return numbers


_IO_OPS = ("fetch", "insert", "update", "delete")
_IO_COLUMNS = [f"COUNT_{op.upper()}" for op in _IO_OPS] + [f"SUM_TIMER_{op.upper()}" for op in _IO_OPS]


class PerfTableIOWaits:
    """``perf_schema.tableiowaits``: I/O wait events and their time, by table and operation."""
    name, min_version = "perf_schema.tableiowaits", 5.6
    help = "Collect metrics from performance_schema.table_io_waits_summary_by_table"
    query = _summary_query("OBJECT_SCHEMA, OBJECT_NAME", _IO_COLUMNS, "table_io_waits_summary_by_table",
                           ("mysql", "performance_schema"))
    _OPS = tuple(enumerate(_IO_OPS))

    def parse(self, rows):
        series = [({"schema": schema, "name": table, "operation": op}, n[i], n[4 + i])
                  for schema, table, text in rows for n in (_numbers(text, 8),) for i, op in self._OPS]
        return _wait_pair("table_io_waits", "table I/O wait events for each table and operation",
                          ["schema", "name", "operation"], series)


class PerfIndexIOWaits:
    """``perf_schema.indexiowaits``: I/O wait events and their time, by index (NONE: the
    table itself) and operation."""
    name, min_version = "perf_schema.indexiowaits", 5.6
    help = "Collect metrics from performance_schema.table_io_waits_summary_by_index_usage"
    query = _summary_query("OBJECT_SCHEMA, OBJECT_NAME, ifnull(INDEX_NAME, 'NONE') as INDEX_NAME", _IO_COLUMNS,
                           "table_io_waits_summary_by_index_usage", ("mysql", "performance_schema"))
    # Inserts touch the table, not an index: only the NONE row carries them.
    _ALL_OPS = tuple(enumerate(_IO_OPS))
    _INDEX_OPS = tuple((i, op) for i, op in _ALL_OPS if op != "insert")

    def parse(self, rows):
        every, indexed = self._ALL_OPS, self._INDEX_OPS
        series = [({"schema": schema, "name": table, "index": index, "operation": op}, n[i], n[4 + i])
                  for schema, table, index, text in rows for n in (_numbers(text, 8),)
                  for i, op in (every if index == "NONE" else indexed)]
        return _wait_pair("index_io_waits", "index I/O wait events for each index and operation",
                          ["schema", "name", "index", "operation"], series)


class PerfTableLockWaits:
    """``perf_schema.tablelocks``: SQL-level and external (storage engine) lock waits and
    their time, by table and lock operation."""
    name, min_version = "perf_schema.tablelocks", 5.6
    help = "Collect metrics from performance_schema.table_lock_waits_summary_by_table"
    # (column suffix, operation label) of each family, in the query's column order: the
    # SQL-level locks first, then the two external ones.
    _SQL = [("READ_NORMAL", "read_normal"), ("READ_WITH_SHARED_LOCKS", "read_with_shared_locks"),
            ("READ_HIGH_PRIORITY", "read_high_priority"), ("READ_NO_INSERT", "read_no_insert"),
            ("WRITE_ALLOW_WRITE", "write_allow_write"), ("WRITE_CONCURRENT_INSERT", "write_concurrent_insert"),
            ("WRITE_LOW_PRIORITY", "write_low_priority"), ("WRITE_NORMAL", "write_normal")]
    _EXTERNAL = [("READ_EXTERNAL", "read"), ("WRITE_EXTERNAL", "write")]
    _COLUMNS = _SQL + _EXTERNAL
    query = _summary_query("OBJECT_SCHEMA, OBJECT_NAME",
                           [f"COUNT_{c}" for c, _ in _COLUMNS] + [f"SUM_TIMER_{c}" for c, _ in _COLUMNS],
                           "table_lock_waits_summary_by_table", ("mysql", "performance_schema", "information_schema"))

    def parse(self, rows):
        k = len(self._COLUMNS)
        rows = [(schema, table, _numbers(text, 2 * k)) for schema, table, text in rows]
        labels = ["schema", "name", "operation"]
        pairs = []
        for stem, what, ops, first in (("sql_lock_waits", "SQL lock", self._SQL, 0),
                                       ("external_lock_waits", "external lock", self._EXTERNAL, len(self._SQL))):
            series = [({"schema": schema, "name": table, "operation": op}, n[i], n[k + i])
                      for schema, table, n in rows for i, (_, op) in enumerate(ops, first)]
            pairs.append(_wait_pair(stem, f"{what} wait events for each table and operation", labels, series))
        (sql_counts, sql_seconds), (ext_counts, ext_seconds) = pairs
        return [sql_counts, ext_counts, sql_seconds, ext_seconds]


SCRAPERS = {s.name: s for s in (GlobalStatus(), GlobalVariables(), PerfTableIOWaits(),
                                PerfIndexIOWaits(), PerfTableLockWaits())}
DEFAULT_ON = ("global_status", "global_variables")  # as in mysqld_exporter, of the groups implemented here


# --- one scrape: the collector a request's registry holds --------------------------------

class ScrapeStats:
    """What carries over between scrapes: the pre-0.15 ``mysql_exporter_*`` figures."""

    def __init__(self):
        self._lock = threading.Lock()
        self._scrapes = 0
        self._errors = {}

    def record(self, failed, error, duration):
        """Counts one scrape (``failed``: the collector labels that failed) and returns the
        four families, built after the lock is released."""
        with self._lock:
            self._scrapes += 1
            for label in failed:
                self._errors[label] = self._errors.get(label, 0) + 1
            scrapes, errors = self._scrapes, sorted(self._errors.items())
        total = CounterMetricFamily("mysql_exporter_scrapes_total",
                                    "Total number of times MySQL was scraped for metrics.", value=scrapes)
        errs = CounterMetricFamily("mysql_exporter_scrape_errors_total",
                                   "Total number of times an error occurred scraping a MySQL.", labels=["collector"])
        for label, count in errors:
            errs.add_metric([label], count)
        last = GaugeMetricFamily("mysql_exporter_last_scrape_error", "Whether the last scrape of metrics from "
                                 "MySQL resulted in an error (1 for error, 0 for success).", value=float(error))
        took = GaugeMetricFamily("mysql_exporter_last_scrape_duration_seconds",
                                 "Duration of the last scrape of metrics from MySQL.", value=duration)
        return [total, errs, last, took]


class MySQLCollector:
    """Scrapes ``scrapers`` over one connection when collected: mysqld_exporter's
    Exporter, built per request."""

    def __init__(self, target, scrapers, timeout, stats, lock_wait_timeout=2):
        self.target, self.scrapers, self.timeout = target, scrapers, timeout
        self.stats, self.lock_wait_timeout = stats, lock_wait_timeout

    def _connect(self):
        t = self.target
        return pymysql.connect(
            user=t["user"], password=t["password"], host=t["host"], port=t["port"],
            unix_socket=t["socket"] or None, connect_timeout=min(t["connect_timeout"], self.timeout),
            read_timeout=self.timeout, write_timeout=self.timeout, autocommit=True, charset="utf8mb4",
            client_flag=CLIENT.MULTI_STATEMENTS,
            init_command=f"SET lock_wait_timeout={int(self.lock_wait_timeout)}", **t["tls"])

    def collect(self):
        """Connects (``mysql_up`` 0 and nothing else when that fails), runs each scraper the
        server's version allows, and returns their families with the exporter's own; a
        failing scraper is logged and counted, and the others still run."""
        start = time.monotonic()
        success = GaugeMetricFamily("mysql_exporter_collector_success",
                                    "mysqld_exporter: Whether a collector succeeded.", labels=["collector"])
        durations = GaugeMetricFamily("mysql_exporter_collector_duration_seconds", "Collector time duration.",
                                      labels=["collector"])
        families, failed, up = [], [], 0.0
        try:
            conn = self._connect()
        except Exception as exc:  # pymysql wraps socket errors and timeouts as OperationalError
            log("error", "Error pinging mysqld", target=self.target["address"], err=exc)
        else:
            up = 1.0
            with conn:
                durations.add_metric(["connection"], time.monotonic() - start)
                version = _server_version(conn)
                pending = [s for s in self.scrapers if version >= s.min_version]
                while pending:
                    pending = self._batch(conn, pending, families, success, durations, failed)
        families += [success, durations, GaugeMetricFamily("mysql_up", "Whether the MySQL server is up.", value=up)]
        error = not up or bool(failed)
        return families + self.stats.record(failed, error, time.monotonic() - start)

    def _batch(self, conn, scrapers, families, success, durations, failed):
        """Sends every scraper's query in one multi-statement batch and parses the results
        in turn, so the server works on the next statement while this process decodes the
        last one. A statement that fails ends the batch (the server runs none after it):
        the scrapers after it are returned, for a new batch. A scraper's duration runs from
        the end of the one before."""
        began = time.monotonic()
        with conn.cursor() as cursor:
            for k, scraper in enumerate(scrapers):
                label = "collect." + scraper.name
                try:
                    if k == 0:
                        cursor.execute(";\n".join(s.query for s in scrapers))
                    elif not cursor.nextset():
                        raise pymysql.err.InterfaceError(f"no result for {scraper.name} in the batch")
                    rows = cursor.fetchall()
                    families.extend(scraper.parse(rows))
                except Exception as exc:
                    log("error", "Error from scraper", scraper=scraper.name, target=self.target["address"], err=exc)
                    success.add_metric([label], 0.0)
                    failed.append(label)
                    durations.add_metric([label], time.monotonic() - began)
                    if isinstance(exc, pymysql.MySQLError):
                        return scrapers[k + 1:]
                else:
                    success.add_metric([label], 1.0)
                    durations.add_metric([label], time.monotonic() - began)
                began = time.monotonic()
        return []


def _server_version(conn) -> float:
    """``major.minor`` of the server's version as a number (999 when it cannot be read,
    so that every group runs). It comes from the handshake, as ``SELECT @@version`` would
    give it, without a round trip; MariaDB's ``5.5.5-`` prefix there is dropped."""
    match = re.match(r"(?:5\.5\.5-)?(\d+\.\d+)", conn.get_server_info() or "")
    return float(match.group(1)) if match else 999.0


# --- credentials (my.cnf [client], as mysqld_exporter 0.15 reads it) --------------------

def load_target(path, address, username, connect_timeout, insecure=False):
    """Where and as whom to connect: ``[client]`` of the my.cnf at ``path`` (a missing
    file counts as empty), then ``--mysqld.address`` / ``--mysqld.username`` and
    MYSQLD_EXPORTER_PASSWORD for what it leaves out. Raises ValueError without a user."""
    parser = configparser.ConfigParser(allow_no_value=True, strict=False, interpolation=None,
                                       comment_prefixes=("#", ";"), inline_comment_prefixes=None)
    if path and os.path.exists(path):
        with open(path) as f:  # MySQL's !include directives are not followed
            parser.read_string("".join(line for line in f if not line.lstrip().startswith("!")), path)
    client = parser["client"] if parser.has_section("client") else {}

    def get(key, default=""):
        value = client.get(key)
        value = (value or "").strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        return value or default

    host, _, port = address.rpartition(":")
    target = {"user": get("user", username),
              "password": get("password", os.environ.get("MYSQLD_EXPORTER_PASSWORD", "")),
              "host": get("host", host.strip("[]") or "127.0.0.1"), "socket": get("socket"),
              "connect_timeout": connect_timeout}
    if not target["user"]:
        raise ValueError(f"no user specified under [client] in {path} nor with --mysqld.username")
    try:
        target["port"] = int(get("port", port or "3306"))
    except ValueError:
        raise ValueError(f"port under [client] in {path} is not a number") from None
    target["address"] = target["socket"] or f"{target['host']}:{target['port']}"
    target["tls"] = _tls(get("ssl-ca"), get("ssl-cert"), get("ssl-key"), get("tls").lower(), insecure)
    return target


def _tls(ca, cert, key, mode, insecure):
    """PyMySQL's TLS arguments for the my.cnf keys mysqld_exporter reads: ``ssl-ca`` (with
    ``ssl-cert`` and ``ssl-key`` for a client certificate) verifies the server against that
    CA; ``tls`` = true / skip-verify / preferred; otherwise no TLS, as the Go driver's
    default. The context is made once here, not at every scrape's connect."""
    if not ca and mode not in ("true", "skip-verify", "preferred"):
        return {"ssl_disabled": True}
    if mode == "preferred" and not ca:
        return {}  # PyMySQL's own default: TLS when the server offers it
    ctx = ssl.create_default_context(cafile=ca or None)
    if cert and key:
        ctx.load_cert_chain(cert, key)
    if insecure or mode == "skip-verify":
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    return {"ssl": ctx}


# --- HTTP: a registry per request ---------------------------------------------------------

_LANDING = """<html>
<head><title>MySQLd exporter</title></head>
<body>
<h1>MySQLd exporter (fastprom)</h1>
<p><a href="{path}">Metrics</a></p>
<p>Groups (collect[]): {groups}; default: {defaults}</p>
</body>
</html>
"""


def _scrape_timeout(environ, default, offset):
    """The read timeout for one scrape: Prometheus' scrape timeout header less
    ``offset`` (the whole header value when the offset would not leave time), else
    ``default``."""
    header = environ.get("HTTP_X_PROMETHEUS_SCRAPE_TIMEOUT_SECONDS")
    if not header:
        return default
    try:
        seconds = float(header)
    except ValueError:
        log("error", "Failed to parse timeout from Prometheus header", header=header)
        return default
    if seconds <= 0:
        return default
    return seconds - offset if offset < seconds else seconds


def make_app(target, defaults, opts, stats):
    """The WSGI application: ``opts.telemetry_path`` scrapes, anything else shows the
    landing page."""
    def app(environ, start_response):
        if environ.get("PATH_INFO", "/") != opts.telemetry_path:
            body = _LANDING.format(path=opts.telemetry_path, groups=", ".join(SCRAPERS),
                                   defaults=", ".join(defaults)).encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body]
        asked = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).get("collect[]", [])
        unknown = [name for name in asked if name not in SCRAPERS]
        if unknown:
            body = (f"unknown collector in collect[]: {', '.join(map(repr, unknown))}; "
                    f"this exporter collects: {', '.join(SCRAPERS)}\n").encode()
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])
            return [body]
        chosen = [SCRAPERS[name] for name in dict.fromkeys(asked)] or [SCRAPERS[name] for name in defaults]
        log("debug", "collect[] params", params=",".join(asked))
        registry = CollectorRegistry()
        timeout = _scrape_timeout(environ, opts.read_timeout, opts.timeout_offset)
        registry.register(MySQLCollector(target, chosen, timeout, stats, opts.lock_wait_timeout))
        for own in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            registry.register(own)
        # fastprom's WSGI app does the rest: Accept negotiation, gzip, name[] filtering.
        return make_wsgi_app(registry)(environ, start_response)

    return app


class _Server(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one daemon thread per request."""
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        """No access log (mysqld_exporter keeps none either)."""


def serve(app, listen):
    """Binds ``listen`` (``host:port``, ``:port``, ``[v6]:port``; port 0 picks one) and
    returns the server, not yet serving."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]") or None
    family, _, _, _, sockaddr = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM,
                                                   flags=socket.AI_PASSIVE)[0]

    class Server(_Server):
        address_family = family

    return make_server(sockaddr[0], sockaddr[1], app, server_class=Server, handler_class=_QuietHandler)


# --- command line --------------------------------------------------------------------------

def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--web.listen-address", dest="listen", default=":9104",
                    help="address to listen on for the web interface and telemetry (default :9104)")
    ap.add_argument("--web.telemetry-path", dest="telemetry_path", default="/metrics")
    ap.add_argument("--config.my-cnf", dest="my_cnf", default=os.path.join(os.path.expanduser("~"), ".my.cnf"),
                    help="my.cnf to read the [client] credentials from (default ~/.my.cnf)")
    ap.add_argument("--mysqld.address", dest="address", default="localhost:3306",
                    help="host:port when my.cnf names none (default localhost:3306)")
    ap.add_argument("--mysqld.username", dest="username", default="", help="user when my.cnf names none")
    ap.add_argument("--exporter.lock_wait_timeout", dest="lock_wait_timeout", type=int, default=2,
                    help="lock_wait_timeout (s) of the exporter's session, against long metadata locks")
    ap.add_argument("--exporter.connect-timeout", dest="connect_timeout", type=float, default=5.0,
                    help="seconds to connect to MySQL (default 5)")
    ap.add_argument("--exporter.read-timeout", dest="read_timeout", type=float, default=10.0,
                    help="seconds a query may take, unless Prometheus' scrape timeout is shorter (default 10)")
    ap.add_argument("--timeout-offset", dest="timeout_offset", type=float, default=0.25,
                    help="offset to subtract from Prometheus' scrape timeout, in seconds (default 0.25)")
    ap.add_argument("--tls.insecure-skip-verify", dest="tls_insecure_skip_verify", action="store_true",
                    help="do not verify the server's certificate when my.cnf asks for TLS")
    ap.add_argument("--log.level", dest="log_level", choices=list(_LEVELS), default="info")
    for name, scraper in SCRAPERS.items():
        dest = "collect_" + name.replace(".", "_")
        ap.add_argument("--collect." + name, dest=dest, action="store_true", default=name in DEFAULT_ON,
                        help=f"{scraper.help} (default {'on' if name in DEFAULT_ON else 'off'})")
        ap.add_argument("--no-collect." + name, dest=dest, action="store_false", help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv=None) -> int:
    global _log_level
    opts = parse_args(argv)
    _log_level = _LEVELS[opts.log_level]
    log("info", "Starting mysqld_exporter", implementation="fastprom", pid=os.getpid())
    try:
        target = load_target(opts.my_cnf, opts.address, opts.username, opts.connect_timeout,
                             opts.tls_insecure_skip_verify)
    except (ValueError, OSError, configparser.Error, ssl.SSLError) as exc:
        log("error", "Error parsing host config", file=opts.my_cnf, err=exc)
        return 1
    if target["password"]:
        _secrets.append(target["password"])
    defaults = [name for name in SCRAPERS if getattr(opts, "collect_" + name.replace(".", "_"))]
    for name in defaults:
        log("info", "Scraper enabled", scraper=name)
    server = serve(make_app(target, defaults, opts, ScrapeStats()), opts.listen)

    def stop(signum, _frame):
        log("info", "Shutting down", signal=signal.Signals(signum).name)
        threading.Thread(target=server.shutdown, daemon=True).start()

    # Installed before "Listening on" is logged, so whoever waits for that line may signal.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # What start-up made lives as long as the process. Frozen, the cyclic collector no
    # longer walks it in the full collections that a scrape's tens of thousands of
    # short-lived label dicts and samples set off (about 10 ms each, every few scrapes,
    # down to under 1 ms). Those objects die by reference counting when the scrape ends,
    # so the young collections they trigger (about 20 per scrape of 200 tables, 2.5 ms in
    # all) find nothing to free: a young generation of 20,000 objects skips them.
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
    host, port = server.server_address[:2]
    log("info", "Listening on", address=f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        target=target["address"], user=target["user"])
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    log("info", "Stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
