import type { ChildGroup } from './children.js';
import { cpuUsPerMessage } from './bench-ratios.js';
import type { LatencyMs } from './histogram.js';
import { LoadSession, type RoundResult, type RunTiming } from './load-session.js';
import type { SystemUnderLoad } from './system-under-load.js';

/** What the growth rounds measure: room sizes at one delivery rate, and connections held at one message rate. */
export interface GrowthPlan {
  /** Room sizes, each with as many rooms as make `connectionsPerSize` connections. */
  roomSizes: number[];
  connectionsPerSize: number;
  /** Deliveries per second every room-size round is offered (messages/s = this ÷ room size). */
  deliveriesPerSec: number;
  /** Connections held (rooms of 2), each round offered `msgsPerSec`. */
  connections: number[];
  msgsPerSec: number;
}

/** One growth round: its shape, what it did, and what it cost. */
export interface GrowthPoint {
  roomSize: number;
  rooms: number;
  connections: number;
  /** The offered rate, messages per second. */
  offeredPerSec: number;
  msgsPerSec: number;
  deliveriesPerSec: number;
  /** µs of CPU of every server process per persisted message, and per delivery (load clients excluded). */
  costUsPerMessage: number;
  costUsPerDelivery: number;
  latencyMs: LatencyMs;
  /** Acked messages missing from the database or from a member, over the round's session. */
  lost: number;
}

/** How cost and latency grow with the work: `byRoomSize` at one delivery rate, `byConnections` at one message rate. */
export interface Growth {
  plan: GrowthPlan;
  byRoomSize: GrowthPoint[];
  byConnections: GrowthPoint[];
}

/** µs of CPU of the system under test per delivery in a round (the same processes as `cpuUsPerMessage`). */
export function cpuUsPerDelivery(r: RoundResult): number {
  return r.deliveriesPerSec > 0 ? Math.round((cpuUsPerMessage(r) * r.msgsPerSec / r.deliveriesPerSec) * 100) / 100 : 0;
}

/** A growth point from its round. */
export function growthPoint(r: RoundResult, rooms: number, offeredPerSec: number): GrowthPoint {
  return {
    roomSize: r.roomSize, rooms, connections: r.connections, offeredPerSec: Math.round(offeredPerSec),
    msgsPerSec: r.msgsPerSec, deliveriesPerSec: r.deliveriesPerSec,
    costUsPerMessage: cpuUsPerMessage(r), costUsPerDelivery: cpuUsPerDelivery(r),
    latencyMs: r.latencyMs, lost: r.verification.lost,
  };
}

/**
 * Measures one system's growth: for each room size, rooms making `connectionsPerSize` connections offered
 * `deliveriesPerSec` (so every round moves the same deliveries, and what changes is how many each message
 * makes); then rooms of 2 with each count of connections held, offered `msgsPerSec`. One open-loop round
 * per session; each round goes to `rounds` as it ends, and `say` tells it.
 */
export async function measureGrowth(o: {
  system: SystemUnderLoad; plan: GrowthPlan; timing: RunTiming; loadProcs: number; bodyBytes: number; group: ChildGroup;
  tag: () => string; rounds: RoundResult[]; say: (line: string) => void; signal?: AbortSignal | undefined;
}): Promise<Growth> {
  const one = async (roomSize: number, rooms: number, rate: number): Promise<GrowthPoint> => {
    if (o.signal?.aborted) throw new Error('the bench was interrupted');
    const session = await LoadSession.open(o.system, { roomSize, rooms, loadProcs: o.loadProcs, bodyBytes: o.bodyBytes, tag: o.tag() }, o.group, o.signal);
    try {
      const r = await session.run({ kind: 'open', ratePerSec: rate }, 'fixed-rate', o.timing);
      o.rounds.push(r);
      const p = growthPoint(r, rooms, rate);
      o.say(`  rooms of ${roomSize} × ${rooms} (${r.connections} connections), offered ${Math.round(rate)} msgs/s: ${r.msgsPerSec} msgs/s, ${r.deliveriesPerSec} deliveries/s, ${p.costUsPerMessage} µs/msg, ${p.costUsPerDelivery} µs/delivery, p99 ${r.latencyMs.p99} ms, lost ${r.verification.lost}`);
      return p;
    } finally {
      await session.close();
    }
  };
  const byRoomSize: GrowthPoint[] = [];
  for (const size of o.plan.roomSizes) {
    byRoomSize.push(await one(size, Math.max(1, Math.round(o.plan.connectionsPerSize / size)), o.plan.deliveriesPerSec / size));
  }
  const byConnections: GrowthPoint[] = [];
  for (const n of o.plan.connections) byConnections.push(await one(2, Math.max(1, Math.round(n / 2)), o.plan.msgsPerSec));
  return { plan: o.plan, byRoomSize, byConnections };
}
