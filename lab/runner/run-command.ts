import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { SemanticsName, Synchronous, WriterName } from '../../src/protocol/index.js';
import { readHistory } from '../history/read-history.js';
import { renderHtml, renderJUnit, renderJson, renderTerminal, runReportJson, type RunReport } from '../report/index.js';
import { parseOrUsage, UsageError } from './cli-errors.js';
import { repeatRunLine, repeatRuns, renderRepeat, summarizeRepeat, type ScenarioRunner } from './repeat.js';
import { runScenario } from './run-scenario.js';
import { builtinScenarioNames, loadScenario, sameSourceAs, scenarioFileOf } from './scenario-loader.js';
import { applyOverrides, parseDurationMs } from './overrides.js';
import type { Scenario } from './scenario.js';
import { DEFAULT_SHRINK_RUNS, shrinkFailingRun } from './shrink.js';

/** Options of `deliverylab run`, validated. */
export const RunCommandOptions = z.object({
  seed: z.coerce.number().int().nonnegative().optional(),
  semantics: SemanticsName.optional(),
  writer: WriterName.optional(),
  /** SQLite's synchronous setting in the core (FULL: an ack means fsynced). */
  synchronous: Synchronous.optional(),
  json: z.string().min(1).optional(),
  junit: z.string().min(1).optional(),
  html: z.string().min(1).optional(),
  out: z.string().min(1).default('reports/runs'),
  color: z.boolean().default(true),
  quiet: z.boolean().default(false),
  /** Print every counterexample, not the first few per cause. @default false */
  all: z.boolean().default(false),
  /** Run the scenario this many times (seed, seed+1, …) and say how often each invariant broke. */
  repeat: z.coerce.number().int().min(1).max(10_000).optional(),
  /** With --repeat: the same seed every run. @default false */
  sameSeed: z.boolean().default(false),
  /** After a failing run, save a smaller scenario that still fails. @default false */
  shrink: z.boolean().default(false),
  /** Candidate runs a shrink may spend. @default 12 */
  shrinkRuns: z.coerce.number().int().min(1).max(1000).default(DEFAULT_SHRINK_RUNS),
  /** What-if: faults replacing the scenario's ("kind target value at=1s for=4s key=value"). */
  fault: z.array(z.string().min(1)).optional(),
  /** false with --no-faults. @default true */
  faults: z.boolean().default(true),
  rate: z.coerce.number().positive().max(20_000).optional(),
  duration: z.string().min(1).optional(),
  clients: z.coerce.number().int().min(1).max(500).optional(),
  workers: z.coerce.number().int().min(1).max(16).optional(),
  db: z.enum(['sqlite', 'postgres']).optional(),
});
type RunCommandOptions = z.infer<typeof RunCommandOptions> & { overrides?: string[] };

/** Exit code of a set of reports: 2 if a run could not be carried out, 1 if an invariant broke, else 0. */
export function exitCodeOf(reports: readonly RunReport[]): number {
  if (reports.some((r) => r.error !== undefined)) return 2;
  return reports.every((r) => r.ok) ? 0 : 1;
}

/** Options shared by every way of running scenarios. */
interface RunnerOptions { seed?: number; semantics?: SemanticsName; writer?: WriterName; synchronous?: Synchronous; quiet: boolean; overrides?: string[] }

/** A runner of one scenario with the command's semantics and writer, live progress, and the scenario's file on the report. */
function scenarioRunner(o: RunnerOptions, signal: AbortSignal): ScenarioRunner {
  return async (sc, seed, outDir) => {
    const label = `${sc.name} [${o.semantics ?? sc.semantics}]`;
    const report = await runScenario(sc, {
      seed,
      ...(o.semantics ? { semantics: o.semantics } : {}),
      ...(o.writer ? { writer: o.writer } : {}),
      ...(o.synchronous ? { synchronous: o.synchronous } : {}),
      outDir,
      signal,
      onProgress: (line) => { if (!o.quiet) process.stderr.write(`  ${label} ${line}\n`); },
    });
    const file = scenarioFileOf(sc);
    const withFile = file === undefined ? report : { ...report, scenarioFile: file };
    return o.overrides && o.overrides.length > 0 ? { ...withFile, overrides: o.overrides } : withFile;
  };
}

