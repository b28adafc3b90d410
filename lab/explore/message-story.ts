import type { CoreTrace } from '../../src/protocol/index.js';
import { activeFaults, refusedRooms, wasRefused } from '../checker/index.js';
import { deliveryPaths, type DeliveryPathRecord } from '../history/delivery-paths.js';
import type { DbMessage, HistoryEvent } from '../history/events.js';

/** One line of a message's time table: when, who (a lane: a client, a worker, the writer, Redis), what. */
export interface StoryRow {
  t: number;
  lane: string;
  what: string;
}

/** A message followed through every layer of a run: its time table and its story in plain words. */
export interface MessageStory {
  id: string;
  /** False when the history never mentions the id. */
  found: boolean;
  room: string | undefined;
  rows: StoryRow[];
  /** Paragraph lines: the send, the commit, the ack, the publishes, each member's copy, the database. */
  story: string[];
}

const msText = (t: number) => `${Math.round(t)} ms`;
const worker = (w: number | null | undefined) => (w === null || w === undefined ? 'an unknown worker' : `worker ${w}`);

const PATH_WORDS: Record<string, string> = {
  'live-local': 'live from its own worker',
  'live-bus': 'live through Redis',
  replay: 'in the replay of its join',
  fetch: 'by a gap fetch',
  republish: "live, from the retry's republish",
  unknown: 'live (no trace says how)',
};

