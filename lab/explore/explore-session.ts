import { targetName } from '../runner/fault-schedule.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { monotonicFactory } from 'ulid';
import { mulberry32, type SemanticsName } from '../../src/protocol/index.js';
import { checkAll, INVARIANT_NAMES } from '../checker/index.js';
import { writeSnapshotFile } from '../history/db-snapshot.js';
import { writeDeliveryPaths } from '../history/delivery-paths.js';
import type { HistoryEvent } from '../history/events.js';
import { HistoryRecorder } from '../history/recorder.js';
import { FAULTS, type Heal, type ResolvedTarget } from '../nemesis/index.js';
import { buildRunReport, renderTerminal, type RunReport } from '../report/index.js';
import { settle, startLabSystem, waitUntil, type LabSystem } from '../runner/lab-system.js';
import { Scenario, UNTIL_END, type FaultStep, type ScriptedSend } from '../runner/scenario.js';
import { runOpenLoop } from '../workload/open-loop.js';
import type { SimClient } from '../workload/sim-client.js';

/** Options of an explore session. */
export interface ExploreOptions {
  workers: number;
  /** The database truth. @default 'sqlite' */
  db?: 'sqlite' | 'postgres';
  clients: number;
  rooms: string[];
  semantics: SemanticsName;
  /** Background sends per second over all clients (0: only the `send` commands). */
  ratePerSec: number;
  seed: number;
  /** Where the session keeps its history, database and logs. */
  outDir: string;
  /** A browser origin the core lets in (the web console's). */
  allowOrigin?: string;
  /** Lines the session prints by itself (a fault healed, a crash point fired). */
  onNote?: (line: string) => void;
  signal?: AbortSignal;
}

/** A fault the session started and has not healed yet. */
interface ActiveFault {
  /** How the console names it: `pause worker:0`, `partition worker:1`, `dup`, `reorder`, `crash worker:1`. */
  key: string;
  name: string;
  kind: string;
  target: string;
  atMs: number;
  params: Record<string, unknown>;
  heal: Heal;
}

/** What `check` found: the report, and whether every invariant held. */
export interface CheckResult {
  report: RunReport;
  settled: boolean;
}

const SEND_SETTLE_MS = 10_000;
const CHECK_SETTLE_MS = 20_000;
const HEAD_INTERVAL_MS = 500;
const BODY_BYTES = 32;

/**
 * A live cluster to probe by hand: the same system a run starts (Redis behind a fault proxy per
 * worker, the core's program, simulated clients c0…cN-1 joined to their rooms), with faults started
 * and healed on command instead of on a timeline. Everything done is kept, with its time, so that
 * `save` can write it as a scenario file that `run` replays.
 */
export class ExploreSession {
  readonly history: HistoryRecorder;
  readonly #o: ExploreOptions;
  readonly #system: LabSystem;
  /** The session's clock origin for saved steps: ms of the history when the clients had joined. */
  readonly #t0: number;
  readonly #active = new Map<string, ActiveFault>();
  readonly #faults: FaultStep[] = [];
  readonly #sends: ScriptedSend[] = [];
  readonly #newId = monotonicFactory();
  #faultIndex = 0;
  #load: AbortController | undefined;
  #stopped = false;

  private constructor(o: ExploreOptions, history: HistoryRecorder, system: LabSystem) {
    this.#o = o;
    this.history = history;
    this.#system = system;
    history.record({ type: 'phase', phase: 'workload' });
    this.#t0 = history.now();
    history.subscribe((e) => {
      if (e.type === 'failpoint-fired') o.onNote?.(`failpoint ${e.failpoint} fired in worker ${e.worker} (pid ${e.pid})${e.detail ? ` on ${e.detail}` : ''}`);
      if (e.type === 'worker-exit') o.onNote?.(`worker ${e.worker} (pid ${e.pid}) exited (${e.signal ?? `code ${e.code}`})`);
      if (e.type === 'worker-up') o.onNote?.(`worker ${e.worker} is up (pid ${e.pid})`);
    });
    this.#startLoad();
  }

