/** Counters a client keeps for the report. */
export interface ClientStats {
  /** Sends written for the first time. */
  sent: number;
  /** Sends written again with the same id. */
  retries: number;
  /** Sends acked. */
  acks: number;
  /** Messages dropped because their seq was already delivered (or already buffered). */
  duplicatesDropped: number;
  /** Messages with seq <= cursor handed to the application again because dedup is off. */
  duplicatesDelivered: number;
  /** Messages delivered that came from a gap fetch. */
  gapsFilled: number;
  /** Gap fetches sent. */
  fetches: number;
  /** Messages received during a join replay. */
  replays: number;
  /** Connection attempts after the first. */
  reconnects: number;
  /** Messages handed to the application (including redelivered duplicates). */
  delivered: number;
  /** Server frames that were not valid JSON or failed the `ServerFrame` schema. */
  badFrames: number;
  /** Acks and errors of an earlier send whose id a new send reuses (told apart by their nonce), dropped. */
  staleAnswers: number;
}

/** A fresh set of counters at zero. */
export function emptyStats(): ClientStats {
  return {
    sent: 0, retries: 0, acks: 0, duplicatesDropped: 0, duplicatesDelivered: 0, gapsFilled: 0,
    fetches: 0, replays: 0, reconnects: 0, delivered: 0, badFrames: 0, staleAnswers: 0,
  };
}
