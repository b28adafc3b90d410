import { z } from 'zod';
import { MessageId, RoomName, Seq } from './frames.js';

/**
 * Trace events: what the core did, emitted by the core itself when tracing is on (`--trace`), off
 * by default. Stamped `at` in epoch milliseconds (performance.timeOrigin + performance.now(), one
 * clock for every process on the machine), with the worker slot that did it (null: the primary).
 */
export const CoreTrace = z.discriminatedUnion('what', [
  /** A send was committed (or found committed: duplicate) by the writer; `batch` is the transaction's size. */
  z.object({ what: z.literal('commit'), at: z.number(), worker: z.number().int().nullable(), id: MessageId, room: RoomName, seq: Seq, duplicate: z.boolean(), batch: z.number().int().positive(), writer: z.enum(['primary', 'worker']) }),
]);
export type CoreTrace = z.infer<typeof CoreTrace>;
