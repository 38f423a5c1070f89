"""End to end: examples/python/mysqld_exporter.py (the tutorial's MySQL exporter, section
5.2, on fastprom) against a real MariaDB from tools/mariadb.py, and a real Prometheus
(Debian's) scraping it with the tutorial's two jobs from examples/prometheus.yml. Every
process is started on loopback ports and stopped by PID.

What mysqld_exporter 0.15 would show is checked by name, type, labels and value: values
against what SQL returns, exposition through prometheus_client's own parser.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pymysql
import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))

from daemon import running_daemon  # noqa: E402
from mariadb import EXPORTER_PASSWORD, EXPORTER_USER, free_port, running_mariadb  # noqa: E402

EXPORTER = os.path.join(ROOT, "examples", "python", "mysqld_exporter.py")
PROMETHEUS_YML = os.path.join(ROOT, "examples", "prometheus.yml")
GROUPS = {
    "global_status": ("mysql_global_status_", "mysql_galera_status_info", "mysql_galera_evs_repl_latency_"),
    "global_variables": ("mysql_global_variables_", "mysql_version_info", "mysql_transaction_isolation",
                         "mysql_galera_variables_info", "mysql_galera_gcache_size_bytes"),
    "perf_schema.tableiowaits": ("mysql_perf_schema_table_io_waits_",),
    "perf_schema.indexiowaits": ("mysql_perf_schema_index_io_waits_",),
    "perf_schema.tablelocks": ("mysql_perf_schema_sql_lock_waits_", "mysql_perf_schema_external_lock_waits_"),
}
OWN = ("mysql_up", "mysql_exporter_", "process_", "python_")  # the exporter's own series

needs_mariadb = pytest.mark.skipif(not (shutil.which("mariadb-install-db") and os.path.exists("/usr/sbin/mariadbd")),
                                   reason="MariaDB is not installed (apt-get install mariadb-server mariadb-client)")
pytestmark = needs_mariadb


class Exporter:
    """The exporter as its own process, its stderr in a log file."""

    def __init__(self, tmp, my_cnf, *args):
        self.port = free_port()
        self.log_path = os.path.join(tmp, f"exporter-{self.port}.log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, EXPORTER, f"--web.listen-address=127.0.0.1:{self.port}",
                 f"--config.my-cnf={my_cnf}", *args], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 20
        while True:
            try:
                self.get("/")
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"the exporter did not come up:\n{self.log()}")
                time.sleep(0.1)

    def get(self, path, headers=None):
        """``(status, body)`` of a GET on the exporter."""
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def scrape(self, *groups):
        """The samples of one /metrics scrape with these collect[] groups, and its families."""
        query = urllib.parse.urlencode([("collect[]", g) for g in groups])
        status, body = self.get("/metrics" + (f"?{query}" if query else ""))
        assert status == 200, body
        return Scrape(body)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        """SIGTERM by PID; the exit code."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return None


class Scrape:
    """One scrape's body, parsed by prometheus_client (the reference parser)."""

    def __init__(self, body):
        self.body = body
        self.families = {f.name: f for f in text_string_to_metric_families(body)}
        self.samples = [s for f in self.families.values() for s in f.samples]

    def value(self, sample_name, /, **labels):
        """The value of the one sample with this name and exactly these labels."""
        found = [s.value for s in self.samples if s.name == sample_name and s.labels == labels]
        assert len(found) == 1, (sample_name, labels, found)
        return found[0]

    def series(self, name):
        return [s for s in self.samples if s.name == name]

    def names(self):
        return {s.name for s in self.samples}


def _owned_by(name, groups):
    return name.startswith(OWN) or any(name.startswith(GROUPS[g]) for g in groups)


@pytest.fixture(scope="module")
def db():
    with running_mariadb(tables=4) as server:
        yield server


@pytest.fixture(scope="module")
def exporter(db, tmp_path_factory):
    running = Exporter(str(tmp_path_factory.mktemp("exporter")), db.my_cnf)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sql(db):
    """A connection of our own, as the tutorial's exporter account."""
    conn = pymysql.connect(user=EXPORTER_USER, password=EXPORTER_PASSWORD, host=db.host, port=db.port,
                           autocommit=True, ssl_disabled=True)
    yield conn
    conn.close()


