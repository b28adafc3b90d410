import { readFile } from 'node:fs/promises';
import type * as UWS from 'uWebSockets.js';
import { CLUSTER_MAX_HEADS, RoomName, Seq, MAX_ANSWER_BYTES, MAX_FETCH_LIMIT, type ClusterBody, type HealthBody } from '../protocol/index.js';
import { mayJoin, readAfterBounded, type Store } from '../store/index.js';
import { z } from 'zod';
import type { Metrics } from './metrics.js';
import type { ConnectionGate } from './connection-gate.js';
import { CHAT_SCRIPT_PATH, chatPageHtml, missingBundleHtml, webBundleExists, webBundlePath } from './web-ui.js';

/** What the worker answering `/cluster` contributes: the processes, as its primary's table has them; the routes add the database's heads. */
export type ClusterProcesses = Omit<ClusterBody, 'at' | 'heads' | 'headsTruncated' | 'db'>;

/** The committed heads of the rooms, by name, at most `CLUSTER_MAX_HEADS`. */
async function readRoomHeads(store: Store): Promise<{ heads: ClusterBody['heads']; truncated: boolean }> {
  const rows = await store.db.selectFrom('rooms').select(['name', 'head']).orderBy('name').limit(CLUSTER_MAX_HEADS + 1).execute();
  return { heads: rows.slice(0, CLUSTER_MAX_HEADS).map((r) => ({ room: r.name, head: r.head })), truncated: rows.length > CLUSTER_MAX_HEADS };
}

const HistoryQuery = z.object({ room: RoomName, after: z.coerce.number().pipe(Seq).default(0), limit: z.coerce.number().int().min(1).max(MAX_FETCH_LIMIT).default(100) });

/** An HTTP answer: status line, content type, body and any other headers. */
interface HttpAnswer { status: string; type: string; body: string | Buffer; headers?: Record<string, string> }

/**
 * Headers on every HTTP answer of the core: no content sniffing, no framing by other sites, no referrer
 * leaving the page (its URL may hold a token), nothing cached that carries a user's data.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** A host name (or IPv4/bracketed IPv6 address) as it may appear in a Content-Security-Policy source. */
const CSP_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/i;

/**
 * The chat page's Content-Security-Policy: its own script and inline style only, no plugins, no framing, no
 * forms elsewhere; it may connect (WebSocket and `/cluster`) to its own host on any port, since a page of the
 * shared port talks to slot ports. `host` is the Host header's name; anything else falls back to 'self'.
 */
