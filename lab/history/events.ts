import type { CoreTrace } from '../../src/protocol/index.js';

/**
 * The events of a run's history, with `t` in milliseconds since the run started (one clock for
 * every process: the core's trace events are stamped in epoch milliseconds and converted). One JSON
 * object per line when written to disk. Four layers, each observed where it happens:
 * - the application: what each simulated application did and saw (`invoke`, `ack`, `send-fail`,
 *   `send-info`, `deliver`). The checkers judge this view.
 * - the SDK's report of itself (`onEvent`): connects, joins, send attempts, `sdk-ack`, `sdk-deliver`,
 *   duplicates dropped, gap fetches. Detail for the report, compared with the application by `app-matches-sdk`.
 * - the wire: every frame a client received (`frame`), tapped from its WebSocket below the SDK.
 * - the core: its own trace events (`trace`), when tracing is on; and faults, worker exits, phases.
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
/** The SDK wrote a send attempt (attempt 1 is the first; later ones are retries with the same id). */
export interface SendEvent extends Base { type: 'send'; client: string; room: string; id: string; body: string; attempt: number; worker: number | null }
/** The SDK says the server acked a send (its own report). */
export interface SdkAckEvent extends Base { type: 'sdk-ack'; client: string; room: string; id: string; seq: number; duplicate: boolean; worker: number | null }
/** The SDK says the server answered a send with an error; definite means the send certainly had no effect. */
export interface SendErrorEvent extends Base { type: 'send-error'; client: string; room: string; id: string; code: string; definite: boolean }
/** The SDK says it gave up a send without an ack (its outcome is unknown). */
export interface SendAbandonedEvent extends Base { type: 'send-abandoned'; client: string; room: string; id: string; reason: string }
/** The SDK says it handed a message to the application. */
export interface SdkDeliverEvent extends Base { type: 'sdk-deliver'; client: string; room: string; id: string; seq: number; sender: string; body: string; worker: number | null }

/** How a copy of a message reached a client, as its wire shows it: live, in a join's replay, or in a fetch answer. */
export type WirePath = 'live' | 'replay' | 'fetch';

/** The application called `send()` with an id it made itself (Jepsen's invoke). */
export interface InvokeEvent extends Base { type: 'invoke'; client: string; room: string; id: string; body: string }
/** The application's `send()` resolved: acked with this seq (Jepsen's ok). `worker` is the connection the ack frame came on. */
export interface AckEvent extends Base { type: 'ack'; client: string; room: string; id: string; seq: number; duplicate: boolean; worker: number | null }
/** The application's `send()` rejected with a definite error: certainly not committed (Jepsen's fail). */
export interface SendFailEvent extends Base { type: 'send-fail'; client: string; room: string; id: string; code: string }
/** The application's `send()` rejected with its outcome unknown: abandoned, or the client closed first (Jepsen's info). */
export interface SendInfoEvent extends Base { type: 'send-info'; client: string; room: string; id: string; reason: string }
/** The application's message callback received a message; `worker` and `path` are those of the frame that carried it. */
export interface DeliverEvent extends Base { type: 'deliver'; client: string; room: string; id: string; seq: number; sender: string; body: string; worker: number | null; path: WirePath | null }

/** A frame a client received on its WebSocket (below the SDK), with the worker of that connection. */
export interface FrameEvent extends Base {
  type: 'frame';
  client: string;
  worker: number | null;
  /** The frame's type: msg, ack, head, joined, fetched, error, left. */
  frame: string;
  room?: string;
  id?: string;
  seq?: number;
  duplicate?: boolean;
  code?: string;
  /** error and ack frames: the nonce of the send they answer (none: an error about a room, or a send without one). */
  nonce?: number;
  /** msg frames: live, or inside a join's replay or a fetch answer. */
  path?: WirePath;
}

/** A trace event the core emitted about itself (with tracing on), stamped on the run's clock. */
export interface TraceEvent extends Base { type: 'trace'; trace: CoreTrace }
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
/** The core's processes all died at once and its database files were rolled back to what was last synced. */
/**
 * The Redis Cluster's topology changed under a fault: a shard's primary killed, its replica promoted
 * (`ms` after the kill), the killed node back as a replica, or a room's slot moved (`ms` it took).
 */
export interface RedisTopologyEvent extends Base { type: 'redis-topology'; change: 'primary-killed' | 'promoted' | 'rejoined' | 'slot-moved'; room: string; slot: number; fromPort: number; toPort: number | null; ms: number | null }
export interface PowerLossEvent extends Base { type: 'power-loss'; rolledBack: { file: string; writes: number; sizeBefore: number; sizeAfter: number }[] }
/** The core as a whole (primary and workers) went down or came back (power loss, primary kill, the supervisor's restart). */
export interface CoreStateEvent extends Base { type: 'core-down' | 'core-up'; primaryPid: number }
/** The runner entered a phase. */
export interface PhaseEvent extends Base { type: 'phase'; phase: 'start' | 'workload' | 'heal' | 'recovery' | 'final-reads' | 'check' | 'stop' }

/** Any history event. */
export type HistoryEvent =
  | InvokeEvent | AckEvent | SendFailEvent | SendInfoEvent | DeliverEvent
  | ConnectEvent | DisconnectEvent | JoinEvent | JoinedEvent | SendEvent | SdkAckEvent | SendErrorEvent
  | SendAbandonedEvent | SdkDeliverEvent | DuplicateDroppedEvent | GapFetchEvent
  | FrameEvent | TraceEvent
  | FaultStartEvent | FaultHealEvent | WorkerExitEvent | WorkerUpEvent | FailpointFiredEvent | PowerLossEvent | RedisTopologyEvent | CoreStateEvent | PhaseEvent;

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