def query(conn, statement):
    with conn.cursor() as cur:
        cur.execute(statement)
        return cur.fetchall()


@pytest.mark.parametrize("group", list(GROUPS))
def test_each_group_gives_only_its_own_families(exporter, group):
    scrape = exporter.scrape(group)
    strangers = sorted(n for n in scrape.names() if not _owned_by(n, [group]))
    assert not strangers, strangers
    assert any(n.startswith(GROUPS[group]) for n in scrape.names()), scrape.body[:2000]
    # Only the group asked for was queried, and it succeeded over a live connection.
    ran = {s.labels["collector"]: s.value for s in scrape.series("mysql_exporter_collector_success")}
    assert ran == {"collect." + group: 1.0}
    timed = {s.labels["collector"] for s in scrape.series("mysql_exporter_collector_duration_seconds")}
    assert timed == {"connection", "collect." + group}
    assert scrape.value("mysql_up") == 1.0
    assert scrape.value("mysql_exporter_last_scrape_error") == 0.0


def test_without_collect_the_default_groups_run(exporter):
    scrape = exporter.scrape()
    ran = {s.labels["collector"] for s in scrape.series("mysql_exporter_collector_success")}
    assert ran == {"collect.global_status", "collect.global_variables"}
    assert all(_owned_by(n, ["global_status", "global_variables"]) for n in scrape.names())
    both = exporter.scrape("perf_schema.tableiowaits", "perf_schema.tablelocks")
    ran = {s.labels["collector"] for s in both.series("mysql_exporter_collector_success")}
    assert ran == {"collect.perf_schema.tableiowaits", "collect.perf_schema.tablelocks"}


def test_unknown_collect_is_refused_with_400(exporter):
    status, body = exporter.get("/metrics?collect[]=global_status&collect[]=info_schema.bogus")
    assert status == 400
    assert "info_schema.bogus" in body and "global_status" in body
    status, _ = exporter.get("/metrics?collect[]=")
    assert status == 400


def test_types_help_and_labels_are_mysqld_exporters(exporter):
    scrape = exporter.scrape(*GROUPS)
    fam = scrape.families
    assert (fam["mysql_global_status_commands"].type, fam["mysql_global_status_commands"].documentation) == (
        "counter", "Total number of executed MySQL commands.")
    assert {tuple(s.labels) for s in scrape.series("mysql_global_status_commands_total")} == {("command",)}
    assert scrape.series('mysql_global_status_commands_total')[0].labels["command"].islower()
    assert fam["mysql_global_status_handlers"].type == "counter"
    assert fam["mysql_global_status_buffer_pool_pages"].type == "gauge"
    assert {s.labels["state"] for s in scrape.series("mysql_global_status_buffer_pool_pages")} <= {
        "data", "free", "misc", "old"}
    assert fam["mysql_global_status_buffer_pool_dirty_pages"].type == "gauge"
    assert fam["mysql_global_status_buffer_pool_page_changes"].type == "counter"
    assert "mysql_global_status_buffer_pool_pages_total" not in scrape.names()
    # Everything without a special case is untyped, named after the lower-cased variable.
    assert fam["mysql_global_status_threads_connected"].type == "unknown"
    assert fam["mysql_global_status_uptime"].documentation == "Generic metric from SHOW GLOBAL STATUS."
    assert fam["mysql_global_variables_max_connections"].type == "gauge"
    assert {tuple(sorted(s.labels)) for s in scrape.series("mysql_version_info")} == {
        ("innodb_version", "version", "version_comment")}
    assert scrape.value("mysql_transaction_isolation", level="REPEATABLE-READ") == 1.0
    # The perf_schema groups: counters, with mysqld_exporter's label names and operations.
    for name, labels, ops in [
            ("mysql_perf_schema_table_io_waits", ("name", "operation", "schema"),
             {"fetch", "insert", "update", "delete"}),
            ("mysql_perf_schema_index_io_waits", ("index", "name", "operation", "schema"),
             {"fetch", "insert", "update", "delete"}),
            ("mysql_perf_schema_sql_lock_waits", ("name", "operation", "schema"),
             {"read_normal", "read_with_shared_locks", "read_high_priority", "read_no_insert", "write_normal",
              "write_allow_write", "write_concurrent_insert", "write_low_priority"}),
            ("mysql_perf_schema_external_lock_waits", ("name", "operation", "schema"), {"read", "write"})]:
        for family in (name, name + "_seconds"):
            assert fam[family].type == "counter", family
            series = scrape.series(family + "_total")
            assert {tuple(sorted(s.labels)) for s in series} == {labels}, family
            assert {s.labels["operation"] for s in series} == ops, family
            assert {"mysql", "performance_schema"}.isdisjoint(s.labels["schema"] for s in series)
    # Inserts are counted on the table's NONE row, never on an index.
    index_ops = {(s.labels["index"], s.labels["operation"])
                 for s in scrape.series("mysql_perf_schema_index_io_waits_total") if s.labels["name"] == "t0000"}
    assert index_ops == {("NONE", "fetch"), ("NONE", "insert"), ("NONE", "update"), ("NONE", "delete"),
                         ("PRIMARY", "fetch"), ("PRIMARY", "update"), ("PRIMARY", "delete"),
                         ("k_idx", "fetch"), ("k_idx", "update"), ("k_idx", "delete")}


