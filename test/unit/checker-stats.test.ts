import { describe, expect, it } from 'vitest';
import { computeStats, percentile } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('stats', () => {
  it('empty history', () => {
    expect(computeStats(lab().input())).toEqual({
      sent: 0,
      acked: 0,
      dbMessages: 0,
      deliveries: 0,
      duplicatesDropped: 0,
      gapsFilled: 0,
      retries: 0,
      latencyMs: { p50: 0, p99: 0, max: 0 },
      recoveryMs: [],
    });
  });

  it('counts sends by id, retries, drops and gap fetches', () => {
    const h = happy().send('c1', 'r1', 'm2', 'world', 2).ack('c1', 'r1', 'm2', 2, true).dropped('c2', 'r1', 'm1', 1).gapFetch('c2', 'r1', 1, 2);
    expect(computeStats(h.input())).toMatchObject({ sent: 2, acked: 2, dbMessages: 2, deliveries: 4, duplicatesDropped: 1, gapsFilled: 1, retries: 1 });
  });

  it('measures latency from the first send of an id', () => {
    // m1 sent at 40 and delivered at 60 and 70; m2 sent at 80 and delivered at 100 and 110.
    expect(computeStats(happy().input()).latencyMs).toEqual({ p50: 20, p99: 30, max: 30 });
  });

  it('measures recovery after each heal', () => {
    const h = lab()
      .connect('c1', 0)
      .connect('c2', 1)
      .join('c1', 'r1')
      .join('c2', 'r1')
      .at(100)
      .fault('p1', 'redis-partition', 'w1')
      .post('c1', 'r1', 'm1', 'a', 1)
      .fanout('m1', 'c1')
      .at(200)
      .heal('p1')
      .phase('recovery')
      .at(450)
      .fanout('m1', 'c2')
      .at(600)
      .fault('k1', 'worker-kill', 'w0')
      .heal('k1');
    const s = computeStats(h.input());
    expect(s.recoveryMs).toEqual([
      { fault: 'p1', kind: 'redis-partition', target: 'w1', healedAt: 200, recoveryMs: 250 },
      { fault: 'k1', kind: 'worker-kill', target: 'w0', healedAt: 610, recoveryMs: 0 },
    ]);
    expect(s.lostBeforeRecovery).toBe(1);
  });

  it('takes nearest-rank percentiles', () => {
    const v = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(v, 50), percentile(v, 99), percentile(v, 100)]).toEqual([50, 99, 100]);
    expect(percentile(new Float64Array(0), 50)).toBe(0);
  });
});
