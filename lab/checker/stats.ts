import quickselect from 'quickselect';
import { deliveriesOf, HandedTo, type Deliveries } from './deliveries.js';
import type { CheckInput } from './types.js';
import type { HistoryEvent } from '../history/events.js';
import { faultWindows, type FaultWindow } from './faults.js';
import { eventsOf } from './events-of.js';
import { refusedRooms, wasRefused } from './refused-rooms.js';

/** Delivery latency summary in milliseconds (0 when nothing was delivered). */
export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

/**
 * What a fault's recovery is measured from: the heal of a fault that lasts (a partition, a pause),
 * the start of a one-shot kill, or the instant a crash point actually fired (not when it was armed).
 */
export type RecoveryFrom = 'heal' | 'start' | 'fired';

/** How long the system took to catch up after one fault. */
export interface Recovery {
  fault: string;
  kind: string;
  target: string;
  /** What `fromAt` is: the heal, the start of a one-shot kill, or the crash point firing. */
  from: RecoveryFrom;
  /** The instant recovery is measured from, in ms since the run started. */
  fromAt: number;
  /** When the fault healed (null: never). */
  healedAt: number | null;
  /** Latest delivery after `fromAt` of a message acked before it, minus `fromAt` (0 if none). */
  recoveryMs: number;
}

/** Measured, not judged: counts, latency and recovery of a run, from the application's view. */
export interface Stats {
  /** Sends the applications made (`invoke` events). */
  sent: number;
  /** Sends the applications saw acked (application `ack` events, once per client and id). */
  acked: number;
  dbMessages: number;
  /** Messages handed to the applications (application `deliver` events, across all clients). */
  deliveries: number;
  /** Copies the SDKs dropped as already delivered. */
  duplicatesDropped: number;
  /** Gap fetches the SDKs made. */
  gapsFilled: number;
  /** SDK send attempts after the first (attempt > 1). */
  retries: number;
  /** Sends the applications saw definitely refused (`send-fail`, once per client and id). */
  refused: number;
  /** Sender-side losses: sends never acked nor definitely refused (an `invoke` with no `ack` or `send-fail`). */
  unsettled: number;
  /** Of the unsettled sends, how many are not in the database (lost for good on the sender's side). */
  unsettledNotInDb: number;
  /** Deliver time minus the application's send (`invoke`) of that id. */
  latencyMs: LatencySummary;
  recoveryMs: Recovery[];
  /** Database messages that had not reached every member client when the recovery phase began (only if it began). */
  lostBeforeRecovery?: number;
}

/** Fault kinds that act once, at their start (a kill): their recovery is measured from the start, not the heal. */
export const ONE_SHOT_FAULTS: ReadonlySet<string> = new Set(['worker-kill', 'worker-stop', 'client-disconnect']);

/** The nearest-rank percentile `p` (0..100) of sorted values. */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[rankOf(sorted.length, p)] ?? 0;
}

/** The nearest-rank index of percentile `p` (0..100) among `n` sorted values. */
function rankOf(n: number, p: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
}

/**
 * p50, p99 and max of the values, as `percentile` would read them sorted, found by selection (the
 * values are reordered): sorting half a million latencies was a fifth of the stats' time.
 */
export function latencySummary(values: Float64Array): LatencySummary {
  const n = values.length;
  if (n === 0) return { p50: 0, p99: 0, max: 0 };
  const at = values as unknown as number[];
  const i99 = rankOf(n, 99);
  const i50 = rankOf(n, 50);
  quickselect(at, i99);
  // Everything before i99 is at most values[i99] now: p50 is among them, the max after.
  if (i50 < i99) quickselect(at, i50, 0, i99);
  let max = values[i99]!;
  for (let i = i99 + 1; i < n; i++) if (values[i]! > max) max = values[i]!;
  return { p50: values[i50]!, p99: values[i99]!, max };
}

/** One client's sends of one id, for the settled counts (for a client other than the id's first). */
interface SendState {
  /** Invokes not yet settled by an ack or a definite refusal. */
  open: number;
  /** Counted once each: a client's id acked, refused. */
  acked: boolean;
  refused: boolean;
}

/** How a client's id was settled, as bits of `counted`. */
const ACKED = 1;
const REFUSED = 2;

/** A client's membership of a room, for lostBeforeRecovery. */
interface Member {
  cursor: number;
  joinedAt: number;
  stream: number;
}

