import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { faultLabel, faultWindows, percentile } from '../checker/index.js';
import type { HistoryEvent } from '../history/events.js';
import { groupByCause } from './causes.js';
import { firedText, formatMs, recoveryFromText, reproduceCommand } from './format.js';
import { sequenceSvg } from './sequence-svg.js';
import { causeHeading } from './terminal.js';
import type { RunReport } from './types.js';
import { escapeXml as esc } from './xml.js';

/** A fault as the timeline shades it, in seconds since the run started (`to` null: never healed). */
export interface TimelineBand {
  kind: string;
  target: string;
  label: string;
  from: number;
  to: number | null;
  /** Band fill and label colour, one pair per fault kind. */
  fill: string;
  edge: string;
}

/** A vertical line on the timeline: a worker exit, a failpoint firing (a crash point) or the runner entering a phase. */
export interface TimelineMarker {
  t: number;
  kind: 'worker-exit' | 'failpoint' | 'phase';
  label: string;
}

/** The series of the timeline chart: one value per bucket, x in seconds since the run started. */
export interface TimelineData {
  bucketMs: number;
  endS: number;
  x: number[];
  acksPerSec: number[];
  deliveriesPerSec: number[];
  /** Delivery latency (deliver time minus the application's send of that id) per bucket; null when nothing was delivered. */
  latencyP50Ms: (number | null)[];
  latencyMaxMs: (number | null)[];
  faults: TimelineBand[];
  markers: TimelineMarker[];
}

/** Buckets a chart shows at most; longer runs get wider buckets (multiples of 250 ms). */
const MAX_BUCKETS = 2400;
/** Runs up to this long are bucketed at 100 ms. */
const FINE_UNTIL_MS = 30_000;
const CHART_HEIGHT_PX = 420;
const PALETTE: readonly (readonly [string, string])[] = [
  ['rgba(220,50,47,0.16)', 'rgb(180,40,38)'],
  ['rgba(38,139,210,0.16)', 'rgb(28,100,160)'],
  ['rgba(181,137,0,0.20)', 'rgb(130,98,0)'],
  ['rgba(108,113,196,0.18)', 'rgb(78,82,160)'],
  ['rgba(42,161,152,0.18)', 'rgb(25,110,104)'],
];

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** The bucket width for a run that lasted `endMs`. */
function bucketMsFor(endMs: number): number {
  if (endMs <= FINE_UNTIL_MS) return 100;
  return 250 * Math.max(1, Math.ceil(endMs / 250 / MAX_BUCKETS));
}

/** Throughput, latency, fault bands and markers of a history, in two passes and without sorting it. */
export function timelineData(history: readonly HistoryEvent[]): TimelineData {
  let end = 0;
  for (const e of history) if (e.t > end) end = e.t;
  const bucketMs = bucketMsFor(end);
  const n = Math.floor(end / bucketMs) + 1;
  const bucket = (t: number): number => Math.min(n - 1, Math.max(0, Math.floor(t / bucketMs)));
  const acks = new Uint32Array(n);
  const deliveries = new Uint32Array(n);
  const firstSend = new Map<string, number>();
  const markers: TimelineMarker[] = [];
  for (const e of history) {
    switch (e.type) {
      case 'invoke':
      case 'send': {
        // The application's send() when the history has it; the SDK's first attempt in older histories.
        const s = firstSend.get(e.id);
        if (s === undefined || e.t < s) firstSend.set(e.id, e.t);
        break;
      }
      case 'ack':
        acks[bucket(e.t)]! += 1;
        break;
      case 'deliver':
        deliveries[bucket(e.t)]! += 1;
        break;
      case 'worker-exit':
        markers.push({ t: e.t / 1000, kind: 'worker-exit', label: `w${e.worker} exit ${e.signal ?? `code ${e.code ?? '?'}`}` });
        break;
      case 'failpoint-fired':
        markers.push({ t: e.t / 1000, kind: 'failpoint', label: `w${e.worker} ${e.failpoint}` });
        break;
      case 'phase':
        markers.push({ t: e.t / 1000, kind: 'phase', label: e.phase });
        break;
      default:
        break;
    }
  }
  markers.sort((a, b) => a.t - b.t);
  // Latencies grouped by bucket in one array (a counting sort), then each group sorted on its own.
  const start = new Uint32Array(n + 1);
  for (let b = 0; b < n; b++) start[b + 1] = start[b]! + deliveries[b]!;
  const fill = start.slice(0, n);
  const latencies = new Float64Array(start[n]!);
  for (const e of history) {
    if (e.type !== 'deliver') continue;
    const sentAt = firstSend.get(e.id);
    if (sentAt === undefined) continue;
    const b = bucket(e.t);
    latencies[fill[b]!++] = e.t - sentAt;
  }
  const perSec = 1000 / bucketMs;
  const data: TimelineData = {
    bucketMs, endS: end / 1000, x: [], acksPerSec: [], deliveriesPerSec: [], latencyP50Ms: [], latencyMaxMs: [], faults: [], markers,
  };
  for (let b = 0; b < n; b++) {
    const group = latencies.subarray(start[b]!, fill[b]!).sort();
    data.x.push((b * bucketMs) / 1000);
    data.acksPerSec.push(round(acks[b]! * perSec, 2));
    data.deliveriesPerSec.push(round(deliveries[b]! * perSec, 2));
    data.latencyP50Ms.push(group.length === 0 ? null : round(percentile(group, 50), 1));
    data.latencyMaxMs.push(group.length === 0 ? null : round(group[group.length - 1]!, 1));
  }
  const colourOf = new Map<string, readonly [string, string]>();
  for (const w of faultWindows(history)) {
    let c = colourOf.get(w.kind);
    if (c === undefined) colourOf.set(w.kind, (c = PALETTE[colourOf.size % PALETTE.length]!));
    data.faults.push({
      kind: w.kind, target: w.target, label: faultLabel(w), from: w.at / 1000, to: w.healedAt === null ? null : w.healedAt / 1000, fill: c[0], edge: c[1],
    });
  }
  return data;
}

