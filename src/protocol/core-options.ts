import { z } from 'zod';
import { SemanticsName, Synchronous, WriterName } from './semantics.js';

/** A boolean option: a bare flag (`--trace`) on the command line, `true`/`false` as a string or a boolean otherwise. */
const BooleanFlag = z.union([z.boolean(), z.enum(['true', 'false']).transform((s) => s === 'true')]);

/**
 * The options of the core's program (`node dist/src/server/main.js --workers 2 --port 8080 …`), as
 * flags. The program validates them with this schema; the lab and `deliverylab serve` build the
 * flags with `coreArgv`, so both sides agree on one list.
 */
export const CoreOptions = z.object({
  /** Worker processes. @default the machine's CPU count */
  workers: z.coerce.number().int().min(1).max(64).optional(),
  /** The shared port; worker k also serves port + 1 + k (`slotPort`). @default 8080 */
  port: z.coerce.number().int().min(1).max(65000).default(8080),
  /**
   * The number of this node's first worker: worker k is slot slotBase + k (in welcomes, traces, events and
   * failpoint requests), still serving port + 1 + k. Nodes sharing one database and bus number their
   * workers apart, so every worker of the deployment has a name of its own. @default 0
   */
  slotBase: z.coerce.number().int().min(0).max(1000).default(0),
  /** Address to bind. @default '127.0.0.1' */
  host: z.string().min(1).default('127.0.0.1'),
  /**
   * Address the admin ports bind (`/health` and `/metrics` of worker k on port + 1 + workers + k,
   * `adminPort`): loopback, so only this machine (or its namespace) can read them. @default '127.0.0.1'
   */
  adminHost: z.string().min(1).default('127.0.0.1'),
  /**
   * The database: a SQLite file, or a PostgreSQL database as a `postgres://user:password@host:port/name` URL
   * (migrated at start; created if a SQLite file is missing). @default 'data/deliverylab.sqlite'
   */
  db: z.string().min(1).default('data/deliverylab.sqlite'),
  /**
   * Redis URL, or one per worker (comma-separated); without it the core starts its own redis-server.
   * Credentials go in the URL (`redis://:password@host:port`, `redis://user:password@host:port`).
   */
  redis: z.string().regex(/^redis:\/\/[^,\s]+(,redis:\/\/[^,\s]+)*$/, 'a redis:// URL, or several separated by commas (one per worker)').optional(),
  /**
   * The `redis` URLs are startup nodes of one Redis Cluster: every worker uses them all, and the bus is
   * sharded pub/sub (SPUBLISH/SSUBSCRIBE, a room's channel on the shard of its hash slot). @default false
   */
  redisCluster: BooleanFlag.default(false),
  /**
   * A file holding the key every worker signs and checks bus messages with (64+ hex digits, mode
   * 600), for nodes that share one Redis; without it the primary makes a random key at start.
   */
  busKeyFile: z.string().min(1).optional(),
  /** @default 'effectively-once' */
  semantics: SemanticsName.default('effectively-once'),
  /** How often workers send each local room its database head. @default 1000 */
  headIntervalMs: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** @default 'FULL' */
  synchronous: Synchronous.default('FULL'),
  /** Who runs the write transactions. @default 'primary' */
  writer: WriterName.default('primary'),
  /**
   * One process: no cluster, no Redis; the process serves as worker 0 and commits itself (the core's
   * send path with nothing between the socket and the database). @default false
   */
  inProcess: BooleanFlag.default(false),
  /**
   * The core emits its own trace events (commit, ack, publish, bus receive, fan-out, head, replay,
   * fetch) to the lab over its IPC channel; off, the send path only checks a boolean. @default false
   */
  trace: BooleanFlag.default(false),
  /**
   * The file of the key tokens are signed with (`deliverylab token` signs with the same file).
   * @default auth.key beside the database (made on first start, mode 600)
   */
  authSecretFile: z.string().min(1).optional(),
  /**
   * Teaching only: no tokens; a connection names its user with `?user=` (validated as a user name).
   * Anyone is anyone. @default false
   */
  insecureDevUsers: BooleanFlag.default(false),
  /**
   * Origins (scheme://host:port) whose pages may open WebSockets, comma-separated. A request with no
   * Origin (not a browser) or from the core's own host is always let in. @default none
   */
  allowOrigin: z.string().regex(/^https?:\/\/[^,\s/]+(,https?:\/\/[^,\s/]+)*$/, 'origins as scheme://host[:port], comma-separated').optional(),
}).strict();
/** The core's options with defaults applied. */
export type CoreOptions = z.infer<typeof CoreOptions>;
/** The core's options as a caller writes them. */
export type CoreOptionsInput = z.input<typeof CoreOptions>;

/** True for an option given as a bare flag (`--in-process`, `--trace`) rather than a flag and a value. */
export function isBooleanCoreOption(key: keyof CoreOptions): boolean {
  const s = CoreOptions.shape[key];
  return (s instanceof z.ZodDefault ? s.unwrap() : s) === BooleanFlag;
}

/** The flag of each option (`headIntervalMs` → `--head-interval-ms`). */
export function coreFlag(key: keyof CoreOptions): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The command-line flags that give the core these options (only those set). */
export function coreArgv(o: CoreOptionsInput): string[] {
  const args: string[] = [];
  for (const [k, v] of Object.entries(o) as [keyof CoreOptions, unknown][]) {
    if (v === undefined || v === false) continue;
    args.push(coreFlag(k));
    if (v !== true) args.push(String(v));
  }
  return args;
}
