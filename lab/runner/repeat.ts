import { paint, type RunReport } from '../report/index.js';
import type { Scenario } from './scenario.js';

/**
 * `run --repeat N`: the same scenario N times, and how often each invariant broke. A seed fixes the
 * fault schedule (which steps fire, on which targets), not the outcome: the cluster, the network and
 * the scheduler are not deterministic (jepsen-io/jepsen#578; openraft#1913, where `--test-count`
 * replayed the identical schedule). So the summary keeps the two apart: did the schedule reproduce
 * (the same faults on the same targets, the same failpoints fired), and did the outcome reproduce
 * (the same invariants broke), also among the runs whose schedule did.
 */

/** Runs one scenario once with a seed, keeping its artifacts in `outDir`. */
export type ScenarioRunner = (sc: Scenario, seed: number, outDir: string) => Promise<RunReport>;

/** One invariant that broke in at least one of the runs. */
export interface RepeatBreak {
  name: string;
  /** In how many runs it broke. */
  runs: number;
  /** The seeds of those runs, in run order (repeated with --same-seed). */
  seeds: number[];
}

/** What N runs of one scenario add up to. */
export interface RepeatSummary {
  scenario: string;
  semantics: string;
  runs: number;
  seeds: number[];
  sameSeed: boolean;
  /** Invariants that broke at least once, most often first. */
  broke: RepeatBreak[];
  /** Invariants that held in every run that reached the check. */
  held: string[];
  /** Runs that could not be carried out. */
  errors: { run: number; seed: number; error: string }[];
  /** The schedule of each run as a number: 1 for run 1's, 2 for the next different one, … */
  scheduleIds: number[];
  schedule: {
    /** Run 1's schedule in words. */
    first: string;
    /** Runs whose schedule was run 1's. */
    asFirst: number;
    /** How many different schedules the runs had. */
    distinct: number;
  };
  outcome: {
    /** Run 1's outcome in words. */
    first: string;
    /** Runs whose outcome was run 1's. */
    asFirst: number;
    /** Of the runs whose schedule was run 1's, how many also had its outcome. */
    asFirstGivenSchedule: number;
  };
}

/** A run's fault schedule as it happened: faults in start order with their targets, then the failpoints that fired. */
export function scheduleOf(r: Pick<RunReport, 'faults' | 'fired'>): string {
  const faults = [...r.faults].sort((a, b) => a.at - b.at).map((f) => `${f.kind} ${f.target}`);
  const fired = [...(r.fired ?? [])].sort((a, b) => a.at - b.at).map((f) => `${f.failpoint} fired in worker ${f.worker}`);
  const all = [...faults, ...fired];
  return all.length === 0 ? 'no faults' : all.join(', ');
}

/** A run's outcome: the invariants that broke (sorted), "every invariant held", or "run error". */
export function outcomeOf(r: Pick<RunReport, 'invariants' | 'error'>): string {
  if (r.error !== undefined) return 'run error';
  const broken = r.invariants.filter((i) => !i.ok).map((i) => i.name).sort();
  return broken.length === 0 ? 'every invariant held' : `${broken.join(', ')} broke`;
}

/** Adds N run reports of one scenario up (run 1 is the reference for "reproduced"). */
export function summarizeRepeat(reports: readonly RunReport[], sameSeed: boolean): RepeatSummary {
  const first = reports[0];
  const broke = new Map<string, RepeatBreak>();
  const checked = new Set<string>();
  const ids = new Map<string, number>();
  const scheduleIds: number[] = [];
  const errors: RepeatSummary['errors'] = [];
  const firstSchedule = first === undefined ? '' : scheduleOf(first);
  const firstOutcome = first === undefined ? '' : outcomeOf(first);
  let schedAsFirst = 0;
  let outAsFirst = 0;
  let outGivenSched = 0;
  reports.forEach((r, i) => {
    const s = scheduleOf(r);
    if (!ids.has(s)) ids.set(s, ids.size + 1);
    scheduleIds.push(ids.get(s)!);
    const sameSchedule = s === firstSchedule;
    const sameOutcome = outcomeOf(r) === firstOutcome;
    if (sameSchedule) schedAsFirst++;
    if (sameOutcome) outAsFirst++;
    if (sameSchedule && sameOutcome) outGivenSched++;
    if (r.error !== undefined) errors.push({ run: i + 1, seed: r.seed, error: r.error });
    for (const inv of r.invariants) {
      checked.add(inv.name);
      if (inv.ok) continue;
      let b = broke.get(inv.name);
      if (b === undefined) broke.set(inv.name, (b = { name: inv.name, runs: 0, seeds: [] }));
      b.runs++;
      b.seeds.push(r.seed);
    }
  });
  return {
    scenario: first?.scenario ?? '',
    semantics: first?.semantics ?? '',
    runs: reports.length,
    seeds: reports.map((r) => r.seed),
    sameSeed,
    broke: [...broke.values()].sort((a, b) => b.runs - a.runs),
    held: [...checked].filter((n) => !broke.has(n)),
    errors,
    scheduleIds,
    schedule: { first: firstSchedule, asFirst: schedAsFirst, distinct: ids.size },
    outcome: { first: firstOutcome, asFirst: outAsFirst, asFirstGivenSchedule: outGivenSched },
  };
}

