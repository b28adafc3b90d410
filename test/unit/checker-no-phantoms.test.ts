import { describe, expect, it } from 'vitest';
import { noPhantoms } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('no-phantoms', () => {
  it('empty history', () => {
    expect(noPhantoms(lab().input())).toMatchObject({ ok: true, checked: 0, violations: 0 });
  });

  it('every delivery and every copy on the wire is a database row', () => {
    const r = noPhantoms(happy().frame('c2', 'msg', { room: 'r1', id: 'm2', seq: 2 }).input());
    expect(r).toMatchObject({ ok: true, checked: 5, violations: 0 });
  });

  it('phantom delivered from publish before commit', () => {
    const h = happy()
      .at(700)
      .fault('f1', 'crash-point', 'w0')
      .send('c1', 'r1', 'm3', 'ghost')
      .deliver('c2', 'r1', 'm3', 3, 'ghost')
      .heal('f1')
      .frame('c2', 'msg', { room: 'r1', id: 'm3', seq: 3 });
    const r = noPhantoms(h.input());
    expect(r).toMatchObject({ ok: false, checked: 6, violations: 2 });
    expect(r.examples[0]).toMatchObject({ id: 'm3', room: 'r1', seq: 3, client: 'c2', worker: 1, faults: ['crash-point w0'] });
    expect(r.examples[0]?.text).toBe(
      'message m3 (room r1, seq 3) delivered to the application of client c2 on worker 1 at 720 ms does not exist in the database; active faults then: crash-point w0',
    );
    expect(r.examples[1]?.text).toContain('received on the wire by client c2');
    expect(r.examples[1]?.faults).toEqual([]);
  });

  it('delivered with a seq another message holds', () => {
    const h = happy().deliver('c2', 'r1', 'm2', 1, 'world');
    expect(noPhantoms(h.input()).examples[0]?.text).toContain('is in the database as room r1, seq 2 instead');
  });

  it('delivered with another body', () => {
    const h = happy().deliver('c2', 'r1', 'm2', 2, 'w0rld');
    expect(noPhantoms(h.input()).examples[0]?.text).toContain('has another body in the database (got "w0rld", stored "world")');
  });

  it('judges every delivery of a message by its own body and room, not by the first delivery of it', () => {
    // Deliveries of one message that disagree with each other: the one that differs from the row is
    // the phantom, whichever came first.
    const later = happy().deliver('c1', 'r1', 'm2', 2, 'w0rld');
    expect(noPhantoms(later.input())).toMatchObject({ ok: false, violations: 1 });
    const first = lab().commit('m1', 'r1', 1, 'hello').deliver('c1', 'r1', 'm1', 1, 'h3llo').deliver('c2', 'r1', 'm1', 1, 'hello');
    const r = noPhantoms(first.input());
    expect(r).toMatchObject({ ok: false, checked: 2, violations: 1 });
    expect(r.examples[0]).toMatchObject({ client: 'c1' });
    const room = lab().commit('m1', 'r1', 1, 'hello').deliver('c1', 'r1', 'm1', 1, 'hello').deliver('c2', 'r2', 'm1', 1, 'hello');
    expect(noPhantoms(room.input()).examples[0]?.text).toContain('message m1 (room r2, seq 1) delivered to the application of client c2');
  });
});
