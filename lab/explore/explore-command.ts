import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import repl from 'node:repl';
import { z } from 'zod';
import { RoomName, SemanticsName } from '../../src/protocol/index.js';
import { parseOrUsage, UsageError } from '../runner/cli-errors.js';
import { freshDir } from '../runner/run-command.js';
import { completeLine, runConsoleLine, type CommandOutcome } from './console-commands.js';
import { ExploreSession } from './explore-session.js';
import { startWebConsole, type WebConsole } from './web-console.js';

/** Who the web console's page is in the session. */
const WEB_USER = 'explorer';

/** Options of `deliverylab explore`, validated. */
export const ExploreCommandOptions = z.object({
  workers: z.coerce.number().int().min(1).max(16).default(2),
  clients: z.coerce.number().int().min(1).max(100).default(4),
  /** The database truth: a SQLite file, or a PostgreSQL database of the session's own. */
  db: z.enum(['sqlite', 'postgres']).default('sqlite'),
  /** Comma-separated rooms every client joins. */
  rooms: z.string().default('lobby').transform((s) => s.split(',').map((r) => r.trim()).filter(Boolean)).pipe(z.array(RoomName).min(1)),
  semantics: SemanticsName.default('effectively-once'),
  /** Background sends per second (0: only `send` commands). */
  rate: z.coerce.number().min(0).max(5000).default(0),
  seed: z.coerce.number().int().nonnegative().default(1),
  out: z.string().min(1).default('reports/explore'),
  /** Run the commands of this file without a terminal, then stop. */
  script: z.string().min(1).optional(),
  /** false with --no-web. */
  web: z.boolean().default(true),
  webPort: z.coerce.number().int().min(0).max(65535).default(0),
});

/**
 * `deliverylab explore`: a live cluster and a console (a terminal REPL with history and completion,
 * a web console at a printed URL, or `--script FILE`). Returns the exit code: with a script, 0 when
 * every command ran and every `check` held, 1 when a check broke, 2 when a command was wrong.
 */
export async function exploreCommand(raw: Record<string, unknown>, signal: AbortSignal): Promise<number> {
  const o = parseOrUsage(ExploreCommandOptions, raw, 'explore');
  let script: string[] | undefined;
  if (o.script !== undefined) {
    if (!existsSync(o.script)) throw new UsageError(`--script ${o.script}: no such file`);
    script = readFileSync(o.script, 'utf8').split('\n');
  }
  const outDir = freshDir(join(o.out, 'session'));
  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(`starting ${o.workers} workers, Redis and ${o.clients} clients (c0…c${o.clients - 1}) in ${o.rooms.join(', ')}, semantics ${o.semantics}…`);
  // The web console listens first: the core must let its pages (another origin) connect.
  let page: { port: number; token: string } | undefined;
  let run: (line: string) => Promise<CommandOutcome> = async () => ({ ok: false, output: 'the session is starting' });
  const web: WebConsole | undefined = o.web ? await startWebConsole({ core: () => page, port: o.webPort, run: (line) => {
    say(`[web] ${line}`);
    return run(line).then((out) => { if (out.output) say(out.output); return out; });
  } }) : undefined;
  let session: ExploreSession;
  try {
    session = await ExploreSession.start({
      workers: o.workers, db: o.db, clients: o.clients, rooms: o.rooms, semantics: o.semantics, ratePerSec: o.rate, seed: o.seed, outDir, signal,
      ...(web ? { allowOrigin: web.origin } : {}),
      onNote: (line) => say(`  · ${line}`),
    });
  } catch (err) {
    await web?.close();
    throw err;
  }
  // One command at a time, whoever typed it (the terminal, the script or the web console).
  let queue: Promise<unknown> = Promise.resolve();
  let broke = false;
  run = (line: string): Promise<CommandOutcome> => {
    const next = queue.then(() => runConsoleLine(session, line)).then((out) => { broke ||= out.broke === true; return out; });
    queue = next.catch(() => undefined);
    return next;
  };
  try {
    page = { port: session.system.core.port, token: await session.system.core.token(WEB_USER) };
    say(`ready: the core on ${session.system.core.url}${web ? `, the web console on ${web.url}` : ''}; the session is kept in ${outDir}`);
    if (script !== undefined) {
      if (!(await runScript(script, run, signal))) return 2;
    } else {
      await runRepl(session, run, signal);
      // Input that ended (a pipe closed) ends the REPL at once: the commands it already took still run.
      await queue;
    }
    return broke ? 1 : 0;
  } finally {
    await web?.close();
    await session.stop();
    say(`stopped; the session's history is in ${outDir} (deliverylab trace <id> --run ${outDir})`);
  }
}

/** Runs a script's lines in order; false when a command was wrong (or the session was interrupted). */
async function runScript(lines: string[], run: (line: string) => Promise<CommandOutcome>, signal: AbortSignal): Promise<boolean> {
  for (const [i, line] of lines.entries()) {
    if (signal.aborted) return false;
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    process.stdout.write(`> ${line.trim()}\n`);
    const out = await run(line);
    if (out.output) process.stdout.write(`${out.output}\n`);
    if (!out.ok) {
      process.stderr.write(`script line ${i + 1}: ${out.output}\n`);
      return false;
    }
    if (out.quit) break;
  }
  return true;
}

async function runRepl(session: ExploreSession, run: (line: string) => Promise<CommandOutcome>, signal: AbortSignal): Promise<void> {
  process.stdout.write('type help for the commands, quit to end (Tab completes, ↑ recalls)\n');
  const server = repl.start({
    prompt: 'explore> ',
    ignoreUndefined: true,
    completer: (line: string) => completeLine(session, line),
    eval: (line, _ctx, _file, cb) => {
      void run(line).then((out) => {
        if (out.output) process.stdout.write(`${out.output}\n`);
        if (out.quit) server.close();
        cb(null, undefined);
      });
    },
  });
  const historyDir = join(homedir(), '.deliverylab');
  try {
    mkdirSync(historyDir, { recursive: true });
    server.setupHistory(join(historyDir, 'explore_history'), () => undefined);
  } catch {
    // No writable home: the session works without a history file.
  }
  await new Promise<void>((resolve) => {
    server.once('exit', () => resolve());
    signal.addEventListener('abort', () => server.close(), { once: true });
  });
}
