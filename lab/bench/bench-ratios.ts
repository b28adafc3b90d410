import { ratio, type Ratio, type SameRate, type TargetCheck } from './bench-result.js';
import type { RedisCeiling } from './ceilings/redis-publish.js';
import type { SqliteCeiling } from './ceilings/sqlite-inserts.js';
import type { LatencyMs } from './histogram.js';
import type { IdleResult } from './idle-connections.js';
import type { RoundResult } from './load-session.js';
import { ROOM_SIZES } from './bench-options.js';
import { SCALE_OUT } from './deliverylab-nodes.js';

/** The single-process reference's name: the core's own send path in one process (`startCore({ inProcess: true })`). */
export const ONE_PROCESS = 'deliverylab-one-process';

/** The round of a system, room size and label, if it ran. */
export function findRound(rounds: readonly RoundResult[], system: string, roomSize: number, label: RoundResult['label']): RoundResult | undefined {
  return rounds.find((r) => r.system === system && r.roomSize === roomSize && r.label === label);
}

/** Every ratio of the run: deliverylab against the peer, the core in one process and the fan-out ceiling, per room size. */
export function computeRatios(rounds: readonly RoundResult[], c: { sqlite: SqliteCeiling; redis: RedisCeiling }): Ratio[] {
  const out: Ratio[] = [];
  const sat = (system: string, size: number) => findRound(rounds, system, size, 'saturation');
  for (const size of ROOM_SIZES) {
    const dl = sat('deliverylab', size);
    if (!dl) continue;
    const where = `rooms of ${size}, saturation`;
    const peer = sat('peer', size);
    const one = sat(ONE_PROCESS, size);
    const fanout = sat('fanout', size);
    if (peer) {
      out.push(ratio(`deliverylab / peer: msgs/s, ${where}`, dl.msgsPerSec, peer.msgsPerSec));
      out.push(ratio(`deliverylab / peer: deliveries/s, ${where}`, dl.deliveriesPerSec, peer.deliveriesPerSec));
    }
    if (one) {
      out.push(ratio(`deliverylab / ${ONE_PROCESS}: msgs/s, ${where}`, dl.msgsPerSec, one.msgsPerSec));
      if (peer) out.push(ratio(`peer / ${ONE_PROCESS}: msgs/s, ${where}`, peer.msgsPerSec, one.msgsPerSec));
    }
    if (fanout) out.push(ratio(`deliverylab / fanout: deliveries/s, ${where}`, dl.deliveriesPerSec, fanout.deliveriesPerSec));
    const dlHalf = findRound(rounds, 'deliverylab', size, 'half');
    const peerHalf = findRound(rounds, 'peer', size, 'half');
    if (dlHalf && peerHalf) out.push(ratio(`peer / deliverylab: p99 latency ms, rooms of ${size}, each at half of its own saturation`, peerHalf.latencyMs.p99, dlHalf.latencyMs.p99));
    const peerAtDl = findRound(rounds, 'peer', size, 'fixed-rate');
    if (dlHalf && peerAtDl) out.push(ratio(`peer / deliverylab: p99 latency ms, rooms of ${size}, both at deliverylab's half-saturation rate`, peerAtDl.latencyMs.p99, dlHalf.latencyMs.p99));
    const nodes = sat(SCALE_OUT, size);
    if (nodes) {
      out.push(ratio(`${SCALE_OUT} / deliverylab: msgs/s, ${where}`, nodes.msgsPerSec, dl.msgsPerSec));
      out.push(ratio(`${SCALE_OUT} / deliverylab: CPU µs per message (every server process), ${where}`, cpuUsPerMessage(nodes), cpuUsPerMessage(dl)));
      const nodesHalf = findRound(rounds, SCALE_OUT, size, 'half');
      if (dlHalf && nodesHalf) out.push(ratio(`${SCALE_OUT} / deliverylab: p99 latency ms, rooms of ${size}, each at half of its own saturation`, nodesHalf.latencyMs.p99, dlHalf.latencyMs.p99));
    }
    const dlAtPeer = findRound(rounds, 'deliverylab-at-peer-rate', size, 'fixed-rate');
    if (peerHalf && dlAtPeer) out.push(ratio(`peer / deliverylab: p99 latency ms, rooms of ${size}, both at the peer's half-saturation rate`, peerHalf.latencyMs.p99, dlAtPeer.latencyMs.p99));
    const oneAtDl = findRound(rounds, ONE_PROCESS, size, 'fixed-rate');
    if (dlHalf && oneAtDl) out.push(ratio(`deliverylab / ${ONE_PROCESS}: p99 latency ms, rooms of ${size}, both at deliverylab's half-saturation rate`, dlHalf.latencyMs.p99, oneAtDl.latencyMs.p99));
  }
  const dl2 = sat('deliverylab', 2);
  if (dl2) {
    out.push(ratio('deliverylab msgs/s (rooms of 2) / SQLite batched inserts rows/s', dl2.msgsPerSec, c.sqlite.rowsPerSec));
    out.push(ratio('deliverylab msgs/s (rooms of 2) / Redis PUBLISH/s (ioredis, auto-pipelined)', dl2.msgsPerSec, c.redis.ioredisAutoPipelinedPerSec));
    if (c.redis.redisBenchmarkPerSec !== null) out.push(ratio('deliverylab msgs/s (rooms of 2) / Redis PUBLISH/s (redis-benchmark, 50 clients)', dl2.msgsPerSec, c.redis.redisBenchmarkPerSec));
  }
  out.push(...diagnosticRatios(rounds));
  return out;
}

