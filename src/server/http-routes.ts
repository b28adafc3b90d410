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

/** Answers an HTTP request asynchronously, guarding against the client going away meanwhile. */
function respondAsync(res: UWS.HttpResponse, work: () => Promise<HttpAnswer>): void {
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  work()
    .catch((e: unknown): HttpAnswer => ({ status: '500 Internal Server Error', type: 'application/json', body: JSON.stringify({ error: String(e) }) }))
    .then((r) => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(r.status).writeHeader('content-type', r.type);
        for (const [name, value] of Object.entries(r.headers ?? {})) res.writeHeader(name, value);
        res.end(r.body);
      });
    });
}

/** Mounts /health, /metrics, /history, /cluster and the web chat (`/` and its script) on a uWS app. */
export function mountHttpRoutes(app: UWS.TemplatedApp, deps: { store: Store; metrics: Metrics; health: () => Promise<HealthBody>; cluster: () => Promise<ClusterProcesses>; userOf: ConnectionGate['userOf'] }): void {
  app.get('/health', (res) => respondAsync(res, async () => {
    const h = await deps.health();
    return { status: h.ok ? '200 OK' : '503 Service Unavailable', type: 'application/json', body: JSON.stringify(h) };
  }));
  app.get('/metrics', (res) => respondAsync(res, async () => ({ status: '200 OK', type: deps.metrics.registry.contentType, body: await deps.metrics.registry.metrics() })));
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
      return { status: '200 OK', type: 'application/json', body: JSON.stringify({ room: q.data.room, messages: rows, more }) };
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
  app.get('/', (res) => {
    if (!webBundleExists()) return void res.writeStatus('500 Internal Server Error').writeHeader('content-type', 'text/html; charset=utf-8').end(missingBundleHtml());
    res.writeHeader('content-type', 'text/html; charset=utf-8').end(chatPageHtml());
  });
  app.any('/*', (res) => { res.writeStatus('404 Not Found').end('not found'); });
}
