import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { clientFlags, mulberry32, serverFlags, type SemanticsName, type WriterName } from '../../src/protocol/index.js';
import { startRedisServer, type RedisServerHandle } from '../cluster/redis-server.js';
import { startFaultProxy, type FaultProxy } from '../cluster/fault-proxy.js';
import { startCore, type Core } from '../cluster/core-process.js';
import { HistoryRecorder } from '../history/recorder.js';
import type { DbMessage, PhaseEvent } from '../history/events.js';
import { readDbHeads, readDbSnapshot } from '../history/db-snapshot.js';
import { writeDeliveryPaths } from '../history/delivery-paths.js';
import { startSimClient, type SimClient } from '../workload/sim-client.js';
import { runOpenLoop } from '../workload/open-loop.js';
import { checkAll, INVARIANT_NAMES, type CheckOutcome, type InvariantName } from '../checker/index.js';
import { buildRunReport, type RunReport } from '../report/index.js';
import type { Scenario } from './scenario.js';
import { FaultTimeline, planFaults } from './fault-schedule.js';
import { UsageError } from './cli-errors.js';

/** Options of one run. */
export interface RunOptions {
  seed?: number;
  semantics?: SemanticsName;
  /** Who runs the write transactions (`serve --writer`). @default 'primary' */
  writer?: WriterName;
  /** Where the run writes history.jsonl, the database and the core's log. */
  outDir: string;
  /** Live progress lines (phase, faults, sent/acked). */
  onProgress?: (line: string) => void;
  /** Aborting stops the run early; everything is still stopped and nothing is left behind. */
  signal?: AbortSignal;
}

const JOIN_TIMEOUT_MS = 20_000;
const POLL_MS = 100;
/** Recovery gives up when no cursor, head or outbox has changed for this long. */
const STALL_MS = 5000;

/**
 * Runs one scenario in fixed phases: start → workload + faults → heal → recovery → final reads →
 * check → report, and stops every process it started whatever happens.
 */
