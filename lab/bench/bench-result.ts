import type { LatencyMs } from './histogram.js';
import type { IdleResult } from './idle-connections.js';
import type { Growth } from './growth.js';
import type { RoundResult } from './load-session.js';
import type { MicroResult } from './micro/micro-result.js';
import type { CheckerThroughput } from './micro/micro-suite.js';
import type { RedisCeiling } from './ceilings/redis-publish.js';
import type { SqliteCeiling } from './ceilings/sqlite-inserts.js';
import type { WakeupCeiling } from './ceilings/wakeup.js';

/** One figure divided by another, both named, so a reader can recompute it. */
export interface Ratio {
  /** What is compared, e.g. `deliverylab / peer, msgs/s, rooms of 2, saturation`. */
  name: string;
  numerator: number;
  denominator: number;
  /** numerator / denominator (0 when the denominator is 0). */
  ratio: number;
}

/** One of the targets and whether this run met it. */
export interface TargetCheck {
  name: string;
  target: string;
  measured: number;
  met: boolean;
}

/** Everything one bench run measured; written by `--json`. */
/** Both systems' delivery latency at one offered rate (msgs/s). */
export interface SameRate { rate: number; deliverylab: LatencyMs; peer: LatencyMs }

/** CPU µs per message of deliverylab's cluster, the core's own send path in one process, and the Socket.IO peer. */
export interface CostUs { cluster: number; oneProcess: number; peer: number }

export interface BenchResult {
  version: 1;
  quick: boolean;
  startedAt: string;
  durationMs: number;
  machine: { cpus: number; node: string; platform: string; fdLimit: number; loadAverageAtStart: number[] };
  /** The headline ratios: persisted-and-delivered msgs/s in rooms of 2 at saturation. */
  ratios: {
    /** deliverylab / Socket.IO peer. */
    vsPeer: number;
    /** deliverylab / the core's own send path in one process (`deliverylab-one-process`). */
    vsOneProcess: number;
    /** The peer's CPU per message ÷ deliverylab's, rooms of 2 at saturation (higher: deliverylab costs less). */
    costVsPeer: number;
    /** deliverylab's CPU per message ÷ the core's in one process, rooms of 2 at saturation (1: the cluster costs nothing extra). */
    costVsOneProcess: number;
    /** The same two at half of saturation (the one process at deliverylab's half-saturation rate). */
    costVsPeerAtHalf: number;
    costVsOneProcessAtHalf: number;
    /** Every ratio the table prints, with the figures it divides. */
    all: Ratio[];
  };
  /**
   * µs of CPU the system under test spends per persisted-and-delivered message (every server process,
   * load clients excluded), rooms of 2: at saturation, and at half of it (`atHalf`).
   */
  costUsPerMessage: CostUs & { atHalf: CostUs };
  /** deliverylab delivery latency at half of saturation, rooms of 2. */
  latencyMs: LatencyMs & {
    /**
     * deliverylab and the peer driven at one offered rate, rooms of 2, each latency from its own round's
     * histogram: at half of the peer's saturation (`sameRate`), and at half of deliverylab's (`sameRateDeliverylabHalf`).
     */
    sameRate: SameRate;
    sameRateDeliverylabHalf: SameRate;
  };
  idle: IdleResult;
  /** How deliverylab's cost per message (and per delivery) and p99 grow with room size and with connections held. */
  growth: Growth;
  checker: CheckerThroughput;
  /** Acked messages missing from the database or from a recipient, over every deliverylab round. */
  lost: number;
  /** The same count for every system whose deliveries were verified. */
  lostBySystem: Record<string, number>;
  systems: { name: string; description: string }[];
  rounds: RoundResult[];
  ceilings: { sqlite: SqliteCeiling; redis: RedisCeiling; wakeup: WakeupCeiling };
  micro: MicroResult[];
  targets: TargetCheck[];
}

/** A ratio of two figures, rounded to 3 decimals. */
export function ratio(name: string, numerator: number, denominator: number): Ratio {
  return { name, numerator, denominator, ratio: denominator > 0 ? Math.round((numerator / denominator) * 1000) / 1000 : 0 };
}
