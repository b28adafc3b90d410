import { describe, expect, it } from 'vitest';
import { HeadTurns, headTurnsOf } from '../../src/server/head-turns.js';

/** The rooms of `turns` consecutive turns, each turn's list apart. */
function oneRound(h: HeadTurns): string[][] {
  return Array.from({ length: h.turns }, () => h.nextTurn());
}

describe('head turns', () => {
  it('cuts an interval into turns of at least 50 ms, at most 20 of them', () => {
    expect(headTurnsOf(1000)).toBe(20);
    expect(headTurnsOf(500)).toBe(10);
    expect(headTurnsOf(130)).toBe(2);
    expect(headTurnsOf(50)).toBe(1);
    expect(headTurnsOf(60_000)).toBe(20);
  });

  it('every room comes up exactly once in any run of `turns` consecutive turns, wherever the run starts', () => {
    const h = new HeadTurns(20);
    const rooms = Array.from({ length: 5000 }, (_, i) => `b3-p${i % 2}-r${i}`);
    for (const r of rooms) h.add(r);
    h.nextTurn();
    h.nextTurn();
    for (let round = 0; round < 2; round++) {
      const seen = oneRound(h).flat();
      expect(seen).toHaveLength(rooms.length);
      expect(new Set(seen)).toEqual(new Set(rooms));
    }
  });

  it('no turn carries every room: 5,000 rooms in 20 turns, none over twice its share', () => {
    const h = new HeadTurns(20);
    for (let i = 0; i < 5000; i++) h.add(`b3-p${i % 2}-r${i}`);
    const sizes = oneRound(h).map((t) => t.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2 * (5000 / 20));
    expect(Math.min(...sizes)).toBeGreaterThan(0);
  });

  it('a room added comes up in the next round; a room deleted no longer does; one turn keeps every room in it', () => {
    const h = new HeadTurns(4);
    h.add('lobby');
    h.add('dev');
    expect(oneRound(h).flat().sort()).toEqual(['dev', 'lobby']);
    h.delete('lobby');
    h.add('ops');
    expect(oneRound(h).flat().sort()).toEqual(['dev', 'ops']);
    const one = new HeadTurns(1);
    one.add('a');
    one.add('b');
    expect(one.nextTurn().sort()).toEqual(['a', 'b']);
    expect(one.nextTurn().sort()).toEqual(['a', 'b']);
  });

  it('refuses a count of turns that is not a positive integer', () => {
    expect(() => new HeadTurns(0)).toThrow(RangeError);
    expect(() => new HeadTurns(1.5)).toThrow(RangeError);
  });
});
