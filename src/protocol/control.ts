import { z } from 'zod';

/**
 * Semantics variants: the default, weaker delivery modes, and seeded bugs.
 * `server` flags are start-up options of the core; `client` flags are options of the client SDK.
 */
export const SEMANTICS = {
  'effectively-once': {
    doc: 'All mechanisms on: commit, ack, publish, replay, fetch, retry and client dedup.',
    server: {},
    client: {},
  },
  'at-least-once': {
    doc: 'No dedup at the client: retries, replays and duplicate publishes reach the application twice.',
    server: {},
    client: { dedup: false },
  },
  'at-most-once': {
    doc: 'Plain pub/sub: no replay on join, no gap fetch, no retry of an unacked send.',
    server: {},
    client: { replay: false, fetch: false, retry: false },
  },
  'local-only': {
    doc: 'No Redis and no head announcements: each worker broadcasts to its own clients only; others see a message only when they (re)join.',
    server: { redis: false, heads: false },
    client: {},
  },
  'publish-before-commit': {
    doc: 'Seeded bug: publish to Redis before the commit, so a crash in between delivers a message that never existed.',
    server: { order: 'publish-commit-ack' },
    client: {},
  },
  'ack-before-commit': {
    doc: 'Seeded bug: ack before the commit, so a crash in between loses a message the client was told is safe.',
    server: { order: 'ack-commit-publish' },
    client: {},
  },
  'no-dedup': {
    doc: 'Seeded bug: no primary key on the message id, so a retried send becomes a second row.',
    server: { dedup: false },
    client: {},
  },
} as const satisfies Record<string, { doc: string; server: ServerSemanticsFlags; client: ClientSemanticsFlags }>;

/** Server-side switches a semantics variant sets. */
export interface ServerSemanticsFlags {
  /** @default true */ redis?: boolean;
  /** @default 'commit-ack-publish' */ order?: 'commit-ack-publish' | 'publish-commit-ack' | 'ack-commit-publish';
  /** @default true */ dedup?: boolean;
  /** Periodic `head` frames read from the database. @default true */ heads?: boolean;
}
/** Client-side switches a semantics variant sets. */
export interface ClientSemanticsFlags {
  /** @default true */ dedup?: boolean;
  /** @default true */ replay?: boolean;
  /** @default true */ fetch?: boolean;
  /** @default true */ retry?: boolean;
}

/** A semantics variant name. */
export type SemanticsName = keyof typeof SEMANTICS;
/** Every semantics variant name, the default first. */
export const SEMANTICS_NAMES = Object.keys(SEMANTICS) as SemanticsName[];
/** zod schema of a semantics variant name. */
export const SemanticsName = z.enum(SEMANTICS_NAMES as [SemanticsName, ...SemanticsName[]]);
/**
 * Who runs the send path's write transactions: `primary` (the one writer; workers commit through
 * it over the cluster IPC) or `worker` (every worker on its own connection, contending for
 * SQLite's write lock).
 */
export const WriterName = z.enum(['primary', 'worker']);
export type WriterName = z.infer<typeof WriterName>;

/** The default semantics. */
export const DEFAULT_SEMANTICS: SemanticsName = 'effectively-once';

/** Resolved server flags of a variant. */
export function serverFlags(name: SemanticsName): Required<ServerSemanticsFlags> {
  return { redis: true, order: 'commit-ack-publish', dedup: true, heads: true, ...SEMANTICS[name].server };
}
/** Resolved client flags of a variant. */
export function clientFlags(name: SemanticsName): Required<ClientSemanticsFlags> {
  return { dedup: true, replay: true, fetch: true, retry: true, ...SEMANTICS[name].client };
}

/**
 * Failpoints: named points in a worker, off unless armed through the control channel.
 * Crash points fire once, on the `nth` send the worker handles after arming, then disarm.
 */
