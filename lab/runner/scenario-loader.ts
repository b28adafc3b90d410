import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Scenario } from './scenario.js';
import { describeZodError, UsageError } from './cli-errors.js';

/** The compiled built-in scenarios folder (dist/scenarios). */
export const BUILTIN_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** Old names of built-in scenarios, each with the name it has now (named for where the crash is). */
export const SCENARIO_ALIASES: Readonly<Record<string, string>> = {
  'crash-after-commit': 'crash-after-ack-before-publish',
  'crash-before-ack': 'crash-after-commit-before-ack',
};

/** The current name of a built-in scenario given by an old name (saying so on stderr), or the name as given. */
export function resolveScenarioAlias(ref: string, warn: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  const now = SCENARIO_ALIASES[ref];
  if (now === undefined) return ref;
  warn(`note: scenario "${ref}" is now called "${now}" (named for where the crash is); running "${now}"`);
  return now;
}

/** Names of the built-in scenarios, sorted (baseline first). */
export function builtinScenarioNames(): string[] {
  if (!existsSync(BUILTIN_DIR)) return [];
  // A compiled file left behind under an old name is not a scenario of its own.
  const names = readdirSync(BUILTIN_DIR).filter((f) => f.endsWith('.js') && f !== 'index.js').map((f) => basename(f, '.js')).filter((n) => !(n in SCENARIO_ALIASES));
  return names.sort((a, b) => (a === 'baseline' ? -1 : b === 'baseline' ? 1 : a.localeCompare(b)));
}

/** The file each scenario loaded from a file came from, as the reproduce line names it. */
const sources = new WeakMap<Scenario, string>();

/** The file a loaded scenario came from (relative to the working directory when inside it), or undefined for a built-in. */
export function scenarioFileOf(sc: Scenario): string | undefined {
  return sources.get(sc);
}

/** Carries where `from` came from over to `to` (a scenario with overrides applied). */
export function sameSourceAs(to: Scenario, from: Scenario): Scenario {
  const file = sources.get(from);
  if (file !== undefined) sources.set(to, file);
  return to;
}

/** Remembers that a scenario came from `file` (an absolute path). */
export function rememberScenarioFile(sc: Scenario, file: string): Scenario {
  const rel = relative(process.cwd(), file);
  sources.set(sc, rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file);
  return sc;
}

/** Validates a scenario object; a bad one is a UsageError naming the field. */
export function validateScenario(raw: unknown, where: string): Scenario {
  const r = Scenario.safeParse(raw);
  if (!r.success) throw new UsageError(describeZodError(r.error, where));
  return r.data;
}

/** Loads a scenario by built-in name, or from a .json, .js or .ts file (a .ts file is read from its compiled copy under dist/). */
export async function loadScenario(ref: string): Promise<Scenario> {
  let file: string;
  const builtin = /^[a-z0-9-]+$/.test(ref) && !existsSync(ref);
  if (builtin) {
    ref = resolveScenarioAlias(ref);
    file = join(BUILTIN_DIR, `${ref}.js`);
    if (!existsSync(file)) throw new UsageError(`unknown scenario "${ref}" (built-in: ${builtinScenarioNames().join(', ')}; or give a path to a .ts, .js or .json file)`);
  } else {
    file = resolve(ref);
    if (!existsSync(file)) throw new UsageError(`scenario file not found: ${ref}`);
  }
  const ext = extname(file);
  if (ext === '.json') {
    let raw: unknown;
    try { raw = JSON.parse(readFileSync(file, 'utf8')); } catch (e) { throw new UsageError(`${ref}: not valid JSON: ${String(e)}`); }
    return rememberScenarioFile(validateScenario(raw, ref), file);
  }
  const source = file;
  if (ext === '.ts') {
    const compiled = resolve(fileURLToPath(new URL('../../', import.meta.url)), file.slice(resolve('.').length + 1).replace(/\.ts$/, '.js'));
    if (!existsSync(compiled)) throw new UsageError(`${ref}: TypeScript scenarios are run from their compiled copy; run "make build" (expected ${compiled})`);
    file = compiled;
  }
  const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  if (mod.default === undefined) throw new UsageError(`${ref}: a scenario file must "export default defineScenario({...})"`);
  const sc = validateScenario(mod.default, ref);
  return builtin ? sc : rememberScenarioFile(sc, source);
}
