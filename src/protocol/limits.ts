/**
 * What one connection, one user and one worker may cost the core. Every limit is answered with an
 * error code or a close code and a reason; none is silent.
 */

/** Rooms one connection may have joined at once (`too_many_rooms`). */
export const MAX_ROOMS_PER_CONNECTION = 100;
/** Joins and fetches one connection may have waiting for the database at once (`too_many_reads`). */
export const MAX_READS_IN_FLIGHT = 4;
/**
 * Bytes of messages one fetch answer or one join replay carries at most (a fetch says `more`; a join's
 * tail is fetched after it). Every read in flight answered at once stays under a connection's buffer limit.
 */
export const MAX_ANSWER_BYTES = 512 * 1024;
/** Connections one user may hold on one worker (the upgrade answers 429 beyond it). */
export const MAX_CONNECTIONS_PER_USER = 16;
/** Bytes one connection may have waiting in its send buffer before it is closed with 1008 and a reason (it replays on reconnect). */
export const MAX_BUFFERED_PER_CONNECTION = 4 * 1024 * 1024;
/** Bytes all connections of one worker may have waiting in their send buffers; beyond it the fullest are closed. */
export const MAX_BUFFERED_PER_WORKER = 64 * 1024 * 1024;
/** Sends one user may make per second, across all their connections and every worker (counted in Redis). */
export const MAX_SENDS_PER_USER_PER_SEC = 2000;

/** Close codes the core closes connections with, and what each means. */
export const CLOSE_CODES = {
  /** A frame larger than the hard limit (RFC 6455: message too big). */
  tooBig: 1009,
  /** The worker's send buffers are full; come back later (RFC 6455: try again later). */
  overloaded: 1013,
  /** A policy was broken: too slow a reader, too many frames. */
  policy: 1008,
} as const;
