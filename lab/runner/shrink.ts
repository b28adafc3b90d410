import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SemanticsName } from '../../src/protocol/index.js';
import { paint, type RunReport } from '../report/index.js';
import { Scenario } from './scenario.js';

/**
 * `run --shrink`: turns a failing scenario into a smaller one that still fails (the same invariant
 * still breaks), trying fewer faults, shorter fault windows, fewer clients, a lower rate and a
 * shorter workload, one real run per candidate.
 *
 * Hand-rolled greedy delta debugging rather than fast-check, for these reasons:
 * - The budget. A candidate is a real cluster run of about 5 s, so a shrink gets a dozen runs, not
 *   the hundreds fast-check's shrinker is built to spend. Its order of attempts is generic (an
 *   integer first tries its minimum, an array first tries dropping everything); here each run is
 *   spent where it removes the most: whole faults first (ddmin over the fault list), then one
 *   halving step per dimension in turn, so that every dimension gets some of the budget.
 * - The value is given, not generated. We shrink the user's failing scenario; fast-check would
 *   have to shrink it as an unseeded example through context-free shrinkers, and every candidate
 *   must still be re-validated by the scenario schema anyway.
 * - The predicate is not deterministic: a candidate that passes once is only "not shown to fail",
 *   so the result is confirmed by a re-run, which fast-check has no notion of.
 * - Nothing to install in the CLI's runtime for about 150 lines of plain, unit-tested code
 *   (a precedent: mizchi/chaosbringer#137 shrinks a failing fault plan the same way).
 */

/** One candidate tried: what changed, the candidate, and whether it still failed (then it was kept). */
export interface ShrinkStep {
  what: string;
  candidate: Scenario;
  fails: boolean;
}

/** Options of a shrink. */
export interface ShrinkOptions {
  /** The most candidate runs to spend. @default 12 */
  budget?: number;
  /** Called after each candidate run. */
  onStep?: (step: ShrinkStep, run: number) => void;
  /** Whether a candidate is a valid scenario (invalid ones are skipped without a run). @default the scenario schema */
  valid?: (sc: Scenario) => boolean;
  /** Aborting stops after the current candidate. */
  signal?: AbortSignal;
}

/** What a shrink found: the smallest scenario that still failed, and what it cost. */
export interface ShrinkResult {
  scenario: Scenario;
  /** Candidate runs spent. */
  runs: number;
  budget: number;
  steps: ShrinkStep[];
  /** True when the budget ran out before every dimension was as small as it would go. */
  exhausted: boolean;
}

/** The default budget of candidate runs. */
export const DEFAULT_SHRINK_RUNS = 12;

/** Confirmation runs after the budget: the shrunk scenario, then, if it held, the candidates it came from. */
export const CONFIRM_RUNS = 3;

/** A proposal: a smaller candidate and the words for what changed. */
interface Proposal { what: string; candidate: Scenario }

/** One dimension being shrunk: proposes a smaller candidate of the current scenario and learns from the verdict. */
interface Reducer {
  next(current: Scenario): Proposal | undefined;
  /** Whether the last proposal still failed (then it became the current scenario). */
  learn(fails: boolean): void;
}

/** ddmin over the fault list: remove chunks of half the list, then quarters, … then single faults. */
function faultReducer(): Reducer {
  let size = 0;
  let at = 0;
  let last = 0;
  return {
    next(cur) {
      const n = cur.faults.length;
      if (n === 0) return undefined;
      if (size === 0) size = Math.ceil(n / 2);
      for (;;) {
        if (at < n) {
          last = Math.min(size, n - at);
          const removed = cur.faults.slice(at, at + last);
          const what = removed.length === 1 ? `drop fault ${stepName(removed[0]!)}` : `drop faults ${removed.map(stepName).join(', ')}`;
          return { what, candidate: { ...cur, faults: [...cur.faults.slice(0, at), ...cur.faults.slice(at + last)] } };
        }
        if (size === 1) return undefined;
        size = Math.ceil(size / 2);
        at = 0;
      }
    },
    learn(fails) {
      if (!fails) at += last;
    },
  };
}

