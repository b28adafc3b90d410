import { SeenBy } from './seen.js';
import type { CheckInput } from './types.js';

/** Delivery latency summary in milliseconds (0 when nothing was delivered). */
export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

/** How long the system took to catch up after one fault healed. */
export interface Recovery {
  fault: string;
  kind: string;
  target: string;
  healedAt: number;
  /** Latest delivery after the heal of a message acked before it, minus the heal time (0 if none). */
  recoveryMs: number;
}

/** Measured, not judged: counts, latency and recovery of a run. */
export interface Stats {
  /** Distinct message ids sent. */
  sent: number;
  /** Distinct message ids acked. */
  acked: number;
  dbMessages: number;
  /** Deliver events (to the application, across all clients). */
  deliveries: number;
  duplicatesDropped: number;
  /** Gap-fetch events. */
  gapsFilled: number;
  /** Send events with attempt > 1. */
  retries: number;
  /** Deliver time minus the first send time of that id. */
  latencyMs: LatencySummary;
  recoveryMs: Recovery[];
  /** Database messages that had not reached every member client when the recovery phase began (only if it began). */
  lostBeforeRecovery?: number;
}

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
  const heals: { fault: string; kind: string; target: string; t: number }[] = [];
  const members = new Map<string, Map<string, Member>>();
  const seenBefore = new SeenBy();
  let duplicatesDropped = 0;
  let gapsFilled = 0;
  let retries = 0;
  let deliveries = 0;
  let recoveryAt: number | undefined;
  for (const e of history) {
    switch (e.type) {
      case 'send': {
        const m = msg(e.id);
        if (Number.isNaN(m.sentAt)) {
          m.sentAt = e.t;
          sent++;
        }
        if (e.attempt > 1) retries++;
        break;
      }
      case 'ack': {
        const m = msg(e.id);
        if (Number.isNaN(m.ackedAt)) {
          m.ackedAt = e.t;
          acked++;
        }
        break;
      }
      case 'deliver':
        deliveries++;
        break;
      case 'duplicate-dropped':
        duplicatesDropped++;
        break;
      case 'gap-fetch':
        gapsFilled++;
        break;
      case 'fault-heal':
        heals.push({ fault: e.fault, kind: e.kind, target: e.target, t: e.t });
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
  const latencies = new Float64Array(deliveries);
  let n = 0;
  for (const e of history) {
    if (e.type !== 'deliver') continue;
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
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: n === 0 ? 0 : (sorted[n - 1] ?? 0) },
    recoveryMs: recoveries(msgs, heals),
  };
  if (recoveryAt !== undefined) stats.lostBeforeRecovery = lostBefore(db.messages, members, seenBefore, recoveryAt);
  return stats;
}

/** For each heal: the latest delivery after it of any message acked before it. */
function recoveries(
  msgs: Map<string, Msg>,
  heals: { fault: string; kind: string; target: string; t: number }[],
): Recovery[] {
  if (heals.length === 0) return [];
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
  return heals.map((h) => {
    const k = countBelow(ackTimes, h.t);
    const latest = k === 0 ? -Infinity : (prefixMax[k - 1] ?? -Infinity);
    return { fault: h.fault, kind: h.kind, target: h.target, healedAt: h.t, recoveryMs: latest > h.t ? latest - h.t : 0 };
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
