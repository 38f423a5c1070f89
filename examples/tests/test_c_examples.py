"""End to end: the C and C++ examples of examples/c, built as a user would build them
(`make install` into a temporary prefix, then examples/c's Makefile through pkg-config),
scraped by a real Prometheus, pushing to a real Pushgateway and remote-writing to a real
Prometheus (over HTTP, and over HTTPS with a CA made by openssl) and a real InfluxDB 1.x,
all from Debian's packages, on loopback ports. Everything started here is stopped by its PID."""

import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
from influxdb import running_influxdb  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples", "c")
# The simulated requests of the apps take a random 0 to SCALE seconds: many per second.
SCALE = "0.02"
LISTENING = re.compile(r"^listening on 127\.0\.0\.1:(\d+)$", re.M)


def binary(name):
    """The path of a program `make setup` installs; missing is a failure, not a skip."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (make setup installs it)")
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_env(**extra):
    """The environment for make and the programs: without the make variables a calling
    `make test-py` may have left (its command-line overrides would reach our make calls)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env.update(extra)
    return env


def http_get(url, accept=None, timeout=5, context=None):
    """(status, headers, body) of a GET (over HTTPS with the ssl `context`)."""
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=timeout, context=context) as r:
        return r.status, r.headers, r.read().decode()


def poll(what, check, timeout=30, interval=0.25):
    """Calls `check` until it returns something true, then returns that; fails the test
    with `what` and the last value (or error) once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = check()
            if last:
                return last
        except (OSError, ValueError, KeyError) as e:
            last = e
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout}s (last: {last!r})")
        time.sleep(interval)


class Process:
    """A program started for the tests: output in a log file, stopped by its PID."""

    def __init__(self, name, cmd, workdir, env=None):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        with open(self.log_path, "wb") as log:
            self.popen = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=workdir)

    def output(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_port(self, timeout=20):
        """The port of the program's "listening on 127.0.0.1:PORT" line."""
        def listening():
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.output()}")
            m = LISTENING.search(self.output())
            return m and int(m.group(1))
        return poll(f"{self.name} prints its port", listening, timeout, 0.05)

    def wait_http(self, url, timeout=30):
        def ready():
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.popen.returncode}:\n{self.output()}")
            return http_get(url, timeout=2)[0] == 200
        poll(f"{self.name} answers {url}", ready, timeout)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Sends `sig` to the PID, waits for the exit (SIGKILL after `timeout` s); returns
        the exit code."""
        if self.popen.poll() is None:
            os.kill(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        return self.popen.returncode


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("c-examples"))


@pytest.fixture(scope="module")
def built(workdir):
    """Installs the C library into a prefix, builds examples/c against it with the
    Makefile (pkg-config), and gives the binaries' directory and their environment."""
    prefix = os.path.join(workdir, "prefix")
    out = os.path.join(prefix, "bin")
    env = make_env()
    for cmd in (["make", "--no-print-directory", "install", f"PREFIX={prefix}"],
                ["make", "--no-print-directory", "-C", EXAMPLES, f"OUT={out}",
                 f"PKG_CONFIG_PATH={prefix}/lib/pkgconfig"]):
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
        assert r.returncode == 0, f"{' '.join(cmd)} failed:\n{r.stdout}\n{r.stderr}"
    yield {"bin": out, "env": make_env(LD_LIBRARY_PATH=os.path.join(prefix, "lib"))}
    shutil.rmtree(prefix, ignore_errors=True)  # tens of MB of libraries; the logs stay


def start_example(built, workdir, name, *args, log=None):
    """Starts examples/c's program `name`; its output goes to `log` (default: its name).log."""
    return Process(log or name, [os.path.join(built["bin"], name), *args], workdir, env=built["env"])


