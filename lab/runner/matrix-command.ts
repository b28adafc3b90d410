import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { SEMANTICS_NAMES, SemanticsName, WriterName } from '../../src/protocol/index.js';
import { matrixCell, renderMatrix, type MatrixCell } from '../report/index.js';
import { parseOrUsage } from './cli-errors.js';
import { runScenarios } from './run-command.js';
import { builtinScenarioNames, loadScenario } from './scenario-loader.js';

const commaList = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** Options of `deliverylab matrix`, validated. */
export const MatrixOptions = z.object({
  semantics: commaList.pipe(z.array(SemanticsName).min(1)).optional(),
  scenarios: commaList.pipe(z.array(z.string().min(1)).min(1)).optional(),
  seed: z.coerce.number().int().nonnegative().optional(),
  writer: WriterName.optional(),
  json: z.string().min(1).optional(),
  out: z.string().min(1).default('reports/matrix'),
  color: z.boolean().default(true),
  quiet: z.boolean().default(false),
});

/**
 * `deliverylab matrix`: every semantics variant × every scenario. The default must hold everywhere;
 * every other variant must break somewhere. Exit 0 when that is so, 1 when not, 2 when a run failed.
 */
export async function matrixCommand(raw: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  const o = parseOrUsage(MatrixOptions, raw, 'matrix');
  const variants = (o.semantics ?? SEMANTICS_NAMES) as SemanticsName[];
  const scenarios = await Promise.all((o.scenarios ?? builtinScenarioNames()).map((n: string) => loadScenario(n)));
  const cells: MatrixCell[] = [];
  for (const semantics of variants) {
    if (signal.aborted) break;
    process.stderr.write(`matrix: ${semantics} × ${scenarios.length} scenarios\n`);
    const reports = await runScenarios(scenarios, { ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.writer ? { writer: o.writer } : {}), semantics, out: o.out, quiet: o.quiet, color: o.color, print: false }, signal);
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
