/**
 * Smoke test of `deliverylab bench --quick`: it runs every part on a tiny load and reports sane,
 * self-consistent numbers. Benchmarks are not tests: no timing threshold is asserted here.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type * as Bench from '../../lab/bench/index.js';
import type { BenchResult, RoundResult } from '../../lab/bench/index.js';
import { descendants } from '../support/processes.js';

/** The bench forks compiled children (load clients, servers, the core): it runs from dist/. */
const DIST_BENCH = new URL('../../dist/lab/bench/index.js', import.meta.url);
/** The quick run takes about a minute on 2 cores; this bounds a hung run, it is not a timing assertion. */
const QUICK_RUN_TIMEOUT_MS = 240_000;
/** Deliveries are counted in the same run as the acks, after a drain: they match exactly unless a drain timed out. */
const DELIVERY_TOLERANCE = 0.01;
/** The single-process reference: the core's own send path in one process. */
const ONE_PROCESS = 'deliverylab-one-process';
/** The core scaled out: 3 nodes × 2 workers in network namespaces, on PostgreSQL and a Redis Cluster. */
const SCALE_OUT = 'deliverylab-nodes';
/** The systems a quick run measures (no diagnostics), in order; all but the fan-out ceiling persist and are verified against their database. */
/** deliverylab again, driven at the peer's half-saturation rate. */
const SAME_RATE = 'deliverylab-at-peer-rate';
/** deliverylab again, for the growth rounds (room sizes, connections held). */
const GROWTH = 'deliverylab-growth';
const QUICK_SYSTEMS = ['deliverylab', GROWTH, ONE_PROCESS, 'fanout', 'peer', SAME_RATE, SCALE_OUT];
const PERSISTED = ['deliverylab', GROWTH, ONE_PROCESS, 'peer', SAME_RATE, SCALE_OUT];

async function loadBench(): Promise<typeof Bench> {
  if (!existsSync(DIST_BENCH)) throw new Error(`${fileURLToPath(DIST_BENCH)} is missing: run \`npx tsc -p tsconfig.json\` first (the bench runs from dist/)`);
  return (await import(DIST_BENCH.href)) as typeof Bench;
}

/** Every number in a JSON value, with its path. */
function numbers(v: unknown, path = '$'): [string, number][] {
  if (typeof v === 'number') return [[path, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => numbers(x, `${path}[${i}]`));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => numbers(x, `${path}.${k}`));
  return [];
}

function round(res: BenchResult, system: string, roomSize: number, label: RoundResult['label']): RoundResult {
  const r = res.rounds.find((x) => x.system === system && x.roomSize === roomSize && x.label === label);
  expect(r, `${system} rooms of ${roomSize} ${label}`).toBeDefined();
  return r!;
}