def test_values_match_sql(exporter, sql):
    # Threads_connected counts our connection and, during the scrape, the exporter's.
    for _ in range(20):
        before = int(query(sql, "SHOW GLOBAL STATUS LIKE 'Threads_connected'")[0][1])
        scraped = exporter.scrape("global_status").value("mysql_global_status_threads_connected")
        if scraped == before + 1:
            break
        time.sleep(0.1)  # a connection closing elsewhere; look again
    assert scraped == before + 1
    created = int(query(sql, "SHOW GLOBAL STATUS LIKE 'Com_create_table'")[0][1])
    status = exporter.scrape("global_status")
    assert status.value("mysql_global_status_commands_total", command="create_table") == created
    variables = exporter.scrape("global_variables")
    for name in ("max_connections", "innodb_buffer_pool_size", "table_open_cache"):
        expected = float(query(sql, f"SELECT @@GLOBAL.{name}")[0][0])
        assert variables.value("mysql_global_variables_" + name) == expected, name
    assert variables.value("mysql_global_variables_performance_schema") == 1.0  # ON
    version = query(sql, "SELECT @@version, @@version_comment")[0]
    info = variables.series("mysql_version_info")[0].labels
    assert (info["version"], info["version_comment"]) == version


def test_a_counter_grows_after_queries(exporter, sql):
    before = exporter.scrape("global_status").value("mysql_global_status_commands_total", command="select")
    for _ in range(5):
        query(sql, "SELECT 1")
    after = exporter.scrape("global_status").value("mysql_global_status_commands_total", command="select")
    assert after >= before + 5


def test_table_io_waits_follow_reads_of_a_table(exporter, sql):
    def scraped():
        s = exporter.scrape("perf_schema.tableiowaits")
        return {op: (s.value("mysql_perf_schema_table_io_waits_total", schema="shop", name="t0000", operation=op),
                     s.value("mysql_perf_schema_table_io_waits_seconds_total", schema="shop", name="t0000",
                             operation=op))
                for op in ("fetch", "insert", "update", "delete")}

    before = scraped()
    rows = query(sql, "SELECT * FROM shop.t0000")
    assert rows
    now = scraped()
    assert now["fetch"][0] >= before["fetch"][0] + len(rows)
    assert now["fetch"][1] > before["fetch"][1]
    # ... and equal to what performance_schema says (reading it touches no shop table).
    row = query(sql, "SELECT COUNT_FETCH, COUNT_INSERT, COUNT_UPDATE, COUNT_DELETE, SUM_TIMER_FETCH, SUM_TIMER_INSERT,"
                     " SUM_TIMER_UPDATE, SUM_TIMER_DELETE FROM performance_schema.table_io_waits_summary_by_table"
                     " WHERE OBJECT_SCHEMA='shop' AND OBJECT_NAME='t0000'")[0]
    for i, op in enumerate(("fetch", "insert", "update", "delete")):
        assert now[op][0] == row[i], op
        assert now[op][1] == pytest.approx(row[4 + i] / 1e12, rel=1e-12), op


