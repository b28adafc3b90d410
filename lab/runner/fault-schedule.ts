import type { Scenario, FaultStep } from './scenario.js';
import { FAULTS, type FaultContext, type ResolvedTarget } from '../nemesis/index.js';
import { mulberry32 } from '../../src/protocol/index.js';
import type { HistoryRecorder } from '../history/recorder.js';
import { UsageError } from './cli-errors.js';

/** A fault step with its parameters validated and its target resolved from the seed. */
export interface PlannedFault {
  name: string;
  step: FaultStep;
  /** How long it lasts, in ms ("end" resolved against the workload's duration). */
  forMs: number;
  params: unknown;
  target: ResolvedTarget;
  /** False when the step's probability said it does not fire in this run, or it needs Redis and the run has none. */
  fires: boolean;
  /** Why a step does not fire. */
  skipReason?: string;
}

/** Validates every step against its fault's schema and resolves targets and probabilities from the seed. */
export function planFaults(sc: Scenario, seed: number, hasRedis: boolean): PlannedFault[] {
  const random = mulberry32(seed ^ 0x5bd1e995);
  return sc.faults.map((step, i) => {
    const kind = FAULTS[step.kind];
    if (!kind) throw new UsageError(`scenario ${sc.name}: faults.${i}.kind: unknown fault "${step.kind}" (known: ${Object.keys(FAULTS).join(', ')})`);
    if (kind.redisMode && kind.redisMode !== sc.redis.mode) throw new UsageError(`scenario ${sc.name}: faults.${i}.kind: ${step.kind} acts on ${kind.redisMode === 'single' ? 'the proxies to one redis-server' : 'a Redis Cluster'}, and redis.mode is ${sc.redis.mode}`);
    if (kind.needsSqlite && sc.cluster.db !== 'sqlite') throw new UsageError(`scenario ${sc.name}: faults.${i}.kind: ${step.kind} acts on the core's SQLite files, and cluster.db is ${sc.cluster.db}`);
    const parsed = kind.params.safeParse(step.params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`scenario ${sc.name}: faults.${i}.params.${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    if (sc.cluster.nodes > 1 && kind.targets === 'core') throw new UsageError(`scenario ${sc.name}: faults.${i}.kind: ${step.kind} acts on the one node of a run; with ${sc.cluster.nodes} nodes use node-kill on a node`);
    if (sc.cluster.nodes === 1 && kind.targets === 'nodes') throw new UsageError(`scenario ${sc.name}: faults.${i}.kind: ${step.kind} acts on one of several nodes, and cluster.nodes is 1`);
    const room = (parsed.data as { room?: unknown }).room;
    if (typeof room === 'string' && !sc.clients.rooms.includes(room)) throw new UsageError(`scenario ${sc.name}: faults.${i}.params.room: ${room} is not one of the clients' rooms (${sc.clients.rooms.join(', ')})`);
    if (typeof room === 'string' && sc.membersOnly[room] !== undefined) throw new UsageError(`scenario ${sc.name}: faults.${i}.params.room: ${room} is members-only; a fault's room must be open to every client`);
    const unmet = kind.check?.(sc, parsed.data);
    if (unmet !== undefined) throw new UsageError(`scenario ${sc.name}: faults.${i}.params: ${unmet}`);
    const target = resolveTarget(step, kind.targets, sc.cluster.workers * sc.cluster.nodes, sc.cluster.nodes, random, `scenario ${sc.name}: faults.${i}.target`);
    const drawn = random() < step.probability;
    const where = targetName(target);
    const forMs = step.forMs === 'end' ? Math.max(0, sc.workload.durationMs - step.atMs) : step.forMs;
    const planned: PlannedFault = { name: `${step.kind}@${step.atMs}ms ${where}`, step, forMs, params: parsed.data, target, fires: drawn && (hasRedis || !kind.needsRedis) };
    if (!drawn) planned.skipReason = `probability ${step.probability}`;
    else if (!planned.fires) planned.skipReason = 'this semantics variant runs without Redis';
    return planned;
  });
}

/** A resolved target as reports name it: `worker:1+worker:3`, `node:1`, `redis`, … */
export function targetName(t: ResolvedTarget): string {
  if (t.kind === 'workers') return t.slots.map((s) => `worker:${s}`).join('+');
  if (t.kind === 'nodes') return t.nodes.map((n) => `node:${n}`).join('+');
  return t.kind;
}

function resolveTarget(step: FaultStep, wants: 'workers' | 'nodes' | 'redis' | 'clients' | 'core', workers: number, nodes: number, random: () => number, where: string): ResolvedTarget {
  if (wants === 'redis') return { kind: 'redis' };
  if (wants === 'nodes') {
    const t = step.target;
    if (t === 'random-node' || t === 'random-worker') return { kind: 'nodes', nodes: [Math.floor(random() * nodes)] };
    if (t.startsWith('node:')) {
      const n = Number(t.slice(5));
      if (n >= nodes) throw new UsageError(`${where}: node ${n} does not exist (the run has ${nodes})`);
      return { kind: 'nodes', nodes: [n] };
    }
    throw new UsageError(`${where}: fault ${step.kind} targets nodes ("node:<n>" or "random-node"), not "${t}"`);
  }
  if (wants === 'clients') return { kind: 'clients' };
  if (wants === 'core') return { kind: 'core' };
  const t = step.target;
  if (t === 'all-workers') return { kind: 'workers', slots: Array.from({ length: workers }, (_, i) => i) };
  if (t === 'random-worker') return { kind: 'workers', slots: [Math.floor(random() * workers)] };
  if (t.startsWith('worker:')) {
    const slot = Number(t.slice(7));
    if (slot >= workers) throw new UsageError(`${where}: worker ${slot} does not exist (the cluster has ${workers})`);
    return { kind: 'workers', slots: [slot] };
  }
  throw new UsageError(`${where}: fault ${step.kind} targets workers, not "${t}"`);
}

/** Runs the planned faults on their timeline; `healAll` heals whatever is still active. */
export class FaultTimeline {
  #timers: NodeJS.Timeout[] = [];
  #wakers = new Set<() => void>();
  #running: Promise<void>[] = [];
  #errors: string[] = [];
  /** Per step: resolves once the step has started (injected, or known not to fire). */
  #started: { promise: Promise<void>; resolve: () => void }[];

  constructor(private readonly plan: PlannedFault[], private readonly ctxFor: (f: PlannedFault, i: number) => FaultContext, private readonly history: HistoryRecorder, private readonly onNote: (s: string) => void) {
    this.#started = plan.map(() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => { resolve = r; });
      return { promise, resolve };
    });
  }

  /**
   * Resolves once every step due at or before `atMs` has started: a scripted send at the same moment
   * as a fault meets it in place, as it did where the script was recorded.
   */
  startedBy(atMs: number): Promise<void> {
    return Promise.all(this.plan.flatMap((f, i) => (f.step.atMs <= atMs ? [this.#started[i]!.promise] : []))).then(() => undefined);
  }

  /** When the last step ends, in ms after the workload starts. */
  get endMs(): number {
    return Math.max(0, ...this.plan.map((f) => f.step.atMs + f.forMs));
  }

  /** Errors raised by fault steps (a step that could not be injected makes the run fail with exit 2). */
  get errors(): string[] {
    return this.#errors;
  }

  /** Schedules every firing step relative to now. */
  start(): void {
    this.plan.forEach((f, i) => {
      if (!f.fires) {
        this.#started[i]!.resolve();
        return this.onNote(`fault ${f.name} skipped (${f.skipReason ?? 'not drawn'})`);
      }
      this.#timers.push(setTimeout(() => this.#running.push(this.#inject(f, i)), f.step.atMs));
    });
  }

  async #inject(f: PlannedFault, i: number): Promise<void> {
    const target = targetName(f.target);
    try {
      this.history.record({ type: 'fault-start', fault: f.name, kind: f.step.kind, target, params: f.params as Record<string, unknown> });
      this.onNote(`fault ${f.name} starts`);
      const heal = await FAULTS[f.step.kind]!.start(this.ctxFor(f, i), f.target, f.params).finally(() => this.#started[i]!.resolve());
      await new Promise<void>((resolve) => {
        const wake = () => { clearTimeout(t); this.#wakers.delete(wake); resolve(); };
        const t = setTimeout(wake, f.forMs);
        this.#wakers.add(wake);
      });
      await heal();
      this.history.record({ type: 'fault-heal', fault: f.name, kind: f.step.kind, target });
      this.onNote(`fault ${f.name} healed`);
    } catch (err) {
      this.#errors.push(`fault ${f.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Cancels steps not yet started, heals every active fault now, and waits for every step to finish. */
  async healAll(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    for (const s of this.#started) s.resolve();
    for (const wake of [...this.#wakers]) wake();
    await Promise.allSettled(this.#running);
  }
}