/** Measures a run from its history and database; never throws on a well-typed input. */
export function computeStats({ history, db }: CheckInput): Stats {
  const delivered = deliveriesOf(history);
  const { ids } = delivered;
  // Each id named by a send has a slot, found once per event, and what the stats track of it in
  // columns by slot (a record per id was most of the stats' garbage). The sends of one message come
  // together: the last id is asked first.
  const slots = new Map<string, number>();
  const names: string[] = [];
  /** Its integer among the delivered ids (-1: never delivered). */
  const deliveredAs: number[] = [];
  const sentAt: number[] = [];
  const ackedAt: number[] = [];
  /** The first client to name the id, its open invokes, and whether it was counted as acked (1), refused (2). */
  const sender: (string | undefined)[] = [];
  const open: number[] = [];
  const counted: number[] = [];
  /** Any other client's sends of an id, by `slot client`. */
  const others = new Map<string, SendState>();
  let lastId: string | undefined;
  let last = -1;
  const slotOf = (id: string): number => {
    if (id === lastId) return last;
    let k = slots.get(id);
    if (k === undefined) {
      slots.set(id, (k = names.length));
      names.push(id);
      deliveredAs.push(ids.get(id) ?? -1);
      sentAt.push(NaN);
      ackedAt.push(NaN);
      sender.push(undefined);
      open.push(0);
      counted.push(0);
    }
    lastId = id;
    last = k;
    return k;
  };
  // Settles one open invoke of the client's id; true the first time this client's id is settled this way (ACKED, REFUSED).
  const settle = (k: number, client: string, way: number): boolean => {
    if (sender[k] === undefined || sender[k] === client) {
      sender[k] = client;
      if (open[k]! > 0) open[k]!--;
      if ((counted[k]! & way) !== 0) return false;
      counted[k]! |= way;
      return true;
    }
    const o = otherOf(k, client);
    if (o.open > 0) o.open--;
    const seen = way === ACKED ? o.acked : o.refused;
    if (way === ACKED) o.acked = true;
    else o.refused = true;
    return !seen;
  };
  const otherOf = (k: number, client: string): SendState => {
    const key = `${k} ${client}`;
    let o = others.get(key);
    if (o === undefined) others.set(key, (o = { open: 0, acked: false, refused: false }));
    return o;
  };
  let sent = 0;
  let acked = 0;
  let refused = 0;
  const members = new Map<string, Map<string, Member>>();
  let duplicatesDropped = 0;
  let gapsFilled = 0;
  let retries = 0;
  let recoveryAt: number | undefined;
  const events = eventsOf(history, 'invoke', 'send', 'ack', 'send-fail', 'duplicate-dropped', 'gap-fetch', 'phase', 'join');
  const refusedTo = refusedRooms(history);
  // Indexed loops over the history's big arrays: a for-of allocates an iterator result per element until the
  // loop is optimized: a quarter of the checker's garbage on a long history (a sampling heap profile, NOTES.md).
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    switch (e.type) {
      case 'invoke': {
        sent++;
        const k = slotOf(e.id);
        if (!(sentAt[k]! <= e.t)) sentAt[k] = e.t;
        if (sender[k] === undefined || sender[k] === e.client) {
          sender[k] = e.client;
          open[k]!++;
        } else otherOf(k, e.client).open++;
        break;
      }
      case 'send': {
        // Histories without invokes (older runs) measure latency from the first attempt.
        const k = slotOf(e.id);
        if (Number.isNaN(sentAt[k]!)) sentAt[k] = e.t;
        if (e.attempt > 1) retries++;
        break;
      }
      case 'ack': {
        const k = slotOf(e.id);
        if (settle(k, e.client, ACKED)) acked++;
        if (Number.isNaN(ackedAt[k]!)) ackedAt[k] = e.t;
        break;
      }
      case 'send-fail':
        if (settle(slotOf(e.id), e.client, REFUSED)) refused++;
        break;
      case 'duplicate-dropped':
        duplicatesDropped++;
        break;
      case 'gap-fetch':
        gapsFilled++;
        break;
      case 'phase':
        if (e.phase === 'recovery' && recoveryAt === undefined) recoveryAt = e.t;
        break;
      case 'join': {
        // A members-only room the client was refused owes it nothing (refused-rooms.ts).
        if (wasRefused(refusedTo, e.client, e.room)) break;
        let byClient = members.get(e.room);
        if (byClient === undefined) members.set(e.room, (byClient = new Map()));
        if (!byClient.has(e.client)) byClient.set(e.client, { cursor: e.after, joinedAt: e.t, stream: delivered.streams.of(e.client, e.room) });
        break;
      }
      default:
        break;
    }
  }
  // The database's ids, gathered only once an unsettled send needs them.
  let inDb: Set<string> | undefined;
  let unsettled = 0;
  let unsettledNotInDb = 0;
  const countOpen = (k: number, n: number) => {
    if (n === 0) return;
    unsettled += n;
    inDb ??= new Set(db.messages.map((r) => r.id));
    if (!inDb.has(names[k]!)) unsettledNotInDb += n;
  };
  // Per delivered message (by its integer): when it was sent.
  const sentAtDelivered = new Float64Array(ids.size).fill(NaN);
  for (let k = 0; k < names.length; k++) {
    if (deliveredAs[k] !== -1) sentAtDelivered[deliveredAs[k]!] = sentAt[k]!;
    countOpen(k, open[k]!);
  }
  for (const [key, o] of others) countOpen(Number(key.slice(0, key.indexOf(' '))), o.open);
  // Per delivered message: its last delivery; and each delivery's latency.
  const { msg: msgOf, t: deliveredAt } = delivered;
  const deliveries = msgOf.length;
  const lastDeliver = new Float64Array(ids.size).fill(-Infinity);
  const latencies = new Float64Array(deliveries);
  let n = 0;
  for (let i = 0; i < deliveries; i++) {
    const k = msgOf[i]!;
    const t = deliveredAt[i]!;
    const from = sentAtDelivered[k]!;
    if (!Number.isNaN(from)) latencies[n++] = t - from;
    if (t > lastDeliver[k]!) lastDeliver[k] = t;
  }
  const stats: Stats = {
    sent,
    acked,
    dbMessages: db.messages.length,
    deliveries,
    duplicatesDropped,
    gapsFilled,
    retries,
    refused,
    unsettled,
    unsettledNotInDb,
    latencyMs: latencySummary(latencies.subarray(0, n)),
    recoveryMs: recoveries(ackedAt, deliveredAs, lastDeliver, recoveryPoints(history)),
  };
  if (recoveryAt !== undefined) stats.lostBeforeRecovery = lostBefore(db.messages, members, delivered, recoveryAt);
  return stats;
}

