#!/usr/bin/env python3
"""make demo: the tutorial, on fastprom, against a real Prometheus and Pushgateway.

Starts a Pushgateway and Prometheus (Debian packages) on loopback ports with the
tutorial's scrape configuration (examples/prometheus.yml), runs the instrumented app
(part 1) and the batch job pushing to the gateway (part 2: PUT, POST with a grouping key,
DELETE), prints what Prometheus ingested through its HTTP API, then keeps everything
serving until Ctrl-C or until --duration seconds have passed, and stops what it started.
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


def free_port(preferred):
    for port in [preferred] + [0] * 5:
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return s.getsockname()[1]
        except OSError:
            continue
        finally:
            s.close()
    raise SystemExit("no free port")


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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=0, help="seconds to keep serving after the checks (0: until Ctrl-C)")
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "target", "release"))
    ap.add_argument("--app-port", type=int, default=8000)
    ap.add_argument("--gateway-port", type=int, default=9091)
    ap.add_argument("--prometheus-port", type=int, default=9090)
    args = ap.parse_args()

    for tool in ("prometheus", "prometheus-pushgateway"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (make demo installs it: apt-get install {tool})")
    app_port, gw_port, prom_port = (free_port(args.app_port), free_port(args.gateway_port), free_port(args.prometheus_port))
    work = tempfile.mkdtemp(prefix="fastprom-demo-")
    procs = []

    def start(name, cmd):
        log = open(os.path.join(work, name + ".log"), "wb")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append((name, p))
        print(f"started {name} (pid {p.pid})")
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
            print(f"stopped {name} (pid {p.pid})")
        shutil.rmtree(work, ignore_errors=True)

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with open(os.path.join(ROOT, "examples", "prometheus.yml")) as f:
            conf = f.read().replace("127.0.0.1:8000", f"127.0.0.1:{app_port}").replace("127.0.0.1:9091", f"127.0.0.1:{gw_port}")
        conf_path = os.path.join(work, "prometheus.yml")
        with open(conf_path, "w") as f:
            f.write(conf)

        gw = start("pushgateway", ["prometheus-pushgateway", f"--web.listen-address=127.0.0.1:{gw_port}"])
        wait_http(f"http://127.0.0.1:{gw_port}/-/ready", "Pushgateway", gw)
        app = start("app", [os.path.join(args.bin_dir, "tutorial_app"), str(app_port), "127.0.0.1"])
        wait_http(f"http://127.0.0.1:{app_port}/metrics", "app", app)
        prom = start("prometheus", ["prometheus", f"--config.file={conf_path}", f"--storage.tsdb.path={work}/data",
                                    f"--web.listen-address=127.0.0.1:{prom_port}"])
        wait_http(f"http://127.0.0.1:{prom_port}/-/ready", "Prometheus", prom)

        push = os.path.join(args.bin_dir, "tutorial_push")
        gateway = f"127.0.0.1:{gw_port}"
        print("\n== Part 2: a batch job pushes to the Pushgateway")
        subprocess.run([push, gateway, "batchA", "put"], check=True)
        subprocess.run([push, gateway, "batchB", "post", "instance=worker 1"], check=True)
        subprocess.run([push, gateway, "batchC", "put"], check=True)
        subprocess.run([push, gateway, "batchC", "delete"], check=True)
        groups = json.loads(http_get(f"http://127.0.0.1:{gw_port}/api/v1/metrics"))["data"]
        for g in groups:
            print("  gateway holds group", g["labels"])

        print("\n== Part 1: Prometheus scrapes the app's /metrics")
        res = wait_series(prom_port, 'request_processing_seconds_count{job="app"}', 60)
        for r in res:
            print(f"  request_processing_seconds_count{r['metric']} = {r['value'][1]}")
        res = query(prom_port, 'request_processing_seconds_sum{job="app"}')
        for r in res:
            print(f"  request_processing_seconds_sum{r['metric']} = {r['value'][1]}")
        res = query(prom_port, 'process_resident_memory_bytes{job="app"}')
        for r in res:
            print(f"  process_resident_memory_bytes{r['metric']} = {r['value'][1]}")

        print("\n== Part 2: Prometheus scrapes the gateway with honor_labels: true")
        res = wait_series(prom_port, "job_last_success_unixtime", 60)
        jobs = sorted(r["metric"].get("job", "") for r in res)
        for r in res:
            print(f"  job_last_success_unixtime{r['metric']} = {r['value'][1]}")
        if "batchA" not in jobs or "batchB" not in jobs:
            raise SystemExit(f"expected jobs batchA and batchB with honored labels, got {jobs}")
        if "batchC" in jobs:
            raise SystemExit("batchC was deleted from the gateway but Prometheus still sees it")

        print(f"\nPrometheus console: http://127.0.0.1:{prom_port}/graph")
        print(f"App metrics:        http://127.0.0.1:{app_port}/metrics")
        print(f"Pushgateway:        http://127.0.0.1:{gw_port}/")
        print("DEMO OK")
        sys.stdout.flush()
        if args.duration > 0:
            print(f"serving for {args.duration:g} s ...")
            time.sleep(args.duration)
        else:
            print("serving until Ctrl-C ...")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("\ninterrupted")
    finally:
        stop_all()


if __name__ == "__main__":
    main()
