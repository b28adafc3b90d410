import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseOrUsage } from '../runner/cli-errors.js';
import { benchPlan, BenchOptions } from './bench-options.js';
import { formatBenchTable } from './bench-table.js';
import { renderBenchHtml } from './bench-html.js';
import { runBenchSuite } from './bench-suite.js';
import { ChildGroup } from './children.js';

/**
 * `deliverylab bench [--quick] [--json FILE]`: runs every part of the benchmark once, prints the
 * table on stdout (progress on stderr), writes the JSON, and stops every process it started, also
 * on error or when `signal` aborts (without a signal, it handles SIGINT/SIGTERM itself).
 * Resolves 0 when the bench ran and lost no acked message, 1 when it lost some, 2 when it could not run.
 * Databases and server logs go to `--out`; the databases are deleted after a run that lost nothing.
 */
export async function benchCommand(raw: Record<string, unknown>, signal?: AbortSignal): Promise<number> {
  const o = parseOrUsage(BenchOptions, raw, 'bench');
  const plan = benchPlan(o);
  let own: AbortController | undefined;
  const onSignal = () => own?.abort();
  if (!signal) {
    own = new AbortController();
    signal = own.signal;
    process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  }
  const dir = resolve(o.out);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const group = new ChildGroup();
  const say = (line: string) => process.stderr.write(`${line}\n`);
  try {
    const result = await runBenchSuite(plan, dir, group, say, signal);
    process.stdout.write(`${formatBenchTable(result)}\n`);
    if (o.json) {
      const file = resolve(o.json);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
      say(`JSON written to ${file}`);
    }
    if (o.html) {
      const file = resolve(o.html);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, renderBenchHtml(result));
      say(`HTML written to ${file}`);
    }
    // The databases of a full run take over a gigabyte; after a run that lost nothing only the logs are kept.
    if (result.lost === 0) for (const f of readdirSync(dir)) if (/\.(sqlite(-wal|-shm)?|sock)$/.test(f)) rmSync(join(dir, f), { force: true });
    return result.lost === 0 ? 0 : 1;
  } catch (e) {
    say(`bench failed: ${e instanceof Error ? e.message : String(e)} (server logs in ${dir})`);
    return 2;
  } finally {
    await group.stopAll();
    if (own) process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}
