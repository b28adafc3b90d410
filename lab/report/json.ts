import type { RunReport } from './types.js';

/** The run report as pretty JSON, keys in the order of DESIGN's schema. */
export function renderJson(report: RunReport): string {
  const ordered: RunReport = {
    scenario: report.scenario,
    seed: report.seed,
    semantics: report.semantics,
    ok: report.ok,
    durationMs: report.durationMs,
    invariants: report.invariants.map((r) => ({
      name: r.name,
      ok: r.ok,
      checked: r.checked,
      violations: r.violations,
      examples: r.examples,
      ...(r.notes === undefined ? {} : { notes: r.notes }),
      ...(r.timeMs === undefined ? {} : { timeMs: r.timeMs }),
    })),
    stats: report.stats,
    faults: report.faults,
    ...(report.phases === undefined ? {} : { phases: report.phases }),
    ...(report.error === undefined ? {} : { error: report.error }),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
