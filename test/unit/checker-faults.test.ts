import { describe, expect, it } from 'vitest';
import { activeFaults, clientPlaces, faultWindows, placeText, workerName } from '../../lab/checker/index.js';
import { lab } from './support/history-builder.js';

describe('activeFaults', () => {
  const h = lab()
    .at(100)
    .fault('k1', 'worker-kill', 'w1')
    .at(200)
    .fault('p1', 'redis-partition', 'w0')
    .at(300)
    .heal('k1')
    .at(400)
    .fault('k1', 'worker-kill', 'w1')
    .at(500)
    .heal('k1').events;

  it('is empty before any fault and in an empty history', () => {
    expect(activeFaults(h, 50)).toEqual([]);
    expect(activeFaults([], 50)).toEqual([]);
  });

  it('includes a fault from its start to its heal, inclusive', () => {
    expect(activeFaults(h, 100)).toEqual(['worker-kill w1']);
    expect(activeFaults(h, 250)).toEqual(['worker-kill w1', 'redis-partition w0']);
    expect(activeFaults(h, 300)).toEqual(['worker-kill w1', 'redis-partition w0']);
    expect(activeFaults(h, 350)).toEqual(['redis-partition w0']);
  });

  it('keeps a fault with no heal active till the end', () => {
    expect(activeFaults(h, 10_000)).toEqual(['redis-partition w0']);
  });

  it('pairs a repeated fault id with its own heal', () => {
    expect(faultWindows(h).map((w) => [w.fault, w.at, w.healedAt])).toEqual([
      ['k1', 100, 300],
      ['p1', 200, null],
      ['k1', 400, 500],
    ]);
  });
});

describe('worker naming', () => {
  it('names a known and an unknown worker', () => {
    expect(workerName(2)).toBe('worker 2');
    expect(workerName(null)).toBe('an unknown worker');
  });

  it('tells where each client was at the end', () => {
    const places = clientPlaces(lab().connect('c1', 0).connect('c2', 1).disconnect('c2').disconnect('c1').connect('c1', 2).events);
    expect(placeText(places.get('c1'))).toBe('on worker 2 at the end');
    expect(placeText(places.get('c2'))).toBe('disconnected at the end, last on worker 1');
    expect(placeText(places.get('c3'))).toBe('never connected');
  });
});
