import { writeFileSync } from 'node:fs';
import type { CoreTrace } from '../../src/protocol/index.js';
import type { FrameEvent, HistoryEvent, WirePath } from './events.js';

/**
 * Each delivery's path, from the history alone: the frame below the SDK that carried each
 * application delivery (its wire path: live, replay, fetch), and for a live frame the core's trace
 * events that put it on that connection: its worker's own send path (`live-local`), Redis
 * (`live-bus`), or the publish of a retry whose commit was a duplicate (`republish`). Every msg frame
 * that carried no delivery is accounted for too (dropped by the SDK as a duplicate, superseded by
 * another copy, or never delivered), so a loss or a duplicate can be placed in the server or in the SDK.
 */

/** Where a copy of a message came from, on the server's side; `unknown` when the history holds no trace that says. */
export type DeliveryPath = 'live-local' | 'live-bus' | 'replay' | 'fetch' | 'republish' | 'unknown';

/** Fields of a msg frame's server-side path. */
interface PathFields {
  /** The worker of the connection the frame came on. */
  worker: number | null;
  /** The frame as the client's wire saw it (null: no frame found). */
  wire: WirePath | null;
  path: DeliveryPath;
  /** Live paths: the worker whose send path fanned the copy out (live-local) or published it (live-bus). */
  from?: number;
  /** republish: whether the retry's copy came through its worker's local fan-out or through Redis. */
  via?: 'local' | 'bus';
}

/** One application delivery (a `deliver` event) and the path of the frame that carried it. */
export interface DeliveryRecord extends PathFields {
  kind: 'delivery';
  t: number;
  client: string;
  room: string;
  id: string;
  seq: number;
  /** 1 for the application's first delivery of this id; 2 and more are duplicates the application saw. */
  nth: number;
  /** msg frames of this id the client received in the whole run. */
  copies: number;
}

/**
 * What became of a msg frame that carried no delivery: the SDK dropped it as a copy of a seq it had
 * already delivered or buffered (`duplicate-dropped`); another copy of the same id was delivered
 * (`superseded`); or the client never delivered that id at all (`never-delivered`: lost inside the SDK).
 */
export type FrameFate = 'duplicate-dropped' | 'superseded' | 'never-delivered';

/** A msg frame that carried no delivery, its path and its fate. */
export interface FrameRecord extends PathFields {
  kind: 'frame';
  t: number;
  client: string;
  room: string;
  id: string;
  seq: number;
  fate: FrameFate;
}

/** One line of deliveries.jsonl. */
export type DeliveryPathRecord = DeliveryRecord | FrameRecord;

/** Clocks of two processes on one machine may disagree by this much; a trace this late still counts as before a frame. */
const SKEW_MS = 1;

/** The trace kinds that say how a live copy travelled. */
type LiveKind = 'fanout' | 'bus-receive' | 'publish';
type Stamped<W extends LiveKind> = { t: number; trace: Extract<CoreTrace, { what: W }> };

/** Trace events of one kind by `worker\nid`, in time order. */
function indexTraces<W extends LiveKind>(history: readonly HistoryEvent[], what: W): Map<string, Stamped<W>[]> {
  const by = new Map<string, Stamped<W>[]>();
  for (const e of history) {
    if (e.type !== 'trace' || e.trace.what !== what) continue;
    const tr = e.trace as Extract<CoreTrace, { what: W }>;
    const { worker, id } = tr as Extract<CoreTrace, { what: LiveKind }>;
    const k = `${worker}\n${id}`;
    const list = by.get(k) ?? [];
    list.push({ t: e.t, trace: tr });
    by.set(k, list);
  }
  for (const list of by.values()) list.sort((a, b) => a.t - b.t);
  return by;
}

/** The last entry at or before `t` (allowing for clock skew). */
function latest<T extends { t: number }>(list: readonly T[] | undefined, t: number): T | undefined {
  let found: T | undefined;
  for (const x of list ?? []) {
    if (x.t > t + SKEW_MS) break;
    found = x;
  }
  return found;
}

