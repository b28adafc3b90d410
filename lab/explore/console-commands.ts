import { CRASH_POINTS, RoomName } from '../../src/protocol/index.js';
import { messageStory, renderMessageStory } from './message-story.js';
import { parseDurationMs } from '../runner/overrides.js';
import { ExploreSession } from './explore-session.js';

/** A command's answer: what to print, and whether it went as asked. */
export interface CommandOutcome {
  ok: boolean;
  output: string;
  /** `check` found an invariant broken. */
  broke?: boolean;
  /** `quit`: end the session. */
  quit?: boolean;
}

/** A mistake in a command (unknown, bad arguments): said plainly, the session goes on. */
export class CommandError extends Error {}

/** One console command: how it is written, what it does, and what completes its arguments. */
interface ConsoleCommand {
  usage: string;
  doc: string;
  /** Completions of argument i (0-based), given the session. */
  complete?: (s: ExploreSession, i: number) => string[];
  run(s: ExploreSession, args: string[]): Promise<CommandOutcome | string>;
}

const slots = (s: ExploreSession) => Array.from({ length: s.options.workers }, (_, i) => String(i));
const clientNames = (s: ExploreSession) => s.clients.map((c) => c.name);

function slotArg(s: ExploreSession, arg: string | undefined, usage: string): number {
  if (arg === undefined) throw new CommandError(`usage: ${usage}`);
  const slot = Number(arg.replace(/^worker:/, ''));
  if (!Number.isInteger(slot) || slot < 0 || slot >= s.options.workers) throw new CommandError(`no worker "${arg}": the cluster has workers 0…${s.options.workers - 1}`);
  return slot;
}

function clientArg(s: ExploreSession, arg: string | undefined, usage: string) {
  if (arg === undefined) throw new CommandError(`usage: ${usage}`);
  const c = s.client(arg);
  if (!c) throw new CommandError(`no client "${arg}" (clients: ${clientNames(s).join(', ')})`);
  return c;
}

function roomArg(s: ExploreSession, arg: string | undefined, usage: string): string {
  if (arg === undefined) throw new CommandError(`usage: ${usage}`);
  if (!RoomName.safeParse(arg).success) throw new CommandError(`"${arg}" is not a room name (1-64 of A-Z a-z 0-9 _ . : -)`);
  if (!s.options.rooms.includes(arg)) throw new CommandError(`the clients are in ${s.options.rooms.join(', ')}, not in ${arg} (explore --rooms sets them)`);
  return arg;
}

function numberArg(arg: string | undefined, what: string, min: number, max: number, usage: string): number {
  if (arg === undefined) throw new CommandError(`usage: ${usage}`);
  const n = Number(arg);
  if (!Number.isFinite(n) || n < min || n > max) throw new CommandError(`${what}: "${arg}" is not a number from ${min} to ${max}`);
  return n;
}

function durationArg(arg: string, what: string): number {
  try {
    return parseDurationMs(arg, what);
  } catch (e) {
    throw new CommandError(e instanceof Error ? e.message : String(e));
  }
}

const workerTarget = (slot: number) => ({ kind: 'workers' as const, slots: [slot] });
const allWorkers = (s: ExploreSession) => ({ kind: 'workers' as const, slots: Array.from({ length: s.options.workers }, (_, i) => i) });

function signalCommand(kind: 'worker-kill' | 'worker-stop', verb: string, signal: string): ConsoleCommand {
  const usage = `${verb} <worker>`;
  return {
    usage,
    doc: `${signal} to a worker's process; the primary starts it again in the same slot and its clients reconnect elsewhere meanwhile`,
    complete: (s, i) => (i === 0 ? slots(s) : []),
    run: async (s, [w]) => {
      const slot = slotArg(s, w, usage);
      const before = s.system.core.pid(slot);
      const t = performance.now();
      await s.fault(kind, workerTarget(slot), {}, { key: `${verb} worker:${slot}`, hold: false });
      return `worker ${slot} (pid ${before ?? '?'}) got ${signal}; it is back as pid ${s.system.core.pid(slot) ?? '?'} after ${Math.round(performance.now() - t)} ms`;
    },
  };
}

