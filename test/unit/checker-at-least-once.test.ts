import { describe, expect, it } from 'vitest';
import { atLeastOnce } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('at-least-once', () => {
  it('empty history', () => {
    expect(atLeastOnce(lab().input())).toMatchObject({ ok: true, checked: 0, violations: 0 });
  });

  it('every member got every message above its cursor', () => {
    expect(atLeastOnce(happy().input())).toMatchObject({ ok: true, checked: 4, violations: 0 });
  });

  it('a later join with a cursor is owed only what came after it', () => {
    const h = happy().connect('c3', 0).join('c3', 'r1', 1).fanout('m2', 'c3');
    expect(atLeastOnce(h.input())).toMatchObject({ ok: true, checked: 5, violations: 0 });
  });

  it("a room whose every join by a client was refused (forbidden) owes it nothing; one it was let into after all still does", () => {
    // c3 asks to join r1 twice and is refused both times: it is no member, and r1's two messages are not its due.
    const refused = happy().connect('c3', 0).join('c3', 'r1').frame('c3', 'error', { code: 'forbidden', id: 'r1' }).join('c3', 'r1').frame('c3', 'error', { code: 'forbidden', id: 'r1' });
    expect(atLeastOnce(refused.input())).toMatchObject({ ok: true, checked: 4, violations: 0 });
    // A refusal that a later join undid (the room opened, or the user was made a member): owed from its first join.
    const admitted = refused.frame('c3', 'joined', { room: 'r1', seq: 2 });
    expect(atLeastOnce(admitted.input())).toMatchObject({ ok: false, checked: 6, violations: 2 });
    // Another code with the room as its ref (too_many_reads) is no refusal of membership.
    const busy = happy().connect('c3', 0).join('c3', 'r1').frame('c3', 'error', { code: 'too_many_reads', id: 'r1' });
    expect(atLeastOnce(busy.input())).toMatchObject({ ok: false, checked: 6, violations: 2 });
  });

  it('only the first join sets the cursor', () => {
    const h = happy().connect('c3', 0).join('c3', 'r1', 0).fanout('m2', 'c3').disconnect('c3').connect('c3', 1).join('c3', 'r1', 2);
    const r = atLeastOnce(h.input());
    expect(r).toMatchObject({ ok: false, checked: 6, violations: 1 });
    expect(r.examples[0]).toMatchObject({ id: 'm1', client: 'c3', worker: 1 });
  });

  it('client missed a message (at-most-once)', () => {
    const h = happy()
      .at(300)
      .fault('p1', 'redis-partition', 'w1')
      .post('c1', 'r1', 'm3', 'unheard', 3)
      .fanout('m3', 'c1')
      .heal('p1');
    const r = atLeastOnce(h.input());
    expect(r).toMatchObject({ ok: false, checked: 6, violations: 1 });
    expect(r.examples[0]).toMatchObject({ id: 'm3', room: 'r1', seq: 3, client: 'c2', worker: 1, faults: ['redis-partition w1'] });
    expect(r.examples[0]?.text).toBe(
      'message m3 (room r1, seq 3) sent by c1 never reached client c2 (joined r1 after seq 0; on worker 1 at the end); ' +
        'it was acked on worker 0 at 320 ms; active faults then: redis-partition w1',
    );
  });

  it('a message never acked is judged with the faults active at the end', () => {
    const h = happy().fault('k1', 'worker-kill', 'w0').commit('m3', 'r1', 3, 'orphan').disconnect('c2');
    const r = atLeastOnce(h.input());
    expect(r.violations).toBe(2);
    expect(r.examples[1]?.text).toContain('(joined r1 after seq 0; disconnected at the end, last on worker 1)');
    expect(r.examples[1]?.text).toContain('it was never acked; active faults at the end (130 ms): worker-kill w0');
  });

  it('local-only: the client on the other worker missed it', () => {
    const h = happy().post('c2', 'r1', 'm3', 'from w1', 3).fanout('m3', 'c2');
    const r = atLeastOnce(h.input());
    expect(r.examples[0]).toMatchObject({ id: 'm3', client: 'c1', worker: 0 });
  });
});
