import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mulberry32, serverFlags, type SemanticsName, type Synchronous, type WriterName } from '../../src/protocol/index.js';
import { HistoryRecorder } from '../history/recorder.js';
import type { DbMessage, PhaseEvent } from '../history/events.js';
import { writeSnapshotFile } from '../history/db-snapshot.js';
import { NodesUnavailableError } from '../cluster/nodes.js';
import { writeDeliveryPaths } from '../history/delivery-paths.js';
import type { SimClient } from '../workload/sim-client.js';
import { runOpenLoop } from '../workload/open-loop.js';
import { checkAll, INVARIANT_NAMES, type CheckOutcome, type InvariantName } from '../checker/index.js';
import { buildRunReport, type RunReport } from '../report/index.js';
import type { Scenario, ScriptedSend } from './scenario.js';
import { FaultTimeline, planFaults } from './fault-schedule.js';
import { FAULTS } from '../nemesis/index.js';
import { UsageError } from './cli-errors.js';
import { settle, startLabSystem, type LabSystem } from './lab-system.js';

/** Options of one run. */
export interface RunOptions {
  seed?: number;
  semantics?: SemanticsName;
  /** Who runs the write transactions (`serve --writer`). @default 'primary' */
  writer?: WriterName;
  /** SQLite's synchronous setting in the core. @default 'FULL' */
  synchronous?: Synchronous;
  /** Where the run writes history.jsonl, the database and the core's log. */
  outDir: string;
  /** Live progress lines (phase, faults, sent/acked). */
  onProgress?: (line: string) => void;
  /** Aborting stops the run early; everything is still stopped and nothing is left behind. */
  signal?: AbortSignal;
}

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
  const history = new HistoryRecorder(join(outDir, 'history.jsonl'));
  const phase = (p: PhaseEvent['phase']) => { history.record({ type: 'phase', phase: p }); say(`phase ${p}`); };
  const started = performance.now();
  let system: LabSystem | undefined;
  let outcome: CheckOutcome | undefined;
  let dbMessages: DbMessage[] | undefined;
  let error: string | undefined;
  let skipped: string | undefined;
  const aborted = () => { if (o.signal?.aborted) throw new Error('the run was interrupted'); };
  try {
    phase('start');
    const clientLinks = plan.some((f) => f.fires && FAULTS[f.step.kind]?.needsClientLinks === true);
    system = await startLabSystem({ cluster: sc.cluster, redis: sc.redis, clients: sc.clients, membersOnly: sc.membersOnly, semantics, clientLinks, headIntervalMs: sc.headIntervalMs, ...(o.writer ? { writer: o.writer } : {}), ...(o.synchronous ? { synchronous: o.synchronous } : {}), seed, outDir, history, ...(o.signal ? { signal: o.signal } : {}) });
    const { clients, truth } = system;
    const liveSystem = system;

    phase('workload');
    const timeline = new FaultTimeline(plan, (_f, i) => liveSystem.faultContext(i), history, (s) => say(s));
    let sent = 0;
    let acked = 0;
    const unsubscribe = history.subscribe((e) => { if (e.type === 'ack') acked += 1; });
    const progress = setInterval(() => say(`sent ${sent}, acked ${acked}`), 1000);
    try {
      timeline.start();
      const load = runOpenLoop({ clients, ratePerSec: sc.workload.ratePerSec, durationMs: sc.workload.durationMs, bodyBytes: sc.workload.bodyBytes, random: mulberry32(seed), ...(o.signal ? { signal: o.signal } : {}), onSend: () => { sent += 1; } });
      const script = runScript(sc.workload.script, clients, timeline, o.signal, () => { sent += 1; });
      await Promise.all([load, script, sleepUntilAbort(Math.max(sc.workload.durationMs, timeline.endMs), o.signal)]);
      phase('heal');
      await timeline.healAll();
    } finally {
      clearInterval(progress);
      unsubscribe();
    }
    if (timeline.errors.length) throw new Error(timeline.errors.join('; '));
    aborted();

    phase('recovery');
    const recovered = await settle(clients, truth, sc.recoveryTimeoutMs, o.signal);
    say(recovered ? 'recovery: every client caught up with the database heads' : `recovery: not every client caught up within ${sc.recoveryTimeoutMs} ms (the checkers will say who missed what)`);

    phase('final-reads');
    await system.stop();
    const db = await truth.snapshot();
    // A run on PostgreSQL keeps its truth in its folder (for trace and exercise) before its database is dropped.
    if (truth.dialect === 'postgres') writeSnapshotFile(join(outDir, 'db.sqlite'), db);
    await system.release();
    system = undefined;
    dbMessages = db.messages;

    phase('check');
    outcome = checkAll({ history: history.events, db }, invariants);
    writeDeliveryPaths(join(outDir, 'deliveries.jsonl'), history.events);
  } catch (err) {
    if (err instanceof NodesUnavailableError) skipped = err.message;
    else error = err instanceof Error ? err.message : String(err);
  } finally {
    history.record({ type: 'phase', phase: 'stop' });
    await system?.release();
    await history.close();
  }
  return buildRunReport({ scenario: sc.name, seed, semantics, cluster: { nodes: sc.cluster.nodes, workersPerNode: sc.cluster.workers, db: sc.cluster.db, redis: sc.redis.mode }, ...(o.writer ? { writer: o.writer } : {}), ...(o.synchronous ? { synchronous: o.synchronous } : {}), durationMs: Math.round(performance.now() - started), history: history.events, ...(outcome ? { outcome } : {}), ...(dbMessages ? { dbMessages } : {}), ...(error !== undefined ? { error } : {}), ...(skipped !== undefined ? { skipped } : {}) });
}

/** Sends the workload's script: each send by its client at its moment, after the faults due by then (a send's outcome is in the history). */
async function runScript(script: readonly ScriptedSend[], clients: readonly SimClient[], timeline: FaultTimeline, signal: AbortSignal | undefined, onSend: () => void): Promise<void> {
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (const step of [...script].sort((a, b) => a.atMs - b.atMs)) {
    await sleepUntilAbort(Math.max(0, step.atMs - (performance.now() - started)), signal);
    // A fault recorded before this send (at the same moment or earlier) is in place first.
    await timeline.startedBy(step.atMs);
    if (signal?.aborted) break;
    const c = clients.find((k) => k.name === step.client);
    if (!c) throw new Error(`script: no client ${step.client}`);
    sends.push(c.send(step.room, step.body));
    onSend();
  }
  await Promise.all(sends);
}

function sleepUntilAbort(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