def test_lock_waits_match_sql(exporter, sql):
    scrape = exporter.scrape("perf_schema.tablelocks")
    row = query(sql, "SELECT COUNT_READ_NORMAL, COUNT_READ_EXTERNAL, COUNT_WRITE_EXTERNAL, SUM_TIMER_READ_EXTERNAL"
                     " FROM performance_schema.table_lock_waits_summary_by_table"
                     " WHERE OBJECT_SCHEMA='shop' AND OBJECT_NAME='t0003'")[0]
    labels = dict(schema="shop", name="t0003")
    assert scrape.value("mysql_perf_schema_sql_lock_waits_total", operation="read_normal", **labels) == row[0]
    assert row[0] > 0  # t0003 is an Aria table read under LOCK TABLES by tools/mariadb.py's traffic
    assert scrape.value("mysql_perf_schema_external_lock_waits_total", operation="read", **labels) == row[1]
    assert scrape.value("mysql_perf_schema_external_lock_waits_total", operation="write", **labels) == row[2]
    assert scrape.value("mysql_perf_schema_external_lock_waits_seconds_total", operation="read", **labels) == \
        pytest.approx(row[3] / 1e12, rel=1e-12)


def test_server_down_gives_mysql_up_0_and_200(db, tmp_path):
    closed = free_port()
    my_cnf = tmp_path / "down.cnf"
    my_cnf.write_text(f"[client]\nuser = {EXPORTER_USER}\npassword = {EXPORTER_PASSWORD}\n"
                      f"host = 127.0.0.1\nport = {closed}\n")
    down = Exporter(str(tmp_path), str(my_cnf))
    try:
        began = time.monotonic()
        scrape = down.scrape(*GROUPS)
        assert time.monotonic() - began < 10
        assert scrape.value("mysql_up") == 0.0
        assert scrape.value("mysql_exporter_last_scrape_error") == 1.0
        assert not [n for n in scrape.names() if not n.startswith(OWN)]
    finally:
        assert down.stop() == 0
    assert "Error pinging mysqld" in down.log()


def test_a_failing_group_leaves_the_others_running(db, tmp_path):
    """An account without SELECT on performance_schema: the perf_schema groups fail in the
    middle of the exporter's one multi-statement batch, and the groups before and after
    them still give their series."""
    db.sql("CREATE USER IF NOT EXISTS 'statusonly'@'localhost' IDENTIFIED BY 'statuspass';"
           "CREATE USER IF NOT EXISTS 'statusonly'@'127.0.0.1' IDENTIFIED BY 'statuspass';"
           "GRANT PROCESS ON *.* TO 'statusonly'@'localhost';"
           "GRANT PROCESS ON *.* TO 'statusonly'@'127.0.0.1';")
    my_cnf = tmp_path / "statusonly.cnf"
    my_cnf.write_text(f"[client]\nuser = statusonly\npassword = statuspass\nhost = {db.host}\nport = {db.port}\n")
    limited = Exporter(str(tmp_path), str(my_cnf))
    try:
        order = ["global_status", "perf_schema.tableiowaits", "perf_schema.indexiowaits", "global_variables"]
        for _ in range(2):
            scrape = limited.scrape(*order)
            ran = {s.labels["collector"]: s.value for s in scrape.series("mysql_exporter_collector_success")}
            assert ran == {"collect.global_status": 1.0, "collect.perf_schema.tableiowaits": 0.0,
                           "collect.perf_schema.indexiowaits": 0.0, "collect.global_variables": 1.0}
            assert scrape.value("mysql_up") == 1.0
            assert scrape.value("mysql_exporter_last_scrape_error") == 1.0
            names = scrape.names()
            assert "mysql_global_status_uptime" in names and "mysql_global_variables_max_connections" in names
            assert not [n for n in names if n.startswith("mysql_perf_schema_")]
        errors = {s.labels["collector"]: s.value for s in scrape.series("mysql_exporter_scrape_errors_total")}
        assert errors == {"collect.perf_schema.tableiowaits": 2.0, "collect.perf_schema.indexiowaits": 2.0}
    finally:
        assert limited.stop() == 0
    assert limited.log().count('msg="Error from scraper" scraper=perf_schema.tableiowaits') == 2
    assert "SELECT command denied" in limited.log()


