import { faultWindows, type FaultWindow } from '../checker/index.js';
import { deliveryPaths, type DeliveryPathRecord } from '../history/delivery-paths.js';
import type { DbMessage, HistoryEvent } from '../history/events.js';
import { messageStory } from './message-story.js';

const ms = (t: number) => `${Math.round(t)} ms`;
const POINT_WORDS: Record<string, string> = {
  'crash.before-commit': 'just before committing',
  'crash.after-commit-before-ack': 'after committing and before acking',
  'crash.after-ack-before-publish': 'after acking and before publishing',
};
const PATH_WORDS: Record<string, string> = { replay: 'by replay', fetch: 'by fetch', 'live-bus': 'live through Redis', 'live-local': 'live from their own worker', republish: "live from a retry's republish", unknown: 'live' };

/** The worker slots a fault's target names (`worker:1`, `worker:0+worker:2`), or every worker for Redis. */
function slotsOf(w: FaultWindow, workers: readonly number[]): number[] {
  if (w.target === 'redis' || w.target === 'core') return [...workers];
  return [...w.target.matchAll(/worker:(\d+)/g)].map((m) => Number(m[1]));
}

/** One sentence about the message a crash point fired on: what the crash did, who retried, who got it and how. */
function crashSentence(history: readonly HistoryEvent[], fired: Extract<HistoryEvent, { type: 'failpoint-fired' }>, db: readonly DbMessage[]): string {
  const id = /id (\S+)/.exec(fired.detail)?.[1];
  const where = POINT_WORDS[fired.failpoint] ?? `at ${fired.failpoint}`;
  if (id === undefined) return `worker ${fired.worker} died at ${ms(fired.t)} ${where}.`;
  const mine = history.filter((e) => 'id' in e && e.id === id);
  const commit = history.find((e) => e.type === 'trace' && e.trace.what === 'commit' && e.trace.id === id && !e.trace.duplicate);
  const seq = commit?.type === 'trace' && commit.trace.what === 'commit' ? ` (seq ${commit.trace.seq})` : '';
  const parts = [`worker ${fired.worker} died at ${ms(fired.t)} ${where} message ${id}${seq}`];
  const retry = mine.find((e) => e.type === 'send' && e.attempt > 1);
  const settled = mine.find((e) => e.type === 'ack' || e.type === 'send-fail' || e.type === 'send-info');
  if (retry?.type === 'send') {
    const how = settled?.type === 'ack' ? ` and got ${settled.duplicate ? 'duplicate: true' : `a new seq ${settled.seq}`}` : settled ? ` and it was ${settled.type === 'send-fail' ? 'refused' : 'given up'}` : ' and it never settled';
    parts.push(`the sender retried on worker ${retry.worker} at ${ms(retry.t)}${how}`);
  } else if (settled?.type === 'ack') parts.push(`the sender already held its ack (seq ${settled.seq})`);
  else parts.push('the sender never wrote it again');
  const s = messageStory(history, id, db);
  const got = s.story.find((l) => l.startsWith('Members who got it:'));
  const never = s.story.find((l) => l.startsWith('Members who never got it:'));
  if (got) parts.push(got.replace('Members who got it: ', '').replace(/\.$/, ''));
  if (never) parts.push(`never: ${never.replace('Members who never got it: ', '').replace(/\.$/, '')}`);
  const rows = db.filter((r) => r.id === id).length;
  parts.push(rows === 0 ? 'no row in the database' : rows === 1 ? 'one row in the database' : `${rows} rows in the database`);
  return `${parts.join('; ')}.`;
}