export function chatPagePolicy(host: string): string {
  const name = host.replace(/:\d+$/, '');
  const own = CSP_HOST.test(name) ? ` ws://${name}:* wss://${name}:* http://${name}:* https://${name}:*` : '';
  return `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'${own}; ` +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

/** Writes the status line, the security headers and `headers` (the caller ends the answer). */
export function writeHead(res: UWS.HttpResponse, status: string, headers: Record<string, string>): UWS.HttpResponse {
  res.writeStatus(status);
  for (const [name, value] of Object.entries({ ...SECURITY_HEADERS, ...headers })) res.writeHeader(name, value);
  return res;
}

/** Answers an HTTP request asynchronously, guarding against the client going away meanwhile. */
function respondAsync(res: UWS.HttpResponse, work: () => Promise<HttpAnswer>): void {
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  work()
    .catch((e: unknown): HttpAnswer => ({ status: '500 Internal Server Error', type: 'application/json', body: JSON.stringify({ error: String(e) }) }))
    .then((r) => {
      if (aborted) return;
      res.cork(() => void writeHead(res, r.status, { 'content-type': r.type, ...r.headers }).end(r.body));
    });
}

/** Answers 404 to anything no route took. */
function notFound(app: UWS.TemplatedApp): void {
  app.any('/*', (res) => void writeHead(res, '404 Not Found', { 'content-type': 'text/plain; charset=utf-8' }).end('not found'));
}

/** Mounts /health and /metrics on the worker's admin app (its own port, on loopback unless told otherwise). */
export function mountAdminRoutes(app: UWS.TemplatedApp, deps: { metrics: Metrics; health: () => Promise<HealthBody> }): void {
  app.get('/health', (res) => respondAsync(res, async () => {
    const h = await deps.health();
    return { status: h.ok ? '200 OK' : '503 Service Unavailable', type: 'application/json', body: JSON.stringify(h), headers: { 'cache-control': 'no-store' } };
  }));
  app.get('/metrics', (res) => respondAsync(res, async () => ({ status: '200 OK', type: deps.metrics.registry.contentType, body: await deps.metrics.registry.metrics(), headers: { 'cache-control': 'no-store' } })));
  notFound(app);
}

/** Mounts what clients may reach: /history, /cluster and the web chat (`/` and its script). */
export function mountHttpRoutes(app: UWS.TemplatedApp, deps: { store: Store; cluster: () => Promise<ClusterProcesses>; userOf: ConnectionGate['userOf'] }): void {
  // A room's history, for whoever may join it: the same token (or dev user) and membership as a WebSocket.
  app.get('/history', (res, req) => {
    const query = req.getQuery() ?? '';
    const authorization = req.getHeader('authorization');
    const params = Object.fromEntries([...new URLSearchParams(query)].filter(([k]) => k !== 'token' && k !== 'user'));
    const q = HistoryQuery.safeParse(params);
    respondAsync(res, async () => {
      const who = deps.userOf(query, authorization);
      if (!who.ok) return { status: who.status, type: 'application/json', body: JSON.stringify({ error: who.why }) };
      if (!q.success) return { status: '400 Bad Request', type: 'application/json', body: JSON.stringify({ error: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }) };
      if (!(await mayJoin(deps.store, q.data.room, who.user))) return { status: '403 Forbidden', type: 'application/json', body: JSON.stringify({ error: `room ${q.data.room} is members-only and ${who.user} is not a member` }) };
      // At most MAX_ANSWER_BYTES of messages per answer, read no further; `more` says to ask again after the last seq.
      const { rows, more } = await readAfterBounded(deps.store, q.data.room, q.data.after, q.data.limit, MAX_ANSWER_BYTES, (r) => ({ bytes: JSON.stringify(r).length, value: r }));
      return { status: '200 OK', type: 'application/json', body: JSON.stringify({ room: q.data.room, messages: rows, more }), headers: { 'cache-control': 'no-store' } };
    });
  });
  // Any worker answers for the whole cluster (its primary's table); readable from a page served elsewhere (the lab's).
  app.get('/cluster', (res) => respondAsync(res, async () => {
    const [processes, heads] = await Promise.all([
      deps.cluster(),
      readRoomHeads(deps.store).then((h) => ({ ...h, db: 'ok' }), (e: unknown) => ({ heads: [], truncated: false, db: `error: ${String(e)}` })),
    ]);
    const body: ClusterBody = { at: Date.now(), ...processes, heads: heads.heads, headsTruncated: heads.truncated, db: heads.db };
    return { status: '200 OK', type: 'application/json', body: JSON.stringify(body), headers: { 'access-control-allow-origin': '*', 'cache-control': 'no-store' } };
  }));
  app.get(CHAT_SCRIPT_PATH, (res) => respondAsync(res, async () => {
    try {
      return { status: '200 OK', type: 'application/javascript; charset=utf-8', body: await readFile(webBundlePath()), headers: { 'cache-control': 'no-cache' } };
    } catch {
      return { status: '404 Not Found', type: 'text/plain; charset=utf-8', body: `${webBundlePath()} is missing: run \`make build\`\n` };
    }
  }));
  app.get('/', (res, req) => {
    const page = { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': chatPagePolicy(req.getHeader('host')), 'cache-control': 'no-store' };
    if (!webBundleExists()) return void writeHead(res, '500 Internal Server Error', page).end(missingBundleHtml());
    writeHead(res, '200 OK', page).end(chatPageHtml());
  });
  notFound(app);
}
