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

/** A client's membership of a room, for lostBeforeRecovery. */
interface Member {
  cursor: number;
  joinedAt: number;
  firstSeen: Map<string, number>;
}

/** Measures a run from its history and database; never throws on a well-typed input. */
export function computeStats({ history, db }: CheckInput): Stats {
  const firstSend = new Map<string, number>();
  const firstAck = new Map<string, number>();
  const heals: { fault: string; kind: string; target: string; t: number }[] = [];
  const members = new Map<string, Map<string, Member>>();
  let duplicatesDropped = 0;
  let gapsFilled = 0;
  let retries = 0;
  let deliveries = 0;
  let recoveryAt: number | undefined;
  for (const e of history) {
    switch (e.type) {
      case 'send':
        if (!firstSend.has(e.id)) firstSend.set(e.id, e.t);
        if (e.attempt > 1) retries++;
        break;
      case 'ack':
        if (!firstAck.has(e.id)) firstAck.set(e.id, e.t);
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
      case 'fault-heal':
        heals.push({ fault: e.fault, kind: e.kind, target: e.target, t: e.t });
        break;
      case 'phase':
        if (e.phase === 'recovery' && recoveryAt === undefined) recoveryAt = e.t;
        break;
      case 'join': {
        let byClient = members.get(e.room);
        if (byClient === undefined) members.set(e.room, (byClient = new Map()));
        if (!byClient.has(e.client)) byClient.set(e.client, { cursor: e.after, joinedAt: e.t, firstSeen: new Map() });
        break;
      }
      default:
        break;
    }
  }
  const latencies = new Float64Array(deliveries);
  let n = 0;
  const lastDeliver = new Map<string, number>();
  for (const e of history) {
    if (e.type !== 'deliver') continue;
    const sentAt = firstSend.get(e.id);
    if (sentAt !== undefined) latencies[n++] = e.t - sentAt;
    const last = lastDeliver.get(e.id);
    if (last === undefined || e.t > last) lastDeliver.set(e.id, e.t);
    if (recoveryAt !== undefined) {
      const seen = members.get(e.room)?.get(e.client)?.firstSeen;
      if (seen !== undefined && !seen.has(e.id)) seen.set(e.id, e.t);
    }
  }
  const sorted = latencies.subarray(0, n).sort();
  const stats: Stats = {
    sent: firstSend.size,
    acked: firstAck.size,
    dbMessages: db.messages.length,
    deliveries,
    duplicatesDropped,
    gapsFilled,
    retries,
    latencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: n === 0 ? 0 : (sorted[n - 1] ?? 0) },
    recoveryMs: recoveries(firstAck, lastDeliver, heals),
  };
  if (recoveryAt !== undefined) stats.lostBeforeRecovery = lostBefore(db.messages, members, recoveryAt);
  return stats;
}

/** For each heal: the latest delivery after it of any message acked before it. */
function recoveries(
  firstAck: Map<string, number>,
  lastDeliver: Map<string, number>,
  heals: { fault: string; kind: string; target: string; t: number }[],
): Recovery[] {
  if (heals.length === 0) return [];
  const pairs: [number, number][] = [];
  for (const [id, t] of firstAck) pairs.push([t, lastDeliver.get(id) ?? -Infinity]);
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
      const t = m.firstSeen.get(row.id);
      if (t === undefined || t >= at) {
        lost++;
        break;
      }
    }
  }
  return lost;
}
