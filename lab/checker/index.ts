import { ackedDurable } from './acked-durable.js';
import { atLeastOnce } from './at-least-once.js';
import { databaseIntegrity } from './database-integrity.js';
import { exactlyOnceEffect } from './exactly-once-effect.js';
import { noPhantoms } from './no-phantoms.js';
import { perRoomOrder } from './per-room-order.js';
import { uniqueIds } from './unique-ids.js';
import { sendsSettled } from './sends-settled.js';
import { appMatchesSdk } from './app-matches-sdk.js';
import { idConflict } from './id-conflict.js';
import { computeStats, type Stats } from './stats.js';
import type { CheckInput, Checker, InvariantResult } from './types.js';

/** An invariant as the lab lists and explains it. */
export interface InvariantEntry {
  check: Checker;
  /** One sentence: what must hold. */
  doc: string;
  /** A paragraph: what it means, and which variant or seeded bug breaks it and why. */
  explain: string;
}

/** Every invariant the lab checks, by name, in report order. */
export const INVARIANTS = {
  'acked-durable': {
    check: ackedDurable,
    doc: 'Every acked send is in the database with the room, seq and body it was acked with.',
    explain:
      'An ack is a promise: "your message is safe, and this is its place in the room". The checker takes every ack ' +
      'event and looks its id up in the database: the row must exist, in the acked room, at the acked seq, with the ' +
      'body the client sent. The seeded bug ack-before-commit breaks it: the worker acks first and commits second, so a ' +
      'crash between the two (crash point before-commit, which in this variant comes after the ack) leaves a client holding an ack for a message that ' +
      'never reached the disk, and the client will not retry it because it was told it was safe.',
  },
  'unique-ids': {
    check: uniqueIds,
    doc: 'Each message id is exactly one database row; retries and duplicate publishes are absorbed by id.',
    explain:
      'A client reuses a message id on every retry, so the database can recognise a retry and answer it with the ' +
      'original seq (an ack with duplicate: true) instead of storing the message again. The checker counts rows per id ' +
      'and reports how many retries were absorbed. The seeded bug no-dedup breaks it: without a primary key on the id, a ' +
      'send retried after a lost ack (a killed worker, a cut connection) is inserted a second time with a new seq, and ' +
      'every member of the room sees the message twice under two seqs, which client dedup by seq cannot catch.',
  },
  'no-phantoms': {
    check: noPhantoms,
    doc: 'Every message a client received exists in the database with that room, seq and body.',
    explain:
      'A client must never see a message the durable truth does not hold: other clients who join later will never ' +
      'see it, and the room disagrees with itself. The checker looks up every deliver and duplicate-dropped event in ' +
      'the database by id, room and seq. The seeded bug publish-before-commit breaks it: the worker publishes to Redis ' +
      'before committing, so if it crashes between the publish and the commit (crash point before-commit, which in this variant comes after the publish) ' +
      'other workers have already delivered a message, with a seq, that was never stored; the seq is later reused by ' +
      'another message.',
  },
  'at-least-once': {
    check: atLeastOnce,
    doc: "Every database message of a room with seq above a client's first-join cursor reached that client by the end.",
    explain:
      'The database is the truth about what was said in a room, so every member must eventually receive all of it, ' +
      'whatever was lost on the way: a dead worker, a Redis partition, a dropped connection. A client joins with the ' +
      'cursor it already has and is owed every later seq; replay on join, head frames and gap fetches are how it ' +
      'catches up. The at-most-once variant breaks it (plain pub/sub: no replay, no fetch, no retry, so anything ' +
      'published while a client was disconnected or its worker was cut off is gone), and so does local-only (no Redis and no ' +
      'head announcements: a client only hears messages sent through its own worker, and misses everything sent ' +
      'through the others until it happens to rejoin). Each repair mechanism is shown necessary by an ablation: ' +
      'no-heads and heads-from-live in cut-off-listeners (listeners on a worker silently cut from Redis to the end of the ' +
      'workload learn what they missed only from a database head), no-fetch in crash-after-ack-before-publish and ' +
      'cut-off-listeners, no-replay in reconnect-quiet (clients returning to a quiet room catch up only on join). A ' +
      'members-only room whose every join by a client was refused (forbidden) and never joined owes that client nothing.',
  },
  'sends-settled': {
    check: sendsSettled,
    doc: "Every send() the application made settled by the end: acked, or refused with a definite error.",
    explain:
      'This is the leg from the application to the database. A send() is a promise to the application that it will ' +
      'learn whether its message is in the room: an ack (with its seq) or a definite refusal. The checker pairs every ' +
      'invoke the application recorded with how the promise settled; one still pending at the end, or given up with ' +
      'its outcome unknown, is a violation, with each attempt (worker, time, faults then) and whether the id is in the ' +
      'database. The no-retry ablation and the at-most-once variant break it: a send in flight when its worker dies is ' +
      'never written again, so it stays unsettled, and if the crash came before the commit the message is simply gone. ' +
      'A definite refusal promises the message had no effect, so a refused send whose very content the database holds ' +
      'breaks it too. The errors-by-ref ablation does that in room-named-send: an SDK that takes a refused join of a ' +
      'room as the answer to the waiting send whose id is that room\'s name tells the application "forbidden" for a ' +
      'message the core then commits.',
  },
  'app-matches-sdk': {
    check: appMatchesSdk,
    doc: 'The application received exactly what the SDK says it delivered, and no more, in the same order.',
    explain:
      "The SDK's own report of what it delivered (its onEvent) is not evidence that the application got it. The " +
      "checker compares, per client and room, the messages the application's callback received with the deliveries " +
      'the SDK reported, position by position, and says whether a missing message was at least on the wire (lost ' +
      'inside the SDK) or never arrived. No semantics variant breaks it; a failure means a bug in the SDK.',
  },
  'id-conflict': {
    check: idConflict,
    doc: 'A send whose id is already committed with other content gets id_conflict, never an ack.',
    explain:
      'A message id is the idempotency key of a send: the same id with the same content is a retry (acked with the ' +
      'original seq, duplicate: true); the same id with other content is a different message, and the database holds ' +
      'the first. The checker takes every send whose id the database holds with another room, sender or body, and ' +
      'requires that it was refused with id_conflict. A core that answered such a send as a duplicate would tell the ' +
      'application its new message is in the room when the room holds the old one (the no-id-conflict seeded bug, in ' +
      'id-reuse). So would an SDK that took a late duplicate ack of an earlier send of the id as the new send\'s answer ' +
      '(the no-send-nonce ablation, in id-reuse-racing).',
  },
  'exactly-once-effect': {
    check: exactlyOnceEffect,
    doc: "No client's application stream holds the same message id twice in a room.",
    explain:
      'Delivery on the wire is at-least-once: replays, gap fetches and duplicate publishes hand a client the same ' +
      'message more than once, and that is by design. The effect must still be once: the client drops any message at ' +
      'or below its cursor, so the application sees each id once. The at-least-once variant breaks it: with client ' +
      'dedup off, a message replayed after a reconnect or published twice (the publish.duplicate failpoint) reaches the ' +
      'application a second time. So does the no-client-dedup ablation (duplicate-publishes, high-rate).',
  },
  'per-room-order': {
    check: perRoomOrder,
    doc: "Per client and room, delivered seqs start just after the first join's cursor and go up by exactly one.",
    explain:
      'A room is one ordered stream: the application must see seq cursor+1, cursor+2, ... with nothing skipped, ' +
      'repeated or reordered, even when Redis reorders publishes or a gap is filled by a fetch. The client holds early ' +
      'messages in a reorder buffer and fetches what is missing. The at-most-once variant breaks it: with no fetch, a ' +
      'lost message leaves a hole and the next seq is handed on at once. The at-least-once variant breaks it too, ' +
      'because a replayed message repeats a seq already delivered. The no-reorder-buffer ablation breaks it wherever ' +
      'publishes arrive out of order (reorder, high-rate): a message beyond a gap is handed on and the gap given up.',
  },
  'database-integrity': {
    check: databaseIntegrity,
    doc: "PRAGMA integrity_check is ok and every room's head is its highest seq with seqs 1..head each present once.",
    explain:
      'Kills and crashes must not corrupt the database: the integrity check must answer ok, and the seq allocator must ' +
      'have stayed consistent with the rows (head = highest seq, no hole below it, UNIQUE(room, seq) holds), because ' +
      'clients trust a head to tell them what they missed. No semantics variant is meant to break it; a failure here ' +
      'means a bug in the store (a head bumped outside the commit transaction, a lost WAL write) or an unsafe ' +
      'synchronous setting.',
  },
} as const satisfies Record<string, InvariantEntry>;

