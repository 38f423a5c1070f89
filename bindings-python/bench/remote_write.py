"""Remote write from Python: what building a request costs, and what a background sender
costs a process.

    .venv/bin/python bindings-python/bench/remote_write.py [--series 10000] [--seconds 60]

1. build: ``build_remote_write_requests`` (protobuf and snappy, in the native core) for a
   registry of ``--series`` counter series, with and without their ``_created`` series;
   median of 7 timeit rounds of 20 calls.
2. sender: a ``RemoteWriteSender`` at the default 15 s interval (and at 1 s) writing that
   registry for ``--seconds`` to a receiver in another process (a bare HTTP server that
   answers 204); the CPU time this process spent over the wall time, with the main
   thread asleep, and the requests that arrived.

A measurement: nothing is asserted on speed.
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import timeit

import fastprom
from fastprom.remote_write import RemoteWriteSender, build_remote_write_requests

SINK = r'''
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    count = 0
    def do_POST(self):
        self.rfile.read(int(self.headers['Content-Length']))
        H.count += 1
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H)
print('ready', flush=True)
try:
    server.serve_forever()
except KeyboardInterrupt:
    pass
print(H.count, flush=True)
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def registry(series: int):
    reg = fastprom.CollectorRegistry()
    c = fastprom.Counter('requests', 'Requests served.', ['route'], registry=reg)
    for i in range(series):
        c.labels(f'/route/{i}').inc(i)
    return reg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--series', type=int, default=10000)
    ap.add_argument('--seconds', type=float, default=60)
    args = ap.parse_args()
    print(f'$ python bindings-python/bench/remote_write.py {" ".join(sys.argv[1:])}')
    print(f'load average before: {os.getloadavg()[0]:.2f}')
    reg = registry(args.series)
    for created in (False, True):
        times = [t / 20 for t in timeit.repeat(lambda: build_remote_write_requests(reg, created=created),
                                               number=20, repeat=7)]
        bodies = build_remote_write_requests(reg, created=created)
        series = args.series * (2 if created else 1)
        print(f'build, {series} series (created={created}): median {statistics.median(times) * 1000:.2f} ms, '
              f'fastest {min(times) * 1000:.2f} ms; {len(bodies)} request(s), {sum(map(len, bodies))} bytes snappy')
    for interval in (15.0, 1.0):
        port = free_port()
        sink = subprocess.Popen([sys.executable, '-c', SINK, str(port)], stdout=subprocess.PIPE, text=True)
        assert sink.stdout.readline().strip() == 'ready'
        sender_reg = registry(args.series)
        cpu0, wall0 = time.process_time(), time.monotonic()
        sender = RemoteWriteSender(f'http://127.0.0.1:{port}/api/v1/write', sender_reg, interval=interval,
                                   created=False)
        time.sleep(args.seconds)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        sender.close()
        sink.send_signal(signal.SIGINT)  # the sink prints its count on the way out
        received = sink.communicate(timeout=10)[0].strip().splitlines()[-1]
        sent = sender_reg.get_sample_value('fastprom_remote_write_requests_total',
                                           {'url': f'http://127.0.0.1:{port}/api/v1/write', 'outcome': 'sent'})
        print(f'sender every {interval:g} s for {wall:.0f} s: CPU {cpu * 1000:.0f} ms = {100 * cpu / wall:.3f}% of '
              f'one core; {int(sent)} requests sent, {received} received')
    print(f'load average after: {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
