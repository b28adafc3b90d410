import { rawText, uplotAssets } from '../report/html.js';
import { escapeXml as esc } from '../report/xml.js';
import type { BenchResult } from './bench-result.js';
import type { GrowthPoint } from './growth.js';

/** One chart of the page: an x axis, one or two series per y axis, from growth points. */
interface ChartSpec {
  id: string;
  title: string;
  x: { label: string; log: boolean; values: number[] };
  /** A log y axis (cost per message spans orders of magnitude across room sizes). */
  logY: boolean;
  series: { label: string; unit: 'µs' | 'ms'; values: number[]; color: string }[];
}

/** The charts of how cost and latency grow: by room size, and by connections held. */
export function growthCharts(res: BenchResult): ChartSpec[] {
  const g = res.growth;
  const costs = (points: GrowthPoint[]) => [
    { label: 'µs of CPU per message', unit: 'µs' as const, values: points.map((p) => p.costUsPerMessage), color: '#1f6feb' },
    { label: 'µs of CPU per delivery', unit: 'µs' as const, values: points.map((p) => p.costUsPerDelivery), color: '#8250df' },
  ];
  const latency = (points: GrowthPoint[]) => [
    { label: 'p50 ms', unit: 'ms' as const, values: points.map((p) => p.latencyMs.p50), color: '#2e8540' },
    { label: 'p99 ms', unit: 'ms' as const, values: points.map((p) => p.latencyMs.p99), color: '#c0392b' },
  ];
  const bySize = { label: 'members per room', log: true, values: g.byRoomSize.map((p) => p.roomSize) };
  const byConn = { label: 'connections held (rooms of 2)', log: true, values: g.byConnections.map((p) => p.connections) };
  return [
    { id: 'cost-by-room', title: `Cost by room size (${g.plan.connectionsPerSize.toLocaleString('en-US')} connections, ${g.plan.deliveriesPerSec.toLocaleString('en-US')} deliveries/s offered)`, x: bySize, logY: true, series: costs(g.byRoomSize) },
    { id: 'latency-by-room', title: 'Delivery latency by room size', x: bySize, logY: false, series: latency(g.byRoomSize) },
    { id: 'cost-by-connections', title: `Cost by connections held (${g.plan.msgsPerSec.toLocaleString('en-US')} msgs/s offered)`, x: byConn, logY: true, series: costs(g.byConnections) },
    { id: 'latency-by-connections', title: 'Delivery latency by connections held', x: byConn, logY: false, series: latency(g.byConnections) },
  ];
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 3px 12px 3px 0; vertical-align: top; }
th { font-weight: 600; border-bottom: 1px solid #ccc; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #2e8540; } .bad { color: #c0392b; } .dim { color: #666; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 12px 24px; }
`;

// Runs in the browser: one uPlot per chart, log x where asked, one y scale per unit.
const CHART_JS = `
var specs = JSON.parse(document.getElementById('charts').textContent);
specs.forEach(function (c) {
  var el = document.getElementById(c.id);
  var units = [];
  c.series.forEach(function (s) { if (units.indexOf(s.unit) < 0) units.push(s.unit); });
  var scales = { x: { time: false, distr: c.x.log ? 3 : 1 } };
  units.forEach(function (u) { scales[u] = c.logY ? { distr: 3, log: 10 } : { auto: true, range: function (u0, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } }; });
  var axes = [{ label: c.x.label, values: function (u, vals) { return vals.map(function (v) { return v == null ? '' : String(v); }); } }];
  units.forEach(function (u, i) { axes.push({ scale: u, label: u, side: i === 0 ? 3 : 1, grid: { show: i === 0 } }); });
  var opts = { title: c.title, width: Math.min(el.clientWidth || 560, 560), height: 300, scales: scales, axes: axes,
    series: [{ label: c.x.label }].concat(c.series.map(function (s) { return { label: s.label, scale: s.unit, stroke: s.color, width: 2, points: { show: true, size: 7 } }; })) };
  new uPlot(opts, [c.x.values].concat(c.series.map(function (s) { return s.values; })), el);
});
`;

const num = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function growthTable(points: GrowthPoint[]): string {
  const rows = points.map((p) => `<tr><td class="num">${p.roomSize}</td><td class="num">${num(p.rooms)}</td><td class="num">${num(p.connections)}</td><td class="num">${num(p.offeredPerSec)}</td><td class="num">${num(p.msgsPerSec)}</td><td class="num">${num(p.deliveriesPerSec)}</td><td class="num">${num(p.costUsPerMessage, 1)}</td><td class="num">${num(p.costUsPerDelivery, 2)}</td><td class="num">${num(p.latencyMs.p50, 2)}</td><td class="num">${num(p.latencyMs.p99, 2)}</td><td class="num">${p.lost}</td></tr>`);
  return `<table><tr><th>room</th><th>rooms</th><th>connections</th><th>offered/s</th><th>msgs/s</th><th>deliveries/s</th><th>µs/msg</th><th>µs/delivery</th><th>p50 ms</th><th>p99 ms</th><th>lost</th></tr>${rows.join('')}</table>`;
}

/** The bench as one self-contained HTML page: the headline figures, the targets, and charts of how cost and latency grow. */
export function renderBenchHtml(res: BenchResult): string {
  const { js, css } = uplotAssets();
  const charts = growthCharts(res);
  const c = res.costUsPerMessage;
  const sr = res.latencyMs.sameRate;
  const targets = res.targets.map((t) => `<tr><td class="${t.met ? 'ok' : 'bad'}">${t.met ? '✔' : '✘'}</td><td>${esc(t.name)}</td><td>${esc(t.target)}</td><td class="num">${esc(Number.isInteger(t.measured) ? num(t.measured) : t.measured.toFixed(3))}</td></tr>`).join('');
  const m = res.machine;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>deliverylab bench ${esc(res.startedAt)}</title>
<style>${rawText(css, 'style')}</style><style>${CSS}</style></head><body>
<h1>deliverylab bench — ${res.quick ? 'quick' : 'full'} run</h1>
<div class="dim">${esc(res.startedAt)}, ${(res.durationMs / 1000).toFixed(0)} s; ${m.cpus} CPUs, node ${esc(m.node)}, load average at start ${m.loadAverageAtStart.join(' ')}; lost ${res.lost}</div>
<h2>Cost per message (µs of CPU of every server process, rooms of 2)</h2>
<table><tr><th></th><th>cluster</th><th>one process</th><th>peer</th></tr>
<tr><td>at saturation</td><td class="num">${num(c.cluster, 1)}</td><td class="num">${num(c.oneProcess, 1)}</td><td class="num">${num(c.peer, 1)}</td></tr>
<tr><td>at half of it</td><td class="num">${num(c.atHalf.cluster, 1)}</td><td class="num">${num(c.atHalf.oneProcess, 1)}</td><td class="num">${num(c.atHalf.peer, 1)}</td></tr></table>
<p>costVsPeer ${res.ratios.costVsPeer.toFixed(3)}, costVsOneProcess ${res.ratios.costVsOneProcess.toFixed(3)}; at the peer's half-saturation rate (${num(sr.rate)}/s) p99 deliverylab ${num(sr.deliverylab.p99, 2)} ms, peer ${num(sr.peer.p99, 2)} ms; idle ${num(res.idle.rssPerConnectionBytes)} B per connection; checker ${num(res.checker.eventsPerSec)} events/s (the first call of the process, which compiles it: ${num(res.checker.firstCallEventsPerSec)}).</p>
<h2>Targets</h2><table>${targets}</table>
<h2>How cost and latency grow with the work</h2>
<div class="charts">${charts.map((ch) => `<div id="${ch.id}"></div>`).join('')}</div>
<h3>By room size</h3>${growthTable(res.growth.byRoomSize)}
<h3>By connections held</h3>${growthTable(res.growth.byConnections)}
<script type="application/json" id="charts">${JSON.stringify(charts).replace(/</g, '\\u003c')}</script>
<script>${rawText(js, 'script')}</script><script>${CHART_JS}</script>
</body></html>
`;
}
