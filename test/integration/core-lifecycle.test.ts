/**
 * The core's program (src/server/main.ts) as a deployment runs it: without --redis it starts its own
 * redis-server, and SIGTERM or SIGINT stops everything it started; a bad flag exits 2 naming the
 * flag. `deliverylab serve` runs the same program.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIST_CLI_PATH, DIST_CORE_MAIN_PATH } from '../support/dist-core.js';
import { HealthBody, adminPort, nodePortCount, slotPort } from '../../src/protocol/index.js';
import { waitFor } from '../support/wait-for.js';

const WORKERS = 2;
/** Bound for `serve` to print its banner (forks, migration, redis-server start). */
const READY_TIMEOUT_MS = 30_000;
/** Bound for `serve` to exit after a signal (its own grace for workers is 5 s). */
const EXIT_TIMEOUT_MS = 20_000;
/** Bound for a killed helper (redis-server's watchdog) to be gone after serve exited. */
const GONE_TIMEOUT_MS = 5_000;

/** One line of `/proc/<pid>/stat`, the fields this test needs. */
interface ProcStat { pid: number; comm: string; state: string; ppid: number }

/** Reads `/proc/<pid>/stat`, or null when the process does not exist. */
function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm is in parentheses and may hold spaces or parentheses itself: split at the last ')'.
  const close = text.lastIndexOf(')');
  const [state = '?', ppid = '0'] = text.slice(close + 2).split(' ');
  return { pid, comm: text.slice(text.indexOf('(') + 1, close), state, ppid: Number(ppid) };
}

/** True when `pid` exists and is not a zombie (a zombie has exited, yet still answers kill(pid, 0)). */
function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

/** The processes whose parent is `ppid`. */
function childrenOf(ppid: number): ProcStat[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    const stat = procStat(Number(e));
    return stat?.ppid === ppid ? [stat] : [];
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port p with p .. p+count-1 free on 127.0.0.1 when probed. */
async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000); // below Linux's ephemeral range (32768+)
    const free = await Promise.all(Array.from({ length: count }, (_, i) => canBind(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no range of ${count} free ports found on 127.0.0.1`);
}

interface Served {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: () => string;
  stderr: () => string;
}

let dir: string | undefined;
let running: Served | undefined;

afterEach(async () => {
  // On failure nothing may survive: serve runs in its own process group, which also holds its workers and redis-server.
  const child = running?.child;
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await running?.exit;
  }
  running = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function serve(args: string[], via: 'main' | 'cli' = 'main'): Served {
  const child = spawn(process.execPath, via === 'main' ? [DIST_CORE_MAIN_PATH, ...args] : [DIST_CLI_PATH, 'serve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, DL_LOG_LEVEL: 'warn' },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  running = { child, exit, stdout: () => out, stderr: () => err };
  return running;
}

/** Resolves with `promise` or rejects naming `what` after `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs);
    })]);
  } finally {
    clearTimeout(timer);
  }
}

