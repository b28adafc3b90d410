/**
 * The events of a run's history: every client event and every fault, with `t` in milliseconds
 * of monotonic time since the run started. One JSON object per line when written to disk.
 */

/** Fields every event has. */
interface Base {
  /** Monotonic milliseconds since the run started. */
  t: number;
}

/** A client opened a WebSocket and got a welcome from this worker. */
export interface ConnectEvent extends Base { type: 'connect'; client: string; worker: number; pid: number }
/** A client's connection ended (reason: closed, error, heartbeat, fault). */
export interface DisconnectEvent extends Base { type: 'disconnect'; client: string; worker: number | null; reason: string }
/** A client asked to join a room, replaying after `after`. */
export interface JoinEvent extends Base { type: 'join'; client: string; room: string; after: number; worker: number | null }
/** The server finished a join's replay; head is the room's head then. */
export interface JoinedEvent extends Base { type: 'joined'; client: string; room: string; head: number; worker: number | null }
/** A send attempt (attempt 1 is the first; later ones are retries with the same id). */
export interface SendEvent extends Base { type: 'send'; client: string; room: string; id: string; body: string; attempt: number; worker: number | null }
/** The server acked a send. */
export interface AckEvent extends Base { type: 'ack'; client: string; room: string; id: string; seq: number; duplicate: boolean; worker: number | null }
/** The server answered a send with an error; definite means the send certainly had no effect. */
export interface SendErrorEvent extends Base { type: 'send-error'; client: string; room: string; id: string; code: string; definite: boolean }
/** A send given up without an ack (its outcome is unknown: "info" in Maelstrom's terms). */
export interface SendAbandonedEvent extends Base { type: 'send-abandoned'; client: string; room: string; id: string; reason: string }
/** A message handed to the client's application (after the reorder buffer and dedup). */
export interface DeliverEvent extends Base { type: 'deliver'; client: string; room: string; id: string; seq: number; sender: string; body: string; worker: number | null }
/** The client dropped a message it had already delivered (seq <= cursor). */
export interface DuplicateDroppedEvent extends Base { type: 'duplicate-dropped'; client: string; room: string; id: string; seq: number; worker: number | null }
/** The client fetched a gap (after, up to and including `upto` if known). */
export interface GapFetchEvent extends Base { type: 'gap-fetch'; client: string; room: string; after: number; upto: number | null; worker: number | null }
/** A fault started. */
export interface FaultStartEvent extends Base { type: 'fault-start'; fault: string; kind: string; target: string; params: Record<string, unknown> }
/** A fault healed (or a one-shot fault fired and is over). */
export interface FaultHealEvent extends Base { type: 'fault-heal'; fault: string; kind: string; target: string }
/** A worker process exited (and is re-forked by the primary). */
export interface WorkerExitEvent extends Base { type: 'worker-exit'; worker: number; pid: number; signal: string | null; code: number | null }
/** A worker process came up. */
export interface WorkerUpEvent extends Base { type: 'worker-up'; worker: number; pid: number }
/** A failpoint fired inside a worker. */
export interface FailpointFiredEvent extends Base { type: 'failpoint-fired'; worker: number; pid: number; failpoint: string; detail: string }
/** The runner entered a phase. */
export interface PhaseEvent extends Base { type: 'phase'; phase: 'start' | 'workload' | 'heal' | 'recovery' | 'final-reads' | 'check' | 'stop' }

/** Any history event. */
export type HistoryEvent =
  | ConnectEvent | DisconnectEvent | JoinEvent | JoinedEvent | SendEvent | AckEvent | SendErrorEvent
  | SendAbandonedEvent | DeliverEvent | DuplicateDroppedEvent | GapFetchEvent | FaultStartEvent
  | FaultHealEvent | WorkerExitEvent | WorkerUpEvent | FailpointFiredEvent | PhaseEvent;

/** The type tag of a history event. */
export type HistoryEventType = HistoryEvent['type'];

/** A row of the `messages` table as the checker reads it. */
export interface DbMessage { id: string; room: string; seq: number; sender: string; body: string; created_at: number }
/** A row of the `rooms` table. */
export interface DbRoom { name: string; head: number }

/** What the final reads took from the database. */
export interface DbSnapshot {
  messages: DbMessage[];
  rooms: DbRoom[];
  /** Rows of `PRAGMA integrity_check` (['ok'] when sound). */
  integrity: string[];
}
