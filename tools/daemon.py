"""One throwaway server process for a test: ``running_daemon`` starts it with its output in
a log file, waits until it answers, and on the way out stops it by PID and removes its work
folder. Used by tools/influxdb.py and the Python remote-write tests (Prometheus).
"""

import contextlib
import os
import shutil
import signal
import subprocess
import time
from typing import Callable, Iterator, List


@contextlib.contextmanager
def running_daemon(name: str, cmd: List[str], work: str, ready: Callable[[], None],
                   patience: float = 60.0) -> Iterator[subprocess.Popen]:
    """Runs ``cmd`` (output in ``work``/``name``.log) until ``ready()`` returns without
    raising ``OSError``; raises ``RuntimeError`` with the log if the process ends or is not
    ready within ``patience`` seconds. On exit: SIGTERM, SIGKILL after 20 s, and ``work``
    is removed."""
    log_path = os.path.join(work, f"{name}.log")
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + patience
        while True:
            try:
                ready()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    with open(log_path, errors="replace") as f:
                        raise RuntimeError(f"{name} did not come up:\n{f.read()}")
                time.sleep(0.2)
        yield proc
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
