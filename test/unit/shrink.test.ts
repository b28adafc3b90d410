import { describe, expect, it } from 'vitest';
import { Scenario, type ScenarioInput } from '../../lab/runner/scenario.js';
import { shrinkScenario, shrinkSummary, type ShrinkStep } from '../../lab/runner/shrink.js';

/** A scenario with three faults, six clients, 100 sends/s for 4 s. */
function big(patch: Partial<ScenarioInput> = {}): Scenario {
  return Scenario.parse({
    name: 'big',
    description: 'a scenario to shrink',
    clients: { count: 6, rooms: ['lobby'] },
    workload: { ratePerSec: 100, durationMs: 4000 },
    faults: [
      { kind: 'redis-partition', atMs: 500, forMs: 1000, target: 'worker:1', params: { mode: 'cut' } },
      { kind: 'crash-point', atMs: 1000, forMs: 2000, target: 'worker:0', params: { point: 'before-commit', nth: 5 } },
      { kind: 'worker-pause', atMs: 2000, forMs: 800, target: 'worker:1' },
    ],
    ...patch,
  });
}

/** A fake predicate: the failure needs the crash point with a window of 400 ms, 2 clients, 30 sends/s and 1500 ms of workload. */
function needs(sc: Scenario): boolean {
  const crash = sc.faults.find((f) => f.kind === 'crash-point');
  return crash !== undefined && typeof crash.forMs === 'number' && crash.forMs >= 400 && sc.clients.count >= 2 && sc.workload.ratePerSec >= 30 && sc.workload.durationMs >= 1500;
}

/** Counts the runs a predicate is asked for. */
function counted(pred: (sc: Scenario) => boolean): { fails: (sc: Scenario) => Promise<boolean>; calls: () => number } {
  let n = 0;
  return { fails: async (sc) => { n++; return pred(sc); }, calls: () => n };
}

describe('shrinkScenario', () => {
  it('empty fault list, nothing needed: everything goes down to its floor', async () => {
    const r = await shrinkScenario(big({ faults: [] }), async () => true, { budget: 100 });
    expect(r.scenario.faults).toEqual([]);
    expect(r.scenario.clients.count).toBe(1);
    expect(r.scenario.workload).toMatchObject({ ratePerSec: 1, durationMs: 100 });
    expect(r.exhausted).toBe(false);
  });

  it('drops the faults the failure does not need, then shrinks windows, clients, rate and workload toward what it needs', async () => {
    const p = counted(needs);
    const r = await shrinkScenario(big(), p.fails, { budget: 100 });
    expect(r.scenario.faults.map((f) => f.kind)).toEqual(['crash-point']);
    const crash = r.scenario.faults[0]!;
    expect(crash.forMs).toBeGreaterThanOrEqual(400);
    expect(crash.forMs).toBeLessThanOrEqual(500);
    expect(r.scenario.clients.count).toBe(2);
    expect(r.scenario.workload.ratePerSec).toBeGreaterThanOrEqual(30);
    expect(r.scenario.workload.ratePerSec).toBeLessThanOrEqual(34);
    expect(r.scenario.workload.durationMs).toBeGreaterThanOrEqual(1500);
    expect(r.scenario.workload.durationMs).toBeLessThanOrEqual(1700);
    expect(needs(r.scenario)).toBe(true);
    expect(r.runs).toBe(p.calls());
    expect(r.exhausted).toBe(false);
    expect(shrinkSummary(big(), r.scenario)).toMatch(/^faults 3 → 1, fault windows 3800 → \d+ ms in all, clients 6 → 2, rate 100 → \d+\/s, workload 4000 → \d+ ms$/);
  });

  it('never spends more runs than the budget, and says the budget ran out', async () => {
    const p = counted(needs);
    const steps: ShrinkStep[] = [];
    const r = await shrinkScenario(big(), p.fails, { budget: 5, onStep: (s) => steps.push(s) });
    expect(p.calls()).toBe(5);
    expect(r).toMatchObject({ runs: 5, budget: 5, exhausted: true });
    expect(steps).toHaveLength(5);
    // Whole faults go first: ddmin tries halves of the list before anything else.
    expect(steps[0]?.what).toBe('drop faults redis-partition@500ms worker:1, crash-point@1000ms worker:0');
    expect(needs(r.scenario)).toBe(true);
  });

  it('within a small budget every dimension gets a turn', async () => {
    const steps: ShrinkStep[] = [];
    await shrinkScenario(big({ faults: [] }), async () => true, { budget: 4, onStep: (s) => steps.push(s) });
    expect(steps.map((s) => s.what)).toEqual(['clients 6 → 3', 'rate 100 → 50/s', 'workload 4000 → 2000 ms', 'clients 3 → 2']);
  });

  it('a candidate that no longer fails is undone: the result is the last one that failed', async () => {
    const r = await shrinkScenario(big(), async () => false, { budget: 100 });
    expect(r.scenario).toEqual(big());
    expect(r.steps.every((s) => !s.fails)).toBe(true);
    expect(shrinkSummary(big(), r.scenario)).toBe('nothing could be removed');
  });

  it('skips invalid candidates without spending a run', async () => {
    const p = counted(() => true);
    const r = await shrinkScenario(big({ faults: [] }), p.fails, { budget: 100, valid: (sc) => sc.clients.count >= 3 });
    expect(r.scenario.clients.count).toBe(3);
    expect(r.steps.some((s) => s.candidate.clients.count < 3)).toBe(false);
    expect(r.runs).toBe(p.calls());
  });

  it('shrinks a window that lasts until the end of the workload as a number of ms', async () => {
    const sc = big({ faults: [{ kind: 'redis-partition', atMs: 1000, forMs: 'end', target: 'worker:1' }] });
    const r = await shrinkScenario(sc, async (c) => c.faults.length === 1, { budget: 100 });
    expect(r.scenario.faults[0]?.forMs).toBe(0);
  });

  it('stops when aborted', async () => {
    const ac = new AbortController();
    const p = counted(() => { ac.abort(); return true; });
    const r = await shrinkScenario(big(), p.fails, { budget: 100, signal: ac.signal });
    expect(p.calls()).toBe(1);
    expect(r.runs).toBe(1);
  });
});
