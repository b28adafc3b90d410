import { z } from 'zod';
import { ClusterQuery, ClusterTableReply, WorkerStatusReport } from './cluster.js';
import { CommitResult, PendingSend } from './commit.js';
import { FailpointName, FailpointParams } from './failpoints.js';
import { CoreTrace } from './trace.js';

/**
 * The channel between a primary and its workers (Node's cluster IPC): one union per direction,
 * validated on arrival and routed by a `switch` on `type`.
 */

const Slot = z.number().int().nonnegative();
const Pid = z.number().int().positive();
const RequestId = z.number().int().nonnegative();

/** Arms a failpoint on a worker (lab → primary → worker). */
export const ArmFailpoint = z.object({ type: z.literal('arm'), slot: Slot, failpoint: FailpointName, params: FailpointParams });
/** Disarms one failpoint, or all of them (lab → primary → worker). */
export const DisarmFailpoint = z.object({ type: z.literal('disarm'), slot: Slot, failpoint: FailpointName.optional() });
/** A worker's failpoint fired (worker → primary → lab); a crash point sends it just before the SIGKILL. */
export const FailpointFired = z.object({ type: z.literal('failpoint-fired'), slot: Slot, pid: Pid, failpoint: FailpointName, detail: z.string() });

/** A worker listens on the shared port and its slot port. */
export const WorkerListening = z.object({ type: z.literal('listening'), slot: Slot, pid: Pid, port: z.number().int(), slotPort: z.number().int() });
/** One batch of a worker's sends (one event-loop turn), to be committed by the primary, the one writer. */
export const CommitRequest = z.object({ type: z.literal('commit'), req: RequestId, sends: z.array(PendingSend) });
export type CommitRequest = z.infer<typeof CommitRequest>;

/** One event-loop turn's trace events of a process (worker → primary, then primary → lab as a `CoreEvent`); only with `--trace`. */
export const TraceBatch = z.object({ type: z.literal('trace'), traces: z.array(CoreTrace).min(1) });
export type TraceBatch = z.infer<typeof TraceBatch>;

/** Every message a worker sends its primary (`status` and `cluster-query`: see cluster.ts). */
export const WorkerToPrimary = z.discriminatedUnion('type', [WorkerListening, FailpointFired, CommitRequest, TraceBatch, WorkerStatusReport, ClusterQuery]);
export type WorkerToPrimary = z.infer<typeof WorkerToPrimary>;

/** The writer committed a request: every send's outcome, in request order. */
export const CommitReplyOk = z.object({ type: z.literal('committed'), req: RequestId, results: z.array(CommitResult) });
/** The writer could not commit a request (none of its sends is committed): the sends are retried with the same ids. */
export const CommitReplyFailed = z.object({ type: z.literal('commit-failed'), req: RequestId, error: z.string() });
export type CommitReply = z.infer<typeof CommitReplyOk> | z.infer<typeof CommitReplyFailed>;

/** Every message a primary sends a worker (`cluster-table`: see cluster.ts). */
export const PrimaryToWorker = z.discriminatedUnion('type', [CommitReplyOk, CommitReplyFailed, ArmFailpoint, DisarmFailpoint, ClusterTableReply]);
export type PrimaryToWorker = z.infer<typeof PrimaryToWorker>;
