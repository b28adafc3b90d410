import { z } from 'zod';
import { MessageId, RoomName, Seq } from './frames.js';

/** A send on its way to the writer: what the worker validated, with the sender its connection is. */
export const PendingSend = z.object({ id: MessageId, room: RoomName, sender: z.string(), body: z.string() });
export type PendingSend = z.infer<typeof PendingSend>;

/**
 * The outcome of committing one send: `committed` (new, or `duplicate` when the id was already
 * committed with the same content) or `conflict` (the id is committed with other content).
 */
export const CommitResult = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('committed'), seq: Seq.min(1), createdAt: z.number(), duplicate: z.boolean() }),
  z.object({ kind: z.literal('conflict'), existing: z.object({ room: RoomName, seq: Seq }) }),
]);
export type CommitResult = z.infer<typeof CommitResult>;
