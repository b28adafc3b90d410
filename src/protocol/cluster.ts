import { z } from 'zod';
import { FailpointName } from './failpoints.js';
import { RoomName, Seq } from './frames.js';
import { SemanticsName, WriterName } from './semantics.js';

/**
 * The cluster's view: every worker pushes its status to its primary over the IPC channel; a worker
 * answering `GET /cluster` asks its primary for the table it keeps and adds the database's room
 * heads. What is said of a worker comes from that worker (its last report), never from the one
 * answering: a worker that stops reporting (paused, wedged) shows as `stale`, with the age of its
 * last report.
 */

/** How often a worker pushes its status to its primary. */
export const CLUSTER_STATUS_INTERVAL_MS = 500;
/** A listening worker whose last status report is older than this is `stale` (not answering). */
export const CLUSTER_STALE_AFTER_MS = 1500;
/** How long a worker waits for its primary's table before it answers `/cluster` with its own status alone. */
export const CLUSTER_QUERY_TIMEOUT_MS = 1000;
/** Most room heads one `/cluster` answer carries (by room name); `headsTruncated` says when there were more. */
export const CLUSTER_MAX_HEADS = 200;

const Slot = z.number().int().nonnegative();
const Pid = z.number().int().positive();
const RequestId = z.number().int().nonnegative();
/** The state of one Redis connection of a worker's bus, as ioredis names it (`ready`, `connecting`, …), or `disabled`. */
const RedisLink = z.object({ publisher: z.string(), subscriber: z.string() });

/** What a worker reports about itself (worker → primary, every `CLUSTER_STATUS_INTERVAL_MS`). */
export const WorkerStatusReport = z.object({
  type: z.literal('status'),
  slot: Slot,
  pid: Pid,
  /** Open WebSocket connections. */
  connections: z.number().int().nonnegative(),
  /** Rooms with at least one member on this worker. */
  rooms: z.number().int().nonnegative(),
  redis: RedisLink,
  failpoints: z.array(FailpointName),
});
export type WorkerStatusReport = z.infer<typeof WorkerStatusReport>;

/** A worker asks its primary for the cluster's table (to answer `GET /cluster`). */
export const ClusterQuery = z.object({ type: z.literal('cluster-query'), req: RequestId });
export type ClusterQuery = z.infer<typeof ClusterQuery>;

/**
 * One worker slot as its primary knows it:
 * `up` listening and reporting; `stale` listening but its last report is older than
 * `CLUSTER_STALE_AFTER_MS` (paused or wedged); `starting` forked, not listening yet; `down` no
 * process in the slot (exited, to be re-forked).
 */
export const WorkerSlotState = z.enum(['up', 'stale', 'starting', 'down']);
export type WorkerSlotState = z.infer<typeof WorkerSlotState>;

/** One worker slot in the cluster's view. */
export const ClusterWorker = z.object({
  slot: Slot,
  /** The current process's pid, or null when the slot has none. */
  pid: Pid.nullable(),
  state: WorkerSlotState,
  /** Milliseconds since the current process's last status report, or null when it never reported. */
  lastSeenMs: z.number().nonnegative().nullable(),
  /** Milliseconds since the current process started listening, or null when it does not listen. */
  upForMs: z.number().nonnegative().nullable(),
  /** From the last report (0 and null before the first). */
  connections: z.number().int().nonnegative(),
  rooms: z.number().int().nonnegative(),
  redis: RedisLink.nullable(),
  failpoints: z.array(FailpointName),
  /** Processes of this slot that exited since the core started. */
  exits: z.number().int().nonnegative(),
  /** The last exit in this slot, or null. */
  lastExit: z.object({ pid: Pid, code: z.number().nullable(), signal: z.string().nullable(), agoMs: z.number().nonnegative() }).nullable(),
});
export type ClusterWorker = z.infer<typeof ClusterWorker>;

/** The primary's table (primary → worker, the answer to a `ClusterQuery`). */
export const ClusterTableReply = z.object({ type: z.literal('cluster-table'), req: RequestId, primaryPid: Pid, workers: z.array(ClusterWorker) });
export type ClusterTableReply = z.infer<typeof ClusterTableReply>;

/** The body of `GET /cluster`: the whole cluster as one worker sees it through its primary, and the database's heads. */
export const ClusterBody = z.object({
  /** Wall-clock time of the answer (ms since the epoch). */
  at: z.number(),
  /** The worker that answered. */
  answeredBy: z.object({ worker: Slot, pid: Pid }),
  /** The core's shared port; worker k also serves `slotPort(port, k)` (ports.ts). */
  port: z.number().int().min(1).max(65535),
  /** The primary's pid, and whether it answered in time (if not, `workers` holds the answering worker alone). */
  primary: z.object({ pid: Pid.nullable(), answered: z.boolean() }),
  semantics: SemanticsName,
  writer: WriterName,
  workers: z.array(ClusterWorker),
  /** Each room's committed head (its highest seq), read from the database, by room name. */
  heads: z.array(z.object({ room: RoomName, head: Seq })),
  headsTruncated: z.boolean(),
  /** `ok`, or `error: …` when the heads could not be read. */
  db: z.string(),
});
export type ClusterBody = z.infer<typeof ClusterBody>;