function stepName(f: Scenario['faults'][number]): string {
  return `${f.kind}@${f.atMs}ms ${f.target}`;
}

/** A numeric field searched by halving toward `floor`, then bisecting between what failed and what did not. */
function numberReducer(o: {
  label: string;
  unit: string;
  floor: number;
  /** Rounds a proposal to a value worth trying (whole clients, 100 ms steps). */
  round: (v: number) => number;
  get: (sc: Scenario) => number | undefined;
  set: (sc: Scenario, v: number) => Scenario;
}): Reducer {
  let passed: number | undefined;
  let proposed = 0;
  return {
    next(cur) {
      const hi = o.get(cur);
      if (hi === undefined || hi <= o.floor) return undefined;
      const target = Math.max(o.floor, o.round(passed === undefined ? hi / 2 : (passed + hi) / 2));
      // Stop when the step left is under a tenth of the value: not worth a five-second run.
      if (target >= hi || (passed !== undefined && target <= passed) || hi - target < Math.max(1e-9, hi * 0.1)) return undefined;
      proposed = target;
      return { what: `${o.label} ${hi} → ${target}${o.unit}`, candidate: o.set(cur, target) };
    },
    learn(fails) {
      if (!fails) passed = proposed;
    },
  };
}

/** Rounds down to a 100 ms step, so that halving 100 ms proposes 0. */
const to100 = (v: number): number => Math.floor(v / 100) * 100;

/** How long a fault step lasts in ms ("end": until the workload is over). */
function windowMs(sc: Scenario, f: Scenario['faults'][number]): number {
  return f.forMs === 'end' ? Math.max(0, sc.workload.durationMs - f.atMs) : f.forMs;
}

/** The dimensions after the fault list, in the order they take turns. */
function numericReducers(sc: Scenario): Reducer[] {
  const windows = sc.faults.map((_, i) =>
    numberReducer({
      label: `fault ${i + 1} window`,
      unit: ' ms',
      floor: 0,
      round: to100,
      get: (c) => {
        const w = c.faults[i] === undefined ? 0 : windowMs(c, c.faults[i]!);
        return w === 0 ? undefined : w;
      },
      set: (c, v) => ({ ...c, faults: c.faults.map((f, k) => (k === i ? { ...f, forMs: v } : f)) }),
    }),
  );
  return [
    ...windows,
    numberReducer({ label: 'clients', unit: '', floor: 1, round: Math.round, get: (c) => c.clients.count, set: (c, v) => ({ ...c, clients: { ...c.clients, count: v } }) }),
    numberReducer({
      label: 'listeners', unit: '', floor: 1, round: Math.round,
      get: (c) => c.clients.listeners?.count,
      set: (c, v) => (c.clients.listeners === undefined ? c : { ...c, clients: { ...c.clients, listeners: { ...c.clients.listeners, count: v } } }),
    }),
    numberReducer({ label: 'rate', unit: '/s', floor: 1, round: Math.round, get: (c) => c.workload.ratePerSec, set: (c, v) => ({ ...c, workload: { ...c.workload, ratePerSec: v } }) }),
    numberReducer({ label: 'workload', unit: ' ms', floor: 100, round: to100, get: (c) => c.workload.durationMs, set: (c, v) => ({ ...c, workload: { ...c.workload, durationMs: v } }) }),
  ];
}

/**
 * Shrinks a failing scenario with at most `budget` runs of `fails`: first ddmin over the faults, then
 * the fault windows, clients, rate and workload length take turns, one halving or bisection step each.
 * A candidate that still fails becomes the current scenario; the last one is the result.
 */
