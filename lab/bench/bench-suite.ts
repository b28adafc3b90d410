import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { startRedisServer } from '../cluster/redis-server.js';
import type { ChildGroup } from './children.js';
import { ROOM_SIZES, type BenchPlan } from './bench-options.js';
import type { BenchResult } from './bench-result.js';
import { checkTargets, computeRatios, cpuUsPerMessage, findRound, ONE_PROCESS, ratioValue } from './bench-ratios.js';
import { startFanoutCeiling } from './ceilings/fanout-ceiling.js';
import { measureRedisPublish } from './ceilings/redis-publish.js';
import { measureSqliteInserts } from './ceilings/sqlite-inserts.js';
import { measureWakeup } from './ceilings/wakeup.js';
import { startDeliverylab } from './deliverylab-system.js';

/** deliverylab again, driven at the peer's half-saturation rate (the same-rate latency comparison). */
const SAME_RATE = 'deliverylab-at-peer-rate';
/** deliverylab again, for the growth rounds (room sizes, connections held). */
const GROWTH = 'deliverylab-growth';
import { SCALE_OUT, startDeliverylabNodes } from './deliverylab-nodes.js';
import { NodesUnavailableError } from '../cluster/nodes.js';
import { measureIdleConnections, type IdleResult } from './idle-connections.js';
import { measureGrowth, type Growth } from './growth.js';
import { LoadSession, type RoundResult, type RunTiming } from './load-session.js';
import { runMicroSuite } from './micro/micro-suite.js';
import { startPeer } from './peer/start-peer.js';
import { openFileLimit } from './proc-stats.js';
import type { SystemUnderLoad } from './system-under-load.js';

/** The closed-loop window the diagnostic systems run at (the middle of the plan's windows for rooms of 2). */
export function diagnosticWindow(plan: BenchPlan): number {
  return plan.windows[2][Math.floor(plan.windows[2].length / 2)]!;
}

/** The timing of an open-loop round: the plan's, with the longer warm-up of a latency measurement. */
function openTiming(plan: BenchPlan): RunTiming {
  return { ...plan.timing, warmupMs: plan.openWarmupMs };
}

/** Where the suite reports progress (one line per step). */
export type Progress = (line: string) => void;

interface Ctx {
  plan: BenchPlan;
  dir: string;
  group: ChildGroup;
  say: Progress;
  signal: AbortSignal | undefined;
  rounds: RoundResult[];
  systems: { name: string; description: string }[];
  tags: number;
}

function checkAborted(ctx: Ctx): void {
  if (ctx.signal?.aborted) throw new Error('the bench was interrupted');
}

function describeRound(r: RoundResult): string {
  const v = r.verification;
  return `${r.system} rooms of ${r.roomSize} ${r.label} (${r.load}): ${r.msgsPerSec} msgs/s, ${r.deliveriesPerSec} deliveries/s, p99 ${r.latencyMs.p99} ms, lost ${v.lost}${r.errors ? `, ${r.errors} errors (${r.firstError})` : ''}`;
}

/** Finds saturation (the best closed-loop window) for one room size, then runs the open loop at half of it when asked. */
async function measureRoomSize(ctx: Ctx, system: SystemUnderLoad, roomSize: 2 | 10, m: Measure): Promise<void> {
  const { plan } = ctx;
  const session = await LoadSession.open(system, { roomSize, rooms: plan.rooms[roomSize], loadProcs: plan.loadProcs, bodyBytes: plan.bodyBytes, tag: `b${ctx.tags++}` }, ctx.group, ctx.signal);
  try {
    let best: RoundResult | undefined;
    for (const window of (m.windows ?? ctx.plan.windows)[roomSize]) {
      checkAborted(ctx);
      const r = await session.run({ kind: 'closed', window }, 'probe', plan.timing);
      ctx.say(`  ${describeRound(r)}`);
      ctx.rounds.push(r);
      if (!best || r.msgsPerSec > best.msgsPerSec) best = r;
    }
    if (best) best.label = 'saturation';
    if (m.withHalf && best && best.msgsPerSec > 0) {
      checkAborted(ctx);
      const r = await session.run({ kind: 'open', ratePerSec: best.msgsPerSec / 2 }, 'half', openTiming(plan));
      ctx.say(`  ${describeRound(r)}`);
      ctx.rounds.push(r);
    }
    const fixed = m.fixedRate?.(roomSize);
    if (fixed !== undefined && fixed > 0) {
      checkAborted(ctx);
      const r = await session.run({ kind: 'open', ratePerSec: fixed }, 'fixed-rate', openTiming(plan));
      ctx.say(`  ${describeRound(r)}`);
      ctx.rounds.push(r);
    }
  } finally {
    await session.close();
  }
}

