import { describe, expect, it } from 'vitest';
import { INVARIANT_NAMES } from '../../lab/checker/index.js';
import { renderTerminal, type RunReport } from '../../lab/report/index.js';
import { failingReport, passingReport } from './support/reports.js';

/** The failing report with `n` more counterexamples of acked-durable: `near` of them near the crash point, the rest with no fault near. */
function manyExamples(n: number, near: number): RunReport {
  const base = failingReport();
  return {
    ...base,
    invariants: base.invariants.map((r) => {
      if (r.ok) return r;
      const extra = Array.from({ length: n }, (_, i) => ({ text: `extra example ${i}`, faults: [], cause: i < near ? 'crash-point w0' : 'none' }));
      const examples = [...r.examples, ...extra];
      return { ...r, violations: examples.length, examples, causes: undefined };
    }),
  };
}

describe('terminal report', () => {
  it('passing run: header with the seed, one ✔ line per invariant, stats, reproduce line last', () => {
    const out = renderTerminal(passingReport());
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('deliverylab PASS  scenario kill-worker  seed 42  semantics effectively-once  1840 ms');
    expect(lines).toContain('✔ acked-durable        checked 2');
    expect(lines.filter((l) => l.startsWith('✔ '))).toHaveLength(INVARIANT_NAMES.length);
    expect(out).not.toContain('✘');
    expect(out).toContain('sent 2  acked 2  refused 0  unsettled 0  db 2  deliveries 4  dups dropped 0  gaps filled 0  retries 0');
    expect(out).toContain('latency p50 20 ms  p99 30 ms  max 30 ms');
    expect(out).toContain('recovery after worker-kill w1 (struck at 200 ms): 0 ms');
    expect(lines.at(-1)).toBe('reproduce: npx deliverylab run kill-worker --seed 42 --semantics effectively-once');
  });

  it('failing run: ✘ line with counts and the counterexample in plain words', () => {
    const out = renderTerminal(failingReport());
    expect(out).toContain('deliverylab FAIL  scenario crash-after-ack  seed 7');
    expect(out).toContain('✘ acked-durable        1 violation of 3');
    expect(out).toMatch(/Counterexamples\n✘ acked-durable\n {2}near crash-point w0: 1 of 1\n {4}- message m<&">3 \(room r1, seq 3\) acked to client c1 on worker 0 at 220 ms is missing from the database; active faults then: crash-point w0\n/);
    expect(out.trimEnd().split('\n').at(-1)).toBe('reproduce: npx deliverylab run crash-after-ack --seed 7 --semantics ack-before-commit');
  });

  it('groups counterexamples by cause, the biggest group first, and shows the first few of each', () => {
    const out = renderTerminal(manyExamples(9, 2));
    expect(out).toContain('  no fault near it: 7 of 10\n    - extra example 2\n    - extra example 3\n    - extra example 4\n    … and 4 more\n');
    expect(out).toContain('  near crash-point w0: 3 of 10\n    - message m<&">3');
    expect(out.indexOf('no fault near it')).toBeLessThan(out.indexOf('near crash-point w0'));
    expect(out).toContain('(4 more counterexamples: --all prints every one; the JSON and HTML reports hold them all)');
    expect(out).not.toContain('extra example 8');
  });

  it('--all prints every counterexample', () => {
    const out = renderTerminal(manyExamples(9, 2), { all: true });
    for (let i = 0; i < 9; i++) expect(out).toContain(`    - extra example ${i}\n`);
    expect(out).not.toContain('more');
  });

  it('prints the failpoints that fired among the faults, in time order', () => {
    const out = renderTerminal({ ...failingReport(), fired: [{ at: 210, worker: 0, pid: 4242, failpoint: 'crash.before-commit', detail: 'send m9 in r1' }] });
    expect(out).toContain('     200 ms  fault crash-point on w0, healed at 230 ms\n     210 ms  failpoint crash.before-commit fired in worker 0 (pid 4242) on send m9 in r1\n');
  });

  it('a scenario from a file is reproduced by its file', () => {
    const lines = renderTerminal({ ...failingReport(), scenarioFile: 'reports/runs/my scenario.json' }).trimEnd().split('\n');
    expect(lines.at(-1)).toBe("reproduce: npx deliverylab run 'reports/runs/my scenario.json' --seed 7 --semantics ack-before-commit");
  });

  it('a run with the workers as writers says so in the header and in the reproduce line', () => {
    const lines = renderTerminal({ ...passingReport(), writer: 'worker' }).trimEnd().split('\n');
    expect(lines[0]).toBe('deliverylab PASS  scenario kill-worker  seed 42  semantics effectively-once  writer worker  1840 ms');
    expect(lines.at(-1)).toBe('reproduce: npx deliverylab run kill-worker --seed 42 --semantics effectively-once --writer worker');
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
