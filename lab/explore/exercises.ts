import type { SemanticsName } from '../../src/protocol/index.js';
import { faultWindows, refusedRooms, wasRefused } from '../checker/index.js';
import { deliveryPaths } from '../history/delivery-paths.js';
import type { DbMessage, HistoryEvent } from '../history/events.js';
import type { ScenarioOverrides } from '../runner/overrides.js';

/**
 * How the key message is chosen in a run: the send a crash point fired on, the first send made during the
 * first fault through a worker it did not hit, or (for a fault on every worker) the first send made during it.
 */
export type KeyMessage = 'fired' | 'during-fault' | 'first-during-fault';

/** An interview question, run for real: a scenario, the message to follow, and why it ends as it does. */
export interface Exercise {
  name: string;
  /** The question as an interviewer asks it. */
  question: string;
  scenario: string;
  semantics: SemanticsName;
  overrides?: ScenarioOverrides;
  key: KeyMessage;
  /** Why it ends as it does: the explanation shown beside the outcome. */
  why: string;
}

/** The choices of each kind of question. */
export const CHOICES = {
  rows: ['0', '1', '2'],
  sender: ['acked', 'acked-duplicate', 'refused', 'never'],
  members: ['all-live', 'some-later', 'some-never', 'some-twice'],
} as const;

/** The questions every exercise asks, before the run, in this order (`--answer rows,sender,members`). */
export const QUESTIONS = [
  { key: 'rows', question: 'How many rows hold the message in the database at the end?', choices: CHOICES.rows },
  { key: 'sender', question: "How does the sender's send() end? (acked, acked with duplicate: true, refused, never settles)", choices: CHOICES.sender },
  { key: 'members', question: "The room's other members: do they all get it live, some only later (by fetch or replay), some never, some twice?", choices: CHOICES.members },
] as const;

/** Every exercise, by name (`deliverylab exercises`). */
export const EXERCISES: readonly Exercise[] = [
  { name: 'crash-before-commit', scenario: 'crash-before-commit', semantics: 'effectively-once', key: 'fired',
    question: 'The worker dies just before it commits a send. How many rows, how does the sender\'s send() end, and who sees the message?',
    why: 'Nothing was stored or acked, so the SDK resends the same id on another worker; that commit is the first, so the ack is a plain one (not a duplicate), and everyone gets it live from there. One row.' },
  { name: 'crash-after-commit-before-ack', scenario: 'crash-after-commit-before-ack', semantics: 'effectively-once', key: 'fired',
    question: 'The worker dies after the commit and before the ack. How many rows, how does the send end, and who sees the message, when?',
    why: 'The row exists but nobody was told: the sender retries the same id, the database answers with the original seq and duplicate: true, and the retry is published again. Clients that reconnected from the dead worker get it in their join replay; the others live from the republish. One row, however many attempts.' },
  { name: 'crash-after-ack-before-publish', scenario: 'crash-after-ack-before-publish', semantics: 'effectively-once', key: 'fired',
    question: 'The worker dies after the ack and before the publish. The sender is done; who else sees the message, and when?',
    why: 'The sender holds its ack and never retries, so nobody publishes it. The other members learn of it later: the next message reveals a gap, or a database head shows the room is ahead, and they fetch it. Clients of the dead worker replay it on reconnect.' },
  { name: 'partition-cut', scenario: 'redis-partition-cut', semantics: 'effectively-once', key: 'during-fault',
    question: "Worker 1 is cut from Redis for 2 s. A message is sent through worker 0 meanwhile: how do worker 1's clients get it?",
    why: "Redis never delivers it to worker 1: pub/sub does not queue for a disconnected subscriber. Worker 1's clients see a gap (a later message) or a database head above their cursor and fetch it: later, not never." },
  { name: 'partition-blackhole', scenario: 'redis-partition-blackhole', semantics: 'effectively-once', key: 'during-fault',
    question: "Worker 0's link to Redis silently drops every packet (no error, no reset). A message is sent through worker 1: how do worker 0's clients get it?",
    why: "A blackhole is worse than a cut: nothing fails until the bus's PING probe times out and reconnects. Meanwhile heads, read from the database, keep telling worker 0's clients where the room is, and they fetch what Redis never brought." },
  { name: 'redis-restart', scenario: 'redis-restart', semantics: 'effectively-once', key: 'during-fault',
    question: 'Redis restarts (everything it held is gone). A message sent while it is down: who gets it, and how?',
    why: 'A publish while Redis is down is dropped (never queued: the bus is ephemeral by design); the sender still gets its ack, because the ack follows the commit, not the publish. Members on other workers find it by a head or a gap and fetch it.' },
  { name: 'worker-pause', scenario: 'worker-pause', semantics: 'effectively-once', key: 'during-fault',
    question: 'Worker 0 is paused (SIGSTOP) for 3 s. A message sent through worker 1 meanwhile: do worker 0\'s clients lose it?',
    why: "A paused worker's clients notice through their heartbeat (no pong) and move to worker 1, where they replay from their cursor. Nothing is lost; it arrives later, or live once they have moved." },
  { name: 'duplicate-publishes', scenario: 'duplicate-publishes', semantics: 'effectively-once', key: 'during-fault',
    question: 'Every other publish goes out twice. How many times does each application see a message?',
    why: 'The second copy has the same seq: the client drops every copy at or below its cursor, so the application sees each message once. Turn client dedup off (semantics no-client-dedup) and it sees it twice.' },
  { name: 'reordered-publishes', scenario: 'reorder', semantics: 'effectively-once', key: 'first-during-fault',
    question: 'Both workers hold every publish back by a random 0-300 ms, so later messages overtake earlier ones on the bus. Does any application see the room out of order, or miss a message?',
    why: "Each client holds a message whose seq is above its cursor + 1 in its reorder buffer until the missing ones arrive (live, or by a gap fetch when they take too long), so every application sees the room in seq order, each message once. The database decides the order; the bus only carries it. Turn the buffer off (semantics no-reorder-buffer) and per-room-order breaks." },
  { name: 'ack-before-commit', scenario: 'crash-before-commit', semantics: 'ack-before-commit', key: 'fired',
    question: 'A seeded bug: the worker acks before it commits, and dies in between. How many rows, and what does the sender believe?',
    why: 'The sender was told its message is safe, so it never retries; the commit never happened. Zero rows, and the sender holds an ack for a message nobody will ever see (acked-durable breaks). This is why the ack must follow the commit.' },
  { name: 'publish-before-commit', scenario: 'crash-before-commit', semantics: 'publish-before-commit', key: 'fired',
    question: 'A seeded bug: the worker publishes before it commits, and dies in between. Do other members see a message the database does not hold?',
    why: 'Other workers already forwarded the publish, with a guessed seq, to their clients: a phantom. The sender, never acked, retries elsewhere, and the message is committed later under another seq, so the members hold two seqs for one id (no-phantoms breaks).' },
  { name: 'no-dedup', scenario: 'crash-after-commit-before-ack', semantics: 'no-dedup', key: 'fired',
    question: 'A seeded bug: the id is not the primary key. The worker dies after the commit and before the ack: how many rows?',
    why: 'The retry is not recognised as a retry: a second row with a new seq. Clients dedup by seq, so they see the message twice, under two seqs (unique-ids breaks).' },
  { name: 'at-most-once', scenario: 'crash-before-commit', semantics: 'at-most-once', key: 'fired',
    question: 'Plain pub/sub (no retry, no replay, no fetch): the worker dies before committing a send. What is lost?',
    why: 'Without retry the SDK gives the send up when its connection drops: zero rows, and the application is told only that the outcome is unknown (sends-settled breaks). Compare at-least-once (retries: one row, members may get copies twice) and effectively-once (one row, each member once).' },
  { name: 'at-least-once', scenario: 'crash-after-commit-before-ack', semantics: 'at-least-once', key: 'fired',
    question: 'At-least-once (client dedup off): the worker dies after the commit and before the ack. How often do members see the message?',
    why: 'The retry is republished and clients that reconnect also replay it: without dedup by seq some applications get it twice (exactly-once-effect breaks). The database still holds one row: the id is the primary key.' },
];

