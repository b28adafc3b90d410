import { faultWindows, type CheckOutcome } from '../checker/index.js';
import type { DbMessage, HistoryEvent } from '../history/events.js';
import { runStory } from '../explore/run-story.js';
import { attributeCauses } from './causes.js';
import type { MatrixCell, RunReport } from './types.js';

/**
 * What a finished (or failed) run hands the report: what names the run as the report names it (the
 * writer and synchronous setting may be the defaults here; the report keeps them only when not), and
 * what happened.
 */
export interface RunFacts extends Pick<RunReport, 'scenario' | 'scenarioFile' | 'seed' | 'semantics' | 'cluster' | 'writer' | 'synchronous' | 'durationMs' | 'skipped'> {
  history: readonly HistoryEvent[];
  /** Absent when the run could not reach the check phase. */
  outcome?: CheckOutcome;
  /** The database's messages at the final reads (for the run story). */
  dbMessages?: readonly DbMessage[];
  error?: string;
}

const NO_STATS: RunReport['stats'] = {
  sent: 0, acked: 0, dbMessages: 0, deliveries: 0, duplicatesDropped: 0, gapsFilled: 0, retries: 0, refused: 0, unsettled: 0, unsettledNotInDb: 0,
  latencyMs: { p50: 0, p99: 0, max: 0 }, recoveryMs: [],
};

/** Assembles the run report: faults and phases from the history, verdicts (each counterexample with its cause) and stats from the check. */
export function buildRunReport(facts: RunFacts): RunReport {
  const phases = facts.history.flatMap((e) => (e.type === 'phase' ? [{ phase: e.phase, at: e.t }] : []));
  const report: RunReport = {
    scenario: facts.scenario,
    seed: facts.seed,
    semantics: facts.semantics,
    cluster: facts.cluster,
    ok: facts.skipped !== undefined || (facts.error === undefined && facts.outcome !== undefined && facts.outcome.ok),
    durationMs: facts.durationMs,
    invariants: attributeCauses(facts.outcome?.results ?? [], facts.history),
    stats: facts.outcome?.stats ?? NO_STATS,
    faults: faultWindows(facts.history).map((w) => ({ kind: w.kind, target: w.target, at: w.at, healedAt: w.healedAt })),
  };
  if (facts.scenarioFile !== undefined) report.scenarioFile = facts.scenarioFile;
  if (facts.writer !== undefined && facts.writer !== 'primary') report.writer = facts.writer;
  if (facts.synchronous !== undefined && facts.synchronous !== 'FULL') report.synchronous = facts.synchronous;
  if (phases.length > 0) report.phases = phases;
  const fired = facts.history.flatMap((e) => (e.type === 'failpoint-fired' ? [{ at: e.t, worker: e.worker, pid: e.pid, failpoint: e.failpoint, detail: e.detail }] : []));
  if (fired.length > 0) report.fired = fired;
  if (facts.outcome !== undefined) {
    const story = runStory(facts.history, facts.dbMessages ?? []);
    if (story.length > 0) report.story = story;
  }
  if (facts.skipped !== undefined) {
    report.skipped = facts.skipped;
    return report;
  }
  const error = facts.error ?? (facts.outcome === undefined ? 'the run ended before the check phase' : undefined);
  if (error !== undefined) report.error = error;
  return report;
}

/** The matrix cell of a run report. */
export function matrixCell(report: RunReport): MatrixCell {
  const broken = report.invariants.filter((r) => !r.ok);
  const cell: MatrixCell = { semantics: report.semantics, scenario: report.scenario, ok: report.ok, broken: broken.map((r) => r.name) };
  const example = broken[0]?.examples[0]?.text;
  if (example !== undefined) cell.example = example;
  if (report.error !== undefined) cell.error = report.error;
  return cell;
}