export async function runScenario(sc: Scenario, o: RunOptions): Promise<RunReport> {
  const seed = o.seed ?? sc.seed;
  const semantics = o.semantics ?? sc.semantics;
  const say = o.onProgress ?? (() => undefined);
  const invariants = (sc.invariants ?? INVARIANT_NAMES) as InvariantName[];
  const unknown = invariants.filter((n) => !INVARIANT_NAMES.includes(n));
  if (unknown.length) throw new UsageError(`scenario ${sc.name}: invariants: unknown ${unknown.join(', ')} (known: ${INVARIANT_NAMES.join(', ')})`);
  for (const [variant, names] of Object.entries(sc.catches)) {
    const bad = (names ?? []).filter((n) => !INVARIANT_NAMES.includes(n as InvariantName));
    if (bad.length) throw new UsageError(`scenario ${sc.name}: catches.${variant}: unknown invariant ${bad.join(', ')} (known: ${INVARIANT_NAMES.join(', ')})`);
  }
  const plan = planFaults(sc, seed, serverFlags(semantics).redis);
  const outDir = resolve(o.outDir);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const dbFile = join(outDir, 'db.sqlite');
  const history = new HistoryRecorder(join(outDir, 'history.jsonl'));
  const phase = (p: PhaseEvent['phase']) => { history.record({ type: 'phase', phase: p }); say(`phase ${p}`); };
  const started = performance.now();
  let redis: RedisServerHandle | undefined;
  const proxies: FaultProxy[] = [];
  let core: Core | undefined;
  const clients: SimClient[] = [];
  let outcome: CheckOutcome | undefined;
  let dbMessages: DbMessage[] | undefined;
  let error: string | undefined;
  const aborted = () => { if (o.signal?.aborted) throw new Error('the run was interrupted'); };
  try {
    phase('start');
    if (serverFlags(semantics).redis) {
      redis = await startRedisServer({ logFile: join(outDir, 'redis.log') });
      for (let k = 0; k < sc.cluster.workers; k++) proxies.push(await startFaultProxy({ upstreamPort: redis.port }));
    }
    aborted();
    core = await startCore({
      workers: sc.cluster.workers, db: dbFile, redisUrls: proxies.map((p) => p.url), semantics, headIntervalMs: sc.headIntervalMs, ...(o.writer ? { writer: o.writer } : {}),
      logFile: join(outDir, 'core.log'), trace: true,
      onEvent: (e) => {
        // The core's own trace events, stamped in epoch ms, go into the history on the run's clock.
        if (e.type === 'trace') for (const tr of e.traces) history.recordAt(tr.at, { type: 'trace', trace: tr });
        if (e.type === 'worker-up') history.record({ type: 'worker-up', worker: e.slot, pid: e.pid });
        if (e.type === 'worker-exit') history.record({ type: 'worker-exit', worker: e.slot, pid: e.pid, signal: e.signal, code: e.code });
        if (e.type === 'failpoint-fired') history.record({ type: 'failpoint-fired', worker: e.slot, pid: e.pid, failpoint: e.failpoint, detail: e.detail });
      },
    });
    const liveCore = core;
    const flags = clientFlags(semantics);
    const place = (i: number, placement: 'spread' | number[]) => (placement === 'spread' ? i % sc.cluster.workers : placement[i % placement.length]! % sc.cluster.workers);
    const listeners = sc.clients.listeners;
    const roster = [
      ...Array.from({ length: sc.clients.count }, (_, i) => ({ name: `c${i}`, home: place(i, sc.clients.placement), role: 'sender' as const })),
      ...Array.from({ length: listeners?.count ?? 0 }, (_, i) => ({ name: `l${i}`, home: place(i, listeners!.placement), role: 'listener' as const })),
    ];
    roster.forEach(({ name, home, role }, i) => {
      const order = Array.from({ length: sc.cluster.workers }, (_, k) => (home + k) % sc.cluster.workers);
      clients.push(startSimClient({ name, home, role, urls: order.map((k) => liveCore.slotUrl(k)), rooms: sc.clients.rooms, semantics: flags, history, random: mulberry32(seed + 1000 + i) }));
    });
    await waitUntil(() => clients.every((c) => joinedAll(history, c)), JOIN_TIMEOUT_MS, 'every client to join its rooms', o.signal);

    phase('workload');
    const timeline = new FaultTimeline(plan, (_f, i) => ({ core: liveCore, redis, proxies, clients, history, random: mulberry32(seed * 31 + i), seed: seed * 31 + i }), history, (s) => say(s));
    let sent = 0;
    let acked = 0;
    const unsubscribe = history.subscribe((e) => { if (e.type === 'ack') acked += 1; });
    const progress = setInterval(() => say(`sent ${sent}, acked ${acked}`), 1000);
    try {
      timeline.start();
      const load = runOpenLoop({ clients, ratePerSec: sc.workload.ratePerSec, durationMs: sc.workload.durationMs, bodyBytes: sc.workload.bodyBytes, random: mulberry32(seed), ...(o.signal ? { signal: o.signal } : {}), onSend: () => { sent += 1; } });
      await Promise.all([load, sleepUntilAbort(Math.max(sc.workload.durationMs, timeline.endMs), o.signal)]);
      phase('heal');
      await timeline.healAll();
    } finally {
      clearInterval(progress);
      unsubscribe();
    }
    if (timeline.errors.length) throw new Error(timeline.errors.join('; '));
    aborted();

    phase('recovery');
    const recovered = await recover(clients, dbFile, sc.recoveryTimeoutMs, o.signal);
    say(recovered ? 'recovery: every client caught up with the database heads' : `recovery: not every client caught up within ${sc.recoveryTimeoutMs} ms (the checkers will say who missed what)`);

    phase('final-reads');
    await Promise.all(clients.map((c) => c.client.close()));
    await core.stop();
    core = undefined;
    const db = readDbSnapshot(dbFile);
    dbMessages = db.messages;

    phase('check');
    outcome = checkAll({ history: history.events, db }, invariants);
    writeDeliveryPaths(join(outDir, 'deliveries.jsonl'), history.events);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  } finally {
    history.record({ type: 'phase', phase: 'stop' });
    await Promise.allSettled(clients.map((c) => c.client.close()));
    await core?.stop().catch(() => undefined);
    await Promise.allSettled(proxies.map((p) => p.close()));
    await redis?.stop().catch(() => undefined);
    await history.close();
  }
  return buildRunReport({ scenario: sc.name, seed, semantics, ...(o.writer ? { writer: o.writer } : {}), durationMs: Math.round(performance.now() - started), history: history.events, ...(outcome ? { outcome } : {}), ...(dbMessages ? { dbMessages } : {}), ...(error !== undefined ? { error } : {}) });
}

function joinedAll(history: HistoryRecorder, c: SimClient): boolean {
  const joined = new Set<string>();
  for (const e of history.events) if (e.type === 'joined' && e.client === c.name) joined.add(e.room);
  return c.rooms.every((r) => joined.has(r));
}

/**
 * Waits until every unacked send is settled and every client's cursor has reached the database heads.
 * Gives up at the bound, or earlier once nothing has moved for STALL_MS (a variant without
 * recovery mechanisms never catches up, and waiting longer would only slow the matrix down).
 */
async function recover(clients: readonly SimClient[], dbFile: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
  let last = '';
  let lastChange = performance.now();
  try {
    await waitUntil(() => {
      const heads = readDbHeads(dbFile);
      const progress = clients.map((c) => `${c.unsettled}:${c.rooms.map((r) => c.client.cursor(r)).join(',')}`).join('|') + [...heads.values()].join(',');
      if (progress !== last) { last = progress; lastChange = performance.now(); }
      if (performance.now() - lastChange > STALL_MS) throw new Error('stalled');
      // Every send the applications made settled (acked or refused), as they saw it.
      if (clients.some((c) => c.unsettled > 0)) return false;
      return clients.every((c) => c.rooms.every((r) => c.client.cursor(r) >= (heads.get(r) ?? 0)));
    }, timeoutMs, 'recovery', signal);
    return true;
  } catch (err) {
    if (signal?.aborted) throw err;
    return false;
  }
}

/** Re-checks a condition every POLL_MS until it holds; rejects after timeoutMs saying what it waited for. */
async function waitUntil(cond: () => boolean, timeoutMs: number, what: string, signal?: AbortSignal): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (signal?.aborted) throw new Error('the run was interrupted');
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function sleepUntilAbort(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