/** The key message of a run, or undefined when the run has none (the crash point never fired, no send during the fault). */
export function keyMessage(history: readonly HistoryEvent[], how: KeyMessage): string | undefined {
  if (how === 'fired') {
    const f = history.find((e) => e.type === 'failpoint-fired');
    return f?.type === 'failpoint-fired' ? /id (\S+)/.exec(f.detail)?.[1] : undefined;
  }
  const w = faultWindows(history)[0];
  if (w === undefined) return undefined;
  const hit = [...w.target.matchAll(/worker:(\d+)/g)].map((m) => Number(m[1]));
  const end = w.healedAt ?? Infinity;
  // The first send during the fault whose first attempt went to a worker the fault did not hit (or, asked for, any worker).
  for (const e of history) {
    if (e.type !== 'send' || e.attempt !== 1 || e.t < w.at || e.t > end || e.worker === null) continue;
    if (how === 'first-during-fault' || hit.length === 0 || !hit.includes(e.worker)) return e.id;
  }
  return undefined;
}

/** One question of an exercise as asked and answered. */
export interface Answered {
  key: string;
  question: string;
  choices: readonly string[];
  predicted: string | undefined;
  actual: string;
  correct: boolean;
}

/** What happened to message `id`, from the run's history and database: the actual answers, and each other member's copy. */
export function actualAnswers(history: readonly HistoryEvent[], db: readonly DbMessage[], id: string): { answers: Record<string, string>; members: { client: string; got: string }[] } {
  const invoke = history.find((e) => e.type === 'invoke' && e.id === id);
  const sender = invoke?.type === 'invoke' ? invoke.client : undefined;
  const room = invoke?.type === 'invoke' ? invoke.room : undefined;
  const rows = Math.min(2, db.filter((r) => r.id === id).length);
  const settle = history.find((e) => (e.type === 'ack' || e.type === 'send-fail' || e.type === 'send-info') && e.id === id && e.client === sender);
  const senderActual = settle?.type === 'ack' ? (settle.duplicate ? 'acked-duplicate' : 'acked') : settle?.type === 'send-fail' ? 'refused' : 'never';
  const paths = deliveryPaths(history).filter((r) => r.kind === 'delivery' && r.id === id);
  const refused = refusedRooms(history);
  const others = [...new Set(history.flatMap((e) => (e.type === 'join' && e.room === room && e.client !== sender && !wasRefused(refused, e.client, e.room) ? [e.client] : [])))].sort();
  const members = others.map((client) => {
    const mine = paths.filter((r) => r.client === client);
    const got = mine.length === 0 ? 'never' : mine.length > 1 ? 'twice' : mine[0]!.path === 'replay' || mine[0]!.path === 'fetch' ? 'later' : 'live';
    return { client, got };
  });
  const has = (g: string) => members.some((m) => m.got === g);
  const membersActual = has('twice') ? 'some-twice' : has('never') ? 'some-never' : has('later') ? 'some-later' : 'all-live';
  return { answers: { rows: String(rows), sender: senderActual, members: membersActual }, members };
}
