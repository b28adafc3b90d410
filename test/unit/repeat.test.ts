import { describe, expect, it } from 'vitest';
import { computeStats } from '../../lab/checker/index.js';
import type { RunReport } from '../../lab/report/index.js';
import { outcomeOf, renderRepeat, repeatRunLine, repeatRuns, repeatSeeds, scheduleOf, summarizeRepeat } from '../../lab/runner/repeat.js';
import { Scenario } from '../../lab/runner/scenario.js';
import { lab } from './support/history-builder.js';

const NAMES = ['acked-durable', 'at-least-once', 'unique-ids'];

/** A run report of seed `seed` where `broken` invariants broke; `fired` says whether the crash point fired, `target` where. */
function report(seed: number, broken: string[], o: { fired?: boolean; target?: string; error?: string } = {}): RunReport {
  const r: RunReport = {
    scenario: 'crash-before-commit',
    seed,
    semantics: 'ack-before-commit',
    ok: broken.length === 0 && o.error === undefined,
    durationMs: 5000,
    invariants: o.error !== undefined ? [] : NAMES.map((name) => ({ name, ok: !broken.includes(name), checked: 10, violations: broken.includes(name) ? 2 : 0, examples: [] })),
    stats: computeStats(lab().input()),
    faults: [{ kind: 'crash-point', target: o.target ?? 'worker:0', at: 1000, healedAt: 3000 }],
  };
  if (o.fired !== false) r.fired = [{ at: 1600 + seed, worker: 0, pid: 100 + seed, failpoint: 'crash.before-commit', detail: `send m${seed}` }];
  if (o.error !== undefined) r.error = o.error;
  return r;
}

describe('repeat', () => {
  it('seeds: seed, seed+1, … or the same one every run', () => {
    expect(repeatSeeds(4, 3, false)).toEqual([4, 5, 6]);
    expect(repeatSeeds(4, 3, true)).toEqual([4, 4, 4]);
  });

  it('a schedule is the faults on their targets and the failpoints that fired, without times or pids', () => {
    expect(scheduleOf(report(1, []))).toBe('crash-point worker:0, crash.before-commit fired in worker 0');
    expect(scheduleOf(report(2, []))).toBe(scheduleOf(report(1, [])));
    expect(scheduleOf(report(1, [], { fired: false }))).toBe('crash-point worker:0');
    expect(scheduleOf({ faults: [] })).toBe('no faults');
    expect(outcomeOf(report(1, ['unique-ids', 'acked-durable']))).toBe('acked-durable, unique-ids broke');
    expect(outcomeOf(report(1, []))).toBe('every invariant held');
  });

  it('says how often each invariant broke, with the seeds', () => {
    const runs = Array.from({ length: 10 }, (_, i) => report(i + 1, [2, 5, 9].includes(i + 1) ? ['acked-durable'] : []));
    const s = summarizeRepeat(runs, false);
    expect(s.broke).toEqual([{ name: 'acked-durable', runs: 3, seeds: [2, 5, 9] }]);
    expect(s.held).toEqual(['at-least-once', 'unique-ids']);
    const text = renderRepeat(s);
    expect(text).toContain('10 runs of crash-before-commit [ack-before-commit], seeds 1..10\n');
    expect(text).toContain('acked-durable broke in 3/10 runs (seeds 2, 5, 9)\n');
    expect(text).toContain('at-least-once, unique-ids held in every run that reached the check\n');
  });

  it('keeps "schedule reproduced" apart from "outcome reproduced"', () => {
    // Same seed: runs 1-4 crash on worker 0 and the crash fires; run 5's crash point never fired.
    const runs = [report(7, ['acked-durable']), report(7, []), report(7, ['acked-durable']), report(7, []), report(7, [], { fired: false })];
    const s = summarizeRepeat(runs, true);
    expect(s.scheduleIds).toEqual([1, 1, 1, 1, 2]);
    expect(s.schedule).toEqual({ first: 'crash-point worker:0, crash.before-commit fired in worker 0', asFirst: 4, distinct: 2 });
    expect(s.outcome).toEqual({ first: 'acked-durable broke', asFirst: 2, asFirstGivenSchedule: 2 });
    const text = renderRepeat(s);
    expect(text).toContain('5 runs of crash-before-commit [ack-before-commit], seed 7 every run\n');
    expect(text).toContain('acked-durable broke in 2/5 runs (seed 7)\n');
    expect(text).toContain('schedule reproduced in 4/5 runs (2 distinct; run 1: crash-point worker:0, crash.before-commit fired in worker 0)\n');
    expect(text).toContain('outcome reproduced in 2/5 runs (run 1: acked-durable broke); in 2 of the 4 runs whose schedule reproduced\n');
  });

  it('with the same seed, an identical schedule and a different outcome is called what it is', () => {
    const s = summarizeRepeat([report(3, ['acked-durable']), report(3, [])], true);
    expect(renderRepeat(s)).toContain('the seed fixed the schedule but not the outcome');
  });

  it('names runs that could not be carried out', () => {
    const s = summarizeRepeat([report(1, []), report(2, [], { error: 'redis-server did not start' })], false);
    expect(s.errors).toEqual([{ run: 2, seed: 2, error: 'redis-server did not start' }]);
    expect(renderRepeat(s)).toContain('run 2 (seed 2) could not be carried out: redis-server did not start');
    expect(repeatRunLine(report(2, [], { error: 'boom' }), 1, 10, 1)).toBe('run  2/10  seed 2  ERROR  boom  schedule #1');
    expect(repeatRunLine(report(3, ['acked-durable']), 2, 10, 2)).toBe('run  3/10  seed 3  FAIL  acked-durable ×2  schedule #2');
  });

  it('runs one after another with the seeds in order, and stops when aborted', async () => {
    const sc = Scenario.parse({ name: 'x', description: 'x' });
    const seen: [number, string][] = [];
    const reports = await repeatRuns(sc, { seed: 10, times: 3, sameSeed: false, outDir: (i) => `out/${i}` }, async (_sc, seed, dir) => {
      seen.push([seed, dir]);
      return report(seed, []);
    });
    expect(seen).toEqual([[10, 'out/0'], [11, 'out/1'], [12, 'out/2']]);
    expect(reports.map((r) => r.seed)).toEqual([10, 11, 12]);
    const ac = new AbortController();
    const stopped = await repeatRuns(sc, { seed: 1, times: 5, sameSeed: true, outDir: () => 'o', signal: ac.signal }, async (_sc, seed) => { ac.abort(); return report(seed, []); });
    expect(stopped).toHaveLength(1);
  });
});
