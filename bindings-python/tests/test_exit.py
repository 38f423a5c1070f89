"""Python exiting while other threads are inside fastprom's native code.

CPython up to 3.13 ends a thread that wants the GIL back after finalizing has begun with
pthread_exit; through the extension's Rust frames that crashed the process at exit (SIGSEGV),
for daemon threads encoding, parsing or serving when the main thread left. Each script runs
in a fresh interpreter several times, since the outcome depended on timing: every run must
exit with status 0, print what it should and leave nothing on stderr."""

from conftest import run_python

RUNS = 8


def _exits_cleanly(code, runs=RUNS, expect=''):
    for i in range(runs):
        result = run_python(code, timeout=60)
        assert result.returncode == 0, f'run {i}: status {result.returncode}\n{result.stderr}{result.stdout}'
        assert result.stderr == '', f'run {i}: {result.stderr}'
        assert expect in result.stdout, f'run {i}: {result.stdout!r}'


def test_daemon_threads_encoding_and_parsing_when_the_main_thread_exits():
    # Native encoding without the GIL, a gauge function, Python collectors reading /proc
    # (the default registry's), and a parser reading lines from a Python iterator.
    _exits_cleanly('''
        import io, threading, time
        from fastprom import REGISTRY, CollectorRegistry, Counter, Gauge, generate_latest
        from fastprom.openmetrics.exposition import generate_latest as generate_openmetrics
        from fastprom.parser import text_fd_to_metric_families

        r = CollectorRegistry()
        c = Counter('jobs', 'Jobs.', ['shard'], registry=r)
        for i in range(5000):
            c.labels(str(i)).inc()
        Gauge('load', 'Load.', registry=r).set_function(lambda: time.sleep(0.0001) or 1.5)
        text = generate_latest(r).decode()
        running = threading.Barrier(5)

        def loop(work):
            running.wait()
            while True:
                work()

        for work in (lambda: generate_latest(r), lambda: generate_openmetrics(r),
                     lambda: generate_latest(REGISTRY),
                     lambda: sum(1 for _ in text_fd_to_metric_families(io.StringIO(text)))):
            threading.Thread(target=loop, args=(work,), daemon=True).start()
        running.wait()
        time.sleep(0.05)
        print('leaving')
    ''', expect='leaving')


def test_daemon_threads_inside_decorated_functions_when_the_main_thread_exits():
    # The wrapped function lets the GIL go (a sleep) and wants it back after finalizing
    # has begun, with the decorator's native caller beneath it.
    _exits_cleanly('''
        import threading, time
        from fastprom import CollectorRegistry, Counter, Gauge, Histogram

        r = CollectorRegistry()
        h = Histogram('work_seconds', 'Work.', registry=r)
        failures = Counter('failures', 'Failures.', registry=r)
        busy = Gauge('busy', 'Busy.', registry=r)

        @h.time()
        @failures.count_exceptions()
        @busy.track_inprogress()
        def work():
            time.sleep(0.0005)

        started = threading.Barrier(3)

        def loop():
            started.wait()
            while True:
                work()

        for _ in range(2):
            threading.Thread(target=loop, daemon=True).start()
        started.wait()
        time.sleep(0.05)
        print('leaving')
    ''', expect='leaving')


def test_a_server_shut_down_just_before_exit():
    # The tutorial's script: one scrape, shutdown(), exit (no join: shutdown() waits for
    # serve_forever() to return, as socketserver's does).
    _exits_cleanly('''
        import urllib.request
        from fastprom import CollectorRegistry, Summary, start_http_server

        r = CollectorRegistry()
        s = Summary('request_processing_seconds', 'Time spent processing request', registry=r)
        s.observe(0.5)
        server, thread = start_http_server(0, addr='127.0.0.1', registry=r)
        url = f'http://127.0.0.1:{server.server_port}/metrics'
        body = urllib.request.urlopen(url, timeout=10).read().decode()
        server.shutdown()
        print(body.count('request_processing_seconds_count 1.0'))
    ''', expect='1\n')


def test_a_server_still_scraped_when_the_main_thread_exits():
    # No shutdown(): the exit hook stops the server while a client keeps scraping.
    _exits_cleanly('''
        import threading, urllib.request
        from fastprom import CollectorRegistry, Counter, start_http_server

        r = CollectorRegistry()
        c = Counter('hits', 'Hits.', ['path'], registry=r)
        for i in range(2000):
            c.labels(f'/p{i}').inc()
        server, _ = start_http_server(0, addr='127.0.0.1', registry=r)
        url = f'http://127.0.0.1:{server.server_port}/metrics'
        scraped = threading.Event()

        def scrape():
            while True:
                try:
                    urllib.request.urlopen(url, timeout=10).read()
                    scraped.set()
                except OSError:
                    pass

        for _ in range(2):
            threading.Thread(target=scrape, daemon=True).start()
        scraped.wait(30)
        print('scraped' if scraped.is_set() else 'never scraped')
    ''', expect='scraped')


def test_an_exit_hook_that_runs_after_fastprom_s_still_encodes():
    # Hooks run in reverse order of registration: this one, registered before fastprom is
    # imported, runs after fastprom's own, on the thread that finalizes.
    _exits_cleanly('''
        import atexit, threading
        last = {}
        atexit.register(lambda: print('final', last['encode']().count(b'jobs_total{')))

        from fastprom import CollectorRegistry, Counter, generate_latest
        r = CollectorRegistry()
        c = Counter('jobs', 'Jobs.', ['shard'], registry=r)
        for i in range(3000):
            c.labels(str(i)).inc()
        last['encode'] = lambda: generate_latest(r)
        started = threading.Event()

        def loop():
            while True:
                generate_latest(r)
                started.set()

        threading.Thread(target=loop, daemon=True).start()
        started.wait()
    ''', expect='final 3000')


def test_shutdown_from_a_signal_handler_of_the_serving_thread():
    # socketserver deadlocks here (shutdown() waits for the loop it interrupts); fastprom's
    # waits only for loops on other threads.
    _exits_cleanly('''
        import os, signal, threading
        from fastprom import CollectorRegistry, start_http_server

        server, thread = start_http_server(0, addr='127.0.0.1', registry=CollectorRegistry())
        signal.signal(signal.SIGUSR1, lambda *_: server.shutdown())
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        # Returns once the handler's shutdown() has: it waited for the daemon thread's
        # loop, not for this one.
        server.serve_forever(poll_interval=0.05)
        print('stopped', server._loops)
    ''', runs=2, expect='stopped set()')


def test_shutdown_waits_for_serve_forever_on_other_threads():
    _exits_cleanly('''
        import threading, time
        from fastprom import CollectorRegistry, start_http_server

        server, first = start_http_server(0, addr='127.0.0.1', registry=CollectorRegistry())
        more = [threading.Thread(target=server.serve_forever, args=(5,)) for _ in range(3)]
        for t in more:
            t.start()
        while len(server._loops) < 4:  # all four inside serve_forever()
            time.sleep(0.001)
        server.shutdown()
        # Had shutdown() not waited for them, these would still be inside serve_forever().
        alive = [t.is_alive() and t.ident in server._loops for t in more]
        for t in more:
            t.join()
        first.join(5)
        print('left', alive, first.is_alive())
    ''', expect='left [False, False, False] False')
