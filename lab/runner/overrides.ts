import { z } from 'zod';
import { FAULTS } from '../nemesis/index.js';
import { UsageError } from './cli-errors.js';
import { FaultTarget, Scenario, UNTIL_END, type FaultStep } from './scenario.js';

/** What-if overrides of a scenario from the command line (`run … --fault … --rate …`). */
export interface ScenarioOverrides {
  /** Fault specs, each replacing the scenario's faults: "kind [target] [value] [at=1s] [for=4s|end] [key=value …]". */
  fault?: string[];
  /** false (`--no-faults`): run with no faults at all. */
  faults?: boolean;
  rate?: number;
  /** Workload length in ms. */
  duration?: number;
  clients?: number;
  workers?: number;
  /** The database truth. */
  db?: 'sqlite' | 'postgres';
}

/** A duration as written: `4s`, `1.5s`, `300ms`, `300` (ms). */
export function parseDurationMs(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: "${text}" is not a duration (e.g. 300ms, 1.5s, 4s)`);
  return Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1));
}

function paramShape(kind: string): Record<string, z.ZodType> {
  const params = FAULTS[kind]!.params as unknown as { shape?: Record<string, z.ZodType> };
  return params.shape ?? {};
}

/**
 * One `--fault` spec as a fault step: the kind first, then in any order a target (`worker:1`,
 * `random-worker`, `all-workers`, `redis`, `clients`), `at=` and `for=` (durations, or `for=end`),
 * `key=value` parameters, and a bare word that is the value of the fault's first parameter that accepts
 * it (`crash-point worker:1 after-ack-before-publish nth=5`, `redis-partition worker:1 blackhole`).
 */
export function parseFaultSpec(spec: string): FaultStep {
  const where = `--fault "${spec}"`;
  const [kind, ...tokens] = spec.trim().split(/\s+/);
  if (!kind || !(kind in FAULTS)) throw new UsageError(`${where}: unknown fault "${kind ?? ''}" (known: ${Object.keys(FAULTS).join(', ')})`);
  const shape = paramShape(kind);
  const step: { kind: string; atMs: number; forMs: number | 'end'; target?: string; params: Record<string, unknown> } = { kind, atMs: 1000, forMs: 2000, params: {} };
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq > 0) {
      const key = t.slice(0, eq);
      const value = t.slice(eq + 1);
      if (key === 'at') step.atMs = parseDurationMs(value, `${where}: at`);
      else if (key === 'for') step.forMs = value === UNTIL_END ? UNTIL_END : parseDurationMs(value, `${where}: for`);
      else if (key in shape) step.params[key] = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value === 'true' ? true : value === 'false' ? false : value;
      else throw new UsageError(`${where}: ${kind} has no parameter "${key}" (it takes ${Object.keys(shape).join(', ') || 'none'}, and at=, for=)`);
    } else if (FaultTarget.safeParse(t).success) {
      step.target = t;
    } else {
      const key = Object.keys(shape).find((k) => step.params[k] === undefined && shape[k]!.safeParse(t).success);
      if (key === undefined) throw new UsageError(`${where}: "${t}" is neither a target (worker:N, random-worker, all-workers, redis, clients) nor a value of ${kind}'s parameters`);
      step.params[key] = t;
    }
  }
  const target = step.target ?? (FAULTS[kind]!.targets === 'workers' ? 'random-worker' : FAULTS[kind]!.targets);
  return { kind, atMs: step.atMs, forMs: step.forMs, target: target as FaultStep['target'], params: step.params, probability: 1 };
}

/** The scenario with the overrides applied (validated again), and the flags that reproduce them. */
export function applyOverrides(sc: Scenario, o: ScenarioOverrides): { scenario: Scenario; argv: string[] } {
  const argv: string[] = [];
  const next = structuredClone(sc) as Scenario & Record<string, unknown>;
  if (o.faults === false) {
    next.faults = [];
    argv.push('--no-faults');
  }
  if (o.fault !== undefined && o.fault.length > 0) {
    if (o.faults === false) throw new UsageError('run: --fault and --no-faults do not combine');
    next.faults = o.fault.map(parseFaultSpec);
    for (const f of o.fault) argv.push('--fault', f);
  }
  if (o.rate !== undefined) { next.workload.ratePerSec = o.rate; argv.push('--rate', String(o.rate)); }
  if (o.duration !== undefined) { next.workload.durationMs = o.duration; argv.push('--duration', `${o.duration}ms`); }
  if (o.clients !== undefined) { next.clients.count = o.clients; argv.push('--clients', String(o.clients)); }
  if (o.workers !== undefined) { next.cluster.workers = o.workers; argv.push('--workers', String(o.workers)); }
  if (o.db !== undefined) { next.cluster.db = o.db; argv.push('--db', o.db); }
  if (argv.length === 0) return { scenario: sc, argv };
  const r = Scenario.safeParse(next);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`run: with the overrides, ${i.path.join('.')}: ${i.message}`);
  }
  return { scenario: r.data, argv };
}