def test_password_never_appears(exporter, db, tmp_path):
    bodies = [exporter.scrape(*GROUPS).body, exporter.scrape().body, exporter.get("/")[1],
              exporter.get("/metrics?collect[]=nope")[1]]
    # A wrong password: the server refuses it, the exporter logs the refusal, not the password.
    wrong = "hunter2-wrong-" + EXPORTER_PASSWORD
    my_cnf = tmp_path / "wrong.cnf"
    my_cnf.write_text(f"[client]\nuser = {EXPORTER_USER}\npassword = \"{wrong}\"\nhost = {db.host}\nport = {db.port}\n")
    refused = Exporter(str(tmp_path), str(my_cnf), "--log.level=debug")
    try:
        scrape = refused.scrape("global_status")
        assert scrape.value("mysql_up") == 0.0
        bodies.append(scrape.body)
    finally:
        refused.stop()
    assert "Access denied" in refused.log()
    for text in bodies + [exporter.log(), refused.log()]:
        assert EXPORTER_PASSWORD not in text
        assert wrong not in text


def test_sigterm_stops_cleanly(db, tmp_path):
    running = Exporter(str(tmp_path), db.my_cnf)
    assert running.stop() == 0
    assert re.search(r'level=info msg="Shutting down" signal=SIGTERM', running.log()), running.log()


def _prometheus_query(port, expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())["data"]["result"]


@pytest.mark.skipif(not shutil.which("prometheus"), reason="prometheus is not installed")
def test_prometheus_scrapes_the_tutorial_jobs(exporter, tmp_path):
    # The tutorial's configuration, the exporter's port substituted; the app and gateway of
    # parts 1-2 are not running here, so their jobs point at a closed port.
    closed = free_port()
    with open(PROMETHEUS_YML) as f:
        conf = (f.read().replace("127.0.0.1:9104", f"127.0.0.1:{exporter.port}")
                .replace("127.0.0.1:8000", f"127.0.0.1:{closed}").replace("127.0.0.1:9091", f"127.0.0.1:{closed}"))
    work = tmp_path / "prometheus"
    work.mkdir()
    (work / "prometheus.yml").write_text(conf)
    port = free_port()
    cmd = ["prometheus", f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'data'}",
           f"--web.listen-address=127.0.0.1:{port}"]
    # No wait for readiness: the loop below polls within its own deadline.
    with running_daemon("prometheus", cmd, str(work), lambda: None) as prom:
        names = {}
        deadline = time.time() + 45
        while time.time() < deadline:
            assert prom.poll() is None, (work / "prometheus.log").read_text()[-3000:]
            try:
                found = _prometheus_query(port, 'group by (job, __name__) ({job=~"mysql.+"})')
            except OSError:
                found = []
            names = {}
            for r in found:
                names.setdefault(r["metric"]["job"], set()).add(r["metric"]["__name__"])
            perf_seen = any(n.startswith("mysql_perf_schema_") for n in names.get("mysql performance", ()))
            if perf_seen and "mysql_global_status_uptime" in names.get("mysql global status", ()):
                break
            time.sleep(0.5)
        assert set(names) == {"mysql global status", "mysql performance"}, names
        synthetic = ("up", "scrape_")  # what Prometheus adds to every target
        for job, groups in [("mysql global status", ["global_status"]),
                            ("mysql performance", ["perf_schema.tableiowaits", "perf_schema.indexiowaits",
                                                   "perf_schema.tablelocks"])]:
            strangers = sorted(n for n in names[job] if not (_owned_by(n, groups) or n.startswith(synthetic)))
            assert not strangers, (job, strangers)
            for group in groups:
                assert any(n.startswith(GROUPS[group]) for n in names[job]), (job, group)
        up = {r["metric"]["job"]: r["value"][1] for r in _prometheus_query(port, 'up{job=~"mysql.+"}')}
        assert up == {"mysql global status": "1", "mysql performance": "1"}
        table = _prometheus_query(port, 'mysql_perf_schema_table_io_waits_total'
                                        '{job="mysql performance", schema="shop", name="t0000", operation="fetch"}')
        assert len(table) == 1 and float(table[0]["value"][1]) > 0