/** The seeds of a repeat: seed, seed+1, … or the same seed every time. */
export function repeatSeeds(seed: number, times: number, sameSeed: boolean): number[] {
  return Array.from({ length: times }, (_, i) => (sameSeed ? seed : seed + i));
}

/** One line per run: its seed, verdict, broken invariants with their violation counts, and its schedule number. */
export function repeatRunLine(r: RunReport, i: number, times: number, scheduleId: number, color = false): string {
  const p = paint(color);
  const broken = r.invariants.filter((x) => !x.ok).map((x) => `${x.name} ×${x.violations}`);
  const verdict = r.skipped !== undefined ? p.bold('SKIP') : r.error !== undefined ? p.bad('ERROR') : r.ok ? p.ok('PASS') : p.bad('FAIL');
  const what = r.skipped ?? (r.error !== undefined ? r.error : broken.join(', '));
  return `run ${String(i + 1).padStart(String(times).length)}/${times}  seed ${r.seed}  ${verdict}${what ? `  ${what}` : ''}  schedule #${scheduleId}`;
}

/** The summary in words: one line per broken invariant, then schedule and outcome reproduction. */
export function renderRepeat(s: RepeatSummary, color = false): string {
  const p = paint(color);
  const seedText = s.sameSeed ? `seed ${s.seeds[0] ?? '?'} every run` : `seeds ${s.seeds[0] ?? '?'}..${s.seeds.at(-1) ?? '?'}`;
  const lines = [p.bold(`${s.runs} runs of ${s.scenario} [${s.semantics}], ${seedText}`)];
  for (const b of s.broke) lines.push(p.bad(`${b.name} broke in ${b.runs}/${s.runs} runs (${s.sameSeed ? `seed ${b.seeds[0]}` : `seeds ${b.seeds.join(', ')}`})`));
  if (s.held.length > 0) {
    const which = s.broke.length === 0 ? 'every invariant' : s.held.length <= 3 ? s.held.join(', ') : `the other ${s.held.length} invariants`;
    lines.push(p.ok(`${which} held in every run that reached the check`));
  }
  for (const e of s.errors) lines.push(p.bad(`run ${e.run} (seed ${e.seed}) could not be carried out: ${e.error}`));
  lines.push(
    `schedule reproduced in ${s.schedule.asFirst}/${s.runs} runs (${s.schedule.distinct} distinct; run 1: ${s.schedule.first})`,
    `outcome reproduced in ${s.outcome.asFirst}/${s.runs} runs (run 1: ${s.outcome.first}); ` +
      `in ${s.outcome.asFirstGivenSchedule} of the ${s.schedule.asFirst} runs whose schedule reproduced`,
  );
  if (s.sameSeed && s.schedule.asFirst === s.runs && s.outcome.asFirst < s.runs) {
    lines.push(p.dim('the seed fixed the schedule but not the outcome: timing inside the cluster decides the rest'));
  }
  return `${lines.join('\n')}\n`;
}

/** Runs a scenario `times` times, one after another, reporting each run as it ends; stops early when aborted. */
export async function repeatRuns(
  sc: Scenario,
  o: { seed: number; times: number; sameSeed: boolean; outDir: (i: number, seed: number) => string; signal?: AbortSignal },
  run: ScenarioRunner,
  onRun: (r: RunReport, i: number) => void = () => undefined,
): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  for (const [i, seed] of repeatSeeds(o.seed, o.times, o.sameSeed).entries()) {
    if (o.signal?.aborted) break;
    const r = await run(sc, seed, o.outDir(i, seed));
    reports.push(r);
    onRun(r, i);
  }
  return reports;
}