/** How one system is measured: which room sizes, whether at half of saturation too, with which windows. */
interface Measure {
  sizes: readonly (2 | 10)[];
  withHalf: boolean;
  /** Closed-loop windows to try (default: the plan's). */
  windows?: Record<2 | 10, number[]>;
  /** An open-loop rate to run as well, by room size (the diagnostics use deliverylab's half-saturation rate, to compare latency at one load). */
  fixedRate?: (roomSize: 2 | 10) => number | undefined;
  /** Runs once the system is up, before the load (the idle-connection measurement). */
  before?: (s: SystemUnderLoad) => Promise<void>;
}

/** Starts a system, measures the given room sizes, and stops it whatever happens. */
async function measureSystem(ctx: Ctx, start: () => Promise<SystemUnderLoad>, m: Measure): Promise<void> {
  checkAborted(ctx);
  const system = await start();
  ctx.systems.push({ name: system.name, description: system.description });
  ctx.say(`${system.name}: ${system.description}`);
  try {
    await m.before?.(system);
    for (const size of m.sizes) await measureRoomSize(ctx, system, size, m);
  } finally {
    await system.stop();
  }
}

/** The final verification of every session of a system, summed (each session's last run covers the whole session). */
function lostOf(rounds: readonly RoundResult[], system: string): number {
  let lost = 0;
  for (const size of ROOM_SIZES) {
    const own = rounds.filter((r) => r.system === system && r.roomSize === size);
    lost += own.at(-1)?.verification.lost ?? 0;
  }
  return lost;
}

