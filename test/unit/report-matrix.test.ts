import { describe, expect, it } from 'vitest';
import { abbreviate, matrixCell, renderMatrix, type MatrixCell } from '../../lab/report/index.js';
import { failingReport, passingReport } from './support/reports.js';

describe('matrix', () => {
  const cells: MatrixCell[] = [
    { semantics: 'at-most-once', scenario: 'kill-worker', ok: false, broken: ['at-least-once', 'per-room-order'], example: 'message m9 never reached client c2' },
    matrixCell(passingReport()),
    { ...matrixCell(passingReport()), scenario: 'crash-after-ack' },
    matrixCell(failingReport()),
    { semantics: 'ack-before-commit', scenario: 'kill-worker', ok: false, broken: [], error: 'timed out' },
  ];
  const out = renderMatrix(cells);
  const lines = out.split('\n');

  it('has rows of variants in canonical order and columns of scenarios', () => {
    expect(lines[0]).toBe('semantics          kill-worker  crash-after-ack');
    expect(lines[1]).toBe('effectively-once   ✔            ✔');
    expect(lines[2]).toBe('at-most-once       ✘ ALO+1      –');
    expect(lines[3]).toBe('ack-before-commit  ! error      ✘ AD');
  });

  it('lists a legend and one real counterexample per variant', () => {
    expect(out).toContain('legend: ALO at-least-once, PRO per-room-order, AD acked-durable');
    expect(out).toContain('effectively-once: every invariant held in 2 scenarios');
    expect(out).toContain('at-most-once: at-least-once broke in kill-worker: message m9 never reached client c2');
    expect(out).toContain('ack-before-commit: acked-durable broke in crash-after-ack: message m<&">3 (room r1, seq 3) acked to client c1');
  });

  it('abbreviates invariant names to initials', () => {
    expect(['exactly-once-effect', 'no-phantoms', 'database-integrity'].map(abbreviate)).toEqual(['EOE', 'NP', 'DI']);
  });
});
