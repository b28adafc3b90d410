import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { readDbSnapshot } from '../history/db-snapshot.js';
import { readHistory } from '../history/read-history.js';
import { parseOrUsage, UsageError } from '../runner/cli-errors.js';
import { messageStory, renderMessageStory } from './message-story.js';

/** Options of `deliverylab trace`, validated. */
export const TraceOptions = z.object({
  run: z.string().min(1).optional(),
  out: z.string().min(1).default('reports/runs'),
});

/** Run directories under `out` (those with a history.jsonl), newest first (deepest too: repeats and shrinks keep theirs below). */
function runDirs(out: string): string[] {
  const found: { dir: string; mtime: number }[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 3 || !existsSync(dir)) return;
    const h = join(dir, 'history.jsonl');
    if (existsSync(h)) found.push({ dir, mtime: statSync(h).mtimeMs });
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name), depth + 1);
  };
  walk(resolve(out), 0);
  return found.sort((a, b) => b.mtime - a.mtime).map((f) => f.dir);
}

/** `deliverylab trace <id>`: one message's story across every layer of a run (default: the latest run that holds it). */
export function traceCommand(id: string, raw: Record<string, unknown>): string {
  const o = parseOrUsage(TraceOptions, raw, 'trace');
  let dir: string;
  if (o.run) {
    dir = resolve(o.run);
    if (!existsSync(join(dir, 'history.jsonl'))) throw new UsageError(`--run ${o.run}: no history.jsonl there (a run directory is reports/runs/<scenario>.<semantics>)`);
  } else {
    const dirs = runDirs(o.out);
    if (dirs.length === 0) throw new UsageError(`no run under ${o.out}: run a scenario first (deliverylab run <scenario>), or give --run DIR`);
    // The newest run whose history names the id (the latest run when none does: it says so).
    dir = dirs.find((d) => readFileSync(join(d, 'history.jsonl'), 'utf8').includes(id)) ?? dirs[0]!;
  }
  const history = readHistory(join(dir, 'history.jsonl'));
  const dbFile = join(dir, 'db.sqlite');
  const db = existsSync(dbFile) ? readDbSnapshot(dbFile).messages : [];
  const s = messageStory(history, id, db);
  return `run ${dir}\n${renderMessageStory(s)}`;
}