/** Runs every part of the bench in one go and returns the results (the caller stops the ChildGroup). */
export async function runBenchSuite(plan: BenchPlan, dir: string, group: ChildGroup, say: Progress, signal?: AbortSignal): Promise<BenchResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const ctx: Ctx = { plan, dir, group, say, signal, rounds: [], systems: [], tags: 0 };

  say('ceilings: SQLite plain batched INSERTs (1000 rows/txn, FULL), Redis PUBLISH');
  const sqlite = await measureSqliteInserts(join(dir, 'sqlite-ceiling.sqlite'), { durationMs: plan.sqliteCeilingMs, bodyBytes: plan.bodyBytes });
  const redisServer = await startRedisServer({ logFile: join(dir, 'redis-ceiling.log') });
  let redis;
  try {
    redis = await measureRedisPublish({ url: redisServer.url, port: redisServer.port, durationMs: plan.redisCeilingMs, requests: plan.redisBenchmarkRequests, payloadBytes: plan.bodyBytes + 150 });
  } finally {
    await redisServer.stop();
  }
  const wakeup = await measureWakeup(plan.quick ? 5000 : 20_000, signal);
  say(`  SQLite ${sqlite.rowsPerSec} rows/s; loopback round trip between two processes ${wakeup.roundTripUs} µs, ${wakeup.cpuUsPerRoundTrip} µs of CPU (${wakeup.systemCpuUsPerRoundTrip} system) on one side; PUBLISH ioredis ${redis.ioredisAutoPipelinedPerSec}/s, redis-benchmark ${redis.redisBenchmarkPerSec ?? 'n/a'}/s (pipelined ${redis.redisBenchmarkPipelinedPerSec ?? 'n/a'}/s)`);

  let idle: IdleResult | undefined;
  const sig = signal ? { signal } : {};
  await measureSystem(ctx, () => startDeliverylab({ workers: plan.workers, dir }), {
    sizes: ROOM_SIZES,
    withHalf: true,
    before: async (s) => {
      const dl = s as Awaited<ReturnType<typeof startDeliverylab>>;
      say(`  idle connections: opening ${plan.idleConnections} against worker 0`);
      idle = await measureIdleConnections({ url: dl.slotUrl(0), serverPid: dl.workerPid(0)!, count: plan.idleConnections, group, ...sig });
      say(`  idle: ${idle.opened} open, ${idle.rssPerConnectionBytes} B RSS per connection${idle.note ? ` (${idle.note})` : ''}`);
    },
  });
  // How cost grows with the work: the same cluster, fresh, one open-loop round per room size and per count of connections held.
  checkAborted(ctx);
  let growth: Growth;
  const growthSystem = await startDeliverylab({ workers: plan.workers, dir, name: GROWTH });
  ctx.systems.push({ name: growthSystem.name, description: `${growthSystem.description}; rooms of ${plan.growth.roomSizes.join(', ')} at ${plan.growth.deliveriesPerSec} deliveries/s, then ${plan.growth.connections.join(' and ')} connections held at ${plan.growth.msgsPerSec} msgs/s` });
  ctx.say(`${GROWTH}: ${ctx.systems.at(-1)!.description}`);
  try {
    growth = await measureGrowth({ system: growthSystem, plan: plan.growth, timing: openTiming(plan), loadProcs: plan.loadProcs, bodyBytes: plan.bodyBytes, group, tag: () => `b${ctx.tags++}`, rounds: ctx.rounds, say, signal });
  } finally {
    await growthSystem.stop();
  }
  const dlRate = (size: 2 | 10) => findRound(ctx.rounds, 'deliverylab', size, 'half')?.msgsPerSec;
  // The single-process reference: the core's own send path in one process, at saturation and at deliverylab's half-saturation rate.
  await measureSystem(ctx, () => startDeliverylab({ workers: 1, dir, name: ONE_PROCESS, inProcess: true }), { sizes: ROOM_SIZES, withHalf: false, fixedRate: dlRate });
  await measureSystem(ctx, () => startFanoutCeiling({ group, dir, ...sig }), { sizes: ROOM_SIZES, withHalf: false });
  await measureSystem(ctx, () => startPeer({ group, dir, processes: plan.workers, ...sig }), { sizes: ROOM_SIZES, withHalf: true, fixedRate: dlRate });
  // The peer's half-saturation rate offered to deliverylab too (a session of its own, one open-loop round), so
  // that both are compared at each one's half rate: p50/p99/max from each round's own histogram.
  const peerRate = findRound(ctx.rounds, 'peer', 2, 'half')?.msgsPerSec;
  if (peerRate !== undefined && peerRate > 0) {
    await measureSystem(ctx, () => startDeliverylab({ workers: plan.workers, dir, name: SAME_RATE }), { sizes: [2], withHalf: false, windows: { 2: [], 10: [] }, fixedRate: () => peerRate });
  }
  if (plan.scaleOut) {
    // The price of scale-out, side by side: the same loads as the one node's, on 3 nodes × 2 workers, PostgreSQL and a Redis Cluster.
    try {
      await measureSystem(ctx, () => startDeliverylabNodes({ nodes: 3, workersPerNode: 2, dir }), { sizes: ROOM_SIZES, withHalf: true, fixedRate: dlRate });
    } catch (e) {
      if (!(e instanceof NodesUnavailableError)) throw e;
      say(`${SCALE_OUT}: skipped: ${e.message}`);
    }
  }
  if (plan.diagnostics) {
    // Each varies one thing of the real core (see bench-ratios.ts): rooms of 2 at the plan's middle window, then at deliverylab's half-saturation rate.
    const one: Measure = { sizes: [2], withHalf: false, fixedRate: dlRate, windows: { 2: [diagnosticWindow(plan)], 10: [] } };
    if (plan.workers > 1) {
      await measureSystem(ctx, () => startDeliverylab({ workers: 1, dir, name: 'deliverylab-1worker' }), one);
      await measureSystem(ctx, () => startDeliverylab({ workers: plan.workers, dir, name: 'deliverylab-worker-writers', writer: 'worker' }), one);
      await measureSystem(ctx, () => startDeliverylab({ workers: plan.workers, dir, name: 'deliverylab-sync-normal', synchronous: 'NORMAL' }), one);
      await measureSystem(ctx, () => startDeliverylab({ workers: plan.workers, dir, name: 'deliverylab-sync-off', synchronous: 'OFF' }), one);
      await measureSystem(ctx, () => startPeer({ group, dir, processes: plan.workers, store: 'none', ...sig }), one);
    }
  }

  checkAborted(ctx);
  say(`micro-benchmarks (tinybench), checker over ${plan.checkerEvents.toLocaleString('en-US')} events`);
  const micro = await runMicroSuite({ dir, quick: plan.quick, bodyBytes: plan.bodyBytes, checkerEvents: plan.checkerEvents });

  const ceilings = { sqlite, redis, wakeup };
  const all = computeRatios(ctx.rounds, ceilings);
  const vsPeer = ratioValue(all, 'deliverylab / peer: msgs/s, rooms of 2, saturation');
  const vsOneProcess = ratioValue(all, `deliverylab / ${ONE_PROCESS}: msgs/s, rooms of 2, saturation`);
  const costOf = (system: string, label: RoundResult['label']) => {
    const r = findRound(ctx.rounds, system, 2, label);
    return r ? cpuUsPerMessage(r) : 0;
  };
  const costUsPerMessage = {
    cluster: costOf('deliverylab', 'saturation'), oneProcess: costOf(ONE_PROCESS, 'saturation'), peer: costOf('peer', 'saturation'),
    // At half of saturation: the one process has no round of its own there; it runs at deliverylab's half-saturation rate.
    atHalf: { cluster: costOf('deliverylab', 'half'), oneProcess: costOf(ONE_PROCESS, 'fixed-rate'), peer: costOf('peer', 'half') },
  };
  const q = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 1000) / 1000 : 0);
  const costVsPeer = q(costUsPerMessage.peer, costUsPerMessage.cluster);
  const costVsOneProcess = q(costUsPerMessage.cluster, costUsPerMessage.oneProcess);
  const none = { p50: 0, p99: 0, max: 0, count: 0 };
  const lat = (system: string, label: RoundResult['label']) => findRound(ctx.rounds, system, 2, label);
  const sameRate = (dl: RoundResult | undefined, peer: RoundResult | undefined) => ({ rate: Math.round(peer?.msgsPerSec ?? 0), deliverylab: dl?.latencyMs ?? none, peer: peer?.latencyMs ?? none });
  const latencyMs = {
    ...(lat('deliverylab', 'half')?.latencyMs ?? none),
    sameRate: { ...sameRate(lat(SAME_RATE, 'fixed-rate'), lat('peer', 'half')), rate: Math.round(peerRate ?? 0) },
    sameRateDeliverylabHalf: { ...sameRate(lat('deliverylab', 'half'), lat('peer', 'fixed-rate')), rate: Math.round(lat('deliverylab', 'half')?.msgsPerSec ?? 0) },
  };
  const lostBySystem = Object.fromEntries([...new Set(ctx.rounds.map((r) => r.system))].map((s) => [s, lostOf(ctx.rounds, s)]));
  // A growth round is its session's only one: each verifies its whole session.
  const growthPoints = [...growth.byRoomSize, ...growth.byConnections];
  lostBySystem[GROWTH] = growthPoints.reduce((n, p) => n + p.lost, 0);
  const lost = (lostBySystem['deliverylab'] ?? 0) + (lostBySystem[SAME_RATE] ?? 0) + lostBySystem[GROWTH];
  const idleResult = idle ?? { requested: 0, opened: 0, failed: 0, fdLimit: openFileLimit(), rssBeforeBytes: 0, rssAfterBytes: 0, samples: [], rssPerConnectionBytes: 0, note: 'not measured' };
  return {
    version: 1,
    quick: plan.quick,
    startedAt,
    durationMs: Math.round(performance.now() - started),
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform} ${process.arch}`, fdLimit: openFileLimit(), loadAverageAtStart },
    ratios: {
      vsPeer, vsOneProcess, costVsPeer, costVsOneProcess,
      costVsPeerAtHalf: q(costUsPerMessage.atHalf.peer, costUsPerMessage.atHalf.cluster), costVsOneProcessAtHalf: q(costUsPerMessage.atHalf.cluster, costUsPerMessage.atHalf.oneProcess),
      all,
    },
    costUsPerMessage,
    latencyMs,
    idle: idleResult,
    growth,
    checker: micro.checker,
    lost,
    lostBySystem,
    systems: ctx.systems,
    rounds: ctx.rounds,
    ceilings,
    micro: micro.results,
    targets: checkTargets({ costVsPeer, costVsOneProcess, sameRate: latencyMs.sameRate, idle: idleResult, checkerEventsPerSec: micro.checker.eventsPerSec, lost }),
  };
}
