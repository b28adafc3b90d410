/**
 * What the page is told: `window.DELIVERYLAB_CONFIG` (validated as the protocol's `WebConfig`) and
 * its own URL's `?token=` (or, for a core with insecure dev users, `?user=`), `?worker=` and `?room=`;
 * and the WebSocket URLs that follow from them.
 */
import { z } from 'zod';
import { RoomName, slotPort, WebConfig, WS_PATH } from '../src/protocol/index.js';

/** A user name the page accepts from `?user=`: what the core keeps of one (64 chars), of a safe alphabet. */
export const UserName = z.string().regex(/^[A-Za-z0-9_.:@-]{1,64}$/, 'user must be 1-64 chars of [A-Za-z0-9_.:@-]');
/** `?token=`: a signed token (three base64url parts). */
export const Token = z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a token is three base64url parts');

/** A token's subject as its payload says it, for display only (the core verifies the token and says who the connection is in its welcome). */
function subjectOf(token: string): string | undefined {
  try {
    const part = token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(part.padEnd(Math.ceil(part.length / 4) * 4, '=')), (c) => c.charCodeAt(0)));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** `?worker=K`: the slot to start at. */
export const WorkerParam = z.coerce.number().int().min(0).max(63);

/** The page's settings, each with where it came from, and what was refused. */
export interface PageSettings {
  /** Who the page says it is (a token's subject as the token says it; the core's welcome confirms it). */
  user: string;
  /** What each WebSocket URL carries: `?token=…`, or `?user=…` for a core with insecure dev users. */
  credentials: string;
  /** The slot to start at (`?worker=`), or null: the shared port. */
  worker: number | null;
  /** The room shown first. */
  room: string;
  /** The shared port's origin, given by the config (null: the page's own host, see `sharedWsUrl`). */
  wsBase: string | null;
  clusterUrl: string;
  commandUrl: string | null;
  /** One line per ignored input. */
  notices: string[];
}

const DEFAULT_ROOM = 'lobby';
const DEFAULT_CLUSTER_URL = '/cluster';

/** A generated user name: `web-` and 5 random base-36 characters. */
function generatedUser(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  return `web-${[...bytes].map((b) => (b % 36).toString(36)).join('')}`;
}

const issue = (e: z.ZodError) => e.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');

/** Reads the config and the page's query; anything invalid is ignored with a notice. */
export function readSettings(rawConfig: unknown, search: string): PageSettings {
  const notices: string[] = [];
  let config: WebConfig = {};
  if (rawConfig !== undefined) {
    const c = WebConfig.safeParse(rawConfig);
    if (c.success) config = c.data;
    else notices.push(`ignored DELIVERYLAB_CONFIG: ${issue(c.error)}`);
  }
  const q = new URLSearchParams(search);
  const param = <T>(name: string, schema: z.ZodType<T>): T | null => {
    const raw = q.get(name);
    if (raw === null) return null;
    const r = schema.safeParse(raw);
    if (r.success) return r.data;
    notices.push(`ignored ?${name}=${raw}: ${issue(r.error)}`);
    return null;
  };
  const token = param('token', Token) ?? config.token ?? null;
  const user = token !== null ? (subjectOf(token) ?? 'you') : (param('user', UserName) ?? generatedUser());
  if (token === null) notices.push(`no ?token=: connecting as ${user}, which only a core started with --insecure-dev-users lets in (get a token: deliverylab token <user>, then open this page with ?token=…)`);
  return {
    user,
    credentials: token !== null ? `?token=${encodeURIComponent(token)}` : `?user=${encodeURIComponent(user)}`,
    worker: param('worker', WorkerParam),
    room: param('room', RoomName) ?? DEFAULT_ROOM,
    wsBase: config.wsBase ?? null,
    clusterUrl: config.clusterUrl ?? DEFAULT_CLUSTER_URL,
    commandUrl: config.controls?.commandUrl ?? null,
    notices,
  };
}

/** The shared port's origin: the config's `wsBase`, else the page's own host. */
export function wsBaseOf(s: PageSettings, page: Location): string {
  return s.wsBase ?? `${page.protocol === 'https:' ? 'wss' : 'ws'}://${page.host}`;
}

/** The shared port's WebSocket URL, carrying the credentials. */
export function sharedWsUrl(base: string, credentials: string): string {
  return `${base}${WS_PATH}${credentials}`;
}

/**
 * The slot ports' WebSocket URLs, starting at `first` and going round all `workers` (the SDK moves
 * to the next URL on every reconnect). `sharedPort` is the core's shared port (worker k serves
 * `slotPort(sharedPort, k)`), on the host of `base`.
 */
export function slotWsUrls(base: string, sharedPort: number, workers: number, first: number, credentials: string): string[] {
  const u = new URL(base);
  return Array.from({ length: workers }, (_, i) => (first + i) % workers)
    .map((k) => `${u.protocol}//${u.hostname}:${slotPort(sharedPort, k)}${WS_PATH}${credentials}`);
}

/** The port of a ws:// or wss:// origin (its default when none is written). */
export function portOf(base: string): number {
  const u = new URL(base);
  return u.port ? Number(u.port) : u.protocol === 'wss:' ? 443 : 80;
}
