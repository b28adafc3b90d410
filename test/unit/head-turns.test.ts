import { describe, expect, it } from 'vitest';
import { HeadTurns, headTurnsOf } from '../../src/server/head-turns.js';

const rooms5000 = Array.from({ length: 5000 }, (_, i) => `b3-p${i % 2}-r${i}`);

/** A worker's head turns over `rooms`, interval 1000 ms (20 turns of 50 ms). */
function turnsOver(rooms: readonly string[], intervalMs = 1000): HeadTurns {
  const h = new HeadTurns(intervalMs);
  for (const r of rooms) h.add(r);
  return h;
}

describe('head turns', () => {
  it('cuts an interval into turns of at least 50 ms, at most 20 of them', () => {
    expect(headTurnsOf(1000)).toBe(20);
    expect(headTurnsOf(500)).toBe(10);
    expect(headTurnsOf(130)).toBe(2);
    expect(headTurnsOf(50)).toBe(1);
    expect(headTurnsOf(60_000)).toBe(20);
  });

  it('on time, a turn every 50 ms: each room comes up exactly once an interval, wherever the interval starts', () => {
    const h = turnsOver(rooms5000);
    const at = (ms: number) => h.due(10_000 + ms);
    const byTurn: string[][] = [];
    for (let t = 0; t < 40; t++) byTurn.push(at(t * 50));
    for (const start of [0, 7, 20]) {
      const seen = byTurn.slice(start, start + 20).flat();
      expect(seen, `interval from turn ${start}`).toHaveLength(5000);
      expect(new Set(seen)).toEqual(new Set(rooms5000));
    }
    // No turn carries every room: none over twice its share, none empty.
    const sizes = byTurn.slice(0, 20).map((t) => t.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2 * (5000 / 20));
    expect(Math.min(...sizes)).toBeGreaterThan(0);
  });

  it('a call before the next turn is due hands out nothing; a late call hands out every turn that came due meanwhile', () => {
    const h = turnsOver(rooms5000);
    const first = h.due(0);
    expect(first.length).toBeGreaterThan(0);
    expect(h.due(49.9)).toEqual([]);
    // 130 ms late by a busy loop: turns 1 and 2 (due at 50 and 100 ms) come together, turn 3 at 150 ms on time.
    const late = h.due(130);
    const turn3 = h.due(150);
    const onTime = turnsOver(rooms5000);
    const ref = [0, 50, 100, 150].map((t) => onTime.due(t));
    expect(late).toEqual([...ref[1]!, ...ref[2]!]);
    expect(turn3).toEqual(ref[3]);
  });

  it('a caller a whole interval late or more gets every room once, then goes on on time', () => {
    const h = turnsOver(rooms5000);
    h.due(0);
    const all = h.due(5_000);
    expect(all).toHaveLength(5000);
    expect(new Set(all)).toEqual(new Set(rooms5000));
    expect(h.due(5_010)).toEqual([]);
    expect(h.due(5_050).length).toBeGreaterThan(0);
  });

  it('a room added comes up within the next interval; a room deleted no longer does; one turn (a short interval) carries every room', () => {
    const h = new HeadTurns(200);
    h.add('lobby');
    h.add('dev');
    const round = (from: number) => [0, 50, 100, 150].flatMap((t) => h.due(from + t)).sort();
    expect(round(0)).toEqual(['dev', 'lobby']);
    h.delete('lobby');
    h.add('ops');
    expect(round(200)).toEqual(['dev', 'ops']);
    const one = new HeadTurns(60);
    one.add('a');
    one.add('b');
    expect(one.due(0).sort()).toEqual(['a', 'b']);
    expect(one.due(60).sort()).toEqual(['a', 'b']);
  });

  it('refuses an interval that is not positive', () => {
    expect(() => new HeadTurns(0)).toThrow(RangeError);
    expect(() => new HeadTurns(Number.NaN)).toThrow(RangeError);
  });
});
