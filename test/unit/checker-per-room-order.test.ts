import { describe, expect, it } from 'vitest';
import { perRoomOrder } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

/** c1 in r1 joined after `after`, then handed the given seqs. */
function stream(after: number, seqs: number[]) {
  const h = lab().connect('c1', 0).join('c1', 'r1', after);
  for (const s of seqs) h.deliver('c1', 'r1', `m${s}`, s, `b${s}`);
  return h;
}

describe('per-room-order', () => {
  it('empty history', () => {
    expect(perRoomOrder(lab().input())).toMatchObject({ ok: true, checked: 0, violations: 0 });
  });

  it('gapless from the cursor on', () => {
    expect(perRoomOrder(happy().input())).toMatchObject({ ok: true, checked: 4 });
    expect(perRoomOrder(stream(5, [6, 7, 8]).input())).toMatchObject({ ok: true, checked: 3 });
  });

  it('a rejoin keeps the first cursor and the stream continues', () => {
    const h = stream(0, [1, 2]).disconnect('c1').connect('c1', 1).join('c1', 'r1', 2).deliver('c1', 'r1', 'm3', 3, 'b3');
    expect(perRoomOrder(h.input()).ok).toBe(true);
  });

  it('gap in the stream', () => {
    const r = perRoomOrder(stream(0, [1, 2, 4, 5]).input());
    expect(r).toMatchObject({ ok: false, checked: 4, violations: 1 });
    expect(r.examples[0]?.text).toBe(
      'client c1 in room r1 got seq 4 right after seq 2 (message m4 at 40 ms on worker 0): seq 3 never came before it; active faults then: none',
    );
  });

  it('gap at the start of the stream', () => {
    const r = perRoomOrder(stream(0, [3, 4]).input());
    expect(r.violations).toBe(1);
    expect(r.examples[0]?.text).toContain('joined room r1 after seq 0 but its first message was seq 3 (message m3 at 20 ms on worker 0): seqs 1..2 are missing');
  });

  it('out of order', () => {
    const r = perRoomOrder(stream(0, [1, 3, 2, 4]).input());
    expect(r).toMatchObject({ ok: false, violations: 2 });
    expect(r.examples).toHaveLength(1);
    expect(r.examples[0]).toMatchObject({ seq: 3, client: 'c1', room: 'r1' });
  });

  it('a repeated seq', () => {
    const r = perRoomOrder(stream(0, [1, 2, 2]).input());
    expect(r.examples[0]?.text).toContain('got seq 2 again');
  });

  it('one example per broken stream', () => {
    const h = stream(0, [2]).connect('c2', 1).join('c2', 'r1').deliver('c2', 'r1', 'm1', 1, 'b1').deliver('c2', 'r1', 'm3', 3, 'b3');
    const r = perRoomOrder(h.input());
    expect(r.violations).toBe(2);
    expect(r.examples.map((e) => e.client)).toEqual(['c1', 'c2']);
  });
});
