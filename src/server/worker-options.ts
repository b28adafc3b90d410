import { z } from 'zod';
import { BusKey, SemanticsName, Synchronous, WriterName } from '../protocol/index.js';

/** A worker's start-up options, passed by the primary through its environment (validated here). */
export const WorkerOptions = z.object({
  DL_SLOT: z.coerce.number().int().nonnegative(),
  DL_PORT: z.coerce.number().int().min(1).max(65535),
  DL_SLOT_PORT: z.coerce.number().int().min(1).max(65535),
  /** How many workers the node has (its slot ports are DL_PORT + 1 … DL_PORT + DL_WORKERS). */
  DL_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  DL_DB: z.string().min(1),
  /** A redis:// URL (its credentials in it), a unix:// URL or a unix socket path; empty: no bus. */
  DL_REDIS_URL: z.string().default(''),
  /** `true`: DL_REDIS_URL lists the startup nodes of a Redis Cluster (comma-separated); the bus is sharded pub/sub. */
  DL_REDIS_CLUSTER: z.enum(['true', 'false']).default('false').transform((s) => s === 'true'),
  /** The node's bus key (hex), the same for every worker of the node: bus messages are signed and checked with it. */
  DL_BUS_KEY: BusKey,
  DL_SEMANTICS: SemanticsName.default('effectively-once'),
  DL_HEAD_INTERVAL_MS: z.coerce.number().int().min(50).default(1000),
  DL_SYNCHRONOUS: Synchronous.default('FULL'),
  DL_WRITER: WriterName.default('primary'),
  DL_HOST: z.string().default('127.0.0.1'),
  /** This worker's admin port (`/health`, `/metrics`) and the address it binds (loopback by default). */
  DL_ADMIN_PORT: z.coerce.number().int().min(1).max(65535),
  DL_ADMIN_HOST: z.string().default('127.0.0.1'),
  /** `true`: emit trace events to the primary (`--trace`). */
  DL_TRACE: z.enum(['true', 'false']).default('false').transform((s) => s === 'true'),
  /** The token key's file (made by the primary before any worker starts). */
  DL_AUTH_SECRET_FILE: z.string().min(1),
  /** `true`: `?user=` names the user, no token (`--insecure-dev-users`). */
  DL_INSECURE_DEV_USERS: z.enum(['true', 'false']).default('false').transform((s) => s === 'true'),
  /** Origins let in besides the core's own host, comma-separated. */
  DL_ALLOW_ORIGIN: z.string().default(''),
});
export type WorkerOptions = z.infer<typeof WorkerOptions>;
