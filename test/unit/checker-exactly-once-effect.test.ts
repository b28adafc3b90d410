import { describe, expect, it } from 'vitest';
import { exactlyOnceEffect } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('exactly-once-effect', () => {
  it('empty history', () => {
    expect(exactlyOnceEffect(lab().input())).toMatchObject({ ok: true, checked: 0, violations: 0 });
  });

  it('a duplicate dropped by the client is no repeat', () => {
    expect(exactlyOnceEffect(happy().dropped('c2', 'r1', 'm1', 1).input())).toMatchObject({ ok: true, checked: 4 });
  });

  it('the same id in two rooms is two messages', () => {
    const h = lab().connect('c1', 0).deliver('c1', 'r1', 'x', 1, 'a').deliver('c1', 'r2', 'x', 1, 'a');
    expect(exactlyOnceEffect(h.input()).ok).toBe(true);
  });

  it('delivered twice without dedup', () => {
    const h = happy()
      .fault('d1', 'publish-duplicate', 'w0')
      .disconnect('c2')
      .connect('c2', 0)
      .fanout('m2', 'c2')
      .heal('d1');
    const r = exactlyOnceEffect(h.input());
    expect(r).toMatchObject({ ok: false, checked: 5, violations: 1 });
    expect(r.examples[0]).toMatchObject({ id: 'm2', room: 'r1', seq: 2, client: 'c2', worker: 0, faults: ['publish-duplicate w0'] });
    expect(r.examples[0]?.text).toBe(
      'message m2 (room r1, seq 2) was delivered twice to client c2: first at 110 ms on worker 1 (seq 2), ' +
        'again at 150 ms on worker 0; active faults then: publish-duplicate w0',
    );
  });
});
