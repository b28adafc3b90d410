import { z } from 'zod';

/** The client framings a load client speaks: deliverylab's wire protocol, or Socket.IO v4 (the peer). */
export const Dialect = z.enum(['wire', 'socketio']);
/** A client framing. */
export type Dialect = z.infer<typeof Dialect>;

/** How a round drives its sends: closed loop with a window of unacked sends per connection, or a fixed open-loop rate. */
export const LoadMode = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('closed'), window: z.number().int().min(1) }),
  z.object({ kind: z.literal('open'), ratePerSec: z.number().positive() }),
]);
/** A load mode. */
export type LoadMode = z.infer<typeof LoadMode>;

/** Parent → load client: every message the bench sends to a load-client process. */
export const LoadCommand = z.discriminatedUnion('type', [
  /** Open connections, group them in rooms and join; answered by `ready`. */
  z.object({
    type: z.literal('setup'),
    dialect: Dialect,
    /** Connection i connects to urls[(firstConnection + i) % urls.length]. */
    urls: z.array(z.string()).min(1),
    firstConnection: z.number().int().nonnegative(),
    rooms: z.number().int().min(1),
    roomSize: z.number().int().min(1),
    roomPrefix: z.string(),
    idTag: z.string().regex(/^[a-z0-9]+$/),
    bodyBytes: z.number().int().min(16),
  }),
  /** Drive load (warm-up, measured window, drain), then verify everything since setup; answered by `result` (counters are per run). */
  z.object({
    type: z.literal('run'),
    mode: LoadMode,
    warmupMs: z.number().int().nonnegative(),
    durationMs: z.number().int().positive(),
    drainMs: z.number().int().positive(),
    /** SQLite file to verify acks and deliveries against (absent: no persistence to check). */
    dbFile: z.string().optional(),
  }),
  /** Open `count` idle connections (no room); answered by `idle-opened`. */
  z.object({ type: z.literal('idle'), dialect: Dialect, url: z.string(), count: z.number().int().min(1), concurrency: z.number().int().min(1) }),
  /** Close every connection and exit. */
  z.object({ type: z.literal('close') }),
]);
/** A command to a load client. */
export type LoadCommand = z.infer<typeof LoadCommand>;

/** What a load client verified at the end of a run: everything since setup, except the two per-run live-delivery counts. */
export interface Verification {
  /** Acked messages missing from the database or from at least one room member (each counted once). */
  lost: number;
  /** Acked messages without a database row of the same id and seq. */
  lostFromDb: number;
  /** (acked message, member) pairs the member never received, even after fetching from the database. */
  missingDeliveries: number;
  /** (acked message, member) pairs not delivered live by the end of this run's drain (then fetched from the database where the protocol can). */
  missedLive: number;
  /** Of those, the pairs a fetch from the database recovered (what the client SDK does on a gap or a head). */
  recoveredByFetch: number;
  /** Received messages whose (room, seq, id) the database (or the acks, without a database) does not confirm. */
  phantoms: number;
  /** Sends never acked by the end of the drain. */
  unacked: number;
  /** Messages received more than once by the same member. */
  duplicates: number;
  /** Whether a database was checked. */
  checkedDb: boolean;
}

/** Load client → parent: every message a load-client process sends back. */
export type LoadReport =
  | { type: 'ready'; connections: number }
  | {
      type: 'result';
      /** Length of the measured window as this process timed it. */
      windowMs: number;
      /** Acks received within the window. */
      ackedInWindow: number;
      /** Messages received within the window (every member, sender included). */
      deliveriesInWindow: number;
      sent: number;
      acked: number;
      deliveries: number;
      /** Error frames received. */
      errors: number;
      firstError?: string;
      /** Delivery latency of messages sent in the window, to members other than the sender (µs, HdrHistogram base64). */
      histogram: string;
      verification: Verification;
    }
  | { type: 'idle-opened'; opened: number; failed: number; firstError?: string }
  | { type: 'failed'; error: string };
