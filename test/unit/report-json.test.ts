import { describe, expect, it } from 'vitest';
import { buildRunReport, renderJson } from '../../lab/report/index.js';
import { failingReport, passingReport } from './support/reports.js';
import { lab } from './support/history-builder.js';

describe('JSON report', () => {
  it("has the schema's keys, in order", () => {
    const json = JSON.parse(renderJson(failingReport())) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['scenario', 'seed', 'semantics', 'ok', 'durationMs', 'invariants', 'stats', 'faults']);
    expect(json).toMatchObject({ scenario: 'crash-after-ack', seed: 7, semantics: 'ack-before-commit', ok: false, durationMs: 2500 });
    const [first] = json['invariants'] as Record<string, unknown>[];
    expect(Object.keys(first ?? {}).slice(0, 5)).toEqual(['name', 'ok', 'checked', 'violations', 'examples']);
    expect(Object.keys(json['stats'] as object)).toEqual(
      expect.arrayContaining(['sent', 'acked', 'dbMessages', 'deliveries', 'duplicatesDropped', 'gapsFilled', 'latencyMs']),
    );
    expect(json['faults']).toEqual([{ kind: 'crash-point', target: 'w0', at: 200, healedAt: 230 }]);
  });

  it('keeps phases and error when present', () => {
    const json = JSON.parse(renderJson({ ...passingReport(), error: 'timed out' })) as Record<string, unknown>;
    expect(json['phases']).toEqual([{ phase: 'recovery', at: 310 }]);
    expect(json['error']).toBe('timed out');
  });

  it('a run that never reached the check phase is not ok and says why', () => {
    const r = buildRunReport({ scenario: 's', seed: 1, semantics: 'effectively-once', durationMs: 5, history: lab().fault('k', 'worker-kill', 'w0').events });
    expect(r).toMatchObject({ ok: false, invariants: [], error: 'the run ended before the check phase' });
    expect(r.faults).toEqual([{ kind: 'worker-kill', target: 'w0', at: 0, healedAt: null }]);
  });
});
