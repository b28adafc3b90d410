import type { BenchResult } from './bench-result.js';
import { ROOM_SIZES } from './bench-options.js';
import { findRound, ONE_PROCESS } from './bench-ratios.js';
import type { RoundResult } from './load-session.js';

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => x.toFixed(2);
const r3 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(3));

function cpuText(cpu: Record<string, number>): string {
  return Object.entries(cpu).map(([k, v]) => `${k} ${Number.isFinite(v) ? Math.round(v) : '?'}`).join(', ');
}

function roundRows(res: BenchResult): string[][] {
  return res.rounds.map((r: RoundResult) => {
    // Ratios to a reference only mean something for closed-loop rounds (an open-loop round runs at a rate it was given).
    const closed = r.label === 'saturation' || r.label === 'probe';
    const one = closed ? findRound(res.rounds, ONE_PROCESS, r.roomSize, 'saturation') : undefined;
    const fanout = closed ? findRound(res.rounds, 'fanout', r.roomSize, 'saturation') : undefined;
    return [
      r.system, String(r.roomSize), r.label, r.load, n(r.msgsPerSec), one && r.system !== 'fanout' ? r3(r.msgsPerSec / one.msgsPerSec) : '-',
      n(r.deliveriesPerSec), fanout ? r3(r.deliveriesPerSec / fanout.deliveriesPerSec) : '-',
      ms(r.latencyMs.p50), ms(r.latencyMs.p99), ms(r.latencyMs.max), String(r.verification.missedLive), String(r.verification.lost), String(r.errors), cpuText(r.cpuPercent),
    ];
  });
}

