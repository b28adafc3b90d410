import { z } from 'zod';

/**
 * Semantics variants: the default, weaker delivery modes, and seeded bugs.
 * `server` flags are start-up options of the core; `client` flags are options of the client SDK.
 */
export const SEMANTICS = {
  'effectively-once': {
    kind: 'default',
    doc: 'All mechanisms on: commit, ack, publish, replay, fetch, retry, database heads, reorder buffer and client dedup.',
    server: {},
    client: {},
  },
  // Ablations: each turns off one mechanism of the default, to show that a named scenario needs it.
  'no-retry': {
    kind: 'ablation',
    doc: 'The client never writes a send a second time: a send in flight when its connection or worker dies is never settled.',
    server: {},
    client: { retry: false },
  },
  'no-replay': {
    kind: 'ablation',
    doc: 'No catch-up on join (no replay, and the head the join reports is not acted on): a client that reconnects misses what was committed while it was away until a periodic head or a later message reveals the gap.',
    server: {},
    client: { replay: false },
  },
  'no-heads': {
    kind: 'ablation',
    doc: 'Workers send no periodic database heads: a message missed live is only found when a later one reveals the gap.',
    server: { heads: false },
    client: {},
  },
  'heads-from-live': {
    kind: 'ablation',
    doc: 'Heads are taken from the highest seq the worker saw live instead of from the database: a worker cut off from Redis announces a stale head.',
    server: { headsFrom: 'live' },
    client: {},
  },
  'no-fetch': {
    kind: 'ablation',
    doc: 'The client never fetches a gap or a tail: it waits for the missing seq to arrive by itself.',
    server: {},
    client: { fetch: false },
  },
  'no-reorder-buffer': {
    kind: 'ablation',
    doc: 'The client hands a message beyond a gap to the application at once and gives the gap up (no reorder buffer).',
    server: {},
    client: { reorder: false },
  },
  'no-fsync': {
    kind: 'ablation',
    doc: 'Commits are not synced to disk (SQLite synchronous OFF): an ack means the operating system has the message, not the disk, so a power loss takes acked messages.',
    server: { durable: false },
    client: {},
  },
  'no-client-dedup': {
    kind: 'ablation',
    doc: 'The client does not drop copies at or below its cursor: a replayed, fetched or duplicated copy reaches the application again.',
    server: {},
    client: { dedup: false },
  },
  'no-send-nonce': {
    kind: 'ablation',
    doc: 'The client sends no nonce and pairs an ack or error with the waiting send of its id alone: a late duplicate ack of an earlier send settles a new send that reuses the id, and the new send\'s id_conflict is lost.',
    server: {},
    client: { nonce: false },
  },
  'errors-by-ref': {
    kind: 'ablation',
    doc: "The client takes every error that names something as an answer to the waiting send of that id, even one without a nonce from a core that echoes them (an error about a room): a refused join of a room settles a waiting send whose id is the room's name, and that send is then committed although the application was told it was refused.",
    server: {},
    client: { roomErrors: false },
  },
  // Teaching variants: weaker delivery modes, for comparison.
  'at-least-once': {
    kind: 'teaching',
    doc: 'No dedup at the client: retries, replays and duplicate publishes reach the application twice.',
    server: {},
    client: { dedup: false },
  },
  'at-most-once': {
    kind: 'teaching',
    doc: 'Plain pub/sub: no replay on join, no gap fetch, no retry of an unacked send.',
    server: {},
    client: { replay: false, fetch: false, retry: false },
  },
  'local-only': {
    kind: 'teaching',
    doc: 'No Redis and no head announcements: each worker broadcasts to its own clients only; others see a message only when they (re)join.',
    server: { redis: false, heads: false },
    client: {},
  },
  // Seeded bugs.
  'publish-before-commit': {
    kind: 'seeded-bug',
    doc: 'Seeded bug: publish to Redis before the commit, so a crash in between delivers a message that never existed.',
    server: { order: 'publish-commit-ack' },
    client: {},
  },
  'ack-before-commit': {
    kind: 'seeded-bug',
    doc: 'Seeded bug: ack before the commit, so a crash in between loses a message the client was told is safe.',
    server: { order: 'ack-commit-publish' },
    client: {},
  },
  'no-id-conflict': {
    kind: 'seeded-bug',
    doc: 'Seeded bug: a committed id is answered as a duplicate whatever its content, so a new message sent under an old id is acked and never stored.',
    server: { conflicts: false },
    client: {},
  },
  'no-dedup': {
    kind: 'seeded-bug',
    doc: 'Seeded bug: no primary key on the message id, so a retried send becomes a second row.',
    server: { dedup: false },
    client: {},
  },
} as const satisfies Record<string, { kind: SemanticsKind; doc: string; server: ServerSemanticsFlags; client: ClientSemanticsFlags }>;

/** What a semantics variant is: the default, an ablation of one mechanism, a teaching variant, or a seeded bug. */
export type SemanticsKind = 'default' | 'ablation' | 'teaching' | 'seeded-bug';

/** Server-side switches a semantics variant sets. */
export interface ServerSemanticsFlags {
  /** @default true */ redis?: boolean;
  /** @default 'commit-ack-publish' */ order?: 'commit-ack-publish' | 'publish-commit-ack' | 'ack-commit-publish';
  /** @default true */ dedup?: boolean;
  /** The same id with other content is refused with id_conflict. @default true */ conflicts?: boolean;
  /** Periodic `head` frames read from the database. @default true */ heads?: boolean;
  /** Where heads come from: the database, or the highest seq the worker saw live (an ablation). @default 'db' */ headsFrom?: 'db' | 'live';
  /** A commit is synced to disk before it is acked (SQLite synchronous as configured, FULL by default); false runs with synchronous OFF. @default true */ durable?: boolean;
}
/** Client-side switches a semantics variant sets. */
export interface ClientSemanticsFlags {
  /** @default true */ dedup?: boolean;
  /** Catch up on join: the join's replay, then a fetch of the tail up to the head the join reports. @default true */ replay?: boolean;
  /** @default true */ fetch?: boolean;
  /** @default true */ retry?: boolean;
  /** Hold messages beyond a gap until it is filled; false hands them on at once and gives the gap up. @default true */ reorder?: boolean;
  /** Each send carries a nonce its answers echo, and an answer settles only the send it names; false pairs answers with sends by id alone. @default true */ nonce?: boolean;
  /** From a core that echoes nonces, an error without one is about a room (its `ref` is a room's name) and settles no send; false pairs it with the waiting send whose id is its `ref`. @default true */ roomErrors?: boolean;
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
  return { redis: true, order: 'commit-ack-publish', dedup: true, conflicts: true, heads: true, headsFrom: 'db', durable: true, ...SEMANTICS[name].server };
}
/** Every client mechanism on: what a client gets for each flag it does not set. */
export const DEFAULT_CLIENT_FLAGS: Readonly<Required<ClientSemanticsFlags>> = { dedup: true, replay: true, fetch: true, retry: true, reorder: true, nonce: true, roomErrors: true };

/** Resolved client flags of a variant. */
export function clientFlags(name: SemanticsName): Required<ClientSemanticsFlags> {
  return { ...DEFAULT_CLIENT_FLAGS, ...SEMANTICS[name].client };
}

/** SQLite's `synchronous` setting: `FULL` makes an ack mean "on disk". */
export const Synchronous = z.enum(['FULL', 'NORMAL', 'OFF']);
export type Synchronous = z.infer<typeof Synchronous>;
