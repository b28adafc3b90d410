import type { ErrorCode } from '../protocol/index.js';

/** The server refused a send with a definite error code: the message was certainly not committed. */
export class SendError extends Error {
  override readonly name = 'SendError';
  /** The send's message id. */
  readonly id: string;
  /** The send's room. */
  readonly room: string;
  /** The error code from the server's `error` frame (see `ERROR_CODES`). */
  readonly code: ErrorCode;
  constructor(id: string, room: string, code: ErrorCode, serverMessage: string) {
    super(`send ${id} to room ${room} failed with ${code}: ${serverMessage} (not committed; fix the request before sending again)`);
    this.id = id;
    this.room = room;
    this.code = code;
  }
}

/** The client gave up on a send without an ack: it may or may not have been committed. */
export class SendAbandonedError extends Error {
  override readonly name = 'SendAbandonedError';
  /** The send's message id. */
  readonly id: string;
  /** The send's room. */
  readonly room: string;
  /** Why it was given up (`disconnected`, `client-close`, or `error:<code>`). */
  readonly reason: string;
  constructor(id: string, room: string, reason: string) {
    super(
      `send ${id} to room ${room} abandoned (${reason}): outcome unknown, it may have been committed; ` +
        'enable semantics.retry to have it resent with the same id until acked',
    );
    this.id = id;
    this.room = room;
    this.reason = reason;
  }
}

/** `whenCaughtUp` timed out with at least one room behind its target head. */
export class CaughtUpTimeoutError extends Error {
  override readonly name = 'CaughtUpTimeoutError';
  /** The rooms still behind, each with its cursor and target head. */
  readonly behind: { room: string; cursor: number; head: number }[];
  constructor(timeoutMs: number, behind: { room: string; cursor: number; head: number }[]) {
    const list = behind.map((b) => `room ${b.room} at cursor ${b.cursor} < head ${b.head}`).join(', ');
    super(`not caught up after ${timeoutMs} ms: ${list}; check that the client joined these rooms and can reach a worker`);
    this.behind = behind;
  }
}

/** The client was closed with `close()`; it sends and waits for nothing more. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
  constructor(what: string) {
    super(`${what}: the client is closed; create a new client to continue`);
  }
}
