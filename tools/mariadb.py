#!/usr/bin/env python3
"""A throwaway MariaDB for the MySQL exporter's tests, benchmark and demo.

``running_mariadb(tables=N)`` initialises a data directory in a temporary folder
(``mariadb-install-db``), starts Debian's ``mariadbd`` on it as root (``--user=root``) with
its socket in that folder, TCP on a free loopback port, and the performance schema on with
the table I/O and table lock instruments the exporter's ``perf_schema.*`` groups read. It
then creates the tutorial's account (part 5.2.1: ``exporter`` / ``exporterpass`` with
PROCESS, REPLICATION CLIENT and SELECT on ``*.*``, for ``localhost`` and ``127.0.0.1``),
a sample schema ``shop`` of N tables and some traffic on each, and writes a my.cnf with
the exporter's ``[client]`` credentials. On exit it stops the server by PID and removes
the folder.

As a command it prints where the server is and serves until Ctrl-C, SIGTERM or
``--duration`` seconds::

    python tools/mariadb.py --tables 20 [--port 3306] [--duration 60]

Administration goes through the ``mariadb`` client as root over the socket (root
authenticates by unix_socket, as the OS user running the server); no grant tables are
skipped.
"""

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Iterator, List, Optional

EXPORTER_USER = "exporter"
EXPORTER_PASSWORD = "exporterpass"
SAMPLE_SCHEMA = "shop"

# Small InnoDB files keep each throwaway data directory around 40 MB.
_INNODB = ["--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M", "--innodb-flush-log-at-trx-commit=0"]


def free_port(preferred: int = 0) -> int:
    """A loopback port that is free now: ``preferred`` if it can be bound, else any."""
    for port in (preferred, 0, 0, 0):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return s.getsockname()[1]
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free loopback port")


def table_name(i: int) -> str:
    """The name of the sample schema's table number ``i`` (0-based)."""
    return f"t{i:04d}"


def table_engine(i: int) -> str:
    """Every fourth table is Aria, so SQL-level table locks (``read_normal`` and the like)
    show up in table_lock_waits_summary_by_table beside InnoDB's external locks."""
    return "Aria" if i % 4 == 3 else "InnoDB"


def schema_sql(tables: int) -> str:
    """CREATE statements of the sample schema: ``tables`` tables with a primary key and a
    secondary index ``k_idx``."""
    out = [f"CREATE DATABASE IF NOT EXISTS {SAMPLE_SCHEMA};", f"USE {SAMPLE_SCHEMA};"]
    for i in range(tables):
        out.append(f"CREATE TABLE {table_name(i)} (id INT PRIMARY KEY, k INT NOT NULL, v VARCHAR(32), "
                   f"KEY k_idx (k)) ENGINE={table_engine(i)};")
    return "\n".join(out)


def traffic_sql(tables: int, rounds: int = 1, start: int = 0) -> str:
    """Statements that touch every table: inserts, a lookup by primary key, one by the
    secondary index, a full scan, an update and a delete; ``rounds`` times, with row ids
    from ``start`` so that repeated calls do not collide."""
    out = [f"USE {SAMPLE_SCHEMA};"]
    for r in range(rounds):
        base = start + r * 3
        for i in range(tables):
            t = table_name(i)
            out.append(f"INSERT INTO {t} VALUES ({base + 1},{base % 7},'a'),({base + 2},{base % 5},'b'),"
                       f"({base + 3},{base % 3},'c');")
            out.append(f"SELECT v FROM {t} WHERE id={base + 1};")
            out.append(f"SELECT COUNT(*) FROM {t} WHERE k={base % 7};")
            out.append(f"SELECT COUNT(*) FROM {t};")
            out.append(f"UPDATE {t} SET v='u' WHERE id={base + 2};")
            out.append(f"DELETE FROM {t} WHERE id={base + 3};")
        # An explicit table lock on an Aria table counts as an SQL-level lock wait.
        aria = [table_name(i) for i in range(tables) if table_engine(i) == "Aria"]
        if aria:
            out.append(f"LOCK TABLES {aria[0]} READ; SELECT COUNT(*) FROM {aria[0]}; UNLOCK TABLES;")
    return "\n".join(out)


def account_sql() -> str:
    """The tutorial's exporter account (5.2.1), for the socket and for TCP."""
    out = []
    for host in ("localhost", "127.0.0.1"):
        out.append(f"CREATE USER '{EXPORTER_USER}'@'{host}' IDENTIFIED BY '{EXPORTER_PASSWORD}';")
        out.append(f"GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO '{EXPORTER_USER}'@'{host}';")
    return "\n".join(out)


