import { describe, expect, it } from 'vitest';
import { INVARIANT_NAMES } from '../../lab/checker/index.js';
import { escapeXml, renderJUnit } from '../../lab/report/index.js';
import { failingReport, passingReport } from './support/reports.js';

/** Checks XML well-formedness enough for a test: balanced tags, quoted attributes, no raw `<` or bare `&`. */
function wellFormed(xml: string): string[] {
  const problems: string[] = [];
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>/g;
  let at = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    const text = body.slice(at, m.index);
    if (text.includes('<') || text.includes('>')) problems.push(`raw angle bracket in text: ${text}`);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(text)) problems.push(`bare & in text: ${text}`);
    if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[3] ?? '')) problems.push(`bare & in attributes: ${m[3]}`);
    const [, close, name = '', , selfClose] = m;
    if (close === '/') {
      if (stack.pop() !== name) problems.push(`unbalanced </${name}>`);
    } else if (selfClose !== '/') stack.push(name);
    at = m.index + m[0].length;
  }
  if (body.slice(at).trim() !== '') problems.push(`trailing text: ${body.slice(at)}`);
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(', ')}`);
  return problems;
}

describe('JUnit report', () => {
  const xml = renderJUnit([passingReport(), failingReport()]);

  it('is well-formed XML with escaped text and attributes', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')).toBe(true);
    expect(wellFormed(xml)).toEqual([]);
    expect(xml).toContain('message m&lt;&amp;&quot;&gt;3 (room r1, seq 3)');
    expect(xml).not.toContain('m<&">3');
  });

  it('has one testsuite per run and one testcase per invariant', () => {
    const n = INVARIANT_NAMES.length;
    expect(xml).toContain(`<testsuites name="deliverylab" tests="${2 * n}" failures="1" errors="0"`);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml.match(/<testcase /g)).toHaveLength(2 * n);
    expect(xml).toContain(`<testsuite name="crash-after-ack [ack-before-commit, seed 7]" tests="${n}" failures="1"`);
    expect(xml).toContain('<failure type="invariant" message="acked-durable: 1 violation of 3">');
    expect(xml).toContain('<property name="reproduce" value="npx deliverylab run crash-after-ack --seed 7 --semantics ack-before-commit"/>');
  });

  it('reports a run error as an error testcase', () => {
    const out = renderJUnit([{ ...passingReport(), ok: false, error: 'core did not start: <port in use> & more' }]);
    expect(wellFormed(out)).toEqual([]);
    expect(out).toContain('<error type="run" message="core did not start: &lt;port in use&gt; &amp; more"/>');
    expect(out).toContain(`tests="${INVARIANT_NAMES.length + 1}" failures="0" errors="1"`);
  });

  it('groups the failure body by cause', () => {
    expect(xml).toContain('<failure type="invariant" message="acked-durable: 1 violation of 3">near crash-point w0: 1 of 1\n- message m&lt;&amp;&quot;&gt;3');
  });

  it('carries the failpoints that fired, as properties and in the suite output', () => {
    const out = renderJUnit([{ ...failingReport(), fired: [{ at: 210, worker: 0, pid: 4242, failpoint: 'crash.before-commit', detail: 'send <m9>' }] }]);
    expect(wellFormed(out)).toEqual([]);
    expect(out).toContain('<property name="failpoint-fired" value="210 ms: failpoint crash.before-commit fired in worker 0 (pid 4242) on send &lt;m9&gt;"/>');
    expect(out).toContain('faults:\n   200 ms  fault crash-point on w0, healed at 230 ms\n   210 ms  failpoint crash.before-commit fired in worker 0 (pid 4242) on send &lt;m9&gt;</system-out>');
  });

  it('escapes the five specials and replaces characters XML cannot hold', () => {
    expect(escapeXml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;');
    expect(escapeXml('bell\u0007 tab\t lone\uD800 pair\uD83D\uDE00')).toBe('bell\uFFFD tab\t lone\uFFFD pair\uD83D\uDE00');
  });
});
