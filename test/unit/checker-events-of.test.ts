import { describe, expect, it } from 'vitest';
import { checkAll, exactlyOnceEffect } from '../../lab/checker/index.js';
import { eventsOf } from '../../lab/checker/events-of.js';
import type { HistoryEvent } from '../../lab/history/events.js';
import { happy } from './support/history-builder.js';

describe('the checkers\' shared index of a history', () => {
  it('picks the events of the given types in history order, whatever the order the types are named in', () => {
    const { history } = happy().input();
    const want = history.filter((e) => e.type === 'ack' || e.type === 'deliver');
    expect(eventsOf(history, 'deliver', 'ack')).toEqual(want);
    expect(eventsOf(history, 'ack', 'deliver')).toEqual(want);
    expect(eventsOf(history, 'gap-fetch')).toEqual([]);
  });

  it('indexes a history again once it grew: a repeat appended after a first check is caught by the next', () => {
    const input = happy().input();
    const history = input.history as HistoryEvent[];
    expect(checkAll(input).ok).toBe(true);
    const first = history.find((e): e is Extract<HistoryEvent, { type: 'deliver' }> => e.type === 'deliver')!;
    history.push({ ...first, t: first.t + 1000 });
    const r = exactlyOnceEffect(input);
    expect(r).toMatchObject({ ok: false, violations: 1 });
    expect(r.examples[0]?.text).toContain(`message ${first.id}`);
  });
});
