import { SeenBy } from './seen.js';
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
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** Binary search: how many of the sorted values are below `x`. */
function countBelow(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What the stats track per message id (NaN: not seen). */
interface Msg {
  sentAt: number;
  ackedAt: number;
  lastDeliver: number;
}

/** A client's membership of a room, for lostBeforeRecovery. */
interface Member {
  cursor: number;
  joinedAt: number;
  stream: number;
}

/** Measures a run from its history and database; never throws on a well-typed input. */
export function computeStats({ history, db }: CheckInput): Stats {
  const msgs = new Map<string, Msg>();
  const msg = (id: string): Msg => {
    let m = msgs.get(id);
    if (m === undefined) msgs.set(id, (m = { sentAt: NaN, ackedAt: NaN, lastDeliver: NaN }));
    return m;
  };
  let sent = 0;
  let acked = 0;
  let refused = 0;
  // Per client and id: invokes not yet settled by an ack or a definite refusal.
  const open = new Map<string, { id: string; n: number }>();
  const ackedKeys = new Set<string>();
  const refusedKeys = new Set<string>();
  // Settles one open invoke of (client, id); false when this (client, id) was already counted as settled this way.
  const settle = (client: string, id: string, counted: Set<string>): boolean => {
    const key = `${client}\u0000${id}`;
    const o = open.get(key);
    if (o !== undefined && o.n > 0) o.n--;
    if (counted.has(key)) return false;
    counted.add(key);
    return true;
  };
  const members = new Map<string, Map<string, Member>>();
  const seenBefore = new SeenBy();
  let duplicatesDropped = 0;
  let gapsFilled = 0;
  let retries = 0;
  let deliveries = 0;
  let recoveryAt: number | undefined;
  for (const e of eventsOf(history, 'invoke', 'send', 'ack', 'send-fail', 'deliver', 'duplicate-dropped', 'gap-fetch', 'phase', 'join')) {
    switch (e.type) {
      case 'invoke': {
        sent++;
        const m = msg(e.id);
        if (!(m.sentAt <= e.t)) m.sentAt = e.t;
        const key = `${e.client}\u0000${e.id}`;
        const o = open.get(key);
        if (o === undefined) open.set(key, { id: e.id, n: 1 });
        else o.n++;
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
        if (settle(e.client, e.id, ackedKeys)) acked++;
        const m = msg(e.id);
        if (Number.isNaN(m.ackedAt)) m.ackedAt = e.t;
        break;
      }
      case 'send-fail':
        if (settle(e.client, e.id, refusedKeys)) refused++;
        break;
      case 'deliver':
        deliveries++;
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
        let byClient = members.get(e.room);
        if (byClient === undefined) members.set(e.room, (byClient = new Map()));
        if (!byClient.has(e.client)) byClient.set(e.client, { cursor: e.after, joinedAt: e.t, stream: seenBefore.stream(e.client, e.room) });
        break;
      }
      default:
        break;
    }
  }
  const inDb = new Set(db.messages.map((r) => r.id));
  let unsettled = 0;
  let unsettledNotInDb = 0;
  for (const o of open.values()) {
    unsettled += o.n;
    if (o.n > 0 && !inDb.has(o.id)) unsettledNotInDb += o.n;
  }
  const latencies = new Float64Array(deliveries);
  let n = 0;
  for (const e of eventsOf(history, 'deliver')) {
    const m = msgs.get(e.id);
    if (m !== undefined) {
      if (!Number.isNaN(m.sentAt)) latencies[n++] = e.t - m.sentAt;
      if (!(e.t <= m.lastDeliver)) m.lastDeliver = e.t;
    }
    if (recoveryAt !== undefined && e.t < recoveryAt) seenBefore.add(e.id, seenBefore.stream(e.client, e.room));
  }
  const sorted = latencies.subarray(0, n).sort();
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
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: n === 0 ? 0 : (sorted[n - 1] ?? 0) },
    recoveryMs: recoveries(msgs, recoveryPoints(history)),
  };
  if (recoveryAt !== undefined) stats.lostBeforeRecovery = lostBefore(db.messages, members, seenBefore, recoveryAt);
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
function recoveries(msgs: Map<string, Msg>, points: RecoveryPoint[]): Recovery[] {
  if (points.length === 0) return [];
  const pairs: [number, number][] = [];
  for (const m of msgs.values()) {
    if (!Number.isNaN(m.ackedAt)) pairs.push([m.ackedAt, Number.isNaN(m.lastDeliver) ? -Infinity : m.lastDeliver]);
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const ackTimes = Float64Array.from(pairs, (p) => p[0]);
  const prefixMax = new Float64Array(pairs.length);
  let best = -Infinity;
  pairs.forEach((p, i) => {
    best = Math.max(best, p[1]);
    prefixMax[i] = best;
  });
  return points.map(({ w, from, at }) => {
    const k = countBelow(ackTimes, at);
    const latest = k === 0 ? -Infinity : (prefixMax[k - 1] ?? -Infinity);
    return { fault: w.fault, kind: w.kind, target: w.target, from, fromAt: at, healedAt: w.healedAt, recoveryMs: latest > at ? latest - at : 0 };
  });
}

/** Database messages that some client joined before `at` had not been handed by `at`. */
function lostBefore(
  rows: CheckInput['db']['messages'],
  members: Map<string, Map<string, Member>>,
  seenBefore: SeenBy,
  at: number,
): number {
  const lists = new Map<string, Member[]>();
  for (const [room, byClient] of members) lists.set(room, [...byClient.values()].filter((m) => m.joinedAt < at));
  let lost = 0;
  for (const row of rows) {
    const list = lists.get(row.room);
    if (list === undefined) continue;
    for (const m of list) {
      if (row.seq <= m.cursor) continue;
      if (!seenBefore.has(row.id, m.stream)) {
        lost++;
        break;
      }
    }
  }
  return lost;
}