/** The bench results as plain-text tables: rounds, ratios, ceilings, idle memory, micro-benchmarks and targets. */
export function formatBenchTable(res: BenchResult): string {
  const out: string[] = [];
  const m = res.machine;
  out.push(`deliverylab bench — ${res.quick ? 'quick' : 'full'} run, ${m.cpus} CPUs, node ${m.node}, load average at start ${m.loadAverageAtStart.join(' ')}, ${(res.durationMs / 1000).toFixed(0)} s`);
  out.push('');
  out.push('Systems');
  const width = Math.max(0, ...res.systems.map((s) => s.name.length));
  for (const s of res.systems) out.push(`  ${s.name.padEnd(width)}  ${s.description}`);
  out.push('');
  out.push('End-to-end rounds: msgs/s = acked (committed) per second; deliveries/s = received by every member, sender included;');
  out.push(`latency = delivery to the other members of messages sent in the window; "of 1 proc" = msgs/s ÷ ${ONE_PROCESS} msgs/s, "of fanout" = deliveries/s ÷ fan-out ceiling, same room size;`);
  out.push('"missed live" = (message, member) pairs not delivered live, fetched from the database at the end (the SDK does this on gaps and heads); "lost" = acked messages still missing');
  out.push('from the database or a member after that (both cumulative over a session). CPU = % of one core over the measured window ("other" = the rest of the machine).');
  out.push(table(
    ['system', 'room', 'round', 'load', 'msgs/s', 'of 1 proc', 'deliveries/s', 'of fanout', 'p50 ms', 'p99 ms', 'max ms', 'missed live', 'lost', 'errors', 'CPU %'],
    roundRows(res), new Set([1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
  ));
  out.push('');
  const health = res.rounds.filter((r) => r.serverHealth !== undefined).map((r) => {
    const nonZero = Object.entries(r.serverHealth!).flatMap(([proc, v]) => Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== 0).map(([k, x]) => `${proc} ${k}=${String(x)}`));
    return nonZero.length ? `  ${r.system} rooms of ${r.roomSize} ${r.label} (${r.load}): ${nonZero.join(', ')}` : undefined;
  }).filter((x) => x !== undefined);
  out.push(`Server health counters after each round (cumulative since start, non-zero only): ${health.length ? '' : 'all zero'}`);
  out.push(...health);
  out.push('');
  out.push('Ratios');
  out.push(table(['ratio', 'value', 'numerator', 'denominator'], res.ratios.all.map((r) => [r.name, r3(r.ratio), n(r.numerator), n(r.denominator)]), new Set([1, 2, 3])));
  out.push('');
  const c = res.ceilings;
  out.push('Raw ceilings');
  out.push(`  SQLite plain batched INSERTs (${c.sqlite.rowsPerTxn} rows/txn, no id lookup, no room head, synchronous=FULL, in-process): ${n(c.sqlite.rowsPerSec)} rows/s`);
  out.push(`  Redis PUBLISH: ioredis auto-pipelined ${n(c.redis.ioredisAutoPipelinedPerSec)}/s; redis-benchmark 50 clients ${c.redis.redisBenchmarkPerSec === null ? 'n/a' : `${n(c.redis.redisBenchmarkPerSec)}/s`}, pipelined ×16 ${c.redis.redisBenchmarkPipelinedPerSec === null ? 'n/a' : `${n(c.redis.redisBenchmarkPipelinedPerSec)}/s`}${c.redis.note ? ` (${c.redis.note})` : ''}`);
  out.push(`  A loopback round trip between two Node processes, one byte at a time (${n(c.wakeup.roundTrips)} of them): ${c.wakeup.roundTripUs} µs, of which ${c.wakeup.cpuUsPerRoundTrip} µs of CPU on one side (${c.wakeup.systemCpuUsPerRoundTrip} in the kernel): what each hop of a message costs when nothing else shares its wakeup`);
  const fanout = ROOM_SIZES.map((size) => findRound(res.rounds, 'fanout', size, 'saturation')).filter((r) => r !== undefined);
  if (fanout.length) out.push(`  uWS fan-out (no persistence, one process): ${fanout.map((r) => `${n(r.deliveriesPerSec)} deliveries/s in rooms of ${r.roomSize}`).join(', ')} (the \`fanout\` rounds above)`);
  out.push('');
  const i = res.idle;
  out.push(`Idle connections on worker 0: ${n(i.opened)} opened (${i.failed} failed), RSS ${n(i.rssBeforeBytes)} → ${n(i.rssAfterBytes)} B: ${n(i.rssPerConnectionBytes)} B per connection (slope of RSS over ${i.samples.length} readings); open-file limit ${i.fdLimit}${i.note ? `; ${i.note}` : ''}`);
  out.push('');
  const g = res.growth;
  const growthRows = (points: BenchResult['growth']['byRoomSize']) => points.map((p) => [String(p.roomSize), n(p.rooms), n(p.connections), n(p.offeredPerSec), n(p.msgsPerSec), n(p.deliveriesPerSec), p.costUsPerMessage.toFixed(1), p.costUsPerDelivery.toFixed(2), ms(p.latencyMs.p50), ms(p.latencyMs.p99), String(p.lost)]);
  const growthHeader = ['room', 'rooms', 'connections', 'offered/s', 'msgs/s', 'deliveries/s', 'µs/msg', 'µs/delivery', 'p50 ms', 'p99 ms', 'lost'];
  out.push(`How cost grows with room size (deliverylab, ${n(g.plan.connectionsPerSize)} connections each, offered ${n(g.plan.deliveriesPerSec)} deliveries/s; µs = CPU of every server process)`);
  out.push(table(growthHeader, growthRows(g.byRoomSize), new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])));
  out.push(`How cost grows with connections held (deliverylab, rooms of 2, offered ${n(g.plan.msgsPerSec)} msgs/s)`);
  out.push(table(growthHeader, growthRows(g.byConnections), new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])));
  out.push('');
  out.push('Micro-benchmarks (tinybench)');
  out.push(table(['benchmark', 'ops/s', 'µs/op', 'items/s', 'item', '±%'], res.micro.map((x) => [x.name, n(x.opsPerSec), x.perOpUs.toFixed(3), n(x.itemsPerSec), x.unit, x.rmePercent.toFixed(1)]), new Set([1, 2, 3, 5])));
  out.push('');
  const cost = res.costUsPerMessage;
  out.push(`Cost per message (µs of CPU, every server process, rooms of 2): cluster ${cost.cluster}, one process ${cost.oneProcess}, peer ${cost.peer} at saturation; ` +
    `${cost.atHalf.cluster}, ${cost.atHalf.oneProcess}, ${cost.atHalf.peer} at half of it; costVsPeer ${r3(res.ratios.costVsPeer)}, costVsOneProcess ${r3(res.ratios.costVsOneProcess)}`);
  const sr = res.latencyMs.sameRate;
  const srd = res.latencyMs.sameRateDeliverylabHalf;
  out.push(`Same offered rate, rooms of 2 (p50/p99/max ms): at the peer's half saturation, ${n(sr.rate)}/s: deliverylab ${ms(sr.deliverylab.p50)}/${ms(sr.deliverylab.p99)}/${ms(sr.deliverylab.max)}, peer ${ms(sr.peer.p50)}/${ms(sr.peer.p99)}/${ms(sr.peer.max)}; ` +
    `at deliverylab's, ${n(srd.rate)}/s: deliverylab ${ms(srd.deliverylab.p50)}/${ms(srd.deliverylab.p99)}/${ms(srd.deliverylab.max)}, peer ${ms(srd.peer.p50)}/${ms(srd.peer.p99)}/${ms(srd.peer.max)}`);
  out.push(`Headline: vsPeer ${r3(res.ratios.vsPeer)}, vsOneProcess ${r3(res.ratios.vsOneProcess)}, latency at half saturation p50/p99/max ${ms(res.latencyMs.p50)}/${ms(res.latencyMs.p99)}/${ms(res.latencyMs.max)} ms, idle ${n(i.rssPerConnectionBytes)} B/conn, checker ${n(res.checker.eventsPerSec)} events/s (first call ${n(res.checker.firstCallEventsPerSec)}), lost ${res.lost}`);
  out.push('Targets');
  for (const t of res.targets) out.push(`  ${t.met ? '✔' : '✘'} ${t.name}: ${t.target}, measured ${Number.isInteger(t.measured) ? n(t.measured) : t.measured.toFixed(3)}`);
  return out.join('\n');
}
