import { reproduceCommand } from './format.js';
import type { RunReport } from './types.js';

/** The run report as JSON: RunReport plus its reproduce command. */
export type RunReportJson = RunReport & { reproduce: string };

/** The run report as a plain object, keys in the order of DESIGN's schema (every counterexample, each with its cause). */
export function runReportJson(report: RunReport): RunReportJson {
  return {
    scenario: report.scenario,
    ...(report.scenarioFile === undefined ? {} : { scenarioFile: report.scenarioFile }),
    seed: report.seed,
    semantics: report.semantics,
    cluster: report.cluster,
    ...(report.writer === undefined ? {} : { writer: report.writer }),
    ...(report.synchronous === undefined ? {} : { synchronous: report.synchronous }),
    ...(report.overrides === undefined ? {} : { overrides: report.overrides }),
    ok: report.ok,
    ...(report.skipped === undefined ? {} : { skipped: report.skipped }),
    durationMs: report.durationMs,
    reproduce: reproduceCommand(report),
    invariants: report.invariants.map((r) => ({
      name: r.name,
      ok: r.ok,
      checked: r.checked,
      violations: r.violations,
      examples: r.examples,
      ...(r.causes === undefined ? {} : { causes: r.causes }),
      ...(r.notes === undefined ? {} : { notes: r.notes }),
      ...(r.timeMs === undefined ? {} : { timeMs: r.timeMs }),
    })),
    stats: report.stats,
    faults: report.faults,
    ...(report.fired === undefined ? {} : { fired: report.fired }),
    ...(report.story === undefined ? {} : { story: report.story }),
    ...(report.phases === undefined ? {} : { phases: report.phases }),
    ...(report.error === undefined ? {} : { error: report.error }),
  };
}

/** The run report as pretty JSON. */
export function renderJson(report: RunReport): string {
  return `${JSON.stringify(runReportJson(report), null, 2)}\n`;
}