/** Gives every application delivery its path, and every msg frame that carried none its fate; in time order. */
export function deliveryPaths(history: readonly HistoryEvent[]): DeliveryPathRecord[] {
  const fanouts = indexTraces(history, 'fanout');
  const receives = indexTraces(history, 'bus-receive');
  const publishes = indexTraces(history, 'publish');

  const pathOf = (f: FrameEvent | undefined): PathFields => {
    if (!f) return { worker: null, wire: null, path: 'unknown' };
    const base = { worker: f.worker, wire: f.path ?? null };
    if (f.path === 'replay' || f.path === 'fetch') return { ...base, path: f.path };
    if (f.path !== 'live' || f.worker === null || f.id === undefined) return { ...base, path: 'unknown' };
    const fan = latest(fanouts.get(`${f.worker}\n${f.id}`), f.t);
    if (!fan) return { ...base, path: 'unknown' };
    if (fan.trace.source === 'local') return fan.trace.republish ? { ...base, path: 'republish', from: f.worker, via: 'local' } : { ...base, path: 'live-local', from: f.worker };
    const got = latest(receives.get(`${f.worker}\n${f.id}`), fan.t);
    if (!got) return { ...base, path: 'live-bus' };
    const pub = latest(publishes.get(`${got.trace.origin}\n${f.id}`), got.t);
    return pub?.trace.republish ? { ...base, path: 'republish', from: got.trace.origin, via: 'bus' } : { ...base, path: 'live-bus', from: got.trace.origin };
  };

  // The SDK handles a frame synchronously after the tap records it: a frame is followed by its
  // duplicate-dropped, by its deliver, or (held behind a gap) by nothing until a later frame releases it.
  const waiting = new Map<string, FrameEvent[]>();
  const copies = new Map<string, number>();
  const delivered = new Map<string, number>();
  const out: DeliveryPathRecord[] = [];
  const take = (k: string) => waiting.get(k)?.pop();
  const frameRecord = (f: FrameEvent, fate: FrameFate): FrameRecord =>
    ({ kind: 'frame', t: f.t, client: f.client, room: f.room!, id: f.id!, seq: f.seq!, ...pathOf(f), fate });
  for (const e of history) {
    switch (e.type) {
      case 'frame': {
        if (e.frame !== 'msg' || e.room === undefined || e.id === undefined || e.seq === undefined) break;
        const k = `${e.client}\n${e.room}\n${e.seq}\n${e.id}`;
        const list = waiting.get(k) ?? [];
        list.push(e);
        waiting.set(k, list);
        copies.set(`${e.client}\n${e.id}`, (copies.get(`${e.client}\n${e.id}`) ?? 0) + 1);
        break;
      }
      case 'duplicate-dropped': {
        const f = take(`${e.client}\n${e.room}\n${e.seq}\n${e.id}`);
        if (f) out.push(frameRecord(f, 'duplicate-dropped'));
        break;
      }
      case 'deliver': {
        const carrier = take(`${e.client}\n${e.room}\n${e.seq}\n${e.id}`);
        const n = (delivered.get(`${e.client}\n${e.id}`) ?? 0) + 1;
        delivered.set(`${e.client}\n${e.id}`, n);
        // No frame recorded (a history without the wire): the application's own note of the carrying frame.
        const fields: PathFields = carrier ? pathOf(carrier) : { worker: e.worker, wire: e.path, path: e.path === 'replay' || e.path === 'fetch' ? e.path : 'unknown' };
        out.push({ kind: 'delivery', t: e.t, client: e.client, room: e.room, id: e.id, seq: e.seq, ...fields, nth: n, copies: 0 });
        break;
      }
      default:
        break;
    }
  }
  for (const list of waiting.values()) {
    for (const f of list) out.push(frameRecord(f, delivered.has(`${f.client}\n${f.id}`) ? 'superseded' : 'never-delivered'));
  }
  for (const r of out) if (r.kind === 'delivery') r.copies = copies.get(`${r.client}\n${r.id}`) ?? 0;
  return out.sort((a, b) => a.t - b.t);
}

/** Writes `deliveryPaths(history)` to `file`, one JSON object per line. */
export function writeDeliveryPaths(file: string, history: readonly HistoryEvent[]): void {
  writeFileSync(file, deliveryPaths(history).map((r) => `${JSON.stringify(r)}\n`).join(''));
}
