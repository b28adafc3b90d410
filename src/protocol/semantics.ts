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

/** SQLite's `synchronous` setting: `FULL` makes an ack mean "on disk". */
export const Synchronous = z.enum(['FULL', 'NORMAL', 'OFF']);
export type Synchronous = z.infer<typeof Synchronous>;