  /** Starts the cluster and the clients; resolves once every client joined its rooms. */
  static async start(o: ExploreOptions): Promise<ExploreSession> {
    const outDir = resolve(o.outDir);
    mkdirSync(outDir, { recursive: true });
    const history = new HistoryRecorder(join(outDir, 'history.jsonl'));
    history.record({ type: 'phase', phase: 'start' });
    try {
      const system = await startLabSystem({
        cluster: { workers: o.workers, nodes: 1, db: o.db ?? 'sqlite' }, clients: { count: o.clients, rooms: o.rooms, placement: 'spread' }, semantics: o.semantics,
        headIntervalMs: HEAD_INTERVAL_MS, seed: o.seed, outDir, history, clientLinks: true, ...(o.allowOrigin ? { allowOrigin: o.allowOrigin } : {}), ...(o.signal ? { signal: o.signal } : {}),
      });
      return new ExploreSession({ ...o, outDir }, history, system);
    } catch (err) {
      await history.close();
      throw err;
    }
  }

  get outDir(): string { return this.#o.outDir; }
  get options(): Readonly<ExploreOptions> { return this.#o; }
  get clients(): readonly SimClient[] { return this.#system.clients; }
  get system(): LabSystem { return this.#system; }
  /** Ms since the session's clients joined (the time saved steps are stamped with). */
  get elapsedMs(): number { return Math.round(this.history.now() - this.#t0); }
  /** The faults active now, by console key. */
  get activeFaults(): readonly ActiveFault[] { return [...this.#active.values()]; }

  client(name: string): SimClient | undefined {
    return this.#system.clients.find((c) => c.name === name);
  }

  /**
   * Starts a fault of a registered kind on a target. A fault kept (`hold`) stays active until
   * `heal`; one that is not is healed at once (a kill heals by waiting for the worker to be back).
   */
  async fault(kind: string, target: ResolvedTarget, params: Record<string, unknown>, opts: { key: string; hold: boolean; healAfterMs?: number }): Promise<void> {
    const f = FAULTS[kind];
    if (!f) throw new Error(`unknown fault ${kind}`);
    if (this.#active.has(opts.key)) throw new Error(`${opts.key} is already active: heal it first`);
    if (f.needsSqlite && this.#system.truth.dialect !== 'sqlite') throw new Error(`${kind} acts on the core's SQLite files, and this session's database is ${this.#system.truth.dialect}`);
    const parsed = f.params.parse(params) as Record<string, unknown>;
    const where = targetName(target);
    const atMs = this.elapsedMs;
    const name = `${kind}@${atMs}ms ${where}`;
    this.history.record({ type: 'fault-start', fault: name, kind, target: where, params: parsed });
    const heal = await f.start(this.#system.faultContext(this.#faultIndex++), target, parsed);
    const active: ActiveFault = { key: opts.key, name, kind, target: where, atMs, params: parsed, heal };
    if (opts.hold) {
      this.#active.set(opts.key, active);
      return;
    }
    if (opts.healAfterMs) await new Promise((r) => setTimeout(r, opts.healAfterMs));
    await this.#heal(active);
  }

  async #heal(f: ActiveFault): Promise<void> {
    this.#active.delete(f.key);
    try {
      await f.heal();
    } finally {
      this.history.record({ type: 'fault-heal', fault: f.name, kind: f.kind, target: f.target });
      this.#faults.push({ kind: f.kind, atMs: f.atMs, forMs: Math.max(0, this.elapsedMs - f.atMs), target: f.target as FaultStep['target'], params: f.params, probability: 1 });
    }
  }

  /** Heals the active faults whose key matches (all when no key); returns their keys. */
  async heal(match?: (key: string) => boolean): Promise<string[]> {
    const healed = [...this.#active.values()].filter((f) => match === undefined || match(f.key));
    for (const f of healed) await this.#heal(f);
    return healed.map((f) => f.key);
  }

  /** The application of client `c` sends `body` to `room`; resolves with the id once it settled, or SEND_SETTLE_MS later. */
  async send(c: SimClient, room: string, body: string): Promise<{ id: string; settled: boolean }> {
    const id = this.#newId();
    this.#sends.push({ atMs: this.elapsedMs, client: c.name, room, body });
    const settled = await Promise.race([c.send(room, body, id).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), SEND_SETTLE_MS).unref())]);
    return { id, settled };
  }

  /** Every event of the history that names message `id`. */
  eventsOf(id: string): HistoryEvent[] {
    return this.history.events.filter((e) => 'id' in e && e.id === id);
  }

  /**
   * The invariants over the history so far: the background load is held, every send is given time to
   * settle and every client to catch up (as a run's recovery phase does), then the database is read
   * and every checker runs. The session is saved first, so the report's reproduce line replays it.
   */
  async check(): Promise<CheckResult> {
    this.#stopLoad();
    try {
      const settled = await settle(this.#system.clients, this.#system.truth, CHECK_SETTLE_MS, this.#o.signal);
      // The core runs on: a variant that acks before it commits may have a commit still on its way.
      // Read the truth once every acked message is in it or the worker that acked it has died since.
      await waitUntil(() => this.#ackedAccountedFor(), CHECK_SETTLE_MS, 'acked messages to be committed', this.#o.signal).catch(() => undefined);
      const db = await this.#system.truth.snapshot();
      const outcome = checkAll({ history: this.history.events, db }, INVARIANT_NAMES);
      const file = this.save(join(this.#o.outDir, 'session.json'));
      const report = buildRunReport({ scenario: 'explore', scenarioFile: file, seed: this.#o.seed, semantics: this.#o.semantics, cluster: { nodes: 1, workersPerNode: this.#o.workers, db: this.#o.db ?? 'sqlite', redis: 'single' }, durationMs: Math.round(this.history.now()), history: this.history.events, outcome, dbMessages: db.messages });
      return { report, settled };
    } finally {
      this.#startLoad();
    }
  }

  async #ackedAccountedFor(): Promise<boolean> {
    const ids = new Set((await this.#system.truth.snapshot()).messages.map((m) => m.id));
    const lastExit = new Map<number, number>();
    for (const e of this.history.events) if (e.type === 'worker-exit') lastExit.set(e.worker, Math.max(e.t, lastExit.get(e.worker) ?? 0));
    return this.history.events.every((e) => e.type !== 'ack' || ids.has(e.id) || (e.worker !== null && (lastExit.get(e.worker) ?? -1) > e.t));
  }

  /** The check as the terminal report a run prints. */
  static render(r: CheckResult, color: boolean): string {
    return `${r.settled ? '' : 'note: not every send settled and not every client caught up within the bound; what is missing is listed below\n'}${renderTerminal(r.report, { color })}`;
  }

  /**
   * What was done so far as a scenario (faults still active last until the end), validated as `run`
   * validates a file; written to `file` as JSON. Returns the path as given.
   */
  scenario(name: string): Scenario {
    const durationMs = Math.max(1000, this.elapsedMs + 500);
    const faults: FaultStep[] = [
      ...this.#faults,
      ...[...this.#active.values()].map((f) => ({ kind: f.kind, atMs: f.atMs, forMs: UNTIL_END as typeof UNTIL_END, target: f.target as FaultStep['target'], params: f.params, probability: 1 })),
    ].sort((a, b) => a.atMs - b.atMs);
    const commands = faults.length + this.#sends.length;
    return Scenario.parse({
      name,
      description: `Saved from an explore session: ${commands} step(s) (${faults.length} fault(s), ${this.#sends.length} send(s)) on ${this.#o.workers} workers and ${this.#o.clients} clients.`,
      seed: this.#o.seed,
      cluster: { workers: this.#o.workers, nodes: 1, db: this.#o.db ?? 'sqlite' },
      clients: { count: this.#o.clients, rooms: this.#o.rooms, placement: 'spread' },
      workload: { ratePerSec: this.#o.ratePerSec, durationMs, bodyBytes: BODY_BYTES, script: [...this.#sends] },
      faults,
      semantics: this.#o.semantics,
      headIntervalMs: HEAD_INTERVAL_MS,
    });
  }

  save(file: string): string {
    const name = basename(file).replace(/\.json$/i, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'explore';
    const sc = this.scenario(/^[a-z0-9]/.test(name) ? name : `explore-${name}`);
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, `${JSON.stringify(sc, null, 2)}\n`);
    return file;
  }

  #startLoad(): void {
    if (this.#o.ratePerSec <= 0 || this.#stopped) return;
    const load = new AbortController();
    this.#load = load;
    void runOpenLoop({ clients: this.#system.clients, ratePerSec: this.#o.ratePerSec, durationMs: 24 * 3600_000, bodyBytes: BODY_BYTES, random: mulberry32(this.#o.seed + this.#faultIndex), signal: load.signal });
  }

  #stopLoad(): void {
    this.#load?.abort();
    this.#load = undefined;
  }

  /** Heals every active fault, stops the clients, the core, the proxies and Redis, and keeps the history and delivery paths. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopLoad();
    await this.heal().catch(() => undefined);
    this.history.record({ type: 'phase', phase: 'stop' });
    await this.#system.stop();
    try {
      if (this.#system.truth.dialect === 'postgres') writeSnapshotFile(join(this.#o.outDir, 'db.sqlite'), await this.#system.truth.snapshot());
    } finally {
      await this.#system.release();
    }
    writeDeliveryPaths(join(this.#o.outDir, 'deliveries.jsonl'), this.history.events);
    await this.history.close();
  }
}