@dataclass
class MariaDB:
    """A running throwaway server: where to reach it and how to stop it."""

    host: str
    port: int
    socket: str
    my_cnf: str
    workdir: str
    tables: int
    proc: Optional[subprocess.Popen] = field(default=None, repr=False)
    _rows: int = field(default=0, repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc else 0

    def sql(self, statements: str, timeout: float = 120) -> str:
        """Runs ``statements`` as root through the ``mariadb`` client over the socket and
        returns its tab-separated output (raises ``RuntimeError`` on an SQL error)."""
        cmd = ["mariadb", "--no-defaults", f"--socket={self.socket}", "--user=root", "--batch"]
        done = subprocess.run(cmd, input=statements, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"mariadb client failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout

    def query_value(self, statement: str) -> str:
        """The single value ``statement`` returns (first column of the first row)."""
        lines = self.sql(statement).splitlines()
        return lines[1].split("\t")[0] if len(lines) > 1 else ""

    def traffic(self, rounds: int = 1) -> None:
        """More of ``traffic_sql`` on every table of the sample schema."""
        self.sql(traffic_sql(self.tables, rounds, start=1000 + self._rows))
        self._rows += rounds * 3

    def stop(self) -> None:
        """Stops the server by its PID (SIGTERM, SIGKILL after 30 s); idempotent."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


def _server_args(datadir: str, sock: str, port: int, tables: int, workdir: str) -> List[str]:
    room = max(1000, 4 * tables + 500)  # performance-schema rows: tables, handles, indexes
    return [
        "mariadbd", "--no-defaults", "--user=root", f"--datadir={datadir}", f"--socket={sock}",
        f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={workdir}/mariadbd.pid",
        f"--log-error={workdir}/mariadbd.err", "--skip-log-bin", "--skip-name-resolve",
        f"--table-open-cache={room}", *_INNODB,
        "--performance-schema=ON",
        "--performance-schema-instrument=wait/io/table/%=ON",
        "--performance-schema-instrument=wait/lock/table/%=ON",
        "--performance-schema-consumer-global-instrumentation=ON",
        "--performance-schema-consumer-thread-instrumentation=ON",
        f"--performance-schema-max-table-instances={room}",
        f"--performance-schema-max-table-handles={2 * room}",
        f"--performance-schema-max-index-stat={2 * room}",
        f"--performance-schema-max-table-lock-stat={room}",
    ]


def _wait_ready(db: MariaDB, timeout: float) -> None:
    deadline = time.time() + timeout
    last = ""
    while time.time() < deadline:
        if db.proc.poll() is not None:
            break
        if os.path.exists(db.socket):
            try:
                db.sql("SELECT 1;", timeout=5)
                return
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                last = str(exc)
        time.sleep(0.1)
    log = os.path.join(db.workdir, "mariadbd.err")
    tail = open(log).read()[-2000:] if os.path.exists(log) else ""
    raise RuntimeError(f"mariadbd did not come up (exit code {db.proc.poll()}): {last}\n{tail}")


def start_mariadb(tables: int = 4, port: int = 0, traffic_rounds: int = 1, timeout: float = 90) -> MariaDB:
    """Starts a throwaway server (see the module's doc); the caller stops it with
    ``stop()`` and removes ``workdir``, or uses ``running_mariadb``."""
    for tool in ("mariadb-install-db", "mariadbd", "mariadb"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            raise RuntimeError(f"{tool} is not installed (apt-get install mariadb-server mariadb-client)")
    workdir = tempfile.mkdtemp(prefix="fastprom-mariadb-")
    datadir = os.path.join(workdir, "data")
    sock = os.path.join(workdir, "mariadbd.sock")
    port = free_port(port)
    db = MariaDB("127.0.0.1", port, sock, os.path.join(workdir, "my.cnf"), workdir, tables)
    try:
        install = subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--datadir={datadir}", "--user=root", "--skip-test-db",
             "--auth-root-authentication-method=socket", *_INNODB],
            capture_output=True, text=True, timeout=timeout)
        if install.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {install.stdout[-1500:]}{install.stderr[-1500:]}")
        env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin")
        with open(os.path.join(workdir, "mariadbd.out"), "wb") as out:
            db.proc = subprocess.Popen(_server_args(datadir, sock, port, tables, workdir), stdout=out,
                                       stderr=subprocess.STDOUT, start_new_session=True, env=env)
        _wait_ready(db, timeout)
        db.sql(account_sql() + "\n" + schema_sql(tables))
        if traffic_rounds:
            db.traffic(traffic_rounds)
        with open(db.my_cnf, "w") as f:
            f.write(f"[client]\nuser = {EXPORTER_USER}\npassword = {EXPORTER_PASSWORD}\n"
                    f"host = {db.host}\nport = {db.port}\n")
        os.chmod(db.my_cnf, 0o600)
        return db
    except BaseException:
        db.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        raise


@contextlib.contextmanager
def running_mariadb(tables: int = 4, port: int = 0, traffic_rounds: int = 1) -> Iterator[MariaDB]:
    """A throwaway MariaDB for the ``with`` block: ``host``, ``port``, ``socket`` and
    ``my_cnf`` (the exporter's credentials file) on the yielded object."""
    db = start_mariadb(tables, port, traffic_rounds)
    try:
        yield db
    finally:
        db.stop()
        shutil.rmtree(db.workdir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tables", type=int, default=4, help="tables in the sample schema (default 4)")
    ap.add_argument("--port", type=int, default=0, help="TCP port (default: a free one; a taken one is replaced)")
    ap.add_argument("--duration", type=float, default=0, help="seconds to serve (0: until Ctrl-C or SIGTERM)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        with running_mariadb(args.tables, args.port) as db:
            print(f"MariaDB (pid {db.pid}) on {db.host}:{db.port}, socket {db.socket}")
            print(f"exporter credentials: {db.my_cnf}")
            print(f"  python examples/python/mysqld_exporter.py --config.my-cnf={db.my_cnf}")
            print("MARIADB READY", flush=True)
            if args.duration > 0:
                time.sleep(args.duration)
            else:
                while True:
                    time.sleep(3600)
    except KeyboardInterrupt:
        pass
    print("MariaDB stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