const dir = mkdtempSync(join(tmpdir(), 'dl-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('deliverylab bench --quick', () => {
  let res: BenchResult;
  let html: string;
  let code: number;

  it('runs every part, exits 0, writes the JSON and leaves no process behind', async () => {
    const { benchCommand } = await loadBench();
    const json = join(dir, 'bench.json');
    code = await benchCommand({ quick: true, json, html: join(dir, 'bench.html'), out: join(dir, 'out') });
    expect(code).toBe(0);
    res = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
    html = readFileSync(join(dir, 'bench.html'), 'utf8');
    expect(descendants(process.pid)).toEqual([]);
  }, QUICK_RUN_TIMEOUT_MS);

  it('reports every number finite and non-negative', () => {
    const bad = numbers(res).filter(([, x]) => !Number.isFinite(x) || x < 0);
    expect(bad).toEqual([]);
  });

  it('measures the cluster, the core in one process, the fan-out ceiling and the peer, and nothing else', () => {
    expect(res.systems.map((s) => s.name)).toEqual(QUICK_SYSTEMS);
    expect([...new Set(res.rounds.map((r) => r.system))].sort()).toEqual([...QUICK_SYSTEMS].sort());
    expect(Object.keys(res.ratios).sort()).toEqual(['all', 'costVsOneProcess', 'costVsOneProcessAtHalf', 'costVsPeer', 'costVsPeerAtHalf', 'vsOneProcess', 'vsPeer']);
    // The one-process reference is the core: one process, no primary, no Redis.
    for (const r of res.rounds.filter((x) => x.system === ONE_PROCESS)) {
      expect(r.cpuPercent).toHaveProperty('core');
      expect(Object.keys(r.cpuPercent).filter((k) => k === 'primary' || k === 'redis' || k.startsWith('worker-'))).toEqual([]);
    }
    for (const r of res.rounds.filter((x) => x.system === 'deliverylab')) expect(r.cpuPercent).toHaveProperty('redis');
  });

  it('has the headline keys', () => {
    expect(res.ratios.vsPeer).toBeGreaterThan(0);
    expect(res.ratios.vsOneProcess).toBeGreaterThan(0);
    expect(res.latencyMs.count).toBeGreaterThan(0);
    expect(res.idle.opened).toBeGreaterThan(0);
    expect(res.checker.eventsPerSec).toBeGreaterThan(0);
    expect(res.checker.firstCallEventsPerSec).toBeGreaterThan(0);
    expect(res.lost).toBe(0);
    const w = res.ceilings.wakeup;
    expect(w.roundTrips).toBeGreaterThan(0);
    expect(w.roundTripUs).toBeGreaterThan(0);
    expect(w.systemCpuUsPerRoundTrip).toBeLessThanOrEqual(w.cpuUsPerRoundTrip);
  });

  it('loses nothing in the core\'s rounds (cluster, one process, scaled out): every acked message is in the database and reached every member', () => {
    const core = res.rounds.filter((x) => x.system === 'deliverylab' || x.system === ONE_PROCESS || x.system === SCALE_OUT || x.system === SAME_RATE || x.system === GROWTH);
    expect(core.filter((x) => x.system === SCALE_OUT).map((x) => x.label).sort()).toEqual(['fixed-rate', 'fixed-rate', 'half', 'half', 'saturation', 'saturation']);
    expect(core.filter((x) => x.system === ONE_PROCESS).map((x) => x.label).sort()).toEqual(['fixed-rate', 'fixed-rate', 'saturation', 'saturation']);
    for (const r of core) {
      expect(r.verification, `${r.system} rooms of ${r.roomSize} ${r.label}`).toMatchObject({ lost: 0, lostFromDb: 0, missingDeliveries: 0, phantoms: 0, unacked: 0, checkedDb: true });
      expect(r.verification.recoveredByFetch).toBe(r.verification.missedLive);
    }
  });

  it('verifies every system against its database (fan-out alone has none) and keeps the counts within what was acked', () => {
    for (const r of res.rounds) {
      const v = r.verification;
      expect(r.errors, `${r.system} ${r.roomSize} ${r.label}: ${r.firstError}`).toBe(0);
      expect(v.checkedDb).toBe(PERSISTED.includes(r.system));
      expect(v.recoveredByFetch).toBeLessThanOrEqual(v.missedLive);
      expect(v.lost).toBeGreaterThanOrEqual(v.lostFromDb);
    }
  });

  it('delivers each acked message to every member of its room, the sender included (live, or fetched when missed live)', () => {
    for (const r of res.rounds) {
      expect(r.acked).toBeGreaterThan(0);
      expect(r.acked).toBe(r.sent);
      const expected = r.acked * r.roomSize;
      expect(Math.abs(r.deliveries + r.verification.missedLive - expected)).toBeLessThanOrEqual(expected * DELIVERY_TOLERANCE);
    }
  });

  it('makes each ratio the quotient of the figures it names', () => {
    for (const q of res.ratios.all) expect(q.ratio, q.name).toBeCloseTo(q.numerator / q.denominator, 3);
    const dl = round(res, 'deliverylab', 2, 'saturation');
    expect(res.ratios.vsPeer).toBeCloseTo(dl.msgsPerSec / round(res, 'peer', 2, 'saturation').msgsPerSec, 3);
    expect(res.ratios.vsOneProcess).toBeCloseTo(dl.msgsPerSec / round(res, ONE_PROCESS, 2, 'saturation').msgsPerSec, 3);
    const names = res.ratios.all.map((q) => q.name);
    for (const size of [2, 10]) {
      expect(names).toContain(`deliverylab / ${ONE_PROCESS}: msgs/s, rooms of ${size}, saturation`);
      expect(names).toContain(`deliverylab / fanout: deliveries/s, rooms of ${size}, saturation`);
    }
    expect(names.filter((x) => /ceiling/.test(x))).toEqual([]);
    // The price of scale-out, measured side by side in the same run.
    expect(names).toContain(`${SCALE_OUT} / deliverylab: msgs/s, rooms of 2, saturation`);
    expect(names).toContain(`${SCALE_OUT} / deliverylab: CPU µs per message (every server process), rooms of 2, saturation`);
    // Every process of the scaled-out system is counted: 3 primaries, 6 workers, 6 Redis Cluster nodes, and its database backends.
    const cpu = Object.keys(round(res, SCALE_OUT, 2, 'saturation').cpuPercent);
    expect(cpu.filter((k) => /^node\d-primary$/.test(k))).toHaveLength(3);
    expect(cpu.filter((k) => /^node\d-worker-\d$/.test(k))).toHaveLength(6);
    expect(cpu.filter((k) => k.startsWith('redis-'))).toHaveLength(6);
    expect(cpu.filter((k) => k.startsWith('postgres-')).length).toBeGreaterThanOrEqual(9);
    expect(res.latencyMs).toMatchObject(round(res, 'deliverylab', 2, 'half').latencyMs);
    // The same offered rate: each system's latency from its own round at that rate.
    const peerHalf = round(res, 'peer', 2, 'half');
    const dlAtPeer = round(res, SAME_RATE, 2, 'fixed-rate');
    expect(dlAtPeer.load).toBe(`open, ${Math.round(peerHalf.msgsPerSec)}/s`);
    expect(res.latencyMs.sameRate).toEqual({ rate: Math.round(peerHalf.msgsPerSec), deliverylab: dlAtPeer.latencyMs, peer: peerHalf.latencyMs });
    const dlHalf = round(res, 'deliverylab', 2, 'half');
    expect(res.latencyMs.sameRateDeliverylabHalf).toEqual({ rate: Math.round(dlHalf.msgsPerSec), deliverylab: dlHalf.latencyMs, peer: round(res, 'peer', 2, 'fixed-rate').latencyMs });
    // The cost per message: every server process's CPU over the round (load clients and the bench itself apart) ÷ its msgs/s.
    const cost = (r: RoundResult) => Object.entries(r.cpuPercent).filter(([k, v]) => Number.isFinite(v) && !k.startsWith('load-') && k !== 'bench' && k !== 'other').reduce((a, [, v]) => a + v, 0) / 100 * 1e6 / r.msgsPerSec;
    const c = res.costUsPerMessage;
    expect(c.cluster).toBeCloseTo(cost(dl), 0);
    expect(c.oneProcess).toBeCloseTo(cost(round(res, ONE_PROCESS, 2, 'saturation')), 0);
    expect(c.peer).toBeCloseTo(cost(round(res, 'peer', 2, 'saturation')), 0);
    expect(c.atHalf.cluster).toBeCloseTo(cost(round(res, 'deliverylab', 2, 'half')), 0);
    expect(c.atHalf.oneProcess).toBeCloseTo(cost(round(res, ONE_PROCESS, 2, 'fixed-rate')), 0);
    expect(res.ratios.costVsPeer).toBeCloseTo(c.peer / c.cluster, 2);
    expect(res.ratios.costVsOneProcess).toBeCloseTo(c.cluster / c.oneProcess, 2);
    expect(res.ratios.costVsPeerAtHalf).toBeCloseTo(c.atHalf.peer / c.atHalf.cluster, 2);
    expect(res.ratios.costVsOneProcessAtHalf).toBeCloseTo(c.atHalf.cluster / c.atHalf.oneProcess, 2);
    for (const v of [c.cluster, c.oneProcess, c.peer, c.atHalf.cluster, c.atHalf.oneProcess, c.atHalf.peer]) expect(v).toBeGreaterThan(0);
  });

  it('measures how cost grows with room size (one delivery rate) and with connections held (one message rate), each point from its own round', () => {
    const g = res.growth;
    expect(g.byRoomSize.map((p) => p.roomSize)).toEqual([2, 10, 100, 1000]);
    expect(g.byConnections.map((p) => p.connections)).toEqual(g.plan.connections);
    const rounds = res.rounds.filter((r) => r.system === GROWTH);
    expect(rounds).toHaveLength(g.byRoomSize.length + g.byConnections.length);
    for (const [i, p] of [...g.byRoomSize, ...g.byConnections].entries()) {
      const r = rounds[i]!;
      expect(r.label).toBe('fixed-rate');
      expect(r.roomSize).toBe(p.roomSize);
      expect(p.connections).toBe(r.connections);
      expect(p.connections).toBe(p.rooms * p.roomSize);
      expect(r.load).toBe(`open, ${p.offeredPerSec}/s`);
      expect(p.latencyMs).toEqual(r.latencyMs);
      // The same CPU as costUsPerMessage, divided by messages and by deliveries.
      const cores = Object.entries(r.cpuPercent).filter(([k, v]) => Number.isFinite(v) && !k.startsWith('load-') && k !== 'bench' && k !== 'other').reduce((a, [, v]) => a + v, 0) / 100;
      expect(p.costUsPerMessage).toBeCloseTo(cores * 1e6 / r.msgsPerSec, 0);
      expect(p.costUsPerDelivery).toBeCloseTo(cores * 1e6 / r.deliveriesPerSec, 0);
      expect(p.costUsPerMessage).toBeGreaterThan(0);
      expect(p.lost).toBe(0);
    }
    // Room sizes hold the plan's connections and are offered its deliveries; connection rounds are rooms of 2 at its message rate.
    for (const p of g.byRoomSize) {
      expect(p.connections).toBe(Math.max(1, Math.round(g.plan.connectionsPerSize / p.roomSize)) * p.roomSize);
      expect(p.offeredPerSec).toBe(Math.round(g.plan.deliveriesPerSec / p.roomSize));
    }
    for (const p of g.byConnections) expect(p).toMatchObject({ roomSize: 2, offeredPerSec: g.plan.msgsPerSec });
  });

  it('charts the growth in the HTML page from the JSON\'s own points', () => {
    const charts = JSON.parse(/<script type="application\/json" id="charts">([^<]*)<\/script>/.exec(html)![1]!) as { id: string; x: { values: number[] }; series: { label: string; values: number[] }[] }[];
    expect(charts.map((c) => c.id)).toEqual(['cost-by-room', 'latency-by-room', 'cost-by-connections', 'latency-by-connections']);
    const g = res.growth;
    expect(charts[0]!.x.values).toEqual(g.byRoomSize.map((p) => p.roomSize));
    expect(charts[0]!.series.map((s) => s.values)).toEqual([g.byRoomSize.map((p) => p.costUsPerMessage), g.byRoomSize.map((p) => p.costUsPerDelivery)]);
    expect(charts[1]!.series.map((s) => s.values)).toEqual([g.byRoomSize.map((p) => p.latencyMs.p50), g.byRoomSize.map((p) => p.latencyMs.p99)]);
    expect(charts[2]!.x.values).toEqual(g.byConnections.map((p) => p.connections));
    expect(charts[3]!.series.map((s) => s.values)).toEqual([g.byConnections.map((p) => p.latencyMs.p50), g.byConnections.map((p) => p.latencyMs.p99)]);
    expect(html).toContain('uPlot');
  });

  it('keeps latency percentiles ordered and the idle figure consistent with its RSS readings', () => {
    for (const r of res.rounds) {
      expect(r.latencyMs.p50).toBeLessThanOrEqual(r.latencyMs.p99);
      expect(r.latencyMs.p99).toBeLessThanOrEqual(r.latencyMs.max);
    }
    // The idle figure is the least-squares slope of the worker's RSS over the connections open, from its readings.
    const i = res.idle;
    expect(i.samples.length).toBeGreaterThanOrEqual(3);
    expect(i.samples[0]).toEqual({ connections: 0, rssBytes: i.rssBeforeBytes });
    expect(i.samples.at(-1)).toEqual({ connections: i.opened, rssBytes: i.rssAfterBytes });
    const xs = i.samples.map((s) => s.connections);
    const ys = i.samples.map((s) => s.rssBytes);
    const mx = xs.reduce((a, x) => a + x, 0) / xs.length;
    const my = ys.reduce((a, y) => a + y, 0) / ys.length;
    const fit = xs.reduce((a, x, k) => a + (x - mx) * (ys[k]! - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    expect(Math.abs(i.rssPerConnectionBytes - (i.rssAfterBytes >= i.rssBeforeBytes ? Math.max(0, fit) : 0))).toBeLessThanOrEqual(1);
  });

  it('runs the open-loop round at half of the saturation it measured, and the fixed-rate rounds at the rate deliverylab reached there', () => {
    for (const system of ['deliverylab', 'peer', SCALE_OUT]) {
      for (const size of [2, 10]) {
        const sat = round(res, system, size, 'saturation');
        expect(round(res, system, size, 'half').load).toBe(`open, ${Math.round(sat.msgsPerSec / 2)}/s`);
      }
    }
    for (const system of [ONE_PROCESS, 'peer', SCALE_OUT]) {
      for (const size of [2, 10]) expect(round(res, system, size, 'fixed-rate').load).toBe(`open, ${Math.round(round(res, 'deliverylab', size, 'half').msgsPerSec)}/s`);
    }
  });

  it('marks each target met or not from the figures it names', () => {
    expect(res.targets).toHaveLength(6);
    const find = (part: string) => res.targets.find((t) => t.name.includes(part));
    expect(find('acked messages lost')).toMatchObject({ measured: 0, met: true });
    expect(find('costVsPeer')).toMatchObject({ measured: res.ratios.costVsPeer, met: res.ratios.costVsPeer >= 3 });
    expect(find('costVsOneProcess')).toMatchObject({ measured: res.ratios.costVsOneProcess, met: res.ratios.costVsOneProcess <= 1.5 });
    const sr = res.latencyMs.sameRate;
    expect(find("peer's half-saturation")!.measured).toBeCloseTo(sr.deliverylab.p99 / sr.peer.p99, 2);
    expect(find('idle connection')).toMatchObject({ measured: res.idle.rssPerConnectionBytes });
    expect(find('checker')).toMatchObject({ measured: res.checker.eventsPerSec, met: res.checker.eventsPerSec >= 2_000_000 });
    for (const t of res.targets) expect(typeof t.met).toBe('boolean');
  });
});