/** An invariant name. */
export type InvariantName = keyof typeof INVARIANTS;

/** Every invariant name, in report order. */
export const INVARIANT_NAMES = Object.keys(INVARIANTS) as InvariantName[];

/** Whether a string names an invariant. */
export function isInvariantName(name: string): name is InvariantName {
  return Object.hasOwn(INVARIANTS, name);
}

export type { CheckInput, Checker, Example, InvariantResult } from './types.js';
export { MAX_EXAMPLES } from './types.js';
export { activeFaults, faultLabel, faultWindows, faultsOfRun, type FaultWindow } from './faults.js';
export { refusedRooms, wasRefused } from './refused-rooms.js';
export { clientPlaces, placeText, workerName, type ClientPlace } from './workers.js';
export { computeStats, latencySummary, percentile, type LatencySummary, type Recovery, type Stats } from './stats.js';
export { ackedDurable } from './acked-durable.js';
export { uniqueIds } from './unique-ids.js';
export { noPhantoms } from './no-phantoms.js';
export { atLeastOnce } from './at-least-once.js';
export { exactlyOnceEffect } from './exactly-once-effect.js';
export { perRoomOrder } from './per-room-order.js';
export { databaseIntegrity } from './database-integrity.js';
export { sendsSettled } from './sends-settled.js';
export { appMatchesSdk } from './app-matches-sdk.js';
export { idConflict } from './id-conflict.js';

/** The verdicts of the checked invariants and the run's measured stats. */
export interface CheckOutcome {
  /** True when every checked invariant holds. */
  ok: boolean;
  results: InvariantResult[];
  stats: Stats;
}

/** Runs one invariant, turning a checker bug into a failed result instead of a throw. */
function runOne(name: InvariantName, input: CheckInput): InvariantResult {
  const started = performance.now();
  let result: InvariantResult;
  try {
    result = INVARIANTS[name].check(input);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    result = {
      name,
      ok: false,
      checked: 0,
      violations: 1,
      examples: [{ text: `the checker itself failed: ${message}`, faults: [] }],
    };
  }
  result.timeMs = Math.round((performance.now() - started) * 1000) / 1000;
  return result;
}

/** Runs the named invariants (default: all, in report order) and measures the run's stats. */
export function checkAll(input: CheckInput, names: readonly InvariantName[] = INVARIANT_NAMES): CheckOutcome {
  const results = names.map((name) => runOne(name, input));
  return { ok: results.every((r) => r.ok), results, stats: computeStats(input) };
}
