"""End to end: `tools/demo.py` (what `make demo` runs) against a real Prometheus and
Pushgateway from Debian's packages, on loopback ports, stopping by itself. The app and
the batch jobs are the tutorial's Python scripts in examples/python, on fastprom."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# `make test-py` builds the C app and the JS package and passes their paths here, as `make
# demo` does; a bare pytest run leaves the C and Node parts out.
FACES = os.environ.get("FASTPROM_DEMO_FACES", "").split()


def test_demo_scrapes_python_app_and_gateway():
    # Port 0 asks the demo to pick free ports (the defaults may be taken on a shared box).
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tools", "demo.py"), "--duration", "0.5",
         "--app-port", "0", "--gateway-port", "0", "--prometheus-port", "0", "--exporter-port", "0",
         "--c-app-port", "0", *FACES],
        capture_output=True, text=True, timeout=240,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "DEMO OK" in out, out
    # The app is the tutorial's Python script, on fastprom.
    assert re.search(r"started app \(pid \d+\): \S+ \S+/examples/python/prometheus\.py \d+", out), out
    # Part 1: the app's summary was scraped and has observations.
    m = re.search(r"request_processing_seconds_count\{.*'job': 'app'\} = (\d+)", out)
    assert m and int(m.group(1)) >= 1, out
    assert re.search(r"request_processing_seconds_sum\{.*'job': 'app'\} = [0-9.e+-]+", out), out
    # ... with what the Python client adds by itself: process metrics and python_info.
    for name in ("process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"):
        assert re.search(name + r"\{.*'job': 'app'\} = ", out), (name, out)
    assert re.search(r"python_info\{.*'implementation': 'CPython'.*'job': 'app'.*\} = 1", out), out
    # Part 2: the tutorial's push (PUT batchA), then POST with a grouping key whose space
    # went through @base64, PUT and DELETE of batchC, all through fastprom's functions.
    assert "$ python examples/python/pushgateway.py 127.0.0.1:" in out, out
    assert re.search(r"^POST http://127\.0\.0\.1:\d+/metrics/job/batchB/instance@base64/d29ya2VyIDE=$", out, re.M), out
    assert re.search(r"^PUT http://127\.0\.0\.1:\d+/metrics/job/batchC$", out, re.M), out
    assert re.search(r"^DELETE http://127\.0\.0\.1:\d+/metrics/job/batchC$", out, re.M), out
    # honor_labels kept the pushed job/instance labels; the deleted group is gone.
    ingested = proc.stdout.split("Part 2: Prometheus scrapes the gateway")[1]
    assert re.search(r"job_last_success_unixtime\{.*'job': 'batchA'\}", ingested), out
    assert "job_last_success_unixtime{'instance': 'worker 1', 'job': 'batchB'}" in ingested, out
    assert "batchC" not in ingested, out
    # Part 3: the exporter on a MariaDB of the demo's own, scraped in the tutorial's two
    # jobs; each job holds only its own groups (the demo checks that through the API too).
    part3 = proc.stdout.split("Part 3: Prometheus scrapes the MySQL exporter")[1]
    for job in ("mysql global status", "mysql performance"):
        assert f"mysql_up{{'instance': '127.0.0.1:" in part3 and f"'job': '{job}'}} = 1" in part3, out
    assert re.search(r"mysql_global_status_threads_connected\{.*'job': 'mysql global status'\} = [1-9]", part3), out
    assert re.search(r"sum by \(job\) \(mysql_global_status_commands_total\)\{'job': 'mysql global status'\} = [1-9]",
                     part3), out
    assert "mysql performance" not in re.findall(r"commands_total\)\{'job': '([^']+)'", part3), out
    assert re.search(r"mysql_perf_schema_table_io_waits_total\)\{'job': 'mysql performance', "
                     r"'operation': 'fetch'\} = [1-9]", part3), out
    assert "Prometheus console: http://127.0.0.1:" in out, out
    # Everything it started was stopped, by PID, and is gone.
    started = dict(re.findall(r"^started (\S+) \(pid (\d+)\)", out, re.M))
    expected = ["app", "exporter", "mariadb", "prometheus", "pushgateway"]
    if FACES:
        # Part 1 in C, scraped by Prometheus; part 2 from Node, through the gateway.
        expected = sorted(expected + ["app-c"])
        assert re.search(r"== Part 1 in C.*\n  request_processing_seconds_count\{.*'job': 'app-c'\} = [1-9]", out), out
        # Part 2 in C: examples/c/push.c's PUT for job batchA_c, through the gateway.
        assert re.search(r"^\$ examples/c/push -j batchA_c 127\.0\.0\.1:\d+$", out, re.M), out
        assert re.search(r"^PUT http://127\.0\.0\.1:\d+/metrics/job/batchA_c$", out, re.M), out
        assert re.search(r"job_last_success_unixtime\{.*'job': 'batchA_c'\} = 1[0-9]{9}", ingested), out
        assert "$ node examples/wasm/node.mjs http://127.0.0.1:" in out, out
        assert re.search(r"example_jobs_total \(pushed from Node\)\{'instance': 'node', 'job': 'example_node', "
                         r"'outcome': 'done'\} = [1-9]", out), out
    assert sorted(started) == expected, out
    for name, pid in started.items():
        assert f"stopped {name} (pid {pid})" in out, out
        assert not os.path.exists(f"/proc/{pid}"), f"{name} (pid {pid}) still runs"