/** Every console command, by name. */
export const COMMANDS: Record<string, ConsoleCommand> = {
  help: {
    usage: 'help [command]',
    doc: 'the commands, or one in full',
    complete: (_s, i) => (i === 0 ? Object.keys(COMMANDS) : []),
    run: async (_s, [name]) => {
      if (name !== undefined) {
        const c = COMMANDS[name];
        if (!c) throw new CommandError(`no command "${name}" (help lists them)`);
        return `${c.usage}\n  ${c.doc}`;
      }
      const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
      return Object.values(COMMANDS).map((c) => `${c.usage.padEnd(width)}  ${c.doc}`).join('\n');
    },
  },
  kill: signalCommand('worker-kill', 'kill', 'SIGKILL'),
  stop: signalCommand('worker-stop', 'stop', 'SIGTERM'),
  pause: {
    usage: 'pause <worker>',
    doc: 'SIGSTOP: the worker keeps its sockets open and answers nothing, until resume or heal',
    complete: (s, i) => (i === 0 ? slots(s) : []),
    run: async (s, [w]) => {
      const slot = slotArg(s, w, 'pause <worker>');
      await s.fault('worker-pause', workerTarget(slot), {}, { key: `pause worker:${slot}`, hold: true });
      return `worker ${slot} (pid ${s.system.core.pid(slot) ?? '?'}) is paused (SIGSTOP): its clients' heartbeats go unanswered, so they move to another worker`;
    },
  },
  resume: {
    usage: 'resume <worker>',
    doc: 'SIGCONT to a paused worker',
    complete: (s, i) => (i === 0 ? slots(s) : []),
    run: async (s, [w]) => {
      const slot = slotArg(s, w, 'resume <worker>');
      const healed = await s.heal((k) => k === `pause worker:${slot}`);
      if (healed.length === 0) throw new CommandError(`worker ${slot} is not paused`);
      return `worker ${slot} resumed (SIGCONT)`;
    },
  },
  partition: {
    usage: 'partition <worker> cut|blackhole',
    doc: "cut a worker's links to Redis (connections reset and refused) or blackhole them (accepted, nothing forwarded), until heal",
    complete: (s, i) => (i === 0 ? slots(s) : i === 1 ? ['cut', 'blackhole'] : []),
    run: async (s, [w, mode]) => {
      const slot = slotArg(s, w, 'partition <worker> cut|blackhole');
      if (mode !== 'cut' && mode !== 'blackhole') throw new CommandError('usage: partition <worker> cut|blackhole');
      await s.fault('redis-partition', workerTarget(slot), { mode }, { key: `partition worker:${slot}`, hold: true });
      return `worker ${slot} is partitioned from Redis (${mode}) until heal`;
    },
  },
  crash: {
    usage: `crash <worker> <${CRASH_POINTS.join('|')}> [nth]`,
    doc: 'arm a crash point: the worker SIGKILLs itself at that instant of its nth send from now (default 1), until heal',
    complete: (s, i) => (i === 0 ? slots(s) : i === 1 ? [...CRASH_POINTS] : []),
    run: async (s, [w, point, nth]) => {
      const usage = `crash <worker> <${CRASH_POINTS.join('|')}> [nth]`;
      const slot = slotArg(s, w, usage);
      if (!CRASH_POINTS.includes(point as (typeof CRASH_POINTS)[number])) throw new CommandError(`usage: ${usage}`);
      const n = nth === undefined ? 1 : numberArg(nth, 'nth', 1, 1_000_000, usage);
      if (!Number.isInteger(n)) throw new CommandError('nth: a whole number');
      await s.fault('crash-point', workerTarget(slot), { point, nth: n }, { key: `crash worker:${slot}`, hold: true });
      return `crash point ${point} armed on worker ${slot}: it dies on its send #${n} from now (send from a client on worker ${slot}: clients shows where each is)`;
    },
  },
  dup: {
    usage: 'dup <probability>',
    doc: 'every worker publishes each message twice with this probability, until heal',
    run: async (s, [p]) => {
      const probability = numberArg(p, 'probability', 0, 1, 'dup <probability>');
      await s.fault('duplicate-publish', allWorkers(s), { probability }, { key: 'dup', hold: true });
      return `every worker publishes each message twice with probability ${probability} until heal`;
    },
  },
  reorder: {
    usage: 'reorder <ms>',
    doc: 'every worker holds each publish back by a random delay up to this many ms, until heal',
    run: async (s, [ms]) => {
      const windowMs = numberArg(ms === undefined ? undefined : String(durationArg(ms, 'reorder')), 'window', 1, 10_000, 'reorder <ms>');
      await s.fault('reorder', allWorkers(s), { windowMs }, { key: 'reorder', hold: true });
      return `every worker delays each publish by up to ${windowMs} ms until heal`;
    },
  },
  redis: {
    usage: 'redis restart [down]',
    doc: 'SIGKILL redis-server, keep it down this long (default 1s), start it again on the same port: every subscription is lost',
    complete: (_s, i) => (i === 0 ? ['restart'] : []),
    run: async (s, [verb, down]) => {
      if (verb !== 'restart') throw new CommandError('usage: redis restart [down]');
      if (!s.system.redis) throw new CommandError(`this session runs without Redis (semantics ${s.options.semantics})`);
      const downMs = down === undefined ? 1000 : durationArg(down, 'down');
      await s.fault('redis-restart', { kind: 'redis' }, {}, { key: 'redis restart', hold: false, healAfterMs: downMs });
      return `redis-server was killed and is back after ${downMs} ms down`;
    },
  },
  'power-loss': {
    usage: 'power-loss [down]',
    doc: 'the node loses power: every core process dies at once, unsynced database writes are lost, and it starts again after down (default 1s)',
    run: async (s, [down]) => {
      const downMs = down === undefined ? 1000 : durationArg(down, 'down');
      await s.fault('power-loss', { kind: 'core' }, {}, { key: 'power-loss', hold: false, healAfterMs: downMs });
      const loss = [...s.history.events].reverse().find((e) => e.type === 'power-loss');
      const undone = loss?.type === 'power-loss' ? loss.rolledBack.reduce((n, f) => n + f.writes, 0) : 0;
      return `the core lost power; ${undone} unsynced database write${undone === 1 ? ' was' : 's were'} lost; it is back after ${downMs} ms down (primary pid ${s.system.core.primaryPid})`;
    },
  },
  'primary-kill': {
    usage: 'primary-kill [down]',
    doc: 'SIGKILL to the primary (the one writer): its workers exit with it; a supervisor starts the node again after down (default 1s)',
    run: async (s, [down]) => {
      const downMs = down === undefined ? 1000 : durationArg(down, 'down');
      const before = s.system.core.primaryPid;
      await s.fault('primary-kill', { kind: 'core' }, {}, { key: 'primary-kill', hold: false, healAfterMs: downMs });
      return `the primary (pid ${before}) got SIGKILL and its workers exited; the node is back after ${downMs} ms (primary pid ${s.system.core.primaryPid})`;
    },
  },
  disk: {
    usage: 'disk full|eio|ok',
    doc: 'every write and fsync of the database fails with ENOSPC (full) or EIO until disk ok or heal',
    complete: (_s, i) => (i === 0 ? ['full', 'eio', 'ok'] : []),
    run: async (s, [state]) => {
      if (state === 'ok') {
        const healed = await s.heal((k) => k === 'disk');
        return healed.length === 0 ? 'the disk was fine' : 'the disk works again';
      }
      if (state !== 'full' && state !== 'eio') throw new CommandError('usage: disk full|eio|ok');
      await s.fault('disk-full', { kind: 'core' }, { error: state === 'full' ? 'ENOSPC' : 'EIO' }, { key: 'disk', hold: true });
      return `every database write now fails with ${state === 'full' ? 'ENOSPC (disk full)' : 'EIO'}: sends get unavailable and are retried, until disk ok`;
    },
  },
  heal: {
    usage: 'heal',
    doc: 'end every active fault (resume, reconnect, disarm)',
    run: async (s) => {
      const healed = await s.heal();
      return healed.length === 0 ? 'no fault is active' : `healed: ${healed.join(', ')}`;
    },
  },
  send: {
    usage: 'send <client> <room> <text…>',
    doc: "the client's application sends a message; prints its id and how the send settled (acked with its seq, or refused)",
    complete: (s, i) => (i === 0 ? clientNames(s) : i === 1 ? [...s.options.rooms] : []),
    run: async (s, [name, room, ...words]) => {
      const usage = 'send <client> <room> <text…>';
      const c = clientArg(s, name, usage);
      const r = roomArg(s, room, usage);
      const body = words.join(' ');
      if (body === '') throw new CommandError(`usage: ${usage}`);
      const { id, settled } = await s.send(c, r, body);
      const events = s.eventsOf(id);
      const ack = events.find((e) => e.type === 'ack');
      const fail = events.find((e) => e.type === 'send-fail' || e.type === 'send-info');
      const attempts = events.filter((e) => e.type === 'send').length;
      const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
      if (ack?.type === 'ack') return `${c.name} → ${r}: ${id} acked seq ${ack.seq}${ack.duplicate ? ' (duplicate: true, already committed)' : ''} by worker ${ack.worker ?? '?'}${tries}`;
      if (fail?.type === 'send-fail') return `${c.name} → ${r}: ${id} refused: ${fail.code}${tries}`;
      if (fail?.type === 'send-info') return `${c.name} → ${r}: ${id} given up: ${fail.reason}${tries}`;
      return `${c.name} → ${r}: ${id} not settled yet${settled ? '' : ' (still retried by its SDK: trace it later)'}${tries}`;
    },
  },
  clients: {
    usage: 'clients',
    doc: 'each client: its home worker, the worker it is connected to, its cursor per room, sends not yet settled, messages received',
    run: async (s) => {
      const received = new Map<string, number>();
      for (const e of s.history.events) if (e.type === 'deliver') received.set(e.client, (received.get(e.client) ?? 0) + 1);
      const rows = s.clients.map((c) => [c.name, `home ${c.home}`, `on ${c.client.connectedWorker ?? '—'}`, c.rooms.map((r) => `${r}@${c.client.cursor(r)}`).join(' '), `unsettled ${c.unsettled}`, `received ${received.get(c.name) ?? 0}`]);
      return table(rows);
    },
  },
  show: {
    usage: 'show <client> [n]',
    doc: "the last n (default 10) messages the client's application received, with the worker and path of each",
    complete: (s, i) => (i === 0 ? clientNames(s) : []),
    run: async (s, [name, n]) => {
      const c = clientArg(s, name, 'show <client> [n]');
      const count = n === undefined ? 10 : numberArg(n, 'n', 1, 10_000, 'show <client> [n]');
      const got = s.history.events.filter((e) => e.type === 'deliver' && e.client === c.name).slice(-count);
      if (got.length === 0) return `${c.name} has received nothing yet`;
      return table(got.map((e) => (e.type === 'deliver' ? [`${Math.round(e.t)} ms`, e.room, `seq ${e.seq}`, e.id, `from ${e.sender}`, `worker ${e.worker ?? '?'}`, e.path ?? 'live', JSON.stringify(e.body)] : [])));
    },
  },
  db: {
    usage: 'db <room> [n]',
    doc: 'the last n (default 10) rows of the room in the database, the truth every check is made against',
    complete: (s, i) => (i === 0 ? [...s.options.rooms] : []),
    run: async (s, [room, n]) => {
      const r = roomArg(s, room, 'db <room> [n]');
      const count = n === undefined ? 10 : numberArg(n, 'n', 1, 10_000, 'db <room> [n]');
      const rows = (await s.system.truth.snapshot()).messages.filter((m) => m.room === r);
      if (rows.length === 0) return `no rows in ${r} yet`;
      return `${rows.length} row(s) in ${r}, head ${rows.at(-1)!.seq}\n${table(rows.slice(-count).map((m) => [`seq ${m.seq}`, m.id, m.sender, JSON.stringify(m.body)]))}`;
    },
  },
  check: {
    usage: 'check',
    doc: 'hold the background load, let every send settle and every client catch up, then check every invariant over the history so far',
    run: async (s) => {
      const r = await s.check();
      return { ok: true, output: ExploreSession.render(r, false), broke: !r.report.ok };
    },
  },
  trace: {
    usage: 'trace <message-id>',
    doc: "one message through every layer so far: its send attempts, the commit, the ack, each publish, and how each member got it",
    complete: (s, i) => (i === 0 ? [...new Set(s.history.events.flatMap((e) => (e.type === 'ack' ? [e.id] : [])))].slice(-20) : []),
    run: async (s, [id]) => {
      if (id === undefined) throw new CommandError('usage: trace <message-id>');
      const story = messageStory(s.history.events, id, (await s.system.truth.snapshot()).messages);
      if (!story.found) throw new CommandError(`no message ${id} in this session's history`);
      return renderMessageStory(story);
    },
  },
  sleep: {
    usage: 'sleep <duration>',
    doc: 'let time pass (1s, 300ms): for scripts, between a fault and its heal',
    run: async (_s, [d]) => {
      if (d === undefined) throw new CommandError('usage: sleep <duration>');
      const ms = durationArg(d, 'sleep');
      if (ms > 600_000) throw new CommandError('sleep: at most 600s');
      await new Promise((r) => setTimeout(r, ms));
      return '';
    },
  },
  status: {
    usage: 'status',
    doc: "the workers' pids, the active faults and the session's time",
    run: async (s) => {
      const workers = slots(s).map((k) => `worker ${k}: pid ${s.system.core.pid(Number(k)) ?? 'down'}`);
      const faults = s.activeFaults.map((f) => `${f.key} since ${f.atMs} ms`);
      return [`${s.elapsedMs} ms into the session, ${s.options.semantics}, history in ${s.outDir}`, ...workers, faults.length ? `active: ${faults.join(', ')}` : 'no fault active'].join('\n');
    },
  },
  save: {
    usage: 'save <file.json>',
    doc: 'what was done so far (faults with their times, sends) as a scenario file that `deliverylab run <file>` replays',
    run: async (s, [file]) => {
      if (file === undefined || !file.endsWith('.json')) throw new CommandError('usage: save <file.json>');
      s.save(file);
      return `saved; replay it with: npx deliverylab run ${file}`;
    },
  },
  quit: {
    usage: 'quit',
    doc: 'heal every fault, stop the cluster and keep the session under its directory',
    run: async () => ({ ok: true, output: '', quit: true }),
  },
};

/** Runs one console line; a mistake is an outcome with ok false, never an exception. */
export async function runConsoleLine(s: ExploreSession, line: string): Promise<CommandOutcome> {
  const words = line.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0 || words[0]!.startsWith('#')) return { ok: true, output: '' };
  const [name, ...args] = words;
  const cmd = COMMANDS[name === 'exit' ? 'quit' : name!];
  if (!cmd) return { ok: false, output: `no command "${name}" (help lists them)` };
  try {
    const out = await cmd.run(s, args);
    return typeof out === 'string' ? { ok: true, output: out } : out;
  } catch (e) {
    return { ok: false, output: e instanceof CommandError ? e.message : `${name}: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Completions of a partly typed line (node:repl's completer shape). */
export function completeLine(s: ExploreSession, line: string): [string[], string] {
  const words = line.split(/\s+/);
  const current = words.at(-1) ?? '';
  const candidates = words.length <= 1
    ? [...Object.keys(COMMANDS), 'exit']
    : (COMMANDS[words[0]!]?.complete?.(s, words.length - 2) ?? []);
  return [candidates.filter((c) => c.startsWith(current)), current];
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}
