import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deliveriesOf, HandedTo } from '../../lab/checker/deliveries.js';
import { happy } from './support/history-builder.js';

describe('deliveries as columns', () => {
  it('HandedTo answers as a set of (message, stream) pairs would, across the switch from a chain to a Set', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 40 })), { maxLength: 300 }), (pairs) => {
        const handed = new HandedTo(4, pairs.length);
        const reference = new Set<string>();
        for (const [m, s] of pairs) {
          const key = `${m} ${s}`;
          expect(handed.add(m, s)).toBe(!reference.has(key));
          reference.add(key);
        }
        for (let m = 0; m < 4; m++) for (let s = 0; s <= 40; s++) expect(handed.has(m, s)).toBe(reference.has(`${m} ${s}`));
      }),
    );
  });

  it('marks repeats, bodies that differ from the first, and is built again when the history grows', () => {
    const history = happy().input().history;
    const before = deliveriesOf(history);
    expect(deliveriesOf(history)).toBe(before);
    // The same array, grown: a repeat of the last delivery with another body.
    const repeat = history.findLast((e) => e.type === 'deliver')!;
    history.push({ ...repeat, t: repeat.t + 10, body: `${(repeat as { body: string }).body}!` });
    const after = deliveriesOf(history);
    expect(after).not.toBe(before);
    const last = after.msg.length - 1;
    expect(last).toBe(before.msg.length);
    expect(after.first[last]).toBe(0);
    expect(after.otherBody[last]).toBe(1);
    expect(after.body[after.msg[last]!]).toBe((repeat as { body: string }).body);
    expect(after.handed(after.msg[last]!, after.stream[last]!)).toBe(true);
  });
});
