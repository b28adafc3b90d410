import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { SEMANTICS_NAMES, SemanticsName, Synchronous, WriterName } from '../../src/protocol/index.js';
import { matrixCell, renderMatrix, type MatrixCell } from '../report/index.js';
import { parseOrUsage } from './cli-errors.js';
import { runScenarios } from './run-command.js';
import { builtinScenarioNames, loadScenario } from './scenario-loader.js';
import { checkCells, runCheck, uncaughtVariants } from './matrix-check.js';

const commaList = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** Options of `deliverylab matrix`, validated. */
export const MatrixOptions = z.object({
  semantics: commaList.pipe(z.array(SemanticsName).min(1)).optional(),
  scenarios: commaList.pipe(z.array(z.string().min(1)).min(1)).optional(),
  seed: z.coerce.number().int().nonnegative().optional(),
  writer: WriterName.optional(),
  synchronous: Synchronous.optional(),
  json: z.string().min(1).optional(),
  out: z.string().min(1).default('reports/matrix'),
  color: z.boolean().default(true),
  quiet: z.boolean().default(false),
  check: z.boolean().default(false),
  jobs: z.coerce.number().int().min(1).max(8).optional(),
});

/**
 * `deliverylab matrix`: every semantics variant × every scenario. The default must hold everywhere;
 * every other variant must break somewhere. Exit 0 when that is so, 1 when not, 2 when a run failed.
 */
export async function matrixCommand(raw: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  const o = parseOrUsage(MatrixOptions, raw, 'matrix');
  if (o.check) return checkCommand(o, signal);
  const variants = (o.semantics ?? SEMANTICS_NAMES) as SemanticsName[];
  const scenarios = await Promise.all((o.scenarios ?? builtinScenarioNames()).map((n: string) => loadScenario(n)));
  const cells: MatrixCell[] = [];
  for (const semantics of variants) {
    if (signal.aborted) break;
    process.stderr.write(`matrix: ${semantics} × ${scenarios.length} scenarios\n`);
    const reports = await runScenarios(scenarios, { ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.writer ? { writer: o.writer } : {}), ...(o.synchronous ? { synchronous: o.synchronous } : {}), ...(o.synchronous ? { synchronous: o.synchronous } : {}), semantics, out: o.out, quiet: o.quiet, color: o.color, print: false }, signal);
    cells.push(...reports.map(matrixCell));
  }
  process.stdout.write(`${renderMatrix(cells, { color: o.color })}\n`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify(cells, null, 2)}\n`);
  if (signal.aborted || cells.some((c) => c.error !== undefined)) return 2;
  const expected = variants.every((v) => {
    const mine = cells.filter((c) => c.semantics === v);
    return v === 'effectively-once' ? mine.every((c) => c.ok) : mine.some((c) => !c.ok);
  });
  const claim = [variants.includes('effectively-once') ? 'the default held in every scenario' : '', variants.some((v) => v !== 'effectively-once') ? 'every other variant broke in at least one' : ''].filter(Boolean).join(', ');
  process.stdout.write(expected ? `matrix as expected: ${claim}.\n` : `matrix NOT as expected (${claim} should hold): see the table.\n`);
  return expected ? 0 : 1;
}

/**
 * `deliverylab matrix --check`: exactly the cells the scenarios declare (every declared catch) plus
 * the default on every scenario. Exit 0 when every catch happened and the default held everywhere,
 * 1 when not (or when an ablation or seeded bug is declared by no scenario), 2 when a run failed.
 */
async function checkCommand(o: z.infer<typeof MatrixOptions>, signal: AbortSignal): Promise<number> {
  const all = !o.scenarios;
  const scenarios = await Promise.all((o.scenarios ?? builtinScenarioNames()).map((n: string) => loadScenario(n)));
  const cells = checkCells(scenarios).filter((c) => !o.semantics || o.semantics.includes(c.semantics));
  const started = performance.now();
  const jobs = o.jobs ?? 2;
  process.stderr.write(`matrix --check: ${cells.length} runs (${scenarios.length} scenarios on the default, ${cells.length - scenarios.length} declared catches), ${jobs} at a time\n`);
  const verdicts = await runCheck(cells, {
    out: o.out, jobs, signal, ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.writer ? { writer: o.writer } : {}), ...(o.synchronous ? { synchronous: o.synchronous } : {}),
    onVerdict: (v, done, total) => { if (!o.quiet) process.stderr.write(`  [${done}/${total}] ${v.ok ? 'ok' : 'FAILED'}  ${v.cell.scenario.name} × ${v.cell.semantics}\n`); },
  });
  const mark = (ok: boolean) => (o.color ? (ok ? '\x1b[32m✔\x1b[0m' : '\x1b[31m✘\x1b[0m') : ok ? '✔' : '✘');
  const lines = verdicts.map((v) => `${mark(v.ok)} ${v.text}`);
  const missing = all ? uncaughtVariants(scenarios) : [];
  for (const v of missing) lines.push(`${mark(false)} ${v}: no scenario declares that it catches this variant`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify(verdicts.map((v) => ({ scenario: v.cell.scenario.name, semantics: v.cell.semantics, mustBreak: v.cell.mustBreak, ok: v.ok, text: v.text, broken: v.report.invariants.filter((i) => !i.ok).map((i) => i.name), ...(v.report.error !== undefined ? { error: v.report.error } : {}) })), null, 2)}\n`);
  const failed = verdicts.filter((v) => !v.ok);
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  if (signal.aborted || verdicts.length < cells.length) {
    process.stdout.write(`matrix --check interrupted after ${verdicts.length} of ${cells.length} runs (${secs} s).\n`);
    return 2;
  }
  const caught = verdicts.filter((v) => v.cell.mustBreak.length > 0 && v.ok).length;
  const catches = cells.length - scenarios.length;
  process.stdout.write(`matrix --check: ${caught}/${catches} declared catches happened, the default held in ${verdicts.filter((v) => v.cell.mustBreak.length === 0 && v.ok).length}/${scenarios.length} scenarios${missing.length ? `, ${missing.length} variant(s) declared by no scenario` : ''} (${cells.length} runs in ${secs} s).\n`);
  if (verdicts.some((v) => v.report.error !== undefined)) return 2;
  return failed.length === 0 && missing.length === 0 ? 0 : 1;
}