/**
 * The CPU the system under test spent per persisted-and-delivered message, in µs: its processes' CPU %
 * over the round ÷ its msgs/s. The load clients (`load-*`) and the rest of the machine (`other`) are never
 * counted; the bench's own process only where it hosts part of the system (the scaled-out system's proxies to PostgreSQL).
 */
export function cpuUsPerMessage(r: RoundResult): number {
  // A process that vanished during the round (NaN) has no reading: its CPU cannot be counted.
  const counted = Object.entries(r.cpuPercent).filter(([name, pct]) => Number.isFinite(pct) && !name.startsWith('load-') && name !== 'other' && (name !== 'bench' || r.system === SCALE_OUT));
  const cores = counted.reduce((a, [, pct]) => a + pct, 0) / 100;
  return r.msgsPerSec > 0 ? Math.round((cores * 1e6 / r.msgsPerSec) * 10) / 10 : 0;
}

/** The closed-loop rounds of a system, rooms of 2, by their window per connection. */
function byWindow(rounds: readonly RoundResult[], system: string): Map<number, RoundResult> {
  const out = new Map<number, RoundResult>();
  for (const r of rounds) {
    const w = /^closed, window (\d+)\/conn$/.exec(r.load)?.[1];
    if (r.system === system && r.roomSize === 2 && w !== undefined) out.set(Number(w), r);
  }
  return out;
}

/**
 * The diagnostics, each dividing two systems that differ in one thing: throughput at a closed-loop
 * window both ran (the diagnostics run the plan's middle one), and p99 latency at the same open-loop
 * rate (deliverylab's half of saturation).
 */
function diagnosticRatios(rounds: readonly RoundResult[]): Ratio[] {
  const out: Ratio[] = [];
  const pairs: [string, string, string][] = [
    ['deliverylab', 'deliverylab-1worker', 'a second worker (2 workers / 1)'],
    ['deliverylab-1worker', ONE_PROCESS, 'the primary, its IPC and the Redis hop around one worker vs the core alone in one process'],
    ['deliverylab', 'deliverylab-worker-writers', 'one writer (the primary) vs every worker committing on its own connection'],
    ['deliverylab-sync-normal', 'deliverylab', 'synchronous=NORMAL (no fsync per commit) vs FULL'],
    ['deliverylab-sync-off', 'deliverylab', 'synchronous=OFF (no fsync at all) vs FULL'],
    ['peer-nodb', 'peer', "the peer without persistence vs through the core's store (FULL)"],
  ];
  // deliverylab's own half-saturation round, and every other system's round at that rate.
  const halfOf = (system: string) => findRound(rounds, system, 2, system === 'deliverylab' ? 'half' : 'fixed-rate');
  for (const [a, b, what] of pairs) {
    const wa = byWindow(rounds, a);
    const wb = byWindow(rounds, b);
    const window = [...wa.keys()].find((w) => wb.has(w));
    if (window !== undefined) out.push(ratio(`${a} / ${b}: msgs/s at window ${window}/conn, rooms of 2 — ${what}`, wa.get(window)!.msgsPerSec, wb.get(window)!.msgsPerSec));
    const la = halfOf(a);
    const lb = halfOf(b);
    if (la && lb) out.push(ratio(`${a} / ${b}: p99 latency ms at deliverylab's half-saturation rate, rooms of 2`, la.latencyMs.p99, lb.latencyMs.p99));
  }
  return out;
}

/** The ratio named `name`, or 0. */
export function ratioValue(all: readonly Ratio[], name: string): number {
  return all.find((r) => r.name === name)?.ratio ?? 0;
}

/** The performance issue's targets (cost per message, latency at one offered rate), judged on this run's figures. */
export function checkTargets(f: { costVsPeer: number; costVsOneProcess: number; sameRate: SameRate; idle: IdleResult; checkerEventsPerSec: number; lost: number }): TargetCheck[] {
  const dl = f.sameRate.deliverylab;
  const peer = f.sameRate.peer;
  const p99Ratio = peer.p99 > 0 ? Math.round((dl.p99 / peer.p99) * 1000) / 1000 : 0;
  return [
    { name: "cost per message: the peer's CPU µs ÷ the cluster's (costVsPeer, rooms of 2, saturation)", target: '≥ 3', measured: f.costVsPeer, met: f.costVsPeer >= 3 },
    { name: "cost per message: the cluster's CPU µs ÷ the core's in one process (costVsOneProcess)", target: '≤ 1.5', measured: f.costVsOneProcess, met: f.costVsOneProcess > 0 && f.costVsOneProcess <= 1.5 },
    { name: "p99 at the peer's half-saturation rate: deliverylab's ÷ the peer's (rooms of 2)", target: '≤ 0.5', measured: p99Ratio, met: dl.count > 0 && peer.count > 0 && p99Ratio <= 0.5 },
    { name: 'RSS per idle connection on a worker', target: '≤ 2048 B', measured: f.idle.rssPerConnectionBytes, met: f.idle.opened > 0 && f.idle.rssPerConnectionBytes <= 2048 },
    { name: 'checker throughput (the calls after the first of the process)', target: '≥ 2,000,000 events/s', measured: f.checkerEventsPerSec, met: f.checkerEventsPerSec >= 2_000_000 },
    { name: 'acked messages lost (deliverylab rounds)', target: '= 0', measured: f.lost, met: f.lost === 0 },
  ];
}