describe('the core program lifecycle', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('without --redis it runs its own redis-server, and %s stops everything', async (signal) => {
    dir = mkdtempSync(join(tmpdir(), 'dl-core-lifecycle-'));
    const port = await freePortRange(nodePortCount(WORKERS));
    const s = serve(['--workers', String(WORKERS), '--port', String(port), '--db', join(dir, 'db.sqlite')]);
    const servePid = s.child.pid!;

    const banner = await waitFor(() => {
      expect(s.child.exitCode, `serve exited early: ${s.stderr()}`).toBeNull();
      const m = /deliverylab serving on ws:\/\/127\.0\.0\.1:(\d+)\/ws[\s\S]*redis embedded \(pid (\d+), unix socket ([^)]+)\)/.exec(s.stdout());
      expect(m, 'the serving banner').not.toBeNull();
      return { port: Number(m![1]), redisPid: Number(m![2]), redisSocket: m![3]! };
    }, READY_TIMEOUT_MS, 50);
    expect(banner.port).toBe(port);
    for (let k = 0; k < WORKERS; k++) expect(s.stdout()).toContain(`worker ${k}: ws://127.0.0.1:${slotPort(port, k)}/ws`);

    // Its redis-server is its own child, and each worker's /health names the worker's pid.
    const children = childrenOf(servePid);
    const redisPids = children.filter((c) => c.comm === 'redis-server').map((c) => c.pid);
    expect(redisPids).toEqual([banner.redisPid]);
    const workerPids: number[] = [];
    for (let k = 0; k < WORKERS; k++) {
      const health = await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${adminPort(port, WORKERS, k)}/health`);
        const body = HealthBody.parse(await res.json());
        expect(body.redis.publisher).toBe('ready');
        return body;
      }, READY_TIMEOUT_MS);
      expect(health.worker).toBe(k);
      expect(procStat(health.pid)?.ppid, `worker ${k} is a child of serve`).toBe(servePid);
      workerPids.push(health.pid);
    }
    expect(new Set(workerPids).size).toBe(WORKERS);

    process.kill(servePid, signal);
    const exit = await within(s.exit, EXIT_TIMEOUT_MS, `serve did not exit on ${signal}`);
    expect(exit, s.stderr()).toEqual({ code: 0, signal: null });

    // The workers and redis-server were awaited before serve exited: gone at once (a zombie counts as gone).
    expect(workerPids.filter(isRunning), 'worker pids still running').toEqual([]);
    expect(redisPids.filter(isRunning), 'redis-server pids still running').toEqual([]);
    // Anything else it started (redis-server's watchdog) goes too.
    await waitFor(() => expect(children.map((c) => c.pid).filter(isRunning), 'children of serve still running').toEqual([]), GONE_TIMEOUT_MS);
    const stillListening = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
    expect(stillListening, 'the shared port still answers').toBe(false);
  });

  it.each([
    { flag: '--workers', value: 'zero', field: 'workers' },
    { flag: '--semantics', value: 'nope', field: 'semantics' },
    { flag: '--port', value: '-5', field: 'port' },
    { flag: '--redis', value: 'http://nope', field: 'redis' },
  ])('a bad flag ($flag $value) exits 2 naming $field', async ({ flag, value, field }) => {
    dir = mkdtempSync(join(tmpdir(), 'dl-core-lifecycle-'));
    const s = serve(['--db', join(dir, 'db.sqlite'), '--port', '1', flag, value]);
    const exit = await within(s.exit, EXIT_TIMEOUT_MS, 'serve did not exit on a bad flag');
    expect(exit).toEqual({ code: 2, signal: null });
    expect(s.stderr()).toMatch(new RegExp(`\\b${field}\\b`));
    expect(s.stdout()).not.toContain('serving on');
  });

  it('a worker slot that can never listen makes the program give up: exit 2, naming the port', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dl-core-lifecycle-'));
    const port = await freePortRange(nodePortCount(1));
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(slotPort(port, 0), '127.0.0.1', resolve));
    try {
      const s = serve(['--workers', '1', '--port', String(port), '--db', join(dir, 'db.sqlite'), '--redis', 'redis://127.0.0.1:1']);
      const exit = await within(s.exit, EXIT_TIMEOUT_MS, 'the program did not give up on a slot that cannot listen');
      expect(exit).toEqual({ code: 2, signal: null });
      expect(s.stderr()).toContain(`worker 0 exited 5 times before it ever listened on 127.0.0.1:${slotPort(port, 0)}`);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('SIGKILL of deliverylab serve: the core notices its parent is gone and stops everything', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dl-core-lifecycle-'));
    const port = await freePortRange(nodePortCount(1));
    const s = serve(['--workers', '1', '--port', String(port), '--db', join(dir, 'db.sqlite')], 'cli');
    await waitFor(() => expect(s.stdout()).toContain(`deliverylab serving on ws://127.0.0.1:${port}/ws`), READY_TIMEOUT_MS, 50);
    const core = childrenOf(s.child.pid!).filter((c) => c.comm === 'node');
    expect(core).toHaveLength(1);
    const started = [core[0]!, ...childrenOf(core[0]!.pid)];
    process.kill(s.child.pid!, 'SIGKILL');
    await within(s.exit, EXIT_TIMEOUT_MS, 'serve did not die');
    await waitFor(() => expect(started.map((c) => c.pid).filter(isRunning), 'the core and its children still running').toEqual([]), EXIT_TIMEOUT_MS);
  });

  it('deliverylab serve runs the same program, and SIGTERM stops it and everything it started', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dl-core-lifecycle-'));
    const port = await freePortRange(nodePortCount(1));
    const s = serve(['--in-process', '--port', String(port), '--db', join(dir, 'db.sqlite')], 'cli');
    await waitFor(() => {
      expect(s.child.exitCode, `serve exited early: ${s.stderr()}`).toBeNull();
      expect(s.stdout()).toContain(`deliverylab serving on ws://127.0.0.1:${port}/ws`);
    }, READY_TIMEOUT_MS, 50);
    const core = childrenOf(s.child.pid!).filter((c) => c.comm === 'node');
    expect(core, 'the core program is a child of serve').toHaveLength(1);
    const health = HealthBody.parse(await (await fetch(`http://127.0.0.1:${adminPort(port, 1, 0)}/health`)).json());
    expect(health).toMatchObject({ ok: true, worker: 0, pid: core[0]!.pid, writer: 'worker', redis: { publisher: 'disabled' } });
    process.kill(s.child.pid!, 'SIGTERM');
    expect(await within(s.exit, EXIT_TIMEOUT_MS, 'serve did not exit on SIGTERM'), s.stderr()).toEqual({ code: 0, signal: null });
    expect(isRunning(core[0]!.pid), 'the core program still runs').toBe(false);
  });

  it('bound to every interface, the core still binds its admin port (/health, /metrics) to loopback only', async () => {
    dir = mkdtempSync(join(tmpdir(), 'dl-core-lifecycle-'));
    const port = await freePortRange(nodePortCount(1));
    const s = serve(['--in-process', '--host', '0.0.0.0', '--port', String(port), '--db', join(dir, 'db.sqlite')]);
    await waitFor(() => {
      expect(s.child.exitCode, `serve exited early: ${s.stderr()}`).toBeNull();
      expect(s.stdout()).toContain(`health and metrics: http://127.0.0.1:${adminPort(port, 1, 0)}/health`);
    }, READY_TIMEOUT_MS, 50);
    // The kernel's table of listening sockets: local address per port (hex, little-endian IPv4).
    const listening = new Map<number, string>();
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A') continue; // LISTEN
      const [addr, p] = f[1]!.split(':');
      listening.set(parseInt(p!, 16), addr!);
    }
    expect(listening.get(port), 'the shared port').toBe('00000000');
    expect(listening.get(slotPort(port, 0)), 'the slot port').toBe('00000000');
    expect(listening.get(adminPort(port, 1, 0)), 'the admin port').toBe('0100007F');
  });
});