/** Runs scenarios one after another with live progress; Ctrl-C stops the current run cleanly. */
export async function runScenarios(scenarios: Scenario[], o: RunnerOptions & { out: string; color: boolean; print: boolean; all?: boolean }, signal: AbortSignal): Promise<RunReport[]> {
  const run = scenarioRunner(o, signal);
  const reports: RunReport[] = [];
  for (const sc of scenarios) {
    if (signal.aborted) break;
    const dir = runDir(o.out, sc.name, o.semantics ?? sc.semantics);
    const report = await run(sc, o.seed ?? sc.seed, dir);
    dirOf.set(report, dir);
    reports.push(report);
    if (o.print) process.stdout.write(`${renderTerminal(report, { color: o.color, all: o.all ?? false })}\n\n`);
  }
  return reports;
}

/** The directory each report's run kept its artifacts in. */
const dirOf = new WeakMap<RunReport, string>();

/**
 * Where a run of a scenario under a semantics keeps history.jsonl, the database and logs: a directory
 * of its own, never one an earlier run wrote (`<scenario>.<semantics>`, then `.2`, `.3`, …).
 */
function runDir(out: string, scenario: string, semantics: SemanticsName): string {
  return freshDir(join(out, `${scenario}.${semantics}`));
}

/** `base` when nothing is there yet, else the first of `base.2`, `base.3`, … that is free. */
export function freshDir(base: string): string {
  if (!existsSync(base)) return base;
  for (let n = 2; ; n++) if (!existsSync(`${base}.${n}`)) return `${base}.${n}`;
}

/** The page of one scenario of `run all --html F`: F with `.html` replaced by `.<scenario>.html`. */
export function htmlFileFor(file: string, scenario: string): string {
  return /\.html$/i.test(file) ? file.replace(/\.html$/i, `.${scenario}.html`) : `${file}.${scenario}.html`;
}

/** `deliverylab run <scenario|all>`: runs, prints the reports, writes JSON/JUnit/HTML, and returns the exit code. */
export async function runCommand(ref: string, raw: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  const o: RunCommandOptions = parseOrUsage(RunCommandOptions, raw, 'run');
  if (ref === 'all' && (o.repeat !== undefined || o.shrink)) throw new UsageError('run: --repeat and --shrink take one scenario, not "all"');
  if (o.repeat !== undefined && o.shrink) throw new UsageError('run: --repeat and --shrink do not combine (shrink first, then --repeat the saved file)');
  if (o.sameSeed && o.repeat === undefined) throw new UsageError('run: --same-seed goes with --repeat N');
  const names = ref === 'all' ? builtinScenarioNames() : [ref];
  const loaded = await Promise.all(names.map((n) => loadScenario(n)));
  const what = { ...(o.fault ? { fault: o.fault } : {}), faults: o.faults, ...(o.rate !== undefined ? { rate: o.rate } : {}), ...(o.duration !== undefined ? { duration: parseDurationMs(o.duration, '--duration') } : {}), ...(o.clients !== undefined ? { clients: o.clients } : {}), ...(o.workers !== undefined ? { workers: o.workers } : {}), ...(o.db !== undefined ? { db: o.db } : {}) };
  let overrides: string[] = [];
  const scenarios = loaded.map((sc) => {
    const applied = applyOverrides(sc, what);
    overrides = applied.argv;
    return sameSourceAs(applied.scenario, sc);
  });
  if (overrides.length > 0) o.overrides = overrides;
  const started = performance.now();
  if (o.repeat !== undefined) return repeatCommand(scenarios[0]!, o.repeat, o, signal);
  const reports = await runScenarios(scenarios, { ...o, print: true }, signal);
  writeArtifacts(reports.map((r) => ({ report: r, dir: dirOf.get(r)! })), o, ref === 'all' ? (r) => r.scenario : undefined);
  const skipped = reports.filter((r) => r.skipped !== undefined).length;
  const held = reports.filter((r) => r.ok && r.skipped === undefined).length;
  let code = signal.aborted ? 2 : exitCodeOf(reports);
  process.stdout.write(`${reports.length} scenario run(s) in ${((performance.now() - started) / 1000).toFixed(1)} s: ${held} held, ${reports.length - held - skipped} did not${skipped ? `, ${skipped} skipped (see why above)` : ''}${signal.aborted ? ' (interrupted)' : ''}. Artifacts under ${o.out}/.\n`);
  const failed = reports[0];
  if (o.shrink && !signal.aborted && failed !== undefined) {
    if (failed.error !== undefined) process.stdout.write('nothing to shrink: the run could not be carried out\n');
    else if (failed.ok) process.stdout.write('nothing to shrink: every invariant held\n');
    else {
      const sc = scenarios[0]!;
      const semantics = o.semantics ?? sc.semantics;
      const shrunk = await shrinkFailingRun(sc, failed, {
        run: scenarioRunner({ ...o, quiet: true }, signal),
        load: loadScenario,
        out: o.out,
        budget: o.shrinkRuns,
        semantics,
        print: (t) => process.stdout.write(t),
        color: o.color,
        signal,
      });
      process.stdout.write(`\n${renderTerminal(shrunk.confirmation, { color: o.color, all: o.all })}`);
      if (signal.aborted) code = 2;
    }
  }
  return code;
}