/** Follows message `id` through a run's history (and its database rows): who did what to it, and when. */
export function messageStory(history: readonly HistoryEvent[], id: string, dbRows: readonly DbMessage[] = []): MessageStory {
  const rows: StoryRow[] = [];
  const story: string[] = [];
  const mine = history.filter((e) => ('id' in e && e.id === id) || (e.type === 'trace' && 'id' in e.trace && e.trace.id === id));
  const invoke = mine.find((e) => e.type === 'invoke');
  const room = invoke?.type === 'invoke' ? invoke.room : (mine.find((e) => 'room' in e) as { room?: string } | undefined)?.room;
  if (mine.length === 0) return { id, found: false, room, rows, story: [`message ${id} does not appear in this run's history`] };
  const traces = mine.flatMap((e) => (e.type === 'trace' ? [{ t: e.t, tr: e.trace }] : []));
  const byWhat = <W extends CoreTrace['what']>(w: W) => traces.filter((x) => x.tr.what === w) as { t: number; tr: Extract<CoreTrace, { what: W }> }[];

  // The application and its SDK.
  if (invoke?.type === 'invoke') {
    rows.push({ t: invoke.t, lane: invoke.client, what: `send() of message ${id} to ${invoke.room}` });
    story.push(`${invoke.client} sent ${id} to room ${invoke.room} at ${msText(invoke.t)}.`);
  }
  const attempts = mine.filter((e) => e.type === 'send');
  for (const a of attempts) if (a.type === 'send') rows.push({ t: a.t, lane: a.client, what: `attempt #${a.attempt} written to ${worker(a.worker)}` });
  if (attempts.length > 1) {
    story.push(`The SDK wrote it ${attempts.length} times: ${attempts.map((a) => (a.type === 'send' ? `#${a.attempt} to ${worker(a.worker)} at ${msText(a.t)}${faultsAt(history, a.t)}` : '')).join(', ')}.`);
  } else if (attempts[0]?.type === 'send') {
    story.push(`The SDK wrote it once, to ${worker(attempts[0].worker)} at ${msText(attempts[0].t)}${faultsAt(history, attempts[0].t)}.`);
  }

  // The core: commits, acks, publishes.
  for (const { t, tr } of byWhat('commit')) {
    const by = tr.writer === 'primary' ? 'the primary (the one writer)' : `worker ${tr.worker} (its own writer)`;
    rows.push({ t, lane: tr.writer === 'primary' ? 'writer' : `worker ${tr.worker}`, what: `${tr.duplicate ? 'found committed (duplicate)' : 'committed'} as seq ${tr.seq}, in a transaction of ${tr.batch}` });
    story.push(tr.duplicate
      ? `At ${msText(t)} ${by} found it already committed as seq ${tr.seq} (a retry, for worker ${tr.forWorker}).`
      : `At ${msText(t)} ${by} committed it as seq ${tr.seq} of ${tr.room}, in a transaction of ${tr.batch} send${tr.batch === 1 ? '' : 's'}, for worker ${tr.forWorker}.`);
  }
  for (const { t, tr } of byWhat('conflict')) {
    rows.push({ t, lane: 'writer', what: `refused: id committed as ${tr.existingRoom} seq ${tr.existingSeq} with other content` });
    story.push(`At ${msText(t)} the writer refused it with id_conflict: the id is ${tr.existingRoom} seq ${tr.existingSeq} with other content.`);
  }
  for (const { t, tr } of byWhat('ack')) rows.push({ t, lane: `worker ${tr.worker}`, what: `ack written (seq ${tr.seq}${tr.duplicate ? ', duplicate' : ''})` });
  for (const e of mine) {
    if (e.type === 'ack') {
      rows.push({ t: e.t, lane: e.client, what: `send() resolved: acked seq ${e.seq}${e.duplicate ? ' (duplicate: true)' : ''}` });
      story.push(`${e.client}'s send() resolved at ${msText(e.t)}: acked with seq ${e.seq}${e.duplicate ? ', duplicate: true (an earlier attempt had got through)' : ''}, on ${worker(e.worker)}.`);
    } else if (e.type === 'send-fail') {
      rows.push({ t: e.t, lane: e.client, what: `send() refused: ${e.code}` });
      story.push(`${e.client}'s send() was refused at ${msText(e.t)} with ${e.code}.`);
    } else if (e.type === 'send-info') {
      rows.push({ t: e.t, lane: e.client, what: `send() given up, outcome unknown` });
      story.push(`${e.client}'s send() was given up at ${msText(e.t)} with its outcome unknown (${e.reason.split(':')[0]}).`);
    } else if (e.type === 'failpoint-fired') {
      rows.push({ t: e.t, lane: `worker ${e.worker}`, what: `${e.failpoint} fired: SIGKILL` });
    }
  }
  if (invoke !== undefined && !mine.some((e) => e.type === 'ack' || e.type === 'send-fail' || e.type === 'send-info')) story.push(`${invoke.type === 'invoke' ? invoke.client : 'The sender'}'s send() never settled.`);
  const fired = history.find((e) => e.type === 'failpoint-fired' && e.detail.includes(id));
  if (fired?.type === 'failpoint-fired') {
    rows.push({ t: fired.t, lane: `worker ${fired.worker}`, what: `${fired.failpoint} fired on this send: SIGKILL` });
    story.push(`Worker ${fired.worker} died at ${msText(fired.t)}: ${fired.failpoint} fired on this very send.`);
  }
  const publishes = byWhat('publish');
  for (const { t, tr } of publishes) rows.push({ t, lane: `worker ${tr.worker}`, what: `published to Redis${tr.copies > 1 ? ` ×${tr.copies}` : ''}${tr.republish ? ' (republish of a retry)' : ''}${tr.delayMs ? `, held back ${tr.delayMs} ms` : ''}` });
  for (const { t, tr } of byWhat('bus-receive')) rows.push({ t, lane: `worker ${tr.worker}`, what: `received from Redis (published by worker ${tr.origin})` });
  if (publishes.length > 0) story.push(`It was published ${publishes.length === 1 ? 'once' : `${publishes.length} times`}: ${publishes.map(({ t, tr }) => `by worker ${tr.worker} at ${msText(t)}${tr.republish ? ' (a republish)' : ''}`).join(', ')}.`);
  else if (byWhat('commit').length > 0) story.push('It was never published to Redis.');

  // Every member of the room: how and when its application got the message, or that it never did.
  const paths = deliveryPaths(history).filter((r) => r.id === id);
  const refused = refusedRooms(history);
  const members = [...new Set(history.flatMap((e) => (e.type === 'join' && e.room === room && !wasRefused(refused, e.client, room) ? [e.client] : [])))].sort();
  const got: string[] = [];
  const never: string[] = [];
  for (const m of members) {
    const recs = paths.filter((r) => r.client === m);
    const delivered = recs.filter((r): r is Extract<DeliveryPathRecord, { kind: 'delivery' }> => r.kind === 'delivery');
    for (const r of recs) {
      rows.push({ t: r.t, lane: m, what: r.kind === 'delivery' ? `delivered${r.nth > 1 ? ` again (#${r.nth})` : ''}: ${PATH_WORDS[r.path] ?? r.path}, on ${worker(r.worker)}` : `copy ${PATH_WORDS[r.path] ?? r.path} on ${worker(r.worker)}: ${r.fate}` });
    }
    if (delivered.length === 0) never.push(`${m}${recs.length ? ` (${recs.length} cop${recs.length === 1 ? 'y' : 'ies'} on its wire, none delivered)` : ''}`);
    else {
      const first = delivered[0]!;
      const dropped = recs.filter((r) => r.kind === 'frame' && r.fate === 'duplicate-dropped').length;
      got.push(`${m} ${PATH_WORDS[first.path] ?? first.path} at ${msText(first.t)}${delivered.length > 1 ? ` and ${delivered.length - 1} more time(s)` : ''}${dropped ? ` (${dropped} cop${dropped === 1 ? 'y' : 'ies'} dropped as duplicates)` : ''}`);
    }
  }
  if (got.length) story.push(`Members who got it: ${got.join('; ')}.`);
  if (never.length) story.push(`Members who never got it: ${never.join('; ')}.`);

  // The database truth.
  const stored = dbRows.filter((r) => r.id === id);
  story.push(stored.length === 0 ? 'The database holds no row with this id.' : stored.length === 1 ? `The database holds one row: ${stored[0]!.room} seq ${stored[0]!.seq}.` : `The database holds ${stored.length} rows with this id: ${stored.map((r) => `${r.room} seq ${r.seq}`).join(', ')}.`);
  const faultLines = [...new Set(rows.flatMap((r) => activeFaults(history, r.t)))];
  if (faultLines.length) story.push(`Faults active meanwhile: ${faultLines.join(', ')}.`);
  rows.sort((a, b) => a.t - b.t);
  return { id, found: true, room, rows, story };
}

function faultsAt(history: readonly HistoryEvent[], t: number): string {
  const f = activeFaults(history, t);
  return f.length ? ` (during ${f.join(', ')})` : '';
}

/** The story as terminal text: the paragraph, then the time table. */
export function renderMessageStory(s: MessageStory): string {
  if (!s.found) return s.story.join('\n');
  const lane = Math.max(4, ...s.rows.map((r) => r.lane.length));
  const table = s.rows.map((r) => `${msText(r.t).padStart(9)}  ${r.lane.padEnd(lane)}  ${r.what}`);
  return [`message ${s.id}${s.room ? ` (room ${s.room})` : ''}`, '', ...s.story.map((l) => `  ${l}`), '', `${'time'.padStart(9)}  ${'who'.padEnd(lane)}  what`, ...table].join('\n');
}
