import { z } from 'zod';
import { MessageId, RoomName, Seq } from './frames.js';

/**
 * Trace events: what the core did, emitted by the core itself when tracing is on (`--trace`), off
 * by default. Stamped `at` in epoch milliseconds (performance.timeOrigin + performance.now(), one
 * clock for every process on the machine), with the worker slot that did it (null: the primary).
 * Workers send theirs to the primary once per event-loop turn (`trace` in `WorkerToPrimary`); the
 * primary adds its own and forwards them to the lab (`trace` in `CoreEvent`).
 */

const Slot = z.number().int().nonnegative();
const At = z.number();
/** Who ran the write transaction. */
const Writer = z.enum(['primary', 'worker']);

/** A send was committed (or found committed: duplicate) by the writer; `batch` is the transaction's size, `forWorker` the worker whose send it is. */
export const CommitTrace = z.object({
  what: z.literal('commit'), at: At, worker: Slot.nullable(), id: MessageId, room: RoomName, seq: Seq, duplicate: z.boolean(),
  batch: z.number().int().positive(), writer: Writer, forWorker: Slot,
});
/** A send was refused with `id_conflict`: its id is committed with other content (at `existingRoom`, `existingSeq`). */
export const ConflictTrace = z.object({
  what: z.literal('conflict'), at: At, worker: Slot.nullable(), id: MessageId, room: RoomName, existingRoom: RoomName, existingSeq: Seq,
  writer: Writer, forWorker: Slot,
});
/** A worker wrote an `ack` frame to the sender's socket. */
export const AckTrace = z.object({ what: z.literal('ack'), at: At, worker: Slot, id: MessageId, room: RoomName, seq: Seq, duplicate: z.boolean() });
/**
 * A worker published a committed message on its room's Redis channel, `copies` times (2 when
 * publish.duplicate fired), after `delayMs` when publish.delay held it back; `republish` is true
 * when it is the publish of a retried id (its commit was a duplicate).
 */
export const PublishTrace = z.object({
  what: z.literal('publish'), at: At, worker: Slot, id: MessageId, room: RoomName, seq: Seq, copies: z.number().int().min(1),
  republish: z.boolean(), delayMs: z.number().int().positive().optional(),
});
/** A worker received a message from Redis that worker `origin` (pid `originPid`) published. */
export const BusReceiveTrace = z.object({
  what: z.literal('bus-receive'), at: At, worker: Slot, id: MessageId, room: RoomName, seq: Seq, origin: Slot, originPid: z.number().int().positive(),
});
/**
 * A worker fanned a message out to its `members` local connections of the room: from its own send
 * path (`local`, with `republish` as in its publish) or received from Redis (`bus`).
 */
export const FanoutTrace = z.object({
  what: z.literal('fanout'), at: At, worker: Slot, id: MessageId, room: RoomName, seq: Seq, source: z.enum(['local', 'bus']),
  members: z.number().int().nonnegative(), republish: z.boolean().optional(),
});
/** A worker sent a room's members its head, read from the database (`db`) or from what it saw live (the heads-from-live ablation). */
export const HeadTrace = z.object({ what: z.literal('head'), at: At, worker: Slot, room: RoomName, seq: Seq, from: z.enum(['db', 'live']) });
/** A worker answered `user`'s join: `rows` messages after `after` replayed, then `joined` with `head`. */
export const ReplayTrace = z.object({
  what: z.literal('replay'), at: At, worker: Slot, user: z.string(), room: RoomName, after: Seq, rows: z.number().int().nonnegative(), head: Seq,
});
/** A worker answered `user`'s fetch: `count` messages after `after`; `more` when the limit was hit. */
export const FetchTrace = z.object({
  what: z.literal('fetch'), at: At, worker: Slot, user: z.string(), room: RoomName, after: Seq, count: z.number().int().nonnegative(), more: z.boolean(),
});

/** Every trace event the core emits, discriminated by `what`. */
export const CoreTrace = z.discriminatedUnion('what', [
  CommitTrace, ConflictTrace, AckTrace, PublishTrace, BusReceiveTrace, FanoutTrace, HeadTrace, ReplayTrace, FetchTrace,
]);
/** A validated trace event. */
export type CoreTrace = z.infer<typeof CoreTrace>;
