import type { HistoryEvent, HistoryEventType } from '../history/events.js';

/** A history's index: each event's type as a small number, and the subsequences asked for so far. */
interface Index {
  /** The history's length when indexed: a history that grew since is indexed again. */
  length: number;
  /** The type of event i as a number (`numbers`), read without touching the event. */
  codes: Uint8Array;
  numbers: Map<HistoryEventType, number>;
  subsequences: Map<string, readonly HistoryEvent[]>;
}

/** Shared by every checker of one `checkAll` (and by anything else that checks the same history). */
const indexes = new WeakMap<readonly HistoryEvent[], Index>();

function indexOf(history: readonly HistoryEvent[]): Index {
  const known = indexes.get(history);
  if (known !== undefined && known.length === history.length) return known;
  const numbers = new Map<HistoryEventType, number>();
  const codes = new Uint8Array(history.length);
  for (let i = 0; i < history.length; i++) {
    const type = history[i]!.type;
    let n = numbers.get(type);
    if (n === undefined) numbers.set(type, (n = numbers.size + 1));
    codes[i] = n;
  }
  const index: Index = { length: history.length, codes, numbers, subsequences: new Map() };
  indexes.set(history, index);
  return index;
}

/**
 * The events of the given types, in history order. Events come in a score of shapes, so reading the
 * type of each is a slow (megamorphic) load: with every checker walking the whole history for the few
 * types it judges, those walks were a third of `checkAll`'s time. The types are read once per history
 * into bytes, and each subsequence is picked from them. Computed once per history and type set; a
 * history that grew is indexed again (events are only ever appended).
 */
export function eventsOf<T extends HistoryEventType>(history: readonly HistoryEvent[], ...types: T[]): readonly Extract<HistoryEvent, { type: T }>[] {
  const index = indexOf(history);
  const key = [...types].sort().join(' ');
  const hit = index.subsequences.get(key);
  if (hit !== undefined) return hit as readonly Extract<HistoryEvent, { type: T }>[];
  const wanted = new Uint8Array(index.numbers.size + 1);
  for (const t of types) {
    const n = index.numbers.get(t);
    if (n !== undefined) wanted[n] = 1;
  }
  const { codes } = index;
  const events: HistoryEvent[] = [];
  for (let i = 0; i < codes.length; i++) if (wanted[codes[i]!] === 1) events.push(history[i]!);
  index.subsequences.set(key, events);
  return events as Extract<HistoryEvent, { type: T }>[];
}