/** `run --repeat N`: N runs, one line each, the first failing run's full report, then the reproduction summary. */
async function repeatCommand(sc: Scenario, times: number, o: RunCommandOptions, signal: AbortSignal): Promise<number> {
  const semantics = o.semantics ?? sc.semantics;
  const base = join(o.out, `${sc.name}.${semantics}.repeat`);
  const dirs: string[] = [];
  const soFar: RunReport[] = [];
  const reports = await repeatRuns(
    sc,
    { seed: o.seed ?? sc.seed, times, sameSeed: o.sameSeed, signal, outDir: (i) => { const d = join(base, `run-${i + 1}`); dirs.push(d); return d; } },
    scenarioRunner(o, signal),
    (r, i) => {
      soFar.push(r);
      const ids = summarizeRepeat(soFar, o.sameSeed).scheduleIds;
      process.stdout.write(`${repeatRunLine(r, i, times, ids[i] ?? 0, o.color)}\n`);
    },
  );
  const firstFailed = reports.find((r) => !r.ok);
  if (firstFailed !== undefined) process.stdout.write(`\nthe first run that did not hold (seed ${firstFailed.seed}):\n${renderTerminal(firstFailed, { color: o.color, all: o.all })}`);
  const summary = summarizeRepeat(reports, o.sameSeed);
  process.stdout.write(`\n${renderRepeat(summary, o.color)}`);
  writeArtifacts(reports.map((r, i) => ({ report: r, dir: dirs[i]! })), { ...o, json: undefined }, (_r, i) => `run${i + 1}`);
  if (o.json) write(o.json, `${JSON.stringify({ repeat: summary, runs: reports.map(runReportJson) }, null, 2)}\n`);
  return signal.aborted ? 2 : exitCodeOf(reports);
}

/** Writes the JSON, JUnit and HTML reports asked for; with several runs, `pageOf` names each run's HTML page. */
function writeArtifacts(runs: { report: RunReport; dir: string }[], o: Pick<RunCommandOptions, 'json' | 'junit' | 'html'>, pageOf?: (r: RunReport, i: number) => string): void {
  const reports = runs.map((r) => r.report);
  if (o.json) write(o.json, pageOf !== undefined ? `${JSON.stringify(reports.map(runReportJson), null, 2)}\n` : renderJson(reports[0]!));
  if (o.junit) write(o.junit, renderJUnit(reports));
  const html = o.html;
  if (html) {
    runs.forEach(({ report, dir }, i) => {
      write(pageOf !== undefined ? htmlFileFor(html, pageOf(report, i)) : html, renderHtml(report, readHistory(join(dir, 'history.jsonl'))));
    });
  }
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