export const FAILPOINTS = {
  'crash.before-commit': { doc: 'Exit (SIGKILL itself) just before the commit: after validation by default, after the publish or the ack in the seeded bugs that do those first.', kind: 'crash' },
  'crash.after-commit-before-ack': { doc: 'Exit after the commit, before the ack is sent.', kind: 'crash' },
  'crash.after-ack-before-publish': { doc: 'Exit after the ack, before the Redis publish.', kind: 'crash' },
  'publish.duplicate': { doc: 'Publish each message twice with the given probability.', kind: 'publish' },
  'publish.delay': { doc: 'Hold each publish back by a random delay within windowMs (reorders publishes).', kind: 'publish' },
  'redis.unsubscribe': { doc: "Silently drop the worker's Redis subscriptions while it still believes it is subscribed.", kind: 'redis' },
} as const satisfies Record<string, { doc: string; kind: 'crash' | 'publish' | 'redis' }>;

/** A failpoint name. */
export type FailpointName = keyof typeof FAILPOINTS;
export const FAILPOINT_NAMES = Object.keys(FAILPOINTS) as FailpointName[];
export const FailpointName = z.enum(FAILPOINT_NAMES as [FailpointName, ...FailpointName[]]);

/** Parameters of an armed failpoint (units in the names). */
export const FailpointParams = z.object({
  /** Crash points: fire on the nth send after arming. @default 1 */
  nth: z.number().int().min(1).default(1),
  /** publish.*: chance that a publish is affected. @default 1 */
  probability: z.number().min(0).max(1).default(1),
  /** publish.delay: delays are uniform in [0, windowMs). @default 50 */
  windowMs: z.number().int().min(0).max(60_000).default(50),
  /** Seed of the failpoint's random choices. @default 1 */
  seed: z.number().int().default(1),
});
export type FailpointParams = z.infer<typeof FailpointParams>;

/** Control requests sent to the primary (from the harness over IPC) and forwarded to workers. */
export const ControlRequest = z.discriminatedUnion('type', [
  z.object({ type: z.literal('arm'), slot: z.number().int().nonnegative(), failpoint: FailpointName, params: FailpointParams }),
  z.object({ type: z.literal('disarm'), slot: z.number().int().nonnegative(), failpoint: FailpointName.optional() }),
  z.object({ type: z.literal('shutdown') }),
]);
export type ControlRequest = z.infer<typeof ControlRequest>;

/** Events the primary reports to its parent (the harness) over IPC. */
export const ControlEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('worker-up'), slot: z.number().int(), pid: z.number().int(), port: z.number().int(), slotPort: z.number().int() }),
  z.object({ type: z.literal('worker-exit'), slot: z.number().int(), pid: z.number().int(), code: z.number().nullable(), signal: z.string().nullable() }),
  z.object({ type: z.literal('failpoint-fired'), slot: z.number().int(), pid: z.number().int(), failpoint: FailpointName, detail: z.string() }),
  z.object({ type: z.literal('ready'), port: z.number().int(), workers: z.number().int(), redisUrl: z.string(), dbFile: z.string(), pid: z.number().int() }),
]);
export type ControlEvent = z.infer<typeof ControlEvent>;

/** Messages a worker sends the primary. */
export const WorkerReport = z.discriminatedUnion('type', [
  z.object({ type: z.literal('listening'), slot: z.number().int(), pid: z.number().int(), port: z.number().int(), slotPort: z.number().int() }),
  z.object({ type: z.literal('failpoint-fired'), slot: z.number().int(), pid: z.number().int(), failpoint: FailpointName, detail: z.string() }),
]);
export type WorkerReport = z.infer<typeof WorkerReport>;

/** Messages published on a room's Redis channel. */
export type BusMessage = { type: 'msg'; origin: string; frame: string };

/** Encode a bus message: `m <origin>\n<frame JSON>` (the frame is serialized once and forwarded as is). */
export function encodeBusMessage(m: BusMessage): string {
  return `m ${m.origin}\n${m.frame}`;
}

/** Decode a bus message, or undefined if it is not one. */
export function decodeBusMessage(s: string): BusMessage | undefined {
  if (!s.startsWith('m ')) return undefined;
  const nl = s.indexOf('\n');
  if (nl < 0) return undefined;
  return { type: 'msg', origin: s.slice(2, nl), frame: s.slice(nl + 1) };
}
