import { join } from 'node:path';
import { DEFAULT_SEMANTICS, SEMANTICS, SEMANTICS_NAMES, type SemanticsName, type Synchronous, type WriterName } from '../../src/protocol/index.js';
import type { RunReport } from '../report/index.js';
import { runScenario } from './run-scenario.js';
import type { Scenario } from './scenario.js';

/** One run `matrix --check` makes: the default on a scenario, or a variant the scenario declares it catches. */
export interface CheckCell {
  scenario: Scenario;
  semantics: SemanticsName;
  /** The invariants that must break (empty for the default: every invariant must hold). */
  mustBreak: string[];
}

/** The verdict on one cell. */
export interface CellVerdict {
  cell: CheckCell;
  report: RunReport;
  /** True when the cell did what it must: the default held, or every declared invariant broke. */
  ok: boolean;
  /** One line in plain words: what happened and, for a catch, its first counterexample. */
  text: string;
}

/** The cells of `matrix --check`: the default on every scenario, then every declared catch. */
export function checkCells(scenarios: readonly Scenario[]): CheckCell[] {
  const unique = [...new Map(scenarios.map((s) => [s.name, s])).values()];
  const cells: CheckCell[] = unique.map((scenario) => ({ scenario, semantics: DEFAULT_SEMANTICS, mustBreak: [] }));
  for (const scenario of unique) {
    for (const [semantics, names] of Object.entries(scenario.catches) as [SemanticsName, string[]][]) cells.push({ scenario, semantics, mustBreak: names });
  }
  return cells;
}

/** Ablations and seeded bugs no scenario declares it catches (each must be caught somewhere). */
export function uncaughtVariants(scenarios: readonly Scenario[]): SemanticsName[] {
  const declared = new Set(scenarios.flatMap((s) => Object.keys(s.catches)));
  return SEMANTICS_NAMES.filter((v) => (SEMANTICS[v].kind === 'ablation' || SEMANTICS[v].kind === 'seeded-bug') && !declared.has(v));
}

/** Judges one finished cell. */
export function judge(cell: CheckCell, report: RunReport): CellVerdict {
  const name = `${cell.scenario.name} × ${cell.semantics}`;
  // A topology this machine cannot build (no network namespaces) is said, not counted as a catch or a hold.
  if (report.skipped !== undefined) return { cell, report, ok: true, text: `${name}: SKIPPED: ${report.skipped}` };
  if (report.error !== undefined) return { cell, report, ok: false, text: `${name}: the run could not be carried out: ${report.error}` };
  const broken = report.invariants.filter((i) => !i.ok);
  // A cell that exercised nothing proves nothing: every crash point must have fired, and the default must have acked sends.
  const crashSteps = cell.scenario.faults.filter((f) => f.kind === 'crash-point' && f.probability === 1).length;
  const fired = (report.fired ?? []).filter((f) => f.failpoint.startsWith('crash.')).length;
  if (fired < crashSteps) return { cell, report, ok: false, text: `${name}: nothing was tested: ${crashSteps - fired} of its ${crashSteps} crash point(s) never fired` };
  if (cell.mustBreak.length === 0 && report.stats.acked === 0) return { cell, report, ok: false, text: `${name}: nothing was tested: no send was acked` };
  if (cell.mustBreak.length === 0) {
    if (broken.length === 0) return { cell, report, ok: true, text: `${name}: every invariant held` };
    const first = broken[0]!;
    return { cell, report, ok: false, text: `${name}: the default broke ${broken.map((b) => b.name).join(', ')}: ${first.examples[0]?.text ?? 'no counterexample kept'}` };
  }
  const missed = cell.mustBreak.filter((n) => !broken.some((b) => b.name === n));
  if (missed.length > 0) {
    const also = broken.length ? ` (it broke ${broken.map((b) => b.name).join(', ')} instead)` : ' (every invariant held)';
    return { cell, report, ok: false, text: `${name}: NOT caught: ${missed.join(', ')} held${also}` };
  }
  const first = broken.find((b) => b.name === cell.mustBreak[0])!;
  return { cell, report, ok: true, text: `${name}: caught by ${cell.mustBreak.join(', ')} (${first.violations} violation${first.violations === 1 ? '' : 's'}): ${first.examples[0]?.text ?? 'no counterexample kept'}` };
}

/** Options of `runCheck`. */
export interface RunCheckOptions {
  out: string;
  jobs: number;
  seed?: number;
  writer?: WriterName;
  synchronous?: Synchronous;
  signal: AbortSignal;
  /** Called as each cell finishes. */
  onVerdict?: (v: CellVerdict, done: number, total: number) => void;
}

/** Runs the cells, `jobs` at a time (each run has its own redis-server, core and ports), and judges each. */
export async function runCheck(cells: readonly CheckCell[], o: RunCheckOptions): Promise<CellVerdict[]> {
  const verdicts: CellVerdict[] = new Array(cells.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < cells.length && !o.signal.aborted; i = next++) {
      const cell = cells[i]!;
      const report = await runScenario(cell.scenario, {
        semantics: cell.semantics,
        ...(o.seed !== undefined ? { seed: o.seed } : {}),
        ...(o.writer ? { writer: o.writer } : {}),
        ...(o.synchronous ? { synchronous: o.synchronous } : {}),
        outDir: join(o.out, `${cell.scenario.name}.${cell.semantics}`),
        signal: o.signal,
      });
      verdicts[i] = judge(cell, report);
      o.onVerdict?.(verdicts[i]!, ++done, cells.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, worker));
  return verdicts.filter((v) => v !== undefined);
}
