import quickselect from 'quickselect';
import { deliveriesOf, HandedTo, type Deliveries } from './deliveries.js';
import type { CheckInput } from './types.js';
import type { HistoryEvent } from '../history/events.js';
import { faultWindows, type FaultWindow } from './faults.js';
import { eventsOf } from './events-of.js';

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

/** What the stats track per message id (NaN: not seen). */
interface Msg {
  /** Its integer among the delivered ids (-1: never delivered). */
  delivered: number;
  sentAt: number;
  ackedAt: number;
  /** The sends of the first client to name this id, and of any other. */
  sender: SendState | undefined;
  others: Map<string, SendState> | undefined;
}

/** One client's sends of one id, for the settled counts. */
interface SendState {
  client: string;
  /** Invokes not yet settled by an ack or a definite refusal. */
  open: number;
  /** Counted once each: a client's id acked, refused. */
  acked: boolean;
  refused: boolean;
}

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
  // One record per id, found once per event (a map of half a hundred thousand ids is slow to ask, and
  // the sends of one message come together: the last id is asked first).
  const msgs = new Map<string, Msg>();
  let lastId: string | undefined;
  let last: Msg | undefined;
  const msg = (id: string): Msg => {
    if (id === lastId) return last!;
    let m = msgs.get(id);
    if (m === undefined) msgs.set(id, (m = { delivered: ids.get(id) ?? -1, sentAt: NaN, ackedAt: NaN, sender: undefined, others: undefined }));
    lastId = id;
    last = m;
    return m;
  };
  // A client's sends of an id: the first client to name it keeps them in the id's record, any other in `others`.
  const sendOf = (m: Msg, client: string): SendState => {
    if (m.sender === undefined) m.sender = { client, open: 0, acked: false, refused: false };
    if (m.sender.client === client) return m.sender;
    m.others ??= new Map();
    let o = m.others.get(client);
    if (o === undefined) m.others.set(client, (o = { client, open: 0, acked: false, refused: false }));
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
  for (const e of eventsOf(history, 'invoke', 'send', 'ack', 'send-fail', 'duplicate-dropped', 'gap-fetch', 'phase', 'join')) {
    switch (e.type) {
      case 'invoke': {
        sent++;
        const m = msg(e.id);
        if (!(m.sentAt <= e.t)) m.sentAt = e.t;
        sendOf(m, e.client).open++;
        break;
      }
      case 'send': {
        // Histories without invokes (older runs) measure latency from the first attempt.
        const m = msg(e.id);
        if (Number.isNaN(m.sentAt)) m.sentAt = e.t;
        if (e.attempt > 1) retries++;
        break;
      }
      case 'ack': {
        const m = msg(e.id);
        const o = sendOf(m, e.client);
        if (o.open > 0) o.open--;
        if (!o.acked) {
          o.acked = true;
          acked++;
        }
        if (Number.isNaN(m.ackedAt)) m.ackedAt = e.t;
        break;
      }
      case 'send-fail': {
        const o = sendOf(msg(e.id), e.client);
        if (o.open > 0) o.open--;
        if (!o.refused) {
          o.refused = true;
          refused++;
        }
        break;
      }
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
  // Per delivered message (by its integer): when it was sent.
  const sentAt = new Float64Array(ids.size).fill(NaN);
  const countOpen = (id: string, o: SendState | undefined) => {
    if (o === undefined || o.open === 0) return;
    unsettled += o.open;
    inDb ??= new Set(db.messages.map((r) => r.id));
    if (!inDb.has(id)) unsettledNotInDb += o.open;
  };
  for (const [id, m] of msgs) {
    if (m.delivered !== -1) sentAt[m.delivered] = m.sentAt;
    countOpen(id, m.sender);
    if (m.others !== undefined) for (const o of m.others.values()) countOpen(id, o);
  }
  // Per delivered message: its last delivery; and each delivery's latency.
  const { msg: msgOf, t: deliveredAt } = delivered;
  const deliveries = msgOf.length;
  const lastDeliver = new Float64Array(ids.size).fill(-Infinity);
  const latencies = new Float64Array(deliveries);
  let n = 0;
  for (let i = 0; i < deliveries; i++) {
    const k = msgOf[i]!;
    const t = deliveredAt[i]!;
    const from = sentAt[k]!;
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
    recoveryMs: recoveries(msgs, lastDeliver, recoveryPoints(history)),
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
function recoveries(msgs: Map<string, Msg>, lastDeliver: Float64Array, points: RecoveryPoint[]): Recovery[] {
  if (points.length === 0) return [];
  // A scan of the acked messages per point: a run has a few faults, and sorting every message by its ack was slower.
  const ackedAt: number[] = [];
  const last: number[] = [];
  for (const m of msgs.values()) {
    if (Number.isNaN(m.ackedAt)) continue;
    ackedAt.push(m.ackedAt);
    last.push(m.delivered === -1 ? -Infinity : lastDeliver[m.delivered]!);
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
  for (const row of rows) {
    const list = lists.get(row.room);
    if (list === undefined) continue;
    const msg = delivered.ids.get(row.id) ?? -1;
    for (const m of list) {
      if (row.seq <= m.cursor) continue;
      if (msg === -1 || !handed.has(msg, m.stream)) {
        lost++;
        break;
      }
    }
  }
  return lost;
}
