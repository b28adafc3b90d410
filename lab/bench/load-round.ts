import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { awaitMessage, BenchChildError, type ChildGroup } from './children.js';
import { latencySummary, mergeHistograms, type LatencyMs } from './histogram.js';
import type { Dialect, LoadCommand, LoadMode, LoadReport, Verification } from './load-messages.js';
import { CpuWindow } from './proc-stats.js';

/** The compiled load-client entry the bench forks. */
const LOAD_CLIENT = fileURLToPath(new URL('./load-client.js', import.meta.url));
/** Bound on opening and joining every connection of a round. */
const SETUP_TIMEOUT_MS = 60_000;

/** One round of end-to-end load against one system. */
export interface RoundSpec {
  /** The system under load (deliverylab, peer, ceiling, ...). */
  system: string;
  dialect: Dialect;
  /** Server base URLs; connection j goes to urls[j % urls.length], so a room's members alternate between them. */
  urls: string[];
  roomSize: number;
  rooms: number;
  mode: LoadMode;
  /** `saturation` or `half` (of saturation), for the table. */
  label: 'saturation' | 'half';
  warmupMs: number;
  durationMs: number;
  drainMs: number;
  /** SQLite file the load clients verify against; absent for a system without persistence. */
  dbFile?: string;
  /** Server-side processes whose CPU the round reports, by name. */
  processes: ReadonlyMap<string, number>;
  /** Load-client processes to fork. */
  loadProcs: number;
  bodyBytes: number;
  /** Unique per round: room names and ids are made from it. */
  tag: string;
}

/** The measured outcome of a round. */
export interface RoundResult {
  system: string;
  roomSize: number;
  label: 'saturation' | 'half';
  /** `closed window N` or `open N/s`. */
  load: string;
  connections: number;
  /** Messages acked (committed) per second in the measured window; the round verifies each reached every member. */
  msgsPerSec: number;
  /** Messages received per second in the window, by every member (the sender included). */
  deliveriesPerSec: number;
  /** Deliveries to members other than the sender, of messages sent in the window. */
  latencyMs: LatencyMs;
  /** Percent of one core used in the window, per process. */
  cpuPercent: Record<string, number>;
  sent: number;
  acked: number;
  deliveries: number;
  errors: number;
  firstError?: string;
  verification: Verification;
}

type Result = Extract<LoadReport, { type: 'result' }>;

/** Waits for a report of the given type; a `failed` report rejects. */
function report<T extends LoadReport['type']>(child: ChildProcess, name: string, type: T, timeoutMs: number, signal?: AbortSignal): Promise<Extract<LoadReport, { type: T }>> {
  return awaitMessage(child, name, (m) => {
    const r = m as LoadReport | undefined;
    return r?.type === 'failed' || r?.type === type ? r : undefined;
  }, timeoutMs, signal).then((r) => {
    if (r.type === 'failed') throw new BenchChildError(name, `failed: ${r.error}`);
    return r as Extract<LoadReport, { type: T }>;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs one round: forks the load clients, connects and joins, drives load, measures CPU, verifies, and stops the clients. */
export async function runRound(spec: RoundSpec, group: ChildGroup, signal?: AbortSignal): Promise<RoundResult> {
  const procs = Math.max(1, Math.min(spec.loadProcs, spec.rooms));
  const children: { child: ChildProcess; name: string; rooms: number }[] = [];
  try {
    let firstRoom = 0;
    for (let k = 0; k < procs; k++) {
      const rooms = Math.floor(spec.rooms / procs) + (k < spec.rooms % procs ? 1 : 0);
      const name = `load-${k}`;
      const child = group.fork(LOAD_CLIENT, [], name);
      const setup: LoadCommand = {
        type: 'setup', dialect: spec.dialect, urls: spec.urls, firstConnection: firstRoom * spec.roomSize, rooms, roomSize: spec.roomSize,
        roomPrefix: `${spec.tag}-p${k}-r`, idTag: `${spec.tag.replace(/[^a-z0-9]/g, '')}p${k}`, bodyBytes: spec.bodyBytes,
      };
      child.send(setup);
      children.push({ child, name, rooms });
      firstRoom += rooms;
    }
    const ready = await Promise.all(children.map((c) => report(c.child, c.name, 'ready', SETUP_TIMEOUT_MS, signal)));
    const connections = ready.reduce((n, r) => n + r.connections, 0);
    const cpuPids = new Map(spec.processes);
    for (const c of children) cpuPids.set(c.name, c.child.pid!);
    const cpu = new CpuWindow(cpuPids);
    const timeoutMs = spec.warmupMs + spec.durationMs + spec.drainMs + 30_000;
    const results = children.map((c) => {
      const mode: LoadMode = spec.mode.kind === 'open' ? { kind: 'open', ratePerSec: (spec.mode.ratePerSec * c.rooms) / spec.rooms } : spec.mode;
      const run: LoadCommand = { type: 'run', mode, warmupMs: spec.warmupMs, durationMs: spec.durationMs, drainMs: spec.drainMs, ...(spec.dbFile ? { dbFile: spec.dbFile } : {}) };
      const answer = report(c.child, c.name, 'result', timeoutMs, signal);
      c.child.send(run);
      return answer;
    });
    await sleep(spec.warmupMs);
    cpu.begin();
    await sleep(spec.durationMs);
    const cpuPercent = cpu.end();
    return aggregate(spec, connections, await Promise.all(results), cpuPercent);
  } finally {
    for (const c of children) if (c.child.connected) c.child.send({ type: 'close' } satisfies LoadCommand);
    await Promise.all(children.map((c) => group.stop(c.child)));
  }
}

function aggregate(spec: RoundSpec, connections: number, rs: Result[], cpuPercent: Record<string, number>): RoundResult {
  const sec = spec.durationMs / 1000;
  const sum = (f: (r: Result) => number) => rs.reduce((n, r) => n + f(r), 0);
  const v = (k: keyof Omit<Verification, 'checkedDb'>) => sum((r) => r.verification[k]);
  const hist = mergeHistograms(rs.map((r) => r.histogram));
  const latencyMs = latencySummary(hist);
  hist.destroy();
  const firstError = rs.find((r) => r.firstError !== undefined)?.firstError;
  return {
    system: spec.system,
    roomSize: spec.roomSize,
    label: spec.label,
    load: spec.mode.kind === 'closed' ? `closed, window ${spec.mode.window}/conn` : `open, ${Math.round(spec.mode.ratePerSec)}/s`,
    connections,
    msgsPerSec: Math.round(sum((r) => r.ackedInWindow) / sec),
    deliveriesPerSec: Math.round(sum((r) => r.deliveriesInWindow) / sec),
    latencyMs,
    cpuPercent,
    sent: sum((r) => r.sent),
    acked: sum((r) => r.acked),
    deliveries: sum((r) => r.deliveries),
    errors: sum((r) => r.errors),
    ...(firstError === undefined ? {} : { firstError }),
    verification: {
      lost: v('lost'), lostFromDb: v('lostFromDb'), missingDeliveries: v('missingDeliveries'), phantoms: v('phantoms'),
      unacked: v('unacked'), duplicates: v('duplicates'), checkedDb: rs.every((r) => r.verification.checkedDb),
    },
  };
}