export async function shrinkScenario(sc: Scenario, fails: (candidate: Scenario) => Promise<boolean>, o: ShrinkOptions = {}): Promise<ShrinkResult> {
  const budget = o.budget ?? DEFAULT_SHRINK_RUNS;
  const valid = o.valid ?? ((c: Scenario) => Scenario.safeParse(c).success);
  const steps: ShrinkStep[] = [];
  let current = sc;
  let runs = 0;
  const tryWith = async (r: Reducer): Promise<'tried' | 'skipped' | 'done'> => {
    const p = r.next(current);
    if (p === undefined) return 'done';
    if (!valid(p.candidate)) {
      r.learn(false);
      return 'skipped';
    }
    const failed = await fails(p.candidate);
    runs++;
    r.learn(failed);
    if (failed) current = p.candidate;
    const step = { what: p.what, candidate: p.candidate, fails: failed };
    steps.push(step);
    o.onStep?.(step, runs);
    return 'tried';
  };
  const stop = () => runs >= budget || o.signal?.aborted === true;
  const faults = faultReducer();
  let faultsDone = false;
  while (!stop()) {
    if ((await tryWith(faults)) === 'done') {
      faultsDone = true;
      break;
    }
  }
  // The fault list is final now, so each window reducer keeps the index of its fault.
  let active = faultsDone ? numericReducers(current) : [];
  while (active.length > 0 && !stop()) {
    const next: Reducer[] = [];
    for (const r of active) {
      if (stop()) {
        next.push(r);
        continue;
      }
      if ((await tryWith(r)) !== 'done') next.push(r);
    }
    active = next;
  }
  return { scenario: current, runs, budget, steps, exhausted: !faultsDone || active.length > 0 };
}

/** What shrank, in words: "faults 2 → 1, fault windows 2000 → 500 ms, clients 6 → 2, …" (only what changed). */
export function shrinkSummary(from: Scenario, to: Scenario): string {
  const parts: string[] = [];
  if (to.faults.length !== from.faults.length) parts.push(`faults ${from.faults.length} → ${to.faults.length}`);
  const windows = (sc: Scenario) => sc.faults.reduce((n, f) => n + windowMs(sc, f), 0);
  if (windows(to) !== windows(from)) parts.push(`fault windows ${windows(from)} → ${windows(to)} ms in all`);
  if (to.clients.count !== from.clients.count) parts.push(`clients ${from.clients.count} → ${to.clients.count}`);
  const listeners = (sc: Scenario) => sc.clients.listeners?.count ?? 0;
  if (listeners(to) !== listeners(from)) parts.push(`listeners ${listeners(from)} → ${listeners(to)}`);
  if (to.workload.ratePerSec !== from.workload.ratePerSec) parts.push(`rate ${from.workload.ratePerSec} → ${to.workload.ratePerSec}/s`);
  if (to.workload.durationMs !== from.workload.durationMs) parts.push(`workload ${from.workload.durationMs} → ${to.workload.durationMs} ms`);
  return parts.length === 0 ? 'nothing could be removed' : parts.join(', ');
}

/** What `run --shrink` needs from the command: how to run a scenario once, where to write, how to print. */
export interface ShrinkRunContext {
  /** Runs a scenario once with a seed, keeping its artifacts in `outDir`. */
  run: (sc: Scenario, seed: number, outDir: string) => Promise<RunReport>;
  /** Loads the saved scenario file back (proves it is a valid scenario file). */
  load: (file: string) => Promise<Scenario>;
  out: string;
  budget: number;
  semantics: SemanticsName;
  print: (text: string) => void;
  color: boolean;
  signal?: AbortSignal;
}

/** The outcome of `run --shrink` after the original failing run. */
export interface ShrinkOutcome {
  file: string;
  scenario: Scenario;
  result: ShrinkResult;
  /** The last re-run of the saved file. */
  confirmation: RunReport;
  /** Whether the same invariant broke again in a confirmation run (then the saved file is the one that did). */
  confirmed: boolean;
}

