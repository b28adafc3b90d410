import { describe, expect, it } from 'vitest';
import { uniqueIds } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('unique-ids', () => {
  it('empty history', () => {
    expect(uniqueIds(lab().input())).toMatchObject({ ok: true, checked: 0, violations: 0 });
  });

  it('duplicate after retry absorbed', () => {
    const h = happy()
      .send('c1', 'r1', 'm3', 'again')
      .commit('m3', 'r1', 3, 'again')
      .at(400)
      .fault('f1', 'worker-kill', 'w0')
      .heal('f1')
      .connect('c1', 1)
      .send('c1', 'r1', 'm3', 'again', 2)
      .ack('c1', 'r1', 'm3', 3, true)
      .dropped('c2', 'r1', 'm3', 3);
    const r = uniqueIds(h.input());
    expect(r).toMatchObject({ ok: true, checked: 3, violations: 0 });
    expect(r.notes).toEqual(['1 retry absorbed by id', '1 send retry in the history', '1 duplicate delivery dropped by clients']);
  });

  it('duplicate row for one id (no-dedup)', () => {
    const h = happy()
      .send('c1', 'r1', 'm3', 'twice')
      .commit('m3', 'r1', 3, 'twice')
      .at(400)
      .fault('f1', 'redis-cut', 'w0')
      .connect('c1', 1)
      .send('c1', 'r1', 'm3', 'twice', 2)
      .commit('m3', 'r1', 4, 'twice')
      .ack('c1', 'r1', 'm3', 4);
    const r = uniqueIds(h.input());
    expect(r).toMatchObject({ ok: false, checked: 3, violations: 1 });
    expect(r.examples[0]).toMatchObject({ id: 'm3', room: 'r1', seq: 3, client: 'c1', worker: 1, faults: ['redis-cut w0'] });
    expect(r.examples[0]?.text).toBe(
      'message m3 has 2 rows in the database (room r1 seq 3, room r1 seq 4); client c1 sent it again (attempt 2) on worker 1 at 420 ms; active faults then: redis-cut w0',
    );
  });
});
