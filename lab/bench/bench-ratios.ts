import { ratio, type Ratio, type TargetCheck } from './bench-result.js';
import type { RedisCeiling } from './ceilings/redis-publish.js';
import type { SqliteCeiling } from './ceilings/sqlite-inserts.js';
import type { LatencyMs } from './histogram.js';
import type { IdleResult } from './idle-connections.js';
import type { RoundResult } from './load-session.js';
import { ROOM_SIZES } from './bench-options.js';

/** The round of a system, room size and label, if it ran. */
export function findRound(rounds: readonly RoundResult[], system: string, roomSize: number, label: RoundResult['label']): RoundResult | undefined {
  return rounds.find((r) => r.system === system && r.roomSize === roomSize && r.label === label);
}

/** Every ratio of the run: deliverylab against the peer and against each ceiling, per room size. */
export function computeRatios(rounds: readonly RoundResult[], c: { sqlite: SqliteCeiling; redis: RedisCeiling }): Ratio[] {
  const out: Ratio[] = [];
  const sat = (system: string, size: number) => findRound(rounds, system, size, 'saturation');
  for (const size of ROOM_SIZES) {
    const dl = sat('deliverylab', size);
    if (!dl) continue;
    const where = `rooms of ${size}, saturation`;
    const peer = sat('peer', size);
    const ceiling = sat('ceiling', size);
    const fanout = sat('fanout', size);
    if (peer) {
      out.push(ratio(`deliverylab / peer: msgs/s, ${where}`, dl.msgsPerSec, peer.msgsPerSec));
      out.push(ratio(`deliverylab / peer: deliveries/s, ${where}`, dl.deliveriesPerSec, peer.deliveriesPerSec));
    }
    if (ceiling) {
      out.push(ratio(`deliverylab / ceiling: msgs/s, ${where}`, dl.msgsPerSec, ceiling.msgsPerSec));
      if (peer) out.push(ratio(`peer / ceiling: msgs/s, ${where}`, peer.msgsPerSec, ceiling.msgsPerSec));
    }
    if (fanout) out.push(ratio(`deliverylab / fanout: deliveries/s, ${where}`, dl.deliveriesPerSec, fanout.deliveriesPerSec));
    const dlHalf = findRound(rounds, 'deliverylab', size, 'half');
    const peerHalf = findRound(rounds, 'peer', size, 'half');
    if (dlHalf && peerHalf) out.push(ratio(`peer / deliverylab: p99 latency ms, rooms of ${size}, each at half of its own saturation`, peerHalf.latencyMs.p99, dlHalf.latencyMs.p99));
    const peerAtDl = findRound(rounds, 'peer', size, 'fixed-rate');
    if (dlHalf && peerAtDl) out.push(ratio(`peer / deliverylab: p99 latency ms, rooms of ${size}, both at deliverylab's half-saturation rate`, peerAtDl.latencyMs.p99, dlHalf.latencyMs.p99));
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

/** The closed-loop round of a system at a given window per connection, rooms of 2 (saturation or probe). */
function atWindow(rounds: readonly RoundResult[], system: string, window: number): RoundResult | undefined {
  return rounds.find((r) => r.system === system && r.roomSize === 2 && r.load === `closed, window ${window}/conn`);
}

/**
 * The diagnostics, each dividing two systems that differ in one thing: throughput at the same
 * closed-loop window, and p99 latency at the same open-loop rate (deliverylab's half of saturation).
 */
function diagnosticRatios(rounds: readonly RoundResult[]): Ratio[] {
  const out: Ratio[] = [];
  const probe = rounds.find((r) => r.system === 'core-path-1proc' && r.roomSize === 2 && r.label !== 'fixed-rate');
  if (!probe) return out;
  const window = Number(/window (\d+)/.exec(probe.load)?.[1]);
  const pairs: [string, string, string][] = [
    ['deliverylab', 'deliverylab-1worker', 'a second worker (2 workers / 1)'],
    ['core-path-1proc', 'ceiling', "the core's parseFrame (zod) + CommitBatcher vs JSON.parse + RawGroupCommit, 1 process, both corked"],
    ['ceiling', 'ceiling-uncorked', 'acks corked per socket vs one uncorked send each, 1 process'],
    ['deliverylab', 'deliverylab-worker-writers', 'one writer (the primary) vs every worker committing on its own connection'],
    ['deliverylab-sync-normal', 'deliverylab', 'synchronous=NORMAL (no fsync per commit) vs FULL'],
    ['deliverylab-sync-off', 'deliverylab', 'synchronous=OFF (no fsync at all) vs FULL'],
    ['proto-cluster-nodb', 'deliverylab', 'the Redis hop alone (no persistence) vs the core'],
    ['proto-cluster-nodb', 'peer-nodb', 'uWS + ioredis vs Socket.IO + redis-adapter, both without persistence'],
  ];
  for (const [a, b, what] of pairs) {
    const ra = atWindow(rounds, a, window);
    const rb = atWindow(rounds, b, window);
    if (ra && rb) out.push(ratio(`${a} / ${b}: msgs/s at window ${window}/conn, rooms of 2 — ${what}`, ra.msgsPerSec, rb.msgsPerSec));
    const la = a === 'deliverylab' ? findRound(rounds, a, 2, 'half') : findRound(rounds, a, 2, 'fixed-rate');
    const lb = b === 'deliverylab' ? findRound(rounds, b, 2, 'half') : findRound(rounds, b, 2, 'fixed-rate');
    if (la && lb) out.push(ratio(`${a} / ${b}: p99 latency ms at deliverylab's half-saturation rate, rooms of 2`, la.latencyMs.p99, lb.latencyMs.p99));
  }
  return out;
}

/** The ratio named `name`, or 0. */
export function ratioValue(all: readonly Ratio[], name: string): number {
  return all.find((r) => r.name === name)?.ratio ?? 0;
}

/** The targets, judged on this run's figures. */
export function checkTargets(f: { vsPeer: number; vsCeiling: number; latencyMs: LatencyMs; idle: IdleResult; checkerEventsPerSec: number; lost: number }): TargetCheck[] {
  return [
    { name: 'throughput vs Socket.IO + redis-adapter (msgs/s, rooms of 2)', target: '≥ 3×', measured: f.vsPeer, met: f.vsPeer >= 3 },
    { name: 'throughput vs single-process group-commit ceiling (rooms of 2)', target: '≥ 0.6', measured: f.vsCeiling, met: f.vsCeiling >= 0.6 },
    { name: 'p99 delivery latency at half of saturation (rooms of 2)', target: '< 20 ms', measured: f.latencyMs.p99, met: f.latencyMs.count > 0 && f.latencyMs.p99 < 20 },
    { name: 'RSS per idle connection on a worker', target: '≤ 2048 B', measured: f.idle.rssPerConnectionBytes, met: f.idle.opened > 0 && f.idle.rssPerConnectionBytes <= 2048 },
    { name: 'checker throughput', target: '≥ 1,000,000 events/s', measured: f.checkerEventsPerSec, met: f.checkerEventsPerSec >= 1_000_000 },
    { name: 'acked messages lost (deliverylab rounds)', target: '= 0', measured: f.lost, met: f.lost === 0 },
  ];
}
