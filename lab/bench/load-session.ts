import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { awaitMessage, BenchChildError, type ChildGroup } from './children.js';
import { latencySummary, mergeHistograms, type LatencyMs } from './histogram.js';
import type { LoadCommand, LoadMode, LoadReport, Verification } from './load-messages.js';
import { CpuWindow } from './proc-stats.js';
import type { SystemUnderLoad } from './system-under-load.js';

/** The compiled load-client entry the bench forks. */
const LOAD_CLIENT = fileURLToPath(new URL('./load-client.js', import.meta.url));
/** Bound on opening and joining every connection of a session. */
const SETUP_TIMEOUT_MS = 60_000;

/** The shape of one session's load: rooms of one size, spread over load-client processes. */
export interface SessionSpec {
  roomSize: number;
  rooms: number;
  /** Load-client processes to fork. */
  loadProcs: number;
  bodyBytes: number;
  /** Unique per session: room names and ids are made from it. */
  tag: string;
}

/** Timing of one run. */
export interface RunTiming {
  warmupMs: number;
  durationMs: number;
  drainMs: number;
}

/** The measured outcome of one run (a round) of a session. */
export interface RoundResult {
  system: string;
  roomSize: number;
  /** `saturation`, `half` (an open-loop rate at half of saturation), `probe` (a saturation candidate), or `fixed-rate` (an open-loop rate set from another system's figure). */
  label: 'saturation' | 'half' | 'probe' | 'fixed-rate';
  /** `closed, window N/conn` or `open, N/s`. */
  load: string;
  connections: number;
  /** Messages acked (committed) per second in the measured window. */
  msgsPerSec: number;
  /** Messages received per second in the window, by every member (the sender included). */
  deliveriesPerSec: number;
  /** Deliveries to members other than the sender, of messages sent in the window. */
  latencyMs: LatencyMs;
  /** Percent of one core used in the window, per process (`other`: the rest of the machine). */
  cpuPercent: Record<string, number>;
  sent: number;
  acked: number;
  deliveries: number;
  errors: number;
  firstError?: string;
  /** Everything acked and received since the session opened, checked against the database. */
  verification: Verification;
  /** What the servers said about their own health after the run (cumulative since they started), if they say anything. */
  serverHealth?: Record<string, unknown>;
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

/**
 * Load clients connected to one system: forked processes, each holding whole rooms (so a
 * delivery's latency is timed on one clock), with connection j on the system's url j mod n.
 * Runs reuse the connections; verification covers everything since the session opened.
 */
export class LoadSession {
  readonly #system: SystemUnderLoad;
  readonly #spec: SessionSpec;
  readonly #group: ChildGroup;
  readonly #signal: AbortSignal | undefined;
  readonly #children: { child: ChildProcess; name: string; rooms: number }[] = [];
  #connections = 0;

  private constructor(system: SystemUnderLoad, spec: SessionSpec, group: ChildGroup, signal?: AbortSignal) {
    this.#system = system;
    this.#spec = spec;
    this.#group = group;
    this.#signal = signal;
  }

  /** Forks the load clients, connects them and joins their rooms. */
  static async open(system: SystemUnderLoad, spec: SessionSpec, group: ChildGroup, signal?: AbortSignal): Promise<LoadSession> {
    const s = new LoadSession(system, spec, group, signal);
    try {
      await s.#setup();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  async #setup(): Promise<void> {
    const { roomSize, rooms, bodyBytes, tag } = this.#spec;
    const procs = Math.max(1, Math.min(this.#spec.loadProcs, rooms));
    let firstRoom = 0;
    for (let k = 0; k < procs; k++) {
      const n = Math.floor(rooms / procs) + (k < rooms % procs ? 1 : 0);
      const name = `load-${k}`;
      const child = this.#group.fork(LOAD_CLIENT, []);
      child.send({
        type: 'setup', dialect: this.#system.dialect, urls: this.#system.urls, firstConnection: firstRoom * roomSize, rooms: n, roomSize,
        roomPrefix: `${tag}-p${k}-r`, idTag: `${tag.replace(/[^a-z0-9]/g, '')}p${k}`, bodyBytes,
      } satisfies LoadCommand);
      this.#children.push({ child, name, rooms: n });
      firstRoom += n;
    }
    const ready = await Promise.all(this.#children.map((c) => report(c.child, c.name, 'ready', SETUP_TIMEOUT_MS, this.#signal)));
    this.#connections = ready.reduce((n, r) => n + r.connections, 0);
  }

  /** Drives one run and measures it (CPU over the measured window of every server and load process). */
  async run(mode: LoadMode, label: RoundResult['label'], t: RunTiming): Promise<RoundResult> {
    await this.#system.refreshProcesses?.();
    const pids = new Map(this.#system.processes);
    for (const c of this.#children) pids.set(c.name, c.child.pid!);
    pids.set('bench', process.pid);
    const cpu = new CpuWindow(pids);
    const timeoutMs = t.warmupMs + t.durationMs + t.drainMs + 30_000;
    const answers = this.#children.map((c) => {
      const m: LoadMode = mode.kind === 'open' ? { kind: 'open', ratePerSec: (mode.ratePerSec * c.rooms) / this.#spec.rooms } : mode;
      const answer = report(c.child, c.name, 'result', timeoutMs, this.#signal);
      c.child.send({ type: 'run', mode: m, ...t, ...(this.#system.dbFile ? { dbFile: this.#system.dbFile } : {}) } satisfies LoadCommand);
      return answer;
    });
    const results = Promise.all(answers);
    results.catch(() => undefined); // awaited below; an abort meanwhile must not go unhandled
    await sleep(t.warmupMs);
    cpu.begin();
    await sleep(t.durationMs);
    const cpuPercent = cpu.end();
    const result = this.#aggregate(mode, label, t, await results, cpuPercent);
    const health = await this.#system.health?.().catch((e: unknown) => ({ error: String(e) }));
    return health === undefined ? result : { ...result, serverHealth: health };
  }

  /** Closes the connections and stops the load-client processes. */
  async close(): Promise<void> {
    for (const c of this.#children) if (c.child.connected) c.child.send({ type: 'close' } satisfies LoadCommand);
    await Promise.all(this.#children.map((c) => this.#group.stop(c.child)));
  }

  #aggregate(mode: LoadMode, label: RoundResult['label'], t: RunTiming, rs: Result[], cpuPercent: Record<string, number>): RoundResult {
    const sec = t.durationMs / 1000;
    const sum = (f: (r: Result) => number) => rs.reduce((n, r) => n + f(r), 0);
    const v = (k: keyof Omit<Verification, 'checkedDb'>) => sum((r) => r.verification[k]);
    const hist = mergeHistograms(rs.map((r) => r.histogram));
    const latencyMs = latencySummary(hist);
    hist.destroy();
    const firstError = rs.find((r) => r.firstError !== undefined)?.firstError;
    return {
      system: this.#system.name,
      roomSize: this.#spec.roomSize,
      label,
      load: mode.kind === 'closed' ? `closed, window ${mode.window}/conn` : `open, ${Math.round(mode.ratePerSec)}/s`,
      connections: this.#connections,
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
        lost: v('lost'), lostFromDb: v('lostFromDb'), missingDeliveries: v('missingDeliveries'), missedLive: v('missedLive'), recoveredByFetch: v('recoveredByFetch'), phantoms: v('phantoms'),
        unacked: v('unacked'), duplicates: v('duplicates'), checkedDb: rs.every((r) => r.verification.checkedDb),
      },
    };
  }
}
