import { z } from 'zod';
import { ArmFailpoint, DisarmFailpoint, FailpointFired, TraceBatch } from './ipc.js';

/**
 * The channel between the lab and the core's program (`src/server/main.ts` started as a child with
 * an IPC channel): requests the lab makes, events the core reports. Nothing else crosses it; the lab
 * otherwise sees the core as a deployment would: its ports, its database, its signals.
 */

/** Stops the core gracefully (every worker drains, then exits). */
export const Shutdown = z.object({ type: z.literal('shutdown') });

/** Every request the lab sends the core. */
export const ControlRequest = z.discriminatedUnion('type', [ArmFailpoint, DisarmFailpoint, Shutdown]);
export type ControlRequest = z.infer<typeof ControlRequest>;

const Slot = z.number().int().nonnegative();
const Pid = z.number().int().positive();

/** Every event the core reports to the lab. */
export const CoreEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('worker-up'), slot: Slot, pid: Pid, port: z.number().int(), slotPort: z.number().int() }),
  z.object({ type: z.literal('worker-exit'), slot: Slot, pid: Pid, code: z.number().nullable(), signal: z.string().nullable() }),
  FailpointFired,
  /** The core's own trace events (its workers' and the primary's), only when it runs with `--trace`. */
  TraceBatch,
  /** Every worker listens; `redisUrl` is the bus every worker uses (comma-separated when one per worker). */
  z.object({ type: z.literal('ready'), port: z.number().int(), workers: z.number().int(), redisUrl: z.string(), dbFile: z.string(), pid: Pid }),
]);
export type CoreEvent = z.infer<typeof CoreEvent>;