/** Text for a `<script>` or `<style>` element: a closing tag inside it would end the element early. */
export function rawText(text: string, tag: 'script' | 'style'): string {
  return text.replace(new RegExp(`</(${tag})`, 'gi'), '<\\/$1');
}

export function uplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  return {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

const PAGE_CSS = `
div.seq { overflow-x: auto; border: 1px solid #eee; margin: 6px 0 14px; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0 auto; max-width: 1200px; padding: 16px 24px 48px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.verdict { display: inline-block; padding: 1px 10px; border-radius: 4px; color: #fff; font-weight: 600; }
.pass { background: #2e8540; } .fail { background: #c0392b; }
.meta span { margin-right: 18px; } code { background: #f3f3f3; padding: 2px 6px; border-radius: 3px; }
table { border-collapse: collapse; } th, td { text-align: left; padding: 3px 12px 3px 0; vertical-align: top; }
th { font-weight: 600; border-bottom: 1px solid #ccc; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #2e8540; } .bad { color: #c0392b; } .dim { color: #666; }
.error { border: 1px solid #c0392b; background: #fdecea; padding: 8px 12px; border-radius: 4px; }
ul.examples { margin: 2px 0 10px; padding-left: 22px; } .swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid; vertical-align: -1px; margin-right: 6px; }
dl.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; margin: 0; }
dl.stats div { border: 1px solid #e3e3e3; border-radius: 4px; padding: 4px 8px; } dt { color: #666; font-size: 12px; } dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
#timeline { width: 100%; min-height: ${CHART_HEIGHT_PX}px; }
`;

// Runs in the browser: builds the uPlot chart from the embedded JSON; bands under the grid, markers on top.
const CHART_JS = `
(function () {
  var data = JSON.parse(document.getElementById('timeline-data').textContent);
  var el = document.getElementById('timeline');
  function clipTo(u) { var b = u.bbox; u.ctx.save(); u.ctx.beginPath(); u.ctx.rect(b.left, b.top, b.width, b.height); u.ctx.clip(); }
  function x(u, s) { return u.valToPos(s, 'x', true); }
  function bands(u) {
    var b = u.bbox, dpr = window.devicePixelRatio || 1;
    clipTo(u);
    data.faults.forEach(function (f) {
      var x0 = x(u, f.from), x1 = x(u, f.to === null ? data.endS : f.to);
      u.ctx.fillStyle = f.fill;
      u.ctx.fillRect(x0, b.top, Math.max(x1 - x0, 3 * dpr), b.height);
    });
    u.ctx.restore();
  }
  function marks(u) {
    var b = u.bbox, dpr = window.devicePixelRatio || 1, ctx = u.ctx;
    clipTo(u);
    ctx.font = (11 * dpr) + 'px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    data.faults.forEach(function (f, i) {
      ctx.fillStyle = f.edge;
      ctx.fillText(f.label, x(u, f.from) + 4 * dpr, b.top + (4 + 14 * (i % 5)) * dpr);
    });
    var prevX = -Infinity, nextY = 0;
    data.markers.forEach(function (m) {
      var mx = Math.round(x(u, m.t)) + 0.5, exit = m.kind === 'worker-exit', fired = m.kind === 'failpoint', solid = exit || fired;
      // Labels of markers closer than a line height stack upwards instead of overprinting.
      var y = mx - prevX < 13 * dpr ? nextY : 0;
      nextY = y + ctx.measureText(m.label).width + 8 * dpr;
      prevX = mx;
      ctx.strokeStyle = ctx.fillStyle = exit ? '#c0392b' : fired ? '#d35400' : '#888';
      ctx.lineWidth = (solid ? 1.5 : 1) * dpr;
      ctx.setLineDash(solid ? [] : [4 * dpr, 4 * dpr]);
      ctx.beginPath(); ctx.moveTo(mx, b.top); ctx.lineTo(mx, b.top + b.height); ctx.stroke();
      ctx.save(); ctx.translate(mx + 3 * dpr, b.top + b.height - 4 * dpr - y); ctx.rotate(-Math.PI / 2);
      ctx.fillText(m.label, 0, 0); ctx.restore();
    });
    ctx.restore();
  }
  function fromZero(u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; }
  var opts = {
    width: el.clientWidth, height: ${CHART_HEIGHT_PX},
    scales: { x: { time: false, range: function () { return [0, Math.max(data.endS, 0.1)]; } }, rate: { range: fromZero }, ms: { range: fromZero } },
    axes: [
      { label: 'seconds since run start' },
      { scale: 'rate', label: 'per second' },
      { scale: 'ms', label: 'delivery latency (ms)', side: 1, grid: { show: false } }
    ],
    series: [
      { label: 't', value: function (u, v) { return v == null ? '-' : v.toFixed(2) + ' s'; } },
      { label: 'acks/s', scale: 'rate', stroke: '#1f6fb2', width: 1.5, points: { show: false } },
      { label: 'deliveries/s', scale: 'rate', stroke: '#2e9e5b', width: 1.5, points: { show: false } },
      { label: 'latency p50 (ms)', scale: 'ms', stroke: '#8e44ad', width: 1.5 },
      { label: 'latency max (ms)', scale: 'ms', stroke: '#e67e22', width: 1, dash: [5, 3] }
    ],
    hooks: { drawClear: [bands], draw: [marks] }
  };
  var plot = new uPlot(opts, [data.x, data.acksPerSec, data.deliveriesPerSec, data.latencyP50Ms, data.latencyMaxMs], el);
  window.addEventListener('resize', function () { plot.setSize({ width: el.clientWidth, height: ${CHART_HEIGHT_PX} }); });
})();
`;

function invariantsSection(report: RunReport): string {
  const rows = report.invariants.map((r) => {
    const mark = r.ok ? '<td class="ok">✔</td>' : '<td class="bad">✘</td>';
    const notes = r.notes === undefined || r.notes.length === 0 ? '' : esc(r.notes.join(', '));
    return `<tr>${mark}<td>${esc(r.name)}</td><td class="num">${r.checked}</td><td class="num">${r.violations}</td><td class="dim">${notes}</td></tr>`;
  });
  const broken = report.invariants.filter((r) => !r.ok).map((r) => {
    const groups = groupByCause(r).map((g) =>
      `<details open><summary>${esc(causeHeading(g.cause))}: ${g.examples.length} of ${r.violations}</summary>\n<ul class="examples">\n` +
      `${g.examples.map((e) => `<li>${esc(e.text)}</li>`).join('\n')}\n</ul></details>`);
    const notKept = r.violations - r.examples.length;
    if (notKept > 0) groups.push(`<p class="dim">… and ${notKept} more not kept</p>`);
    if (r.examples.length === 0) groups.push('<p class="dim">no counterexample kept</p>');
    return `<h3 class="bad">✘ ${esc(r.name)}</h3>\n${groups.join('\n')}`;
  });
  return [
    '<h2>Invariants</h2>',
    '<table class="invariants">\n<tr><th></th><th>invariant</th><th>checked</th><th>violations</th><th>notes</th></tr>',
    ...rows,
    '</table>',
    ...(broken.length > 0 ? ['<h2>Counterexamples</h2>', ...broken] : []),
  ].join('\n');
}

function statsSection(report: RunReport): string {
  const s = report.stats;
  const cells: [string, string][] = [
    ['sent', String(s.sent)], ['acked', String(s.acked)], ['database rows', String(s.dbMessages)], ['deliveries', String(s.deliveries)],
    ['refused', String(s.refused)], ['unsettled (never acked nor refused)', String(s.unsettled)], ['unsettled, not in the database', String(s.unsettledNotInDb)],
    ['duplicates dropped', String(s.duplicatesDropped)], ['gaps filled', String(s.gapsFilled)], ['retries', String(s.retries)],
    ...(s.lostBeforeRecovery === undefined ? [] : [['lost before recovery', String(s.lostBeforeRecovery)] as [string, string]]),
    ['latency p50', formatMs(s.latencyMs.p50)], ['latency p99', formatMs(s.latencyMs.p99)], ['latency max', formatMs(s.latencyMs.max)],
    ...s.recoveryMs.map((r): [string, string] => [`recovery after ${r.kind} ${r.target} (${recoveryFromText(r)})`, formatMs(r.recoveryMs)]),
  ];
  return `<h2>Stats</h2>\n<dl class="stats">\n${cells.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('\n')}\n</dl>`;
}

/** The failpoints that fired, one line each as the terminal prints them. */
function firedSection(report: RunReport): string {
  const fired = report.fired ?? [];
  if (fired.length === 0) return '';
  const rows = fired.map((f) => `<tr><td class="num">${formatMs(f.at)}</td><td>${esc(firedText(f))}</td></tr>`);
  return `<table class="fired">\n<tr><th>at</th><th>failpoint fired</th></tr>\n${rows.join('\n')}\n</table>`;
}

function faultsSection(data: TimelineData): string {
  if (data.faults.length === 0) return '<p class="dim">No faults were injected in this run.</p>';
  const rows = data.faults.map(
    (f) => `<tr><td><span class="swatch" style="background:${f.fill};border-color:${f.edge}"></span>${esc(f.kind)}</td><td>${esc(f.target)}</td>` +
      `<td class="num">${formatMs(f.from * 1000)}</td><td class="num">${f.to === null ? 'never' : formatMs(f.to * 1000)}</td></tr>`,
  );
  return `<table class="faults">\n<tr><th>fault</th><th>target</th><th>started</th><th>healed</th></tr>\n${rows.join('\n')}\n</table>`;
}

/** Sequence diagrams of the messages a crash point fired on, or else of the first counterexample's message. */
function sequencesSection(report: RunReport, history: readonly HistoryEvent[]): string {
  const ids = (report.fired ?? []).map((f) => /id (\S+)/.exec(f.detail)?.[1]).filter((x): x is string => x !== undefined);
  const first = report.invariants.find((r) => !r.ok)?.examples.find((e) => e.id !== undefined)?.id;
  if (ids.length === 0 && first !== undefined) ids.push(first);
  const parts = [...new Set(ids)].slice(0, 3).flatMap((id) => {
    const svg = sequenceSvg(history, id);
    return svg === undefined ? [] : [`<h3>message ${esc(id)}</h3>\n<div class="seq">${svg}</div>`];
  });
  if (parts.length === 0) return '';
  return `<h2>Sequence diagrams</h2>\n<p class="dim">One lane per client, worker, the writer and Redis; blue: the sender's attempts, grey: the core (commit, ack), purple: Redis, green: a copy the application got (and how), dashed: a copy the SDK dropped. \`deliverylab trace &lt;id&gt;\` tells the same in words.</p>\n${parts.join('\n')}`;
}

/** The run as one self-contained HTML page: verdict, invariants, counterexamples, stats, a uPlot timeline and sequence diagrams. */
export function renderHtml(report: RunReport, history: readonly HistoryEvent[]): string {
  const data = timelineData(history);
  const { js, css } = uplotAssets();
  const word = report.skipped !== undefined ? 'SKIP' : report.ok ? 'PASS' : 'FAIL';
  const verdict = report.skipped !== undefined ? `<span class="verdict">SKIP</span> <span class="dim">nothing was run or checked: ${esc(report.skipped)}</span>` : `<span class="verdict ${report.ok ? 'pass' : 'fail'}">${word}</span>`;
  const title = `deliverylab ${word}: ${report.scenario} [${report.semantics}, seed ${report.seed}]`;
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${rawText(css, 'style')}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>deliverylab ${verdict} ${esc(report.scenario)}</h1>
<p class="meta"><span>scenario <b>${esc(report.scenario)}</b></span><span>seed <b>${report.seed}</b></span><span>semantics <b>${esc(report.semantics)}</b></span><span>duration <b>${esc(formatMs(report.durationMs))}</b></span></p>
<p>reproduce: <code>${esc(reproduceCommand(report))}</code></p>
${report.error === undefined ? '' : `<p class="error">! the run could not be carried out: ${esc(report.error)}</p>`}
${invariantsSection(report)}
<h2>Timeline</h2>
<p class="dim">Throughput and delivery latency per ${data.bucketMs} ms bucket. Shaded bands: faults from start to heal; solid red lines: worker exits; solid orange lines: failpoints firing; dashed grey lines: runner phases.</p>
<div id="timeline"></div>
<noscript><p class="dim">The timeline needs JavaScript.</p></noscript>
${faultsSection(data)}
${firedSection(report)}
${sequencesSection(report, history)}
${statsSection(report)}
<script type="application/json" id="timeline-data">${json}</script>
<script>${rawText(js, 'script')}</script>
<script>${CHART_JS}</script>
</body>
</html>
`;
}
