import { z } from 'zod';
import { FailpointName } from './failpoints.js';
import { SemanticsName, WriterName } from './semantics.js';

/** The state of one Redis connection of a worker's bus, as ioredis names it (`ready`, `connecting`, …), or `disabled`. */
const ConnectionState = z.string();

/** The body of a worker's `GET /health` (200 when `ok`, 503 otherwise). */
export const HealthBody = z.object({
  /** The worker can serve: its database answers. */
  ok: z.boolean(),
  worker: z.number().int().nonnegative(),
  pid: z.number().int(),
  connections: z.number().int().nonnegative(),
  semantics: SemanticsName,
  writer: WriterName,
  /** `ok`, or `error: …`. */
  db: z.string(),
  redis: z.object({
    publisher: ConnectionState,
    subscriber: ConnectionState,
    rooms: z.number().int().nonnegative().optional(),
    probeFailures: z.number().int().nonnegative().optional(),
    publishErrors: z.number().int().nonnegative().optional(),
    /** Bus messages dropped because they failed validation. */
    rejected: z.number().int().nonnegative().optional(),
  }),
  failpoints: z.array(FailpointName),
  /** Rooms with at least one member on this worker. */
  rooms: z.number().int().nonnegative(),
});
export type HealthBody = z.infer<typeof HealthBody>;
