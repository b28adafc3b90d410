import { monotonicFactory } from 'ulid';
import { DEFAULT_CLIENT_FLAGS, MAX_FETCH_LIMIT, RoomName, type ClientSemanticsFlags, type MsgFrame } from '../protocol/index.js';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import type { ClientEvent } from './events.js';
import type { WebSocketConstructor } from './socket.js';
import { globalTimers, type Timers } from './timers.js';

/** A message as the application receives it. */
export type Message = Omit<MsgFrame, 'type'>;

/** Options of a `DeliveryClient`. */
export interface ClientOptions {
  /** WebSocket URLs of the workers (each already carrying `?user=NAME`); the client starts at the first and moves to the next on every reconnect. */
  urls: string[];
  /** The user name the URLs carry. */
  user: string;
  /** Rooms to join on every connect. @default [] */
  rooms?: string[];
  /** Starting cursor per room (highest seq the application already has). @default {} (0 for every room) */
  cursors?: Record<string, number>;
  /** Which delivery mechanisms are on (see `clientFlags` in the protocol). @default every one on (`DEFAULT_CLIENT_FLAGS`) */
  semantics?: ClientSemanticsFlags;
  /** Resend unacked sends (same id) this often while connected, in milliseconds. @default 1000 */
  retryIntervalMs?: number;
  /** Send a ping this often, in milliseconds. @default 1000 */
  heartbeatIntervalMs?: number;
  /** A ping unanswered this long means the worker is paused or wedged: drop it and reconnect elsewhere. @default 3000 */
  heartbeatTimeoutMs?: number;
  /** A new connection with no `welcome` after this long is dropped the same way. @default 3000 */
  connectTimeoutMs?: number;
  /** How long a gap may stay open before it is fetched: messages from other workers often arrive a little out of order, and most gaps fill by themselves. 0 fetches at once. @default 50 */
  gapGraceMs?: number;
  /** Reconnect backoff. @default { initialMs: 50, maxMs: 2000, jitter: 'full' } */
  backoff?: BackoffOptions;
  /** Most messages asked for by one gap fetch. @default 1000 (MAX_FETCH_LIMIT) */
  fetchLimit?: number;
  /** The WebSocket constructor (pass the `ws` package's default export in Node). @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** Timer functions. @default the global setTimeout/setInterval and their clear functions */
  timers?: Timers;
  /** A source of uniform numbers in [0, 1) for backoff jitter. @default Math.random */
  random?: () => number;
  /** Monotonic clock in milliseconds. @default performance.now */
  now?: () => number;
  /** Makes message ids; time-ordered ids insert faster as a primary key. @default ulid's monotonicFactory() */
  idFactory?: () => string;
  /** The application callback: each message once, in seq order per room, without gaps. @default a no-op */
  onMessage?: (message: Message) => void;
  /** Observation hook for the lab's history. @default a no-op */
  onEvent?: (event: ClientEvent) => void;
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<ClientOptions, 'semantics' | 'backoff'>> & {
  semantics: Required<ClientSemanticsFlags>;
  backoff: Required<BackoffOptions>;
};

/** Fill in the defaults and check the options, throwing a `TypeError` that says what to change. */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (options.urls.length === 0) throw new TypeError('options.urls is empty: give at least one ws:// URL of a worker');
  for (const url of options.urls) if (!URL.canParse(url)) throw new TypeError(`options.urls has ${JSON.stringify(url)}, which is not a URL`);
  for (const room of options.rooms ?? []) {
    if (!RoomName.safeParse(room).success) throw new TypeError(`options.rooms has ${JSON.stringify(room)}: a room is 1-64 chars of [A-Za-z0-9_.:-]`);
  }
  const WebSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (WebSocket === undefined) {
    throw new TypeError('no global WebSocket in this runtime: pass options.WebSocket (in Node: `import WebSocket from "ws"`)');
  }
  const resolved: ResolvedOptions = {
    urls: [...options.urls],
    user: options.user,
    rooms: [...new Set(options.rooms ?? [])],
    cursors: { ...options.cursors },
    semantics: { ...DEFAULT_CLIENT_FLAGS, ...options.semantics },
    retryIntervalMs: options.retryIntervalMs ?? 1000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 3000,
    connectTimeoutMs: options.connectTimeoutMs ?? 3000,
    gapGraceMs: options.gapGraceMs ?? 50,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    fetchLimit: Math.min(options.fetchLimit ?? MAX_FETCH_LIMIT, MAX_FETCH_LIMIT),
    WebSocket,
    timers: options.timers ?? globalTimers,
    random: options.random ?? Math.random,
    now: options.now ?? (() => performance.now()),
    idFactory: options.idFactory ?? monotonicFactory(),
    onMessage: options.onMessage ?? (() => {}),
    onEvent: options.onEvent ?? (() => {}),
  };
  for (const key of ['retryIntervalMs', 'heartbeatIntervalMs', 'heartbeatTimeoutMs', 'connectTimeoutMs', 'fetchLimit'] as const) {
    if (!(resolved[key] > 0)) throw new TypeError(`options.${key} must be a positive number, got ${resolved[key]}`);
  }
  if (!(resolved.gapGraceMs >= 0)) throw new TypeError(`options.gapGraceMs must be 0 or more, got ${resolved.gapGraceMs}`);
  return resolved;
}