/** The sends in flight on `slots` when a fault struck at `t`, and how each ended. */
function inFlightSentence(history: readonly HistoryEvent[], w: FaultWindow, slots: readonly number[]): string | undefined {
  const settledAt = new Map<string, Extract<HistoryEvent, { type: 'ack' | 'send-fail' | 'send-info' }>>();
  for (const e of history) if ((e.type === 'ack' || e.type === 'send-fail' || e.type === 'send-info') && !settledAt.has(e.id)) settledAt.set(e.id, e);
  // Until the worker really died (a kill: its exit) or for as long as it was stopped or paused.
  const exit = history.find((e) => e.type === 'worker-exit' && e.t >= w.at && slots.includes(e.worker));
  const dies = w.kind === 'worker-kill' || w.kind === 'power-loss' || w.kind === 'primary-kill';
  const until = dies ? (exit?.t ?? w.at) : (w.healedAt ?? Infinity);
  const inFlight = new Map<string, Extract<HistoryEvent, { type: 'send' }>>();
  for (const e of history) {
    if (e.type !== 'send' || e.t > until || e.worker === null || !slots.includes(e.worker)) continue;
    const s = settledAt.get(e.id);
    if (s === undefined || s.t >= w.at) inFlight.set(e.id, e);
  }
  if (inFlight.size === 0) return undefined;
  let dup = 0;
  let fresh = 0;
  let unsettled = 0;
  for (const id of inFlight.keys()) {
    const s = settledAt.get(id);
    if (s?.type === 'ack') { if (s.duplicate) dup++; else fresh++; } else unsettled++;
  }
  const n = inFlight.size;
  const when = dies ? `when it died${exit ? ` (${ms(exit.t)})` : ''}` : 'while it was stopped';
  return `${n} send${n === 1 ? ' was' : 's were'} in flight on worker ${slots.join('+')} ${when}: ${fresh} acked later with a new seq, ${dup} acked as duplicate: true (committed before the fault)${unsettled ? `, ${unsettled} never settled (the application was never told)` : ''}.`;
}

/** What clients on `slots` missed live during the window, and how (and whether) they got it later. */
function missedSentence(paths: readonly DeliveryPathRecord[], w: FaultWindow, slots: readonly number[], end: number): string | undefined {
  const until = w.healedAt ?? end;
  const late = paths.filter((r) => r.kind === 'delivery' && r.nth === 1 && r.worker !== null && slots.includes(r.worker) && (r.path === 'replay' || r.path === 'fetch') && r.t >= w.at);
  const during = late.filter((r) => r.t <= until + 5000);
  if (during.length === 0) return undefined;
  const byPath = new Map<string, number>();
  for (const r of during) byPath.set(r.path, (byPath.get(r.path) ?? 0) + 1);
  const last = Math.max(...during.map((r) => r.t));
  return `clients on worker ${slots.join('+')} caught up on ${during.length} message cop${during.length === 1 ? 'y' : 'ies'} they did not get live: ${[...byPath].map(([p, n]) => `${n} ${PATH_WORDS[p] ?? p}`).join(', ')}, the last at ${ms(last)}.`;
}

/** What a power loss took: the writes rolled back, and the acked messages no longer in the database. */
function powerLossSentence(history: readonly HistoryEvent[], w: FaultWindow, db: readonly DbMessage[]): string {
  const loss = history.find((e): e is Extract<HistoryEvent, { type: 'power-loss' }> => e.type === 'power-loss' && e.t >= w.at);
  const undone = loss?.rolledBack.reduce((n, f) => n + f.writes, 0) ?? 0;
  const files = loss?.rolledBack.map((f) => `${f.file.split('/').pop()} ${f.sizeBefore} → ${f.sizeAfter} bytes`).join(', ');
  const inDb = new Set(db.map((r) => r.id));
  const lost = [...new Set(history.flatMap((e) => (e.type === 'ack' && e.t <= w.at && !inDb.has(e.id) ? [e.id] : [])))];
  const back = history.find((e) => e.type === 'core-up' && e.t >= w.at);
  return `every process of the core died at once; ${undone === 0 ? 'no database write was unsynced, nothing was rolled back' : `${undone} unsynced database write${undone === 1 ? ' was' : 's were'} lost (${files})`}; ${lost.length === 0 ? 'every message acked before it is in the database' : `${lost.length} acked message${lost.length === 1 ? ' is' : 's are'} missing from the database (the first: ${lost[0]})`}${back ? `; the node was back at ${ms(back.t)}` : ''}.`;
}

/** What a disk fault did to the commits: the indefinite errors, the retries, and that nothing was acked meanwhile. */
function diskSentence(history: readonly HistoryEvent[], w: FaultWindow, end: number): string {
  const until = w.healedAt ?? end;
  const errors = history.filter((e) => e.type === 'send-error' && e.t >= w.at && e.t <= until + 100);
  const ids = new Set(errors.flatMap((e) => (e.type === 'send-error' ? [e.id] : [])));
  const acks = history.filter((e) => e.type === 'ack' && ids.has(e.id));
  const ackedDuring = acks.filter((e) => e.t < until && e.type === 'ack' && !e.duplicate).length;
  const later = acks.filter((e) => e.t >= until).length;
  return `${errors.length} commit error${errors.length === 1 ? '' : 's'} reached the clients (unavailable, outcome unknown) for ${ids.size} send${ids.size === 1 ? '' : 's'}, each retried with the same id; ${later} of them were acked after the disk worked again${ackedDuring ? `, ${ackedDuring} while it still failed` : ''}.`;
}

