import type { HistoryEvent, HistoryEventType } from '../history/events.js';

/** A history's index: each event's type as a small number, and the subsequences asked for so far. */
interface Index {
  /** The history's length when indexed: a history that grew since is indexed again. */
  length: number;
  /** The type of event i as a number (`numbers`), read without touching the event. */
  codes: Uint8Array;
  numbers: Map<HistoryEventType, number>;
  /** How many events there are of each number. */
  counts: number[];
  subsequences: Map<string, readonly HistoryEvent[]>;
  positions: Map<string, Int32Array>;
}

/** Shared by every checker of one `checkAll` (and by anything else that checks the same history). */
const indexes = new WeakMap<readonly HistoryEvent[], Index>();

function indexOf(history: readonly HistoryEvent[]): Index {
  const known = indexes.get(history);
  if (known !== undefined && known.length === history.length) return known;
  const numbers = new Map<HistoryEventType, number>();
  const counts = [0];
  const codes = new Uint8Array(history.length);
  for (let i = 0; i < history.length; i++) {
    const type = history[i]!.type;
    let n = numbers.get(type);
    if (n === undefined) {
      numbers.set(type, (n = numbers.size + 1));
      counts.push(0);
    }
    codes[i] = n;
    counts[n]!++;
  }
  const index: Index = { length: history.length, codes, numbers, counts, subsequences: new Map(), positions: new Map() };
  indexes.set(history, index);
  return index;
}

/** The history positions of the events of the given types, in order; computed once per history and type set. */
export function positionsOf(history: readonly HistoryEvent[], ...types: HistoryEventType[]): Int32Array {
  const index = indexOf(history);
  const key = [...new Set(types)].sort().join(' ');
  const hit = index.positions.get(key);
  if (hit !== undefined) return hit;
  const wanted = new Uint8Array(index.numbers.size + 1);
  let total = 0;
  for (const t of new Set(types)) {
    const n = index.numbers.get(t);
    if (n === undefined) continue;
    wanted[n] = 1;
    total += index.counts[n]!;
  }
  const { codes } = index;
  const positions = new Int32Array(total);
  for (let i = 0, k = 0; k < total; i++) if (wanted[codes[i]!] === 1) positions[k++] = i;
  index.positions.set(key, positions);
  return positions;
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
  const key = [...new Set(types)].sort().join(' ');
  const hit = index.subsequences.get(key);
  if (hit !== undefined) return hit as readonly Extract<HistoryEvent, { type: T }>[];
  const positions = positionsOf(history, ...types);
  // Made at its final size: a subsequence of half a million events grown by push was copied a score of times.
  const events = new Array<HistoryEvent>(positions.length);
  for (let k = 0; k < positions.length; k++) events[k] = history[positions[k]!]!;
  index.subsequences.set(key, events);
  return events as Extract<HistoryEvent, { type: T }>[];
}
