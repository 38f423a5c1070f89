// What the tests share (not a test file: node --test runs only *.test.js): paths, free
// loopback ports, a real Pushgateway from Debian's prometheus-pushgateway, Prometheus and
// InfluxDB started on them and stopped by PID, and child processes run to their end or
// stopped by PID.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, the built package and the WASM examples. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const pkgDir = path.join(repoRoot, 'bindings-wasm', 'pkg');
export const examplesDir = path.join(repoRoot, 'examples', 'wasm');

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Calls `probe` until it returns something truthy; throws after `ms` milliseconds. */
export async function waitFor(probe, what, ms = 10000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves once a TCP connection to 127.0.0.1:`port` succeeds. */
export function waitForPort(port, what, ms) {
  const connects = () =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  return waitFor(connects, what, ms);
}

/** Stops a child process by its PID (SIGTERM, SIGKILL after 5 s) and waits for its end. */
export async function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const ended = new Promise((r) => child.once('exit', r));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5000);
  await ended;
  clearTimeout(timer);
}

/** Runs a command to its end: `{ code, stdout, stderr }`; stopped by PID after `timeout` ms. */
export function run(command, args, { timeout = 30000, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => process.kill(child.pid, 'SIGKILL'), timeout);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout, stderr });
    });
  });
}

function findGateway() {
  for (const name of ['pushgateway', 'prometheus-pushgateway']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`]).toString().trim();
    } catch {}
  }
  throw new Error('no pushgateway binary on PATH (Debian package prometheus-pushgateway)');
}

/**
 * Starts a Pushgateway on a free loopback port, keeping what it is pushed in memory only,
 * and waits until it is ready. The result has
 * its `url`, `groups()` (what its /api/v1/metrics lists), `group(labels)` (the group whose
 * labels include all of `labels`, if any) and `stop()`.
 */
export async function startGateway() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Debian's build persists to /var/lib/prometheus/pushgateway.data unless told not to:
  // every gateway started with that default would load the groups of earlier runs.
  const args = [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='];
  const child = spawn(findGateway(), args, { stdio: 'ignore' });
  const gateway = {
    url,
    async groups() {
      const resp = await fetch(`${url}/api/v1/metrics`);
      if (resp.status !== 200) throw new Error(`${url}/api/v1/metrics answered ${resp.status}`);
      return (await resp.json()).data;
    },
    async group(labels) {
      const matches = (g) => Object.entries(labels).every(([k, v]) => g.labels[k] === v);
      return (await gateway.groups()).find(matches);
    },
    stop: () => stopProcess(child),
  };
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, 'the pushgateway to be ready');
  } catch (err) {
    await gateway.stop();
    throw err;
  }
  return gateway;
}

/** A pushed metric's samples as [labels, value] pairs, from the gateway's API. */
export function samples(group, name) {
  const metric = group && group[name];
  if (!metric) throw new Error(`no ${name} in the group ${JSON.stringify(group && group.labels)}`);
  return metric.metrics.map((s) => [s.labels, s.value]);
}

function findBinary(name, pkg) {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`]).toString().trim();
  } catch {
    throw new Error(`no ${name} binary on PATH (Debian package ${pkg})`);
  }
}

/**
 * Starts a throwaway Prometheus on a free loopback port that scrapes nothing and takes
 * remote writes (`--web.enable-remote-write-receiver`), in a temporary directory, and waits
 * until it is ready. The result has its `url`, `writeUrl`, `query(expr)` (the instant
 * query's result vector) and `stop()` (by PID, then the directory goes).
 */
export async function startPrometheus() {
  const dir = mkdtempSync(path.join(tmpdir(), 'fastprom-js-prom-'));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(config, 'global:\n  scrape_interval: 1h\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver',
  ];
  const child = spawn(findBinary('prometheus', 'prometheus'), args, { stdio: 'ignore' });
  const prometheus = {
    url,
    writeUrl: `${url}/api/v1/write`,
    async query(expr) {
      const resp = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const json = await resp.json();
      if (json.status !== 'success') throw new Error(`${expr}: ${JSON.stringify(json)}`);
      return json.data.result;
    },
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, 'prometheus to be ready', 60000);
  } catch (err) {
    await prometheus.stop();
    throw err;
  }
  return prometheus;
}

/**
 * Starts a throwaway InfluxDB 1.x (Debian's influxd) on free loopback ports with a
 * database `rw`. The result has its `url`, `writeUrl` (its Prometheus remote-write
 * endpoint), `select(query)` (the series of an InfluxQL query, times in ms) and `stop()`.
 */
export async function startInfluxDB() {
  const dir = mkdtempSync(path.join(tmpdir(), 'fastprom-js-influx-'));
  const [httpPort, rpcPort] = [await freePort(), await freePort()];
  const config = path.join(dir, 'influxdb.conf');
  // tools/influxdb.conf, the Python and C tests' configuration too.
  const vars = { work: dir, http_port: httpPort, rpc_port: rpcPort };
  const template = readFileSync(path.join(repoRoot, 'tools', 'influxdb.conf'), 'utf8');
  writeFileSync(config, template.replace(/\{(\w+)\}/g, (_, k) => String(vars[k])));
  const url = `http://127.0.0.1:${httpPort}`;
  const child = spawn(findBinary('influxd', 'influxdb'), ['-config', config], { stdio: 'ignore' });
  const influx = {
    url,
    writeUrl: `${url}/api/v1/prom/write?db=rw`,
    async select(q) {
      const resp = await fetch(`${url}/query?${new URLSearchParams({ db: 'rw', epoch: 'ms', q })}`);
      return (await resp.json()).results[0].series || [];
    },
    async stop() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(async () => (await fetch(`${url}/ping`)).status === 204, 'influxd to be ready', 60000);
    const created = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE rw' }) });
    if (!created.ok) throw new Error(`CREATE DATABASE rw: ${created.status} ${await created.text()}`);
  } catch (err) {
    await influx.stop();
    throw err;
  }
  return influx;
}
