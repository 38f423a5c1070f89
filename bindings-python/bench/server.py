"""start_http_server under wrk: prometheus_client 0.26 and fastprom side by side.

    .venv/bin/python bindings-python/bench/server.py [--rounds 3] [--seconds 10] [--series 10000]

Each library's ``start_http_server`` serves a registry of ``--series`` counter series
(``Counter('requests', ..., ['route'])`` with that many routes) from a process of its
own, as an application would, started afresh for each measurement (so that work a
server still has queued from the last one does not count against the next). Each round,
for each library in turn (the first alternating):

1. ``wrk -t2 -c10 -d<seconds>s --latency`` (default 15 s) (Debian's wrk) against ``/metrics``: requests
   per second and latency percentiles at 10 connections;
2. a slowloris of 200 connections (opened by this process, each sending half a request
   line and then one more header byte every 0.5 s), and meanwhile ``wrk -t1 -c1
   --latency`` for the same time: the latencies of normal scrapes while the slow clients
   are connected. prometheus_client's server gives each slow client a thread; fastprom's
   holds them as tasks until its header timeout (10 s) closes them.

Medians over the rounds; ratio = fastprom / prometheus_client for requests per second.
Both servers are checked to answer the same series first. A measurement: nothing is
asserted on speed.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

SERVER = r'''
import sys, time
lib = __import__(sys.argv[1])
registry = lib.CollectorRegistry()
c = lib.Counter('requests', 'Requests served.', ['route'], registry=registry)
for i in range(int(sys.argv[3])):
    c.labels(f'/route/{i}').inc(i)
lib.start_http_server(int(sys.argv[2]), addr='127.0.0.1', registry=registry)
print('ready', flush=True)
while True:
    time.sleep(3600)
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def start(lib: str, series: int):
    port = free_port()
    proc = subprocess.Popen([sys.executable, '-c', SERVER, lib, str(port), str(series)],
                            stdout=subprocess.PIPE, text=True)
    if proc.stdout.readline().strip() != 'ready':
        raise SystemExit(f'{lib} server did not start')
    return proc, port


def wrk(port: int, threads: int, connections: int, seconds: int):
    out = subprocess.run(['wrk', f'-t{threads}', f'-c{connections}', f'-d{seconds}s', '--latency', '--timeout', '30s',
                          f'http://127.0.0.1:{port}/metrics'], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
    pct = {}
    for p, value, unit in re.findall(r'^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$', out, re.M):
        pct[int(p)] = float(value) * {'us': 1e-3, 'ms': 1.0, 's': 1e3}[unit]
    errors = re.search(r'Socket errors: (.*)', out)
    non2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    return rps, pct, (errors.group(1) if errors else ''), int(non2xx.group(1)) if non2xx else 0


class Slowloris:
    """``n`` connections that never finish a request."""

    def __init__(self, port: int, n: int):
        self.port, self.n = port, n
        self.stop = threading.Event()
        self.socks = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        for _ in range(self.n):
            try:
                s = socket.create_connection(('127.0.0.1', self.port), timeout=5)
                s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n')
                self.socks.append(s)
            except OSError:
                pass
        self.thread.start()
        return self

    def _run(self):
        while not self.stop.wait(0.5):
            for i, s in enumerate(self.socks):
                try:
                    s.send(b'X')
                except OSError:
                    # Closed by the server (its header timeout): reconnect, as an attacker would.
                    try:
                        s = socket.create_connection(('127.0.0.1', self.port), timeout=5)
                        s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\n')
                        self.socks[i] = s
                    except OSError:
                        pass

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()


def samples(port: int) -> set:
    with urllib.request.urlopen(f'http://127.0.0.1:{port}/metrics', timeout=60) as r:
        return {line for line in r.read().decode().splitlines() if line.startswith('requests_total')}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--seconds', type=int, default=15)
    ap.add_argument('--series', type=int, default=10000)
    args = ap.parse_args()
    if not shutil.which('wrk'):
        raise SystemExit('wrk is not installed (make setup installs it: apt-get install wrk)')
    print(f'$ python bindings-python/bench/server.py {" ".join(sys.argv[1:])}')
    print(f'load average before: {os.getloadavg()[0]:.2f}')
    libs = ['prometheus_client', 'fastprom']
    check = {lib: start(lib, args.series) for lib in libs}
    try:
        a, b = (samples(check[lib][1]) for lib in libs)
        if a != b or len(a) != args.series:
            raise SystemExit(f'the servers answer different series ({len(a)} vs {len(b)})')
    finally:
        for proc, _ in check.values():
            proc.kill()
            proc.wait()
    results = {lib: {'rps': [], 'p50': [], 'p99': [], 'slow_p50': [], 'slow_p99': [], 'slow_rps': []} for lib in libs}
    for r in range(args.rounds):
        order = libs if r % 2 == 0 else libs[::-1]
        for lib in order:
            res = results[lib]
            proc, port = start(lib, args.series)
            try:
                samples(port)  # warm-up
                rps, pct, errors, non2xx = wrk(port, 2, 10, args.seconds)
            finally:
                proc.kill()
                proc.wait()
            proc, port = start(lib, args.series)
            try:
                samples(port)
                with Slowloris(port, 200):
                    time.sleep(0.5)
                    srps, spct, serrors, snon2xx = wrk(port, 1, 1, args.seconds)
            finally:
                proc.kill()
                proc.wait()
            res['rps'].append(rps)
            res['p50'].append(pct.get(50))
            res['p99'].append(pct.get(99))
            res['slow_rps'].append(srps)
            res['slow_p50'].append(spct.get(50))
            res['slow_p99'].append(spct.get(99))
            print(f'round {r + 1} {lib:17s} 10 conns: {rps:8.1f} req/s p50 {pct.get(50)} ms p99 '
                  f'{pct.get(99)} ms {errors} non-2xx {non2xx}; during slowloris (1 conn): {srps:7.1f} req/s '
                  f'p50 {spct.get(50)} ms p99 {spct.get(99)} ms {serrors} non-2xx {snon2xx}', flush=True)
    med = {lib: {k: statistics.median([v for v in vals if v is not None] or [float('nan')])
                 for k, vals in res.items()} for lib, res in results.items()}
    print(f'\n{args.series} series, medians of {args.rounds} rounds; load average after: {os.getloadavg()[0]:.2f}')
    print('| server | req/s at 10 connections | p50 | p99 | during a 200-connection slowloris: req/s (1 connection) | p50 | p99 |')
    print('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
    for lib in libs:
        m = med[lib]
        print(f'| {lib} | {m["rps"]:.1f} | {m["p50"]:.2f} ms | {m["p99"]:.2f} ms | {m["slow_rps"]:.1f} | '
              f'{m["slow_p50"]:.2f} ms | {m["slow_p99"]:.2f} ms |')
    base = med['prometheus_client']['rps']
    ratio = f"{med['fastprom']['rps'] / base:.1f}x" if base > 0 else 'unbounded (prometheus_client completed none)'
    print(f'ratio (fastprom / prometheus_client) at 10 connections: {ratio} (target: at least 50x)')
    print(f'p99 during slowloris: fastprom {med["fastprom"]["slow_p99"]:.2f} ms, prometheus_client '
          f'{med["prometheus_client"]["slow_p99"]:.2f} ms')


if __name__ == '__main__':
    main()
