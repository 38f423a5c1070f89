#!/usr/bin/env python3
"""make demo: the tutorial's Python scripts, on fastprom, against a real Prometheus,
Pushgateway and MariaDB.

Starts a Pushgateway and Prometheus (Debian packages) on loopback ports with the
tutorial's scrape configuration (examples/prometheus.yml: the app, and the gateway with
honor_labels: true), runs the tutorial's instrumented app, examples/python/prometheus.py
(part 1), and its batch job, examples/python/pushgateway.py (part 2: PUT for job batchA),
then examples/python/push_methods.py (POST with a grouping key that travels as @base64,
PUT and DELETE), all with `from fastprom import ...` in place of prometheus_client; with
--c-app, --c-push and --node-push (make demo passes them) also part 1 in C (examples/c/app.c,
scraped as job app-c) and part 2 in C (examples/c/push.c, job batchA_c) and from Node
through the WASM package (examples/wasm/node.mjs, job example_node); and
part 3: a throwaway MariaDB (tools/mariadb.py: its own data directory, performance_schema
on, the tutorial's `exporter` account) read by examples/python/mysqld_exporter.py, which
Prometheus scrapes in the tutorial's two jobs (`collect[]` global_status, and the three
perf_schema groups). Prints
what Prometheus ingested through its HTTP API and the console's address, keeps everything
serving until Ctrl-C or until --duration seconds have passed, and stops what it started,
by PID.

Run it with the interpreter that has fastprom installed (`make demo` uses .venv's, after
`make python`). Port 0 picks a free port; a default port that is taken is replaced by a
free one.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import mariadb  # noqa: E402  (tools/mariadb.py)


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait_http(url, what, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited early with code {proc.returncode}")
        try:
            http_get(url, timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not come up at {url}")


def query(prom, expr):
    url = f"http://127.0.0.1:{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    data = json.loads(http_get(url))
    return data["data"]["result"]


def wait_series(prom, expr, timeout, want=True):
    deadline = time.time() + timeout
    while time.time() < deadline:
        res = query(prom, expr)
        if bool(res) == want:
            return res
        time.sleep(0.5)
    raise SystemExit(f"Prometheus: {expr!r} {'never appeared' if want else 'never went away'} within {timeout}s")


def show(prom, expr, label=None):
    """Prints every series of ``expr`` as Prometheus returns it; returns them."""
    res = query(prom, expr)
    for r in res:
        labels = {k: v for k, v in r["metric"].items() if k != "__name__"}
        print(f"  {label or r['metric'].get('__name__', expr)}{labels} = {r['value'][1]}")
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=0, help="seconds to keep serving after the checks (0: until Ctrl-C)")
    ap.add_argument("--python", default=sys.executable, help="interpreter that runs the tutorial's scripts (has fastprom)")
    ap.add_argument("--app-port", type=int, default=8000)
    ap.add_argument("--gateway-port", type=int, default=9091)
    ap.add_argument("--prometheus-port", type=int, default=9090)
    ap.add_argument("--exporter-port", type=int, default=9104)
    ap.add_argument("--c-app", help="examples/c's app, built (make demo builds it): part 1 in C")
    ap.add_argument("--c-lib", help="directory holding libfastprom.so for --c-app")
    ap.add_argument("--c-app-port", type=int, default=8001)
    ap.add_argument("--c-push", help="examples/c's push, built (make demo builds it): part 2 in C")
    ap.add_argument("--node-push", help="examples/wasm/node.mjs (after bindings-wasm/build.sh): part 2 from Node")
    args = ap.parse_args()

    for tool in ("prometheus", "prometheus-pushgateway"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (make demo installs it: apt-get install {tool})")
    if not (shutil.which("mariadbd") or os.path.exists("/usr/sbin/mariadbd")):
        raise SystemExit("mariadbd is not installed (make demo installs it: apt-get install mariadb-server)")
    check = subprocess.run([args.python, "-c", "import fastprom"], capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(f"{args.python} cannot import fastprom (make demo builds it with `make python`):\n{check.stderr}")
    scripts = os.path.join(ROOT, "examples", "python")
    # Every port is picked before anything binds it, so each must differ from the ones
    # picked already (a port just released may be handed out again).
    taken = set()

    def free_port(preferred=0):
        for _ in range(100):
            port = mariadb.free_port(preferred if preferred not in taken else 0)
            if port not in taken:
                taken.add(port)
                return port
        raise SystemExit("no free loopback port")

    app_port, gw_port, prom_port = (free_port(args.app_port), free_port(args.gateway_port), free_port(args.prometheus_port))
    exporter_port = free_port(args.exporter_port)
    c_port = free_port(args.c_app_port)
    db_port = free_port()
    work = tempfile.mkdtemp(prefix="fastprom-demo-")
    procs = []
    database = []

    def start(name, cmd):
        log = open(os.path.join(work, name + ".log"), "wb")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append((name, p))
        print(f"started {name} (pid {p.pid}): {' '.join(cmd)}")
        return p

    def stop_all(*_):
        for name, p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for name, p in reversed(procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            print(f"stopped {name} (pid {p.pid})")
        for db in database:
            pid = db.pid
            db.stop()
            shutil.rmtree(db.workdir, ignore_errors=True)
            print(f"stopped mariadb (pid {pid})")
        shutil.rmtree(work, ignore_errors=True)

    def run_script(script, *script_args):
        cmd = [args.python, os.path.join(scripts, script), *script_args]
        print(f"$ python examples/python/{script} {' '.join(script_args)}")
        sys.stdout.flush()
        subprocess.run(cmd, check=True, timeout=60)

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with open(os.path.join(ROOT, "examples", "prometheus.yml")) as f:
            conf = (f.read().replace("127.0.0.1:8000", f"127.0.0.1:{app_port}")
                    .replace("127.0.0.1:9091", f"127.0.0.1:{gw_port}")
                    .replace("127.0.0.1:9104", f"127.0.0.1:{exporter_port}")
                    .replace("127.0.0.1:8001", f"127.0.0.1:{c_port}"))
        conf_path = os.path.join(work, "prometheus.yml")
        with open(conf_path, "w") as f:
            f.write(conf)

        gw = start("pushgateway", ["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{gw_port}",
                                  "--persistence.file="])
        wait_http(f"http://127.0.0.1:{gw_port}/-/ready", "Pushgateway", gw)
        # The tutorial's app: its own start_http_server, on the port given as argument.
        app = start("app", [args.python, os.path.join(scripts, "prometheus.py"), str(app_port)])
        wait_http(f"http://127.0.0.1:{app_port}/metrics", "app (examples/python/prometheus.py)", app)
        if args.c_app:
            # Part 1 in C: examples/c/app.c serving /metrics through the C library.
            env = dict(os.environ, LD_LIBRARY_PATH=args.c_lib or "")
            log = open(os.path.join(work, "app-c.log"), "wb")
            capp = subprocess.Popen([args.c_app, "127.0.0.1", str(c_port)], stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, env=env)
            procs.append(("app-c", capp))
            print(f"started app-c (pid {capp.pid}): {args.c_app} 127.0.0.1 {c_port}")
            wait_http(f"http://127.0.0.1:{c_port}/metrics", "C app (examples/c/app.c)", capp)
        # Part 3's third-party system: a MariaDB of its own, and the exporter reading it.
        db = mariadb.start_mariadb(tables=4, port=db_port)
        database.append(db)
        print(f"started mariadb (pid {db.pid}): 127.0.0.1:{db.port}, data in {db.workdir}")
        exporter = start("exporter", [args.python, os.path.join(scripts, "mysqld_exporter.py"),
                                      f"--web.listen-address=127.0.0.1:{exporter_port}",
                                      f"--config.my-cnf={db.my_cnf}"])
        wait_http(f"http://127.0.0.1:{exporter_port}/metrics", "exporter (examples/python/mysqld_exporter.py)", exporter)
        prom = start("prometheus", ["prometheus", f"--config.file={conf_path}", f"--storage.tsdb.path={work}/data",
                                    f"--web.listen-address=127.0.0.1:{prom_port}"])
        wait_http(f"http://127.0.0.1:{prom_port}/-/ready", "Prometheus", prom)

        gateway = f"127.0.0.1:{gw_port}"
        print("\n== Part 2: batch jobs push to the Pushgateway")
        run_script("pushgateway.py", gateway)  # the tutorial's: PUT, job batchA
        run_script("push_methods.py", gateway)  # POST batchB{instance="worker 1"}, PUT + DELETE batchC
        if args.c_push:
            # Part 2 in C: examples/c/push.c, the tutorial's push through the C library,
            # for a job of its own.
            print(f"$ examples/c/push -j batchA_c {gateway}")
            sys.stdout.flush()
            subprocess.run([args.c_push, "-j", "batchA_c", gateway], check=True, timeout=60,
                           env=dict(os.environ, LD_LIBRARY_PATH=args.c_lib or ""))
        if args.node_push:
            # Part 2 from JS: the WASM package's Pushgateway client, in Node.
            print(f"$ node examples/wasm/node.mjs http://{gateway}")
            sys.stdout.flush()
            subprocess.run(["node", args.node_push, f"http://{gateway}"], check=True, timeout=60,
                           stdout=subprocess.DEVNULL)
        groups = json.loads(http_get(f"http://127.0.0.1:{gw_port}/api/v1/metrics"))["data"]
        for g in groups:
            print("  gateway holds group", g["labels"])

        print("\n== Part 1: Prometheus scrapes the app's /metrics (examples/python/prometheus.py)")
        wait_series(prom_port, 'request_processing_seconds_count{job="app"} > 0', 60)
        show(prom_port, 'request_processing_seconds_count{job="app"}', "request_processing_seconds_count")
        show(prom_port, 'request_processing_seconds_sum{job="app"}', "request_processing_seconds_sum")
        # What the Python client adds by itself: process metrics (Linux), the platform and gc.
        process = show(prom_port, '{job="app", __name__=~"process_.+"}')
        python = show(prom_port, 'python_info{job="app"}', "python_info")
        if not process or not python:
            raise SystemExit("the app's process_* and python_info metrics did not reach Prometheus")

        if args.c_app:
            print("\n== Part 1 in C: Prometheus scrapes examples/c/app.c")
            wait_series(prom_port, 'request_processing_seconds_count{job="app-c"} > 0', 60)
            show(prom_port, 'request_processing_seconds_count{job="app-c"}', "request_processing_seconds_count")

        print("\n== Part 2: Prometheus scrapes the gateway with honor_labels: true")
        deadline = time.time() + 60
        while True:
            res = query(prom_port, "job_last_success_unixtime")
            jobs = sorted(r["metric"].get("job", "") for r in res)
            if {"batchA", "batchB"} <= set(jobs) and "batchC" not in jobs:
                break
            if time.time() > deadline:
                raise SystemExit(f"expected jobs batchA and batchB with honored labels and no batchC, got {jobs}")
            time.sleep(0.5)
        if args.c_push:
            wait_series(prom_port, 'job_last_success_unixtime{job="batchA_c"}', 60)
        show(prom_port, "job_last_success_unixtime", "job_last_success_unixtime")
        if args.node_push:
            wait_series(prom_port, 'example_jobs_total{job="example_node"}', 60)
            show(prom_port, 'example_jobs_total{job="example_node"}', "example_jobs_total (pushed from Node)")

        print("\n== Part 3: Prometheus scrapes the MySQL exporter, one job per set of collect[] groups")
        db.traffic(2)
        wait_series(prom_port, 'mysql_up{job="mysql global status"} == 1', 60)
        wait_series(prom_port, 'mysql_perf_schema_table_io_waits_total{job="mysql performance"} > 0', 60)
        show(prom_port, 'mysql_up', "mysql_up")
        show(prom_port, 'mysql_global_status_threads_connected', "mysql_global_status_threads_connected")
        show(prom_port, 'sum by (job) (mysql_global_status_commands_total)', "sum by (job) (mysql_global_status_commands_total)")
        show(prom_port, 'sum by (job, operation) (mysql_perf_schema_table_io_waits_total)',
             "sum by (job, operation) (mysql_perf_schema_table_io_waits_total)")
        mixed = query(prom_port, 'count by (job) ({job="mysql performance", __name__=~"mysql_global_status_.+"})'
                      ' or count by (job) ({job="mysql global status", __name__=~"mysql_perf_schema_.+"})')
        if mixed:
            raise SystemExit(f"an exporter job returned another job's groups: {mixed}")

        print(f"\nPrometheus console: http://127.0.0.1:{prom_port}/graph")
        print(f"App metrics:        http://127.0.0.1:{app_port}/metrics")
        print(f"Pushgateway:        http://127.0.0.1:{gw_port}/")
        print(f"MySQL exporter:     http://127.0.0.1:{exporter_port}/metrics?collect[]=global_status")
        print("DEMO OK")
        sys.stdout.flush()
        if args.duration > 0:
            print(f"serving for {args.duration:g} s ...")
            sys.stdout.flush()
            time.sleep(args.duration)
        else:
            print("serving until Ctrl-C ...")
            sys.stdout.flush()
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("\ninterrupted")
    finally:
        stop_all()


if __name__ == "__main__":
    main()
