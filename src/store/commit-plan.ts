import type { CommitResult, PendingSend } from '../protocol/index.js';
import type { CommitRules, MessagesTable } from './database.js';

/** What the send path reads of a committed row to judge a retry. */
export type KnownRow = Pick<MessagesTable, 'room' | 'seq' | 'sender' | 'body' | 'created_at'>;

/**
 * The decisions of one commit, whatever the dialect: which sends are retries of a committed row
 * (`duplicate`) or conflicts with it, which are retries of a send earlier in the same batch, and which
 * need a new row, by room in arrival order. Every store runs the same three steps inside its write
 * transaction: `planCommit` over the rows its ids already have, then one head bump of `fresh.get(room).length`
 * per room, `assignSeqs` with the new heads (the rows to insert), and `finishCommit`.
 */
export interface CommitPlan {
  readonly sends: readonly PendingSend[];
  readonly conflicts: boolean;
  readonly results: (CommitResult | undefined)[];
  /** Index of a new id's first occurrence in this batch; later ones are its retries. */
  readonly firstOf: Map<string, number>;
  /** Sends that need a new row, by room, in arrival order. */
  readonly fresh: Map<string, number[]>;
}

/** Judges the sends against the committed rows of their ids (`known`; undefined: not committed). With `dedup: false` ids are not looked up. */
export function planCommit(sends: readonly PendingSend[], known: (id: string) => KnownRow | undefined, rules: CommitRules): CommitPlan {
  const conflicts = rules.conflicts ?? true;
  const plan: CommitPlan = { sends, conflicts, results: new Array(sends.length), firstOf: new Map(), fresh: new Map() };
  for (let i = 0; i < sends.length; i++) {
    const s = sends[i]!;
    if (rules.dedup) {
      const k = known(s.id);
      // Every occurrence of a committed id is judged against its row.
      if (k) {
        plan.results[i] = judge(s, k, conflicts, { kind: 'committed', seq: k.seq, createdAt: k.created_at, duplicate: true });
        continue;
      }
      if (plan.firstOf.has(s.id)) continue;
      plan.firstOf.set(s.id, i);
    }
    const list = plan.fresh.get(s.room);
    if (list) list.push(i);
    else plan.fresh.set(s.room, [i]);
  }
  return plan;
}

/** A new row of the plan, in the `messages` table's columns. */
export type NewRow = MessagesTable;

/** Gives the new sends of `room` consecutive seqs ending at `head` (the room's head after its bump by their count); returns their rows. */
export function assignSeqs(plan: CommitPlan, room: string, head: number, now: number): NewRow[] {
  const idxs = plan.fresh.get(room) ?? [];
  let seq = head - idxs.length;
  return idxs.map((i) => {
    const s = plan.sends[i]!;
    seq += 1;
    plan.results[i] = { kind: 'committed', seq, createdAt: now, duplicate: false };
    return { id: s.id, room, seq, sender: s.sender, body: s.body, created_at: now };
  });
}

/** Settles the later occurrences of ids new in this batch (retries of their first occurrence) and returns every outcome in order. */
export function finishCommit(plan: CommitPlan): CommitResult[] {
  const { sends, results } = plan;
  for (let i = 0; i < sends.length; i++) {
    if (results[i]) continue;
    const j = plan.firstOf.get(sends[i]!.id)!;
    // The first occurrence of an id new in this batch always got a row.
    const first = results[j] as Extract<CommitResult, { kind: 'committed' }>;
    const f = sends[j]!;
    results[i] = judge(sends[i]!, { room: f.room, seq: first.seq, sender: f.sender, body: f.body, created_at: first.createdAt }, plan.conflicts, { ...first, duplicate: true });
  }
  return results as CommitResult[];
}

/** A send against the row its id already has: the same content is `duplicate` (`same`), other content a conflict (unless conflicts are off). */
function judge(s: PendingSend, k: KnownRow, conflicts: boolean, same: CommitResult): CommitResult {
  return !conflicts || (k.room === s.room && k.sender === s.sender && k.body === s.body)
    ? same
    : { kind: 'conflict', existing: { room: k.room, seq: k.seq } };
}
