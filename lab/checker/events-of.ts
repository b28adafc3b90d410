import type { HistoryEvent, HistoryEventType } from '../history/events.js';

/** A history's index: where the events of each type are, and the subsequences asked for so far. */
interface Index {
  /** The history's length when indexed: a history that grew since is indexed again. */
  length: number;
  /** The positions of each type's events, in order. */
  byType: Map<HistoryEventType, Int32Array>;
  subsequences: Map<string, readonly HistoryEvent[]>;
  positions: Map<string, Int32Array>;
}

/** Shared by every checker of one `checkAll` (and by anything else that checks the same history). */
const indexes = new WeakMap<readonly HistoryEvent[], Index>();

const NONE = new Int32Array(0);

function indexOf(history: readonly HistoryEvent[]): Index {
  const known = indexes.get(history);
  if (known !== undefined && known.length === history.length) return known;
  // The type of each event read once, as a small number; then each type's positions in one more pass.
  const numbers = new Map<HistoryEventType, number>();
  const counts: number[] = [];
  const codes = new Uint8Array(history.length);
  for (let i = 0; i < history.length; i++) {
    const type = history[i]!.type;
    let n = numbers.get(type);
    if (n === undefined) {
      numbers.set(type, (n = numbers.size));
      counts.push(0);
    }
    codes[i] = n;
    counts[n]!++;
  }
  const lists = counts.map((c) => new Int32Array(c));
  const filled = new Int32Array(counts.length);
  for (let i = 0; i < codes.length; i++) {
    const n = codes[i]!;
    lists[n]![filled[n]!++] = i;
  }
  const byType = new Map<HistoryEventType, Int32Array>();
  for (const [type, n] of numbers) byType.set(type, lists[n]!);
  const index: Index = { length: history.length, byType, subsequences: new Map(), positions: new Map() };
  indexes.set(history, index);
  return index;
}

/** The history positions of the events of the given types, in order; computed once per history and type set. */
export function positionsOf(history: readonly HistoryEvent[], ...types: HistoryEventType[]): Int32Array {
  const index = indexOf(history);
  const distinct = [...new Set(types)].sort();
  if (distinct.length === 1) return index.byType.get(distinct[0]!) ?? NONE;
  const key = distinct.join(' ');
  const hit = index.positions.get(key);
  if (hit !== undefined) return hit;
  // The types' own lists merged in position order.
  const lists = distinct.map((t) => index.byType.get(t) ?? NONE).filter((l) => l.length > 0);
  const positions = new Int32Array(lists.reduce((n, l) => n + l.length, 0));
  const at = new Int32Array(lists.length);
  for (let k = 0; k < positions.length; k++) {
    let best = -1;
    for (let j = 0; j < lists.length; j++) {
      if (at[j]! < lists[j]!.length && (best === -1 || lists[j]![at[j]!]! < lists[best]![at[best]!]!)) best = j;
    }
    positions[k] = lists[best]![at[best]!++]!;
  }
  index.positions.set(key, positions);
  return positions;
}

/**
 * The events of the given types, in history order. Events come in a score of shapes, so reading the
 * type of each is a slow (megamorphic) load: with every checker walking the whole history for the few
 * types it judges, those walks were a third of `checkAll`'s time. The types are read once per history
 * into each type's positions, and each subsequence is made from them. Computed once per history and
 * type set; a history that grew is indexed again (events are only ever appended).
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
