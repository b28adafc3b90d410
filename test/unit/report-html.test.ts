import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { faultWindows, INVARIANT_NAMES } from '../../lab/checker/index.js';
import type { HistoryEvent } from '../../lab/history/events.js';
import { HistoryReadError, readHistory } from '../../lab/history/read-history.js';
import type { TimelineData } from '../../lab/report/html.js';
import { renderHtml, type RunReport } from '../../lab/report/index.js';
import { lab } from './support/history-builder.js';
import { failingReport, passingReport } from './support/reports.js';

const HOSTILE_EXAMPLE = 'client c2 never got m9 <script>alert("x")</script> & lost it';
const HOSTILE_TARGET = 'worker:0</script><b>';

/**
 * 700 ms in 100 ms buckets: m1 sent at 100, delivered at 120 and 180 (latencies 20 and 80, bucket 1);
 * m2 sent at 260, retried at 400, delivered at 430 (latency 170 from the first send, bucket 4);
 * a partition 250–600, a kill from 650 that never heals, a worker exit at 660, the recovery phase at 700.
 */
function history(): HistoryEvent[] {
  const l = lab()
    .connect('c1', 0).connect('c2', 1).join('c1', 'r1').join('c2', 'r1')
    .at(100).send('c1', 'r1', 'm1', 'hi')
    .at(110).ack('c1', 'r1', 'm1', 1)
    .at(120).deliver('c1', 'r1', 'm1', 1, 'hi')
    .at(180).deliver('c2', 'r1', 'm1', 1, 'hi')
    .at(250).fault('p1', 'redis-partition', HOSTILE_TARGET)
    .at(260).send('c1', 'r1', 'm2', 'again')
    .at(400).send('c1', 'r1', 'm2', 'again', 2)
    .at(420).ack('c1', 'r1', 'm2', 2)
    .at(430).deliver('c1', 'r1', 'm2', 2, 'again')
    .at(600).heal('p1')
    .at(650).fault('k1', 'worker-kill', 'worker:1')
    .at(700).phase('recovery');
  const exit: HistoryEvent = { type: 'worker-exit', t: 660, worker: 1, pid: 1001, signal: 'SIGKILL', code: null };
  return [...l.events, exit].sort((a, b) => a.t - b.t);
}

/** The failing report with a counterexample that would run script if it were not escaped. */
function hostileReport(): RunReport {
  const base = failingReport();
  return {
    ...base,
    invariants: base.invariants.map((r) => (r.ok ? r : { ...r, examples: [...r.examples, { text: HOSTILE_EXAMPLE, faults: [] }] })),
  };
}

function timeline(html: string): TimelineData {
  const m = /<script type="application\/json" id="timeline-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m?.[1] ?? 'null') as TimelineData;
}

