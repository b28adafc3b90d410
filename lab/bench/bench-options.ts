import { z } from 'zod';
import type { RunTiming } from './load-session.js';
import type { GrowthPlan } from './growth.js';

/** Options of `deliverylab bench`, validated (commander hands them over as strings and booleans). */
export const BenchOptions = z.object({
  /** A short run of every part (a smoke test: about a minute). @default false */
  quick: z.boolean().default(false),
  /** Write the results as JSON to this file. */
  json: z.string().min(1).optional(),
  /** Write the results as one HTML page (headline figures, targets, charts of how cost grows) to this file. */
  html: z.string().min(1).optional(),
  /** Where databases and server logs go (emptied first). @default 'reports/bench' */
  out: z.string().min(1).default('reports/bench'),
  /** Worker processes of the deliverylab cluster (and Socket.IO processes of the peer). @default 2 */
  workers: z.coerce.number().int().min(1).max(16).default(2),
  /** Load-client processes per round. @default 2 */
  loadProcs: z.coerce.number().int().min(1).max(16).default(2),
  /** Idle connections opened against one worker. @default 10000 (3000 with --quick) */
  idleConnections: z.coerce.number().int().min(1).max(60_000).optional(),
  /**
   * Run the diagnostic rounds, each varying one thing of the real core: 1 worker, per-worker writers,
   * synchronous NORMAL and OFF; and the peer without a database.
   * @default true (false with --quick)
   */
  diagnostics: z.boolean().optional(),
  /**
   * Measure the core scaled out as well: 3 nodes × 2 workers in network namespaces, on PostgreSQL and a
   * Redis Cluster, with the one node's loads, beside it (skipped, saying why, where namespaces cannot be made).
   * @default true
   */
  scaleOut: z.boolean().default(true),
});
/** Validated bench options. */
export type BenchOptions = z.infer<typeof BenchOptions>;

/** Room sizes every end-to-end system is measured with. */
export const ROOM_SIZES = [2, 10] as const;

/** How much of everything one bench run does. */
export interface BenchPlan {
  quick: boolean;
  workers: number;
  loadProcs: number;
  timing: RunTiming;
  /**
   * Warm-up of an open-loop (latency) round. An open round follows the saturation rounds, and for the
   * first second or so after one the systems still carry its aftermath (deliverylab's p99 at half of
   * saturation read 74.6 ms with 1 s of warm-up, 36.0 ms with 3 s; NOTES.md): latency is steady state.
   */
  openWarmupMs: number;
  /** Closed-loop windows (unacked sends per connection) tried to find saturation, by room size. */
  windows: Record<(typeof ROOM_SIZES)[number], number[]>;
  /** Rooms per session, by room size (connections = rooms × size). */
  rooms: Record<(typeof ROOM_SIZES)[number], number>;
  bodyBytes: number;
  idleConnections: number;
  checkerEvents: number;
  sqliteCeilingMs: number;
  redisCeilingMs: number;
  redisBenchmarkRequests: number;
  diagnostics: boolean;
  scaleOut: boolean;
  /** How cost grows with the work: room sizes at one delivery rate, connections held at one message rate. */
  growth: GrowthPlan;
}

/** The plan for the given options: a full run, or a quick one of every part. */
export function benchPlan(o: BenchOptions): BenchPlan {
  const quick = o.quick;
  return {
    quick,
    workers: o.workers,
    loadProcs: o.loadProcs,
    timing: quick ? { warmupMs: 300, durationMs: 1000, drainMs: 5000 } : { warmupMs: 1000, durationMs: 5000, drainMs: 15_000 },
    openWarmupMs: quick ? 300 : 3000,
    windows: quick ? { 2: [16], 10: [4] } : { 2: [4, 16, 64], 10: [1, 4, 16] },
    rooms: quick ? { 2: 50, 10: 10 } : { 2: 100, 10: 20 },
    bodyBytes: 64,
    idleConnections: o.idleConnections ?? (quick ? 3000 : 10_000),
    checkerEvents: quick ? 200_000 : 1_000_000,
    sqliteCeilingMs: quick ? 300 : 2000,
    redisCeilingMs: quick ? 300 : 2000,
    redisBenchmarkRequests: quick ? 20_000 : 200_000,
    diagnostics: o.diagnostics ?? !quick,
    scaleOut: o.scaleOut,
    // Every room size keeps 1,000 connections and moves the same deliveries; quick rounds are shorter and lighter, not fewer.
    growth: quick
      ? { roomSizes: [2, 10, 100, 1000], connectionsPerSize: 1000, deliveriesPerSec: 4000, connections: [1000, 3000], msgsPerSec: 1000 }
      : { roomSizes: [2, 10, 100, 1000], connectionsPerSize: 1000, deliveriesPerSec: 8000, connections: [1000, 10_000], msgsPerSec: 2000 },
  };
}