/** The worker slots a fault target names (`worker:0+worker:1`, or `w0` in hand-written histories); null: any worker. */
function targetSlots(target: string): Set<number> | null {
  const slots = [...target.matchAll(/(?:worker:|\bw)(\d+)/g)].map((m) => Number(m[1]));
  return slots.length === 0 ? null : new Set(slots);
}

/** A fault window with the instant its recovery is measured from. */
export interface RecoveryPoint { w: FaultWindow; from: RecoveryFrom; at: number }

/**
 * When each fault's recovery starts: a crash point when a crash failpoint of its target fired inside
 * its window (not when it was armed), a one-shot kill at its start, any other fault at its heal.
 * A crash point that never fired, and a lasting fault that never healed, are measured from their heal, or not at all.
 */
export function recoveryPoints(history: readonly HistoryEvent[]): RecoveryPoint[] {
  const fired = eventsOf(history, 'failpoint-fired').filter((e) => e.failpoint.startsWith('crash.'));
  const points: RecoveryPoint[] = [];
  for (const w of faultWindows(history)) {
    if (ONE_SHOT_FAULTS.has(w.kind)) {
      points.push({ w, from: 'start', at: w.at });
      continue;
    }
    if (w.kind === 'crash-point') {
      const slots = targetSlots(w.target);
      const fire = fired.find((e) => e.t >= w.at && (w.healedAt === null || e.t <= w.healedAt) && (slots === null || slots.has(e.worker)));
      if (fire !== undefined) {
        points.push({ w, from: 'fired', at: fire.t });
        continue;
      }
    }
    if (w.healedAt !== null) points.push({ w, from: 'heal', at: w.healedAt });
  }
  return points;
}

/** For each recovery point: the latest delivery after it of any message acked before it. */
function recoveries(ackedAtBySlot: readonly number[], deliveredAs: readonly number[], lastDeliver: Float64Array, points: RecoveryPoint[]): Recovery[] {
  if (points.length === 0) return [];
  // A scan of the acked messages per point (a run has a few faults): no sort of every message by its ack.
  const ackedAt: number[] = [];
  const last: number[] = [];
  for (let k = 0; k < ackedAtBySlot.length; k++) {
    if (Number.isNaN(ackedAtBySlot[k]!)) continue;
    ackedAt.push(ackedAtBySlot[k]!);
    last.push(deliveredAs[k] === -1 ? -Infinity : lastDeliver[deliveredAs[k]!]!);
  }
  return points.map(({ w, from, at }) => {
    let latest = -Infinity;
    for (let i = 0; i < ackedAt.length; i++) if (ackedAt[i]! < at && last[i]! > latest) latest = last[i]!;
    return { fault: w.fault, kind: w.kind, target: w.target, from, fromAt: at, healedAt: w.healedAt, recoveryMs: latest > at ? latest - at : 0 };
  });
}

/** Database messages that some client joined before `at` had not been handed by `at`. */
function lostBefore(
  rows: CheckInput['db']['messages'],
  members: Map<string, Map<string, Member>>,
  delivered: Deliveries,
  at: number,
): number {
  const handed = new HandedTo(delivered.ids.size, delivered.t.length);
  for (let i = 0; i < delivered.t.length; i++) if (delivered.t[i]! < at) handed.add(delivered.msg[i]!, delivered.stream[i]!);
  const lists = new Map<string, Member[]>();
  for (const [room, byClient] of members) lists.set(room, [...byClient.values()].filter((m) => m.joinedAt < at));
  let lost = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const list = lists.get(row.room);
    if (list === undefined) continue;
    const msg = delivered.ids.get(row.id) ?? -1;
    for (let j = 0; j < list.length; j++) {
      const m = list[j]!;
      if (row.seq <= m.cursor) continue;
      if (msg === -1 || !handed.has(msg, m.stream)) {
        lost++;
        break;
      }
    }
  }
  return lost;
}