/**
 * Shrinks the scenario of a failing run (`failed`) keeping its first broken invariant broken, saves the
 * smallest failing candidate as `<out>/<scenario>.shrunk.json`, loads it back and re-runs it to confirm;
 * if it holds, steps back to the candidate it came from (at most CONFIRM_RUNS re-runs in all).
 */
export async function shrinkFailingRun(sc: Scenario, failed: RunReport, ctx: ShrinkRunContext): Promise<ShrinkOutcome> {
  const p = paint(ctx.color);
  const target = failed.invariants.find((r) => !r.ok)?.name;
  if (target === undefined) throw new Error('shrinkFailingRun: the run did not break an invariant');
  const seed = failed.seed;
  const dir = join(ctx.out, `${sc.name}.${ctx.semantics}.shrink`);
  const breaks = (r: RunReport) => r.invariants.some((i) => i.name === target && !i.ok);
  ctx.print(p.bold(`shrinking ${sc.name} [${ctx.semantics}, seed ${seed}] while ${target} still breaks: budget ${ctx.budget} runs\n`));
  let n = 0;
  const result = await shrinkScenario(sc, async (c) => breaks(await ctx.run(c, seed, join(dir, `try-${++n}`))), {
    budget: ctx.budget,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    onStep: (s, run) => ctx.print(`  try ${String(run).padStart(2)}/${ctx.budget}: ${s.what}: ${s.fails ? p.bad(`${target} still broke`) + ' → kept' : p.ok(`${target} held`) + ' → undone'}\n`),
  });
  const name = sc.name.endsWith('-shrunk') ? sc.name : `${sc.name}-shrunk`;
  const asFile = (c: Scenario): Scenario => ({
    ...c,
    name,
    description: `${sc.name} shrunk by "deliverylab run --shrink" (seed ${seed}, ${ctx.semantics}): ${target} still breaks. ${shrinkSummary(sc, c)}.`,
    seed,
    semantics: ctx.semantics,
  });
  const stopped = result.exhausted ? `the budget ran out (${result.runs} of ${result.budget} runs used)` : `nothing left to try (${result.runs} of ${result.budget} runs used)`;
  ctx.print(`shrunk: ${shrinkSummary(sc, result.scenario)}; ${stopped}\n`);
  // A candidate failed once; the saved file must fail again. Newest first, then the candidates it came from, then the original.
  const chain = [...result.steps.filter((st) => st.fails).map((st) => st.candidate).reverse(), sc];
  const tries = Math.min(CONFIRM_RUNS, chain.length);
  const file = join(ctx.out, `${sc.name}.shrunk.json`);
  mkdirSync(dirname(file), { recursive: true });
  let shrunk = asFile(chain[0]!);
  let confirmation: RunReport | undefined;
  let confirmed = false;
  for (let k = 0; k < tries && !confirmed && ctx.signal?.aborted !== true; k++) {
    shrunk = asFile(chain[k]!);
    writeFileSync(file, `${JSON.stringify(shrunk, null, 2)}\n`);
    confirmation = await ctx.run(await ctx.load(file), seed, join(dir, `confirm-${k + 1}`));
    confirmed = breaks(confirmation);
    const which = k === 0 ? 'the shrunk scenario' : chain[k] === sc ? 'the original scenario' : `the candidate before (${shrinkSummary(sc, chain[k]!)})`;
    ctx.print(`confirmation run ${k + 1} (of up to ${tries}), ${which}: ${confirmed ? p.bad(`${target} broke again`) : p.ok(`${target} held this time`)}\n`);
  }
  if (!confirmed) {
    ctx.print(`${target} did not break again in ${tries} confirmation runs: the failure is timing-dependent; ` +
      `"deliverylab run ${file} --repeat N --same-seed" says how often it reproduces\n`);
  }
  ctx.print(`saved ${file}\n`);
  if (confirmation === undefined) throw new Error('the shrink was interrupted before its confirmation run');
  return { file, scenario: shrunk, result, confirmation, confirmed };
}
