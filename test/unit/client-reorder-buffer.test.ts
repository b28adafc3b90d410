import { describe, expect, it } from 'vitest';
import { ReorderBuffer } from '../../src/client/index.js';

const item = (seq: number) => ({ seq });
const seqs = (items: { seq: number }[]) => items.map((i) => i.seq);

describe('ReorderBuffer', () => {
  it('in-order delivery: each next seq is delivered at once and moves the cursor', () => {
    const buffer = new ReorderBuffer();
    for (const seq of [1, 2, 3]) expect(buffer.offer(item(seq))).toEqual({ kind: 'deliver', items: [item(seq)] });
    expect(buffer.cursor).toBe(3);
    expect(buffer.size).toBe(0);
  });

  it('duplicate dropped: seq <= cursor is reported as a duplicate and not delivered', () => {
    const buffer = new ReorderBuffer({ cursor: 5 });
    expect(buffer.offer(item(5))).toEqual({ kind: 'duplicate', item: item(5), redeliver: false });
    expect(buffer.offer(item(2))).toMatchObject({ kind: 'duplicate', redeliver: false });
    expect(buffer.cursor).toBe(5);
  });

  it('duplicate delivered when dedup off: seq <= cursor is marked for redelivery, cursor unchanged', () => {
    const buffer = new ReorderBuffer({ dedup: false });
    buffer.offer(item(1));
    expect(buffer.offer(item(1))).toEqual({ kind: 'duplicate', item: item(1), redeliver: true });
    expect(buffer.cursor).toBe(1);
  });

  it('gap buffers then drains: a later seq waits and is released in order when the gap fills', () => {
    const buffer = new ReorderBuffer();
    buffer.offer(item(1));
    expect(buffer.offer(item(4))).toEqual({ kind: 'buffered', gapUpto: 3 });
    expect(buffer.offer(item(3))).toEqual({ kind: 'buffered', gapUpto: 2 });
    expect(buffer.lowestBuffered()).toBe(3);
    expect(buffer.cursor).toBe(1);
    const result = buffer.offer(item(2));
    expect(result.kind === 'deliver' && seqs(result.items)).toEqual([2, 3, 4]);
    expect(buffer.cursor).toBe(4);
    expect(buffer.size).toBe(0);
  });

  it('a second copy of a buffered seq is dropped, even with dedup off, so order holds', () => {
    const buffer = new ReorderBuffer({ dedup: false });
    buffer.offer(item(3));
    expect(buffer.offer(item(3))).toEqual({ kind: 'duplicate', item: item(3), redeliver: false });
    const result = buffer.offer(item(1));
    expect(result.kind).toBe('deliver');
    expect(buffer.offer(item(2))).toEqual({ kind: 'deliver', items: [item(2), item(3)] });
  });

  it('skipGaps (plain pub/sub): a seq beyond a gap is delivered at once and the gap is lost', () => {
    const buffer = new ReorderBuffer({ skipGaps: true });
    expect(buffer.offer(item(3))).toEqual({ kind: 'deliver', items: [item(3)] });
    expect(buffer.cursor).toBe(3);
    expect(buffer.offer(item(2)).kind).toBe('duplicate');
  });
});