/** What a client's own broken link did to it: its disconnects, its sends retried, and how it caught up. */
function clientLinkSentence(history: readonly HistoryEvent[], w: FaultWindow, end: number): string | undefined {
  const start = history.find((e): e is Extract<HistoryEvent, { type: 'fault-start' }> => e.type === 'fault-start' && e.fault === w.fault);
  const client = typeof start?.params['client'] === 'string' ? start.params['client'] : undefined;
  if (client === undefined) return undefined;
  const until = w.healedAt ?? end;
  const mine = history.filter((e) => 'client' in e && e.client === client && e.t >= w.at);
  const drops = mine.filter((e) => e.type === 'disconnect' && e.t <= until).length;
  const retried = new Set(mine.flatMap((e) => (e.type === 'send' && e.attempt > 1 ? [e.id] : []))).size;
  const back = mine.find((e) => e.type === 'connect' && e.t >= until);
  const caught = mine.filter((e) => e.type === 'deliver' && (e.path === 'replay' || e.path === 'fetch') && e.t >= w.at).length;
  return `${client} lost its connection ${drops} time${drops === 1 ? '' : 's'} while its link was broken; ${retried} of its sends were written again with the same id; ${back ? `it was connected again at ${ms(back.t)} and` : 'it'} caught up on ${caught} message${caught === 1 ? '' : 's'} by replay or fetch.`;
}

/** The run's story: for every fault, in plain words, what it did to the messages around it. */
export function runStory(history: readonly HistoryEvent[], db: readonly DbMessage[] = []): string[] {
  const out: string[] = [];
  const workers = [...new Set(history.flatMap((e) => (e.type === 'worker-up' ? [e.worker] : [])))].sort();
  const end = history.reduce((m, e) => Math.max(m, e.t), 0);
  let paths: DeliveryPathRecord[] | undefined;
  const firedAll = history.filter((e): e is Extract<HistoryEvent, { type: 'failpoint-fired' }> => e.type === 'failpoint-fired');
  for (const w of faultWindows(history)) {
    const slots = slotsOf(w, workers);
    const head = `${w.kind} on ${w.target} at ${ms(w.at)}${w.healedAt !== null ? `–${ms(w.healedAt)}` : ''}`;
    const lines: string[] = [];
    if (w.kind === 'crash-point') {
      const fired = firedAll.filter((f) => f.t >= w.at && (w.healedAt === null || f.t <= w.healedAt + 1000) && slots.includes(f.worker));
      for (const f of fired) lines.push(crashSentence(history, f, db));
      if (fired.length === 0) lines.push('the crash point never fired (the worker handled fewer sends than nth).');
    } else if (w.kind === 'power-loss' || w.kind === 'primary-kill') {
      if (w.kind === 'power-loss') lines.push(powerLossSentence(history, w, db));
      const s = inFlightSentence(history, w, slots);
      if (s) lines.push(s);
    } else if (w.kind === 'disk-full') {
      lines.push(diskSentence(history, w, end));
    } else if (w.kind === 'worker-kill' || w.kind === 'worker-stop' || w.kind === 'worker-pause') {
      const s = inFlightSentence(history, w, slots);
      lines.push(s ?? `no send was in flight on worker ${slots.join('+')} when it struck.`);
    }
    if (w.kind === 'client-link') {
      const sentence = clientLinkSentence(history, w, end);
      if (sentence) lines.push(sentence);
    }
    if (w.kind.startsWith('redis') || w.kind.startsWith('link-') || w.kind === 'worker-kill' || w.kind === 'worker-stop' || w.kind === 'worker-pause' || w.kind === 'crash-point') {
      paths ??= deliveryPaths(history);
      const s = missedSentence(paths, w, slots, end);
      if (s) lines.push(s);
    }
    if (w.kind === 'duplicate-publish' || w.kind === 'reorder') {
      paths ??= deliveryPaths(history);
      const dropped = paths.filter((r) => r.kind === 'frame' && r.fate === 'duplicate-dropped' && r.t >= w.at && r.t <= (w.healedAt ?? end)).length;
      const fetched = paths.filter((r) => r.kind === 'delivery' && r.path === 'fetch' && r.t >= w.at && r.t <= (w.healedAt ?? end)).length;
      lines.push(`${dropped} cop${dropped === 1 ? 'y was' : 'ies were'} dropped by clients as duplicates and ${fetched} message${fetched === 1 ? ' was' : 's were'} fetched to fill a gap meanwhile.`);
    }
    if (lines.length > 0) out.push(`${head}: ${lines.join(' ')}`);
  }
  return out;
}