@pytest.fixture(scope="module")
def capp(built, workdir):
    """app.c in fast mode, until stopped."""
    p = start_example(built, workdir, "app", "127.0.0.1", "0", "0", SCALE)
    try:
        p.port = p.wait_port()
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def exporter(built, workdir):
    """exporter.c, until stopped."""
    p = start_example(built, workdir, "exporter", "127.0.0.1", "0", "0")
    try:
        p.port = p.wait_port()
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def prometheus(capp, exporter, workdir):
    """A real Prometheus scraping the C app (job capp) and the exporter (job sysexp)
    every second, and taking remote writes; gives its port."""
    exe = binary("prometheus")
    port = free_port()
    config = os.path.join(workdir, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n")
        for job, target in (("capp", capp.port), ("sysexp", exporter.port)):
            f.write(f"  - job_name: {job}\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n")
    p = Process("prometheus", [exe, f"--config.file={config}", f"--storage.tsdb.path={workdir}/tsdb",
                               f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver"],
                workdir)
    try:
        p.wait_http(f"http://127.0.0.1:{port}/-/ready", timeout=60)
        yield port
    finally:
        p.stop()


@pytest.fixture(scope="module")
def gateway(workdir):
    """A real Pushgateway, keeping its groups in memory only (Debian's default is a
    persistence file under /var/lib); gives "127.0.0.1:PORT"."""
    exe = binary("prometheus-pushgateway")
    port = free_port()
    p = Process("pushgateway", [exe, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="], workdir)
    try:
        p.wait_http(f"http://127.0.0.1:{port}/-/ready")
        yield f"127.0.0.1:{port}"
    finally:
        p.stop()


def query(prom, expr, context=None):
    """The instant vector of `expr`: {frozenset of labels (without __name__): value}. With
    an ssl `context`, Prometheus is asked over HTTPS."""
    scheme = "https" if context else "http"
    url = f"{scheme}://127.0.0.1:{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    data = json.loads(http_get(url, context=context)[2])
    assert data["status"] == "success", data
    return {frozenset((k, v) for k, v in r["metric"].items() if k != "__name__"): float(r["value"][1])
            for r in data["data"]["result"]}


def wait_query(prom, expr, timeout=30, context=None):
    """Polls until `expr` has a result (a filter such as `> 0` makes it a condition)."""
    return poll(f"Prometheus: {expr}", lambda: query(prom, expr, context), timeout)


def test_prometheus_and_pushgateway_are_installed():
    # The fixtures fail without them too; this names the cause as a test failure.
    for name in ("prometheus", "prometheus-pushgateway"):
        assert shutil.which(name), f"{name} is not installed (make setup installs it)"


def test_c_app_is_scraped_by_prometheus(prometheus):
    assert list(wait_query(prometheus, 'up{job="capp"} == 1').values()) == [1.0]
    count = wait_query(prometheus, 'request_processing_seconds_count{job="capp"} >= 1')
    total = query(prometheus, 'request_processing_seconds_sum{job="capp"}')
    assert len(count) == len(total) == 1
    # Each request sleeps at most SCALE seconds: the mean is well under a second.
    mean = list(total.values())[0] / list(count.values())[0]
    assert 0 < mean < 0.5, mean
    # What the process collector adds, read from /proc at each scrape.
    assert wait_query(prometheus, 'process_cpu_seconds_total{job="capp"}')
    assert list(wait_query(prometheus, 'process_open_fds{job="capp"} > 0').values())[0] >= 3
    start = query(prometheus, 'process_start_time_seconds{job="capp"}')
    assert abs(list(start.values())[0] - time.time()) < 600, start


def test_exporter_is_scraped_by_prometheus(prometheus):
    assert list(wait_query(prometheus, 'up{job="sysexp"} == 1').values()) == [1.0]
    load = wait_query(prometheus, 'system_load_average{job="sysexp"}')
    assert sorted(dict(labels)["window"] for labels in load) == ["15m", "1m", "5m"], load
    assert all(v >= 0 for v in load.values()), load
    memory = query(prometheus, 'system_memory_bytes{job="sysexp"}')
    kinds = {dict(labels)["kind"]: v for labels, v in memory.items()}
    assert kinds["total"] > 0 and 0 <= kinds["free"] <= kinds["total"], kinds
    assert query(prometheus, 'system_cpu_seconds_total{job="sysexp", mode="idle"} > 0')
    assert query(prometheus, 'system_context_switches_total{job="sysexp"} > 0')
    # The scrape counter the callback updates: Prometheus scraped it more than once.
    assert wait_query(prometheus, 'system_exporter_scrapes_total{job="sysexp"} > 1')
    # Every source was readable, so the error counter has no series.
    assert query(prometheus, '{job="sysexp", __name__="system_exporter_read_errors_total"}') == {}
    # The families the callback builds reach Prometheus with their types (a counter family
    # is named without `_total` when Prometheus scraped OpenMetrics, as it prefers to).
    meta = json.loads(http_get(f"http://127.0.0.1:{prometheus}/api/v1/metadata")[2])["data"]
    types = {name: [m["type"] for m in entries] for name, entries in meta.items()}
    assert types.get("system_load_average") == ["gauge"], types
    assert ["counter"] in (types.get("system_cpu_seconds"), types.get("system_cpu_seconds_total")), types


def test_exporter_reads_its_sources_at_each_scrape(exporter):
    def scrapes():
        body = http_get(f"http://127.0.0.1:{exporter.port}/metrics")[2]
        assert re.search(r'^system_load_average\{window="1m"\} \d', body, re.M), body
        return float(re.search(r"^system_exporter_scrapes_total (\S+)$", body, re.M).group(1))
    first = scrapes()
    assert scrapes() > first


def test_cpp_app_serves_metrics(built, workdir):
    app = start_example(built, workdir, "app_cpp", "127.0.0.1", "0", "0", SCALE)
    try:
        url = f"http://127.0.0.1:{app.wait_port()}/metrics"

        def observed():
            status, headers, body = http_get(url)
            m = re.search(r"^request_processing_seconds_count (\S+)$", body, re.M)
            return m and float(m.group(1)) >= 1 and (status, headers, body)
        status, headers, body = poll("the C++ app's summary counts requests", observed)
        assert status == 200
        assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert "# HELP request_processing_seconds Time spent processing request\n" in body
        assert "# TYPE request_processing_seconds summary\n" in body
        assert re.search(r"^request_processing_seconds_sum \d\S*$", body, re.M), body
        assert re.search(r"^process_cpu_seconds_total \d\S*$", body, re.M), body
        # The exposer negotiates OpenMetrics for a client that asks for it.
        _, headers, body = http_get(url, accept="application/openmetrics-text; version=1.0.0")
        assert headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
        assert body.endswith("# EOF\n")
    finally:
        rc = app.stop(signal.SIGINT)
    assert rc == 0, app.output()
    assert re.search(r"^got SIGINT, stopping\nhandled \d+ requests$", app.output(), re.M), app.output()


def test_apps_stop_after_their_duration_and_on_sigterm(built, workdir):
    # SECONDS given: the programs stop by themselves, freeing everything, exit code 0.
    for name, args, last in (("app", ["0.5", SCALE], r"handled [1-9]\d* requests\n"), ("exporter", ["0.5"], "")):
        r = subprocess.run([os.path.join(built["bin"], name), "127.0.0.1", "0", *args], env=built["env"],
                           capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, (name, r.stdout, r.stderr)
        assert re.fullmatch(rf"listening on 127\.0\.0\.1:\d+\n{last}", r.stdout), (name, r.stdout)
    # SECONDS 0: until SIGTERM, which ends the run as cleanly.
    exporter = start_example(built, workdir, "exporter", "127.0.0.1", "0", log="exporter-sigterm")
    try:
        exporter.wait_port()
    finally:
        rc = exporter.stop(signal.SIGTERM)
    assert rc == 0, exporter.output()
    assert "got SIGTERM, stopping" in exporter.output()


def test_apps_report_bad_arguments_and_a_port_in_use(built):
    def run(name, *args):
        return subprocess.run([os.path.join(built["bin"], name), *args], env=built["env"],
                              capture_output=True, text=True, timeout=20)
    for name in ("app", "exporter", "app_cpp"):
        r = run(name, "127.0.0.1", "not-a-port")
        assert r.returncode == 2 and "usage:" in r.stderr, (name, r.stderr)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for name in ("app", "exporter"):
            r = run(name, "127.0.0.1", port, "1")
            assert r.returncode == 1, (name, r.stdout, r.stderr)
            assert f"cannot serve on 127.0.0.1:{port}" in r.stderr, (name, r.stderr)


def push(built, *args):
    return subprocess.run([os.path.join(built["bin"], "push"), *args], env=built["env"],
                          capture_output=True, text=True, timeout=60)


def groups(gateway):
    """The gateway's groups, as {frozenset of grouping labels: the group's JSON}."""
    data = json.loads(http_get(f"http://{gateway}/api/v1/metrics")[2])["data"]
    return {frozenset(g["labels"].items()): g for g in data}


BATCH_A = frozenset({("job", "batchA")})
WORKER_1 = frozenset({("job", "batchA"), ("instance", "worker 1")})


def test_push_put_sets_the_last_success_time(built, gateway):
    r = push(built, gateway)
    assert r.returncode == 0, r.stderr
    assert f"PUT http://{gateway}/metrics/job/batchA\n" in r.stdout, r.stdout
    group = groups(gateway)[BATCH_A]
    family = group["job_last_success_unixtime"]
    assert family["type"] == "GAUGE"
    assert family["help"] == "Last time a batch job successfully finished"
    (sample,) = family["metrics"]
    assert sample["labels"]["job"] == "batchA"
    assert abs(float(sample["value"]) - time.time()) < 60, sample
    # DELETE without a grouping key removes that group.
    r = push(built, "-m", "delete", gateway)
    assert r.returncode == 0, r.stderr
    assert f"DELETE http://{gateway}/metrics/job/batchA\n" in r.stdout, r.stdout
    assert BATCH_A not in groups(gateway)


def test_push_post_with_a_grouping_key_and_delete(built, gateway):
    assert push(built, gateway).returncode == 0  # the job's plain group, to see it stays
    r = push(built, "-m", "post", "-g", "instance=worker 1", gateway)
    assert r.returncode == 0, r.stderr
    # The space cannot stand in the URL's path: the value travels base64-encoded.
    assert f"POST http://{gateway}/metrics/job/batchA/instance@base64/d29ya2VyIDE=\n" in r.stdout, r.stdout
    held = groups(gateway)
    assert WORKER_1 in held and BATCH_A in held, list(held)
    (sample,) = held[WORKER_1]["job_last_success_unixtime"]["metrics"]
    assert sample["labels"] == {"job": "batchA", "instance": "worker 1"}
    assert abs(float(sample["value"]) - time.time()) < 60, sample

    r = push(built, "-m", "delete", "-g", "instance=worker 1", gateway)
    assert r.returncode == 0, r.stderr
    assert f"DELETE http://{gateway}/metrics/job/batchA/instance@base64/d29ya2VyIDE=\n" in r.stdout
    held = groups(gateway)
    assert WORKER_1 not in held and BATCH_A in held, list(held)
    assert push(built, "-m", "delete", gateway).returncode == 0
    assert groups(gateway) == {}


def test_push_to_a_closed_port_fails_with_the_reason(built):
    port = free_port()  # bound, then closed: nothing listens there
    r = push(built, "-t", "5000", f"127.0.0.1:{port}")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert re.search(rf"^push: PUT http://127\.0\.0\.1:{port}/metrics/job/batchA: cannot connect: .*refused",
                     r.stderr, re.M), r.stderr
    assert "pushed" not in r.stdout


def remote_write(built, *args):
    return subprocess.run([os.path.join(built["bin"], "remote_write"), *args], env=built["env"],
                          capture_output=True, text=True, timeout=60)


def test_remote_write_reaches_prometheus(built, prometheus):
    url = f"http://127.0.0.1:{prometheus}/api/v1/write"
    r = remote_write(built, "-j", "c_batch", "-i", "host-7", url)
    assert r.returncode == 0, r.stderr
    # records{outcome} x 2 and job_duration_seconds (no _created series asked for).
    assert r.stdout.strip() == f"wrote 3 series to {url} as job c_batch, instance host-7"
    got = wait_query(prometheus, 'records_total{job="c_batch"}')
    assert got == {frozenset({("job", "c_batch"), ("instance", "host-7"), ("outcome", "imported")}): 1200.0,
                   frozenset({("job", "c_batch"), ("instance", "host-7"), ("outcome", "skipped")}): 3.0}
    duration = wait_query(prometheus, 'job_duration_seconds{job="c_batch", instance="host-7"}')
    assert 0.0 <= list(duration.values())[0] < 60.0
    assert query(prometheus, '{__name__=~"records_created", job="c_batch"}') == {}


@pytest.fixture(scope="module")
def influxdb():
    """A throwaway InfluxDB 1.x (Debian's influxd) with a database `rw`; gives its base URL."""
    binary("influxd")
    with running_influxdb() as base:
        yield base


def test_remote_write_reaches_influxdb(built, influxdb):
    url = f"{influxdb}/api/v1/prom/write?db=rw"
    r = remote_write(built, "-j", "c_influx", "-i", "host-8", url)
    assert r.returncode == 0, r.stderr
    q = urllib.parse.urlencode({"db": "rw", "q": 'SELECT "value", "outcome" FROM "records_total" '
                                                 "WHERE \"job\" = 'c_influx' GROUP BY \"outcome\", \"instance\""})
    deadline = time.monotonic() + 30
    while True:
        with urllib.request.urlopen(f"{influxdb}/query?{q}", timeout=10) as resp:
            series = json.loads(resp.read())["results"][0].get("series", [])
        if len(series) == 2 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    got = {(s["tags"]["outcome"], s["tags"]["instance"]): [v[1] for v in s["values"]] for s in series}
    assert got == {("imported", "host-8"): [1200.0], ("skipped", "host-8"): [3.0]}


def test_remote_write_to_a_closed_port_fails_with_the_reason(built):
    port = free_port()
    r = remote_write(built, "-t", "5000", f"http://127.0.0.1:{port}/api/v1/write")
    assert r.returncode == 1
    assert re.search(rf"^remote_write: POST http://127\.0\.0\.1:{port}/api/v1/write: cannot connect: .*refused",
                     r.stderr, re.M), r.stderr


def test_remote_write_sender_reaches_prometheus(built, prometheus):
    url = f"http://127.0.0.1:{prometheus}/api/v1/write"
    r = remote_write(built, "-j", "c_sender", "-i", "host-8", "-s", "200", "-d", "2000", url)
    assert r.returncode == 0, r.stderr
    m = re.fullmatch(rf"sent every 200 ms for 2000 ms to {re.escape(url)}: (\d+) records imported\n", r.stdout)
    assert m, r.stdout
    imported = float(m.group(1))
    assert imported == 1240, imported  # 1200, then one per 50 ms
    assert r.stderr == "", r.stderr  # no failure, not even a retried one
    # The last value, sent by the free's last collection after the job's last record.
    who = 'job="c_sender", instance="host-8"'
    got = wait_query(prometheus, f'records_total{{{who}, outcome="imported"}} == {imported:.0f}')
    assert list(got.values()) == [imported]
    # Written in the background all along: many samples, rising.
    samples = wait_query(prometheus, f'count_over_time(records_total{{{who}, outcome="imported"}}[5m]) >= 5')
    assert list(samples.values())[0] >= 5, samples
    rising = query(prometheus, f'min_over_time(records_total{{{who}, outcome="imported"}}[5m])')
    assert list(rising.values())[0] < imported, rising
    # The sender's own metrics travel with the data, labelled with the URL.
    sent = query(prometheus, f'fastprom_remote_write_requests_total{{{who}, outcome="sent"}}')
    assert list(sent.values())[0] >= 5, sent
    ((labels, _),) = sent.items()
    assert dict(labels)["url"] == url
    assert all(v == 0 for v in query(prometheus, f'fastprom_remote_write_requests_total{{{who}, outcome!="sent"}}')
               .values())
    dropped = query(prometheus, f'fastprom_remote_write_batches_dropped_total{{{who}}}')
    assert sorted(dict(labels)["reason"] for labels in dropped) == ["queue_full", "rejected", "shutdown"], dropped
    assert all(v == 0 for v in dropped.values()), dropped
    assert list(query(prometheus, f'fastprom_remote_write_series_sent_total{{{who}}}').values())[0] > 20
    last = query(prometheus, f'fastprom_remote_write_last_success_timestamp_seconds{{{who}}}')
    assert abs(list(last.values())[0] - time.time()) < 120, last


def test_remote_write_sender_reports_an_unreachable_receiver(built):
    url = f"http://127.0.0.1:{free_port()}/api/v1/write"
    r = remote_write(built, "-s", "100", "-d", "300", "-t", "500", url)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert r.stdout == ""
    # The flush gives up at its timeout, naming the cause; the last error says it again.
    assert re.search(rf"^remote_write: remote write to {re.escape(url)}: \d+ batch\(es\) still queued after 500 ms "
                     rf"\(last error: POST {re.escape(url)}: cannot connect: .*refused.*; retrying in [\d.]+ s\)$",
                     r.stderr, re.M), r.stderr
    assert re.search(r"^remote_write: the sender's last error: POST .*: cannot connect", r.stderr, re.M), r.stderr


def openssl(workdir, *args):
    r = subprocess.run([binary("openssl"), *args], cwd=workdir, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, f"openssl {' '.join(args)}:\n{r.stderr}"


@pytest.fixture(scope="module")
def tls_files(workdir):
    """A self-signed CA, a server certificate it signed for 127.0.0.1, and a second CA that
    signed nothing, made by openssl: {"ca", "other_ca", "cert", "key"} paths."""
    d = os.path.join(workdir, "tls")
    os.makedirs(d, exist_ok=True)
    for name in ("ca", "other-ca"):
        openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem",
                "-days", "2", "-subj", f"/CN=fastprom test {name}",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
    openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
    return {"ca": os.path.join(d, "ca.pem"), "other_ca": os.path.join(d, "other-ca.pem"),
            "cert": os.path.join(d, "server.pem"), "key": os.path.join(d, "server.key")}


@pytest.fixture(scope="module")
def tls_prometheus(tls_files, workdir):
    """A real Prometheus serving HTTPS (--web.config.file with the openssl certificate)
    and taking remote writes; gives (port, an ssl context trusting the test CA)."""
    exe = binary("prometheus")
    port = free_port()
    config = os.path.join(workdir, "prometheus-tls.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n")
    web = os.path.join(workdir, "web-tls.yml")
    with open(web, "w") as f:
        f.write(f"tls_server_config:\n  cert_file: {tls_files['cert']}\n  key_file: {tls_files['key']}\n")
    p = Process("prometheus-tls", [exe, f"--config.file={config}", f"--storage.tsdb.path={workdir}/tsdb-tls",
                                   f"--web.listen-address=127.0.0.1:{port}", f"--web.config.file={web}",
                                   "--web.enable-remote-write-receiver"], workdir)
    context = ssl.create_default_context(cafile=tls_files["ca"])
    try:
        def ready():
            if p.popen.poll() is not None:
                pytest.fail(f"prometheus-tls exited with {p.popen.returncode}:\n{p.output()}")
            return http_get(f"https://127.0.0.1:{port}/-/ready", timeout=2, context=context)[0] == 200
        poll("prometheus-tls answers over HTTPS", ready, 60)
        yield port, context
    finally:
        p.stop()


def test_remote_write_over_https_with_a_ca_file(built, tls_files, tls_prometheus):
    port, context = tls_prometheus
    url = f"https://127.0.0.1:{port}/api/v1/write"
    r = remote_write(built, "-c", tls_files["ca"], "-j", "c_tls", "-i", "host-9", url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"wrote 3 series to {url} as job c_tls, instance host-9"
    got = wait_query(port, 'records_total{job="c_tls"}', context=context)
    assert got == {frozenset({("job", "c_tls"), ("instance", "host-9"), ("outcome", "imported")}): 1200.0,
                   frozenset({("job", "c_tls"), ("instance", "host-9"), ("outcome", "skipped")}): 3.0}
    # The background sender with the CA file too.
    r = remote_write(built, "-c", tls_files["ca"], "-j", "c_tls_sender", "-s", "200", "-d", "600", url)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"sent every 200 ms for 600 ms to {url}: 1212 records imported\n", r.stdout
    got = wait_query(port, 'records_total{job="c_tls_sender", outcome="imported"} == 1212', context=context)
    assert list(got.values()) == [1212.0]


def test_remote_write_over_https_without_the_ca_fails_on_the_certificate(built, tls_files, tls_prometheus):
    port, context = tls_prometheus
    url = f"https://127.0.0.1:{port}/api/v1/write"
    # Neither the built-in roots nor another CA vouch for the test CA's certificate.
    for args in ([], ["-c", tls_files["other_ca"]]):
        r = remote_write(built, *args, "-j", "c_untrusted", "-t", "5000", url)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert re.search(rf"^remote_write: POST {re.escape(url)}: .*invalid peer certificate: UnknownIssuer",
                         r.stderr, re.M), (args, r.stderr)
        assert r.stdout == ""
    # A CA file that is not one is refused before anything is sent.
    r = remote_write(built, "-c", tls_files["key"], "-j", "c_untrusted", url)
    assert r.returncode == 1
    assert f"remote_write: TLS: no certificate in the CA file {tls_files['key']}" in r.stderr, r.stderr
    assert query(port, '{job="c_untrusted"}', context=context) == {}
