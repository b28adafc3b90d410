/**
 * Observations the client reports through `onEvent`: the client's part of the lab's history.
 * Each has the fields of the history event of the same type, without `t` and `client`
 * (the observer adds both). `worker` is the slot of the current connection, or null.
 */
export type ClientEvent =
  | { type: 'connect'; worker: number; pid: number }
  | { type: 'disconnect'; worker: number | null; reason: DisconnectReason }
  | { type: 'join'; room: string; after: number; worker: number | null }
  | { type: 'joined'; room: string; head: number; worker: number | null }
  | { type: 'send'; room: string; id: string; body: string; attempt: number; worker: number | null }
  | { type: 'ack'; room: string; id: string; seq: number; duplicate: boolean; worker: number | null }
  | { type: 'send-error'; room: string; id: string; code: string; definite: boolean }
  | { type: 'send-abandoned'; room: string; id: string; reason: string }
  | { type: 'deliver'; room: string; id: string; seq: number; sender: string; body: string; worker: number | null }
  | { type: 'duplicate-dropped'; room: string; id: string; seq: number; worker: number | null }
  | { type: 'gap-fetch'; room: string; after: number; upto: number | null; worker: number | null };

/** The type tag of a client event. */
export type ClientEventType = ClientEvent['type'];

/**
 * Why a connection ended: the server or network closed it (`closed`), the socket failed
 * (`error`), no pong came in time (`heartbeat`), no welcome came in time (`connect-timeout`),
 * `closeAbruptly()` dropped it (`fault`), or `close()` ended the client (`client-close`).
 */
export type DisconnectReason = 'closed' | 'error' | 'heartbeat' | 'connect-timeout' | 'fault' | 'client-close';
