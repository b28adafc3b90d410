import { describe, expect, it } from 'vitest';
import { renderTerminal } from '../../lab/report/index.js';
import { failingReport, passingReport } from './support/reports.js';

describe('terminal report', () => {
  it('passing run: header with the seed, one ✔ line per invariant, stats, reproduce line last', () => {
    const out = renderTerminal(passingReport());
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('deliverylab PASS  scenario kill-worker  seed 42  semantics effectively-once  1840 ms');
    expect(lines).toContain('✔ acked-durable        checked 2');
    expect(lines.filter((l) => l.startsWith('✔ '))).toHaveLength(7);
    expect(out).not.toContain('✘');
    expect(out).toContain('sent 2  acked 2  db 2  deliveries 4  dups dropped 0  gaps filled 0  retries 0');
    expect(out).toContain('latency p50 20 ms  p99 30 ms  max 30 ms');
    expect(out).toContain('recovery after worker-kill w1 (healed at 300 ms): 0 ms');
    expect(lines.at(-1)).toBe('reproduce: deliverylab run kill-worker --seed 42 --semantics effectively-once');
  });

  it('failing run: ✘ line with counts and the counterexample in plain words', () => {
    const out = renderTerminal(failingReport());
    expect(out).toContain('deliverylab FAIL  scenario crash-after-ack  seed 7');
    expect(out).toContain('✘ acked-durable        1 violation of 3');
    expect(out).toMatch(/Counterexamples\n✘ acked-durable\n {2}- message m<&">3 \(room r1, seq 3\) acked to client c1 on worker 0 at 220 ms is missing from the database; active faults then: crash-point w0\n/);
    expect(out.trimEnd().split('\n').at(-1)).toBe('reproduce: deliverylab run crash-after-ack --seed 7 --semantics ack-before-commit');
  });

  it('a run with the workers as writers says so in the header and in the reproduce line', () => {
    const lines = renderTerminal({ ...passingReport(), writer: 'worker' }).trimEnd().split('\n');
    expect(lines[0]).toBe('deliverylab PASS  scenario kill-worker  seed 42  semantics effectively-once  writer worker  1840 ms');
    expect(lines.at(-1)).toBe('reproduce: deliverylab run kill-worker --seed 42 --semantics effectively-once --writer worker');
  });

  it('colors only when asked', () => {
    expect(renderTerminal(failingReport())).not.toContain('\u001b[');
    expect(renderTerminal(failingReport(), { color: true })).toContain('\u001b[31m✘\u001b[0m');
  });

  it('says when the run could not be carried out', () => {
    const out = renderTerminal({ ...passingReport(), ok: false, error: 'redis-server did not start on port 6390' });
    expect(out).toContain('! the run could not be carried out: redis-server did not start on port 6390');
  });
});
