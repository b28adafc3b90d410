import { describe, expect, it } from 'vitest';
import { applyOverrides, parseDurationMs, parseFaultSpec } from '../../lab/runner/overrides.js';
import { Scenario } from '../../lab/runner/scenario.js';
import { UsageError } from '../../lab/runner/cli-errors.js';

const base = Scenario.parse({ name: 'base', description: 'a scenario', faults: [{ kind: 'worker-kill', atMs: 1500, target: 'worker:1' }] });

describe('what-if overrides', () => {
  it('a fault spec: kind, target, a bare value for the first parameter that takes it, at=, for=, key=value', () => {
    expect(parseFaultSpec('crash-point worker:1 after-ack-before-publish nth=5')).toEqual({
      kind: 'crash-point', atMs: 1000, forMs: 2000, target: 'worker:1', params: { point: 'after-ack-before-publish', nth: 5 }, probability: 1,
    });
    expect(parseFaultSpec('redis-partition worker:1 at=1s for=4s mode=blackhole')).toMatchObject({ atMs: 1000, forMs: 4000, params: { mode: 'blackhole' } });
    expect(parseFaultSpec('redis-unsubscribe worker:0 at=500ms for=end')).toMatchObject({ atMs: 500, forMs: 'end' });
    expect(parseFaultSpec('client-disconnect count=2')).toMatchObject({ target: 'clients', params: { count: 2 } });
  });

  it('a bad spec names what is wrong', () => {
    expect(() => parseFaultSpec('crash-pint worker:1')).toThrow(UsageError);
    expect(() => parseFaultSpec('crash-point worker:1 nowhere')).toThrow(/neither a target .* nor a value/);
    expect(() => parseFaultSpec('crash-point worker:1 depth=3')).toThrow(/has no parameter "depth"/);
    expect(() => parseDurationMs('4 minutes', '--duration')).toThrow(/not a duration/);
  });

  it('replaces the faults and the workload, and says how to reproduce it', () => {
    const { scenario, argv } = applyOverrides(base, { fault: ['worker-pause worker:0 for=2s'], rate: 20, duration: 2500, clients: 3, workers: 3 });
    expect(scenario.faults).toEqual([expect.objectContaining({ kind: 'worker-pause', target: 'worker:0', forMs: 2000 })]);
    expect(scenario).toMatchObject({ workload: { ratePerSec: 20, durationMs: 2500 }, clients: { count: 3 }, cluster: { workers: 3 } });
    expect(argv).toEqual(['--fault', 'worker-pause worker:0 for=2s', '--rate', '20', '--duration', '2500ms', '--clients', '3', '--workers', '3']);
    expect(applyOverrides(base, { faults: false })).toMatchObject({ scenario: { faults: [] }, argv: ['--no-faults'] });
    expect(applyOverrides(base, {})).toEqual({ scenario: base, argv: [] });
  });

  it('an override that makes the scenario invalid is refused, naming the field', () => {
    expect(() => applyOverrides(base, { workers: 40 })).toThrow(/cluster\.workers/);
  });
});