describe('HTML report', () => {
  const events = history();
  const html = renderHtml(hostileReport(), events);

  it('failing run: header with scenario, seed, verdict and reproduce command', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('scenario <b>crash-after-ack</b>');
    expect(html).toContain('seed <b>7</b>');
    expect(html).toContain('semantics <b>ack-before-commit</b>');
    expect(html).toContain('<span class="verdict fail">FAIL</span>');
    expect(html).toContain('<code>npx deliverylab run crash-after-ack --seed 7 --semantics ack-before-commit</code>');
  });

  it('a ✘ row and ✘ counterexamples for the broken invariant, its example text escaped', () => {
    expect(html).toContain('<tr><td class="bad">✘</td><td>acked-durable</td><td class="num">3</td><td class="num">1</td>');
    expect(html).toContain('<h3 class="bad">✘ acked-durable</h3>');
    expect(html).toContain('<li>message m&lt;&amp;&quot;&gt;3 (room r1, seq 3) acked to client c1 on worker 0 at 220 ms is missing from the database');
    expect(html).toContain('<li>client c2 never got m9 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; lost it</li>');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('m<&">3');
    expect(html.match(/<td class="ok">✔<\/td>/g)).toHaveLength(INVARIANT_NAMES.length - 1);
  });

  it('groups every counterexample by cause', () => {
    expect(html).toContain('<details open><summary>near crash-point w0: 1 of 1</summary>');
    expect(html).toContain('<details open><summary>no fault near it: 1 of 1</summary>\n<ul class="examples">\n<li>client c2 never got m9');
  });

  it('lists the failpoints that fired and marks them on the timeline', () => {
    const fired = { at: 210, worker: 0, pid: 4242, failpoint: 'crash.before-commit', detail: 'send <m9>' };
    const ev: HistoryEvent = { type: 'failpoint-fired', t: 210, worker: 0, pid: 4242, failpoint: 'crash.before-commit', detail: 'send <m9>' };
    const page = renderHtml({ ...failingReport(), fired: [fired] }, [...events, ev].sort((a, b) => a.t - b.t));
    expect(page).toContain('<tr><td class="num">210 ms</td><td>failpoint crash.before-commit fired in worker 0 (pid 4242) on send &lt;m9&gt;</td></tr>');
    expect(timeline(page).markers).toContainEqual({ t: 0.21, kind: 'failpoint', label: 'w0 crash.before-commit' });
  });

  it('shows the sender-side losses and what each recovery is measured from', () => {
    expect(html).toContain('<dt>unsettled (never acked nor refused)</dt><dd>0</dd>');
    expect(html).toContain('<dt>recovery after crash-point w0 (healed at 230 ms)</dt>');
  });

  it('passing run: PASS and only ✔ rows', () => {
    const page = renderHtml(passingReport(), events);
    expect(page).toContain('<span class="verdict pass">PASS</span>');
    expect(page).toContain('scenario <b>kill-worker</b>');
    expect(page).not.toContain('✘');
  });

  it('is self-contained: uPlot inline, nothing loaded from a URL', () => {
    const require = createRequire(import.meta.url);
    expect(html).toContain(readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'));
    expect(html).toContain(readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'));
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('embeds the series as JSON with one value per bucket, every series as long as x', () => {
    const data = timeline(html);
    expect(data.bucketMs).toBe(100);
    expect(data.x).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    for (const series of [data.acksPerSec, data.deliveriesPerSec, data.latencyP50Ms, data.latencyMaxMs]) expect(series).toHaveLength(data.x.length);
    expect(data.acksPerSec).toEqual([0, 10, 0, 0, 10, 0, 0, 0]);
    expect(data.deliveriesPerSec).toEqual([0, 20, 0, 0, 10, 0, 0, 0]);
    expect(data.latencyP50Ms).toEqual([null, 20, null, null, 170, null, null, null]);
    expect(data.latencyMaxMs).toEqual([null, 80, null, null, 170, null, null, null]);
  });

  it("has one fault band per fault window of the history, and markers for the worker exit and the phase", () => {
    const data = timeline(html);
    expect(data.faults.map((f) => ({ kind: f.kind, target: f.target, from: f.from, to: f.to }))).toEqual(
      faultWindows(events).map((w) => ({ kind: w.kind, target: w.target, from: w.at / 1000, to: w.healedAt === null ? null : w.healedAt / 1000 })),
    );
    expect(data.faults.map((f) => [f.label, f.from, f.to])).toEqual([
      [`redis-partition ${HOSTILE_TARGET}`, 0.25, 0.6],
      ['worker-kill worker:1', 0.65, null],
    ]);
    expect(data.markers).toEqual([
      { t: 0.66, kind: 'worker-exit', label: 'w1 exit SIGKILL' },
      { t: 0.7, kind: 'phase', label: 'recovery' },
    ]);
  });

  it('escapes a closing script tag inside the embedded JSON and in the fault table', () => {
    expect(html).not.toContain(HOSTILE_TARGET);
    expect(html).toContain('<td>worker:0&lt;/script&gt;&lt;b&gt;</td>');
  });

  it('draws with an empty history: one bucket, no bands', () => {
    const data = timeline(renderHtml(passingReport(), []));
    expect(data.x).toEqual([0]);
    expect(data.latencyP50Ms).toEqual([null]);
    expect(data.faults).toEqual([]);
  });
});

describe('readHistory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'deliverylab-history-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  it('reads back what the recorder writes: one JSON event per line', () => {
    const events = history();
    expect(readHistory(file('ok.jsonl', events.map((e) => `${JSON.stringify(e)}\n`).join('')))).toEqual(events);
    expect(readHistory(file('empty.jsonl', ''))).toEqual([]);
  });

  it.each([
    { name: 'not JSON', text: '{"t":1,"type":"phase","phase":"start"}\n{"t":2,"type":\n', line: 2, problem: 'not JSON' },
    { name: 'non-numeric t', text: '{"t":1,"type":"phase"}\n{"t":1,"type":"phase"}\n{"t":"3","type":"ack"}\n', line: 3, problem: '"t" is not a finite number' },
    { name: 'missing type', text: '{"t":1}\n', line: 1, problem: '"type" is not a string' },
    { name: 'an array', text: '{"t":1,"type":"phase"}\n[1,2]\n', line: 2, problem: 'not a JSON object' },
    { name: 'a blank line inside', text: '{"t":1,"type":"phase"}\n\n{"t":2,"type":"phase"}\n', line: 2, problem: 'empty line' },
  ])('a bad line is an error naming its line number: $name', ({ name, text, line, problem }) => {
    const p = file(`${name.replace(/\W/g, '-')}.jsonl`, text);
    expect(() => readHistory(p)).toThrow(HistoryReadError);
    expect(() => readHistory(p)).toThrow(`${p}:${line}: ${problem}`);
  });
});
