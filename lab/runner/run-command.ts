import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { SemanticsName, WriterName } from '../../src/protocol/index.js';
import { readHistory } from '../history/read-history.js';
import { renderHtml, renderJUnit, renderJson, renderTerminal, type RunReport } from '../report/index.js';
import { parseOrUsage } from './cli-errors.js';
import { runScenario } from './run-scenario.js';
import { builtinScenarioNames, loadScenario } from './scenario-loader.js';
import type { Scenario } from './scenario.js';

/** Options of `deliverylab run`, validated. */
export const RunCommandOptions = z.object({
  seed: z.coerce.number().int().nonnegative().optional(),
  semantics: SemanticsName.optional(),
  writer: WriterName.optional(),
  json: z.string().min(1).optional(),
  junit: z.string().min(1).optional(),
  html: z.string().min(1).optional(),
  out: z.string().min(1).default('reports/runs'),
  color: z.boolean().default(true),
  quiet: z.boolean().default(false),
});

/** Exit code of a set of reports: 2 if a run could not be carried out, 1 if an invariant broke, else 0. */
export function exitCodeOf(reports: readonly RunReport[]): number {
  if (reports.some((r) => r.error !== undefined)) return 2;
  return reports.every((r) => r.ok) ? 0 : 1;
}

/** Runs scenarios one after another with live progress; Ctrl-C stops the current run cleanly. */
export async function runScenarios(scenarios: Scenario[], o: { seed?: number; semantics?: SemanticsName; writer?: WriterName; out: string; quiet: boolean; color: boolean; print: boolean }, signal: AbortSignal): Promise<RunReport[]> {
  const reports: RunReport[] = [];
  for (const sc of scenarios) {
    if (signal.aborted) break;
    const label = `${sc.name} [${o.semantics ?? sc.semantics}]`;
    const report = await runScenario(sc, {
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.semantics ? { semantics: o.semantics } : {}),
      ...(o.writer ? { writer: o.writer } : {}),
      outDir: runDir(o.out, sc.name, o.semantics ?? sc.semantics),
      signal,
      onProgress: (line) => { if (!o.quiet) process.stderr.write(`  ${label} ${line}\n`); },
    });
    reports.push(report);
    if (o.print) process.stdout.write(`${renderTerminal(report, { color: o.color })}\n\n`);
  }
  return reports;
}

/** Where a run of a scenario under a semantics keeps history.jsonl, the database and logs. */
function runDir(out: string, scenario: string, semantics: SemanticsName): string {
  return join(out, `${scenario}.${semantics}`);
}

/** The page of one scenario of `run all --html F`: F with `.html` replaced by `.<scenario>.html`. */
export function htmlFileFor(file: string, scenario: string): string {
  return /\.html$/i.test(file) ? file.replace(/\.html$/i, `.${scenario}.html`) : `${file}.${scenario}.html`;
}

/** `deliverylab run <scenario|all>`: runs, prints the reports, writes JSON/JUnit/HTML, and returns the exit code. */
export async function runCommand(ref: string, raw: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  const o = parseOrUsage(RunCommandOptions, raw, 'run');
  const names = ref === 'all' ? builtinScenarioNames() : [ref];
  const scenarios = await Promise.all(names.map((n) => loadScenario(n)));
  const started = performance.now();
  const reports = await runScenarios(scenarios, { ...o, print: true }, signal);
  if (o.json) write(o.json, ref === 'all' ? `${JSON.stringify(reports.map((r) => JSON.parse(renderJson(r)) as unknown), null, 2)}\n` : renderJson(reports[0]!));
  if (o.junit) write(o.junit, renderJUnit(reports));
  const html = o.html;
  if (html) {
    for (const r of reports) {
      const history = readHistory(join(runDir(o.out, r.scenario, r.semantics), 'history.jsonl'));
      write(ref === 'all' ? htmlFileFor(html, r.scenario) : html, renderHtml(r, history));
    }
  }
  const held = reports.filter((r) => r.ok).length;
  const code = signal.aborted ? 2 : exitCodeOf(reports);
  process.stdout.write(`${reports.length} scenario run(s) in ${((performance.now() - started) / 1000).toFixed(1)} s: ${held} held, ${reports.length - held} did not${signal.aborted ? ' (interrupted)' : ''}. Artifacts under ${o.out}/.\n`);
  return code;
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
