import type * as UWS from 'uWebSockets.js';
import { RoomName, Seq, MAX_FETCH_LIMIT, type HealthBody } from '../protocol/index.js';
import { readAfter, type Store } from '../store/index.js';
import { z } from 'zod';
import type { Metrics } from './metrics.js';
import { WEB_UI_HTML } from './web-ui.js';

const HistoryQuery = z.object({ room: RoomName, after: z.coerce.number().pipe(Seq).default(0), limit: z.coerce.number().int().min(1).max(MAX_FETCH_LIMIT).default(100) });

/** Answers an HTTP request asynchronously, guarding against the client going away meanwhile. */
function respondAsync(res: UWS.HttpResponse, work: () => Promise<{ status: string; type: string; body: string }>): void {
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  work()
    .catch((e: unknown) => ({ status: '500 Internal Server Error', type: 'application/json', body: JSON.stringify({ error: String(e) }) }))
    .then((r) => {
      if (aborted) return;
      res.cork(() => res.writeStatus(r.status).writeHeader('content-type', r.type).end(r.body));
    });
}

/** Mounts /health, /metrics, /history and the web UI on a uWS app. */
export function mountHttpRoutes(app: UWS.TemplatedApp, deps: { store: Store; metrics: Metrics; health: () => Promise<HealthBody> }): void {
  app.get('/health', (res) => respondAsync(res, async () => {
    const h = await deps.health();
    return { status: h.ok ? '200 OK' : '503 Service Unavailable', type: 'application/json', body: JSON.stringify(h) };
  }));
  app.get('/metrics', (res) => respondAsync(res, async () => ({ status: '200 OK', type: deps.metrics.registry.contentType, body: await deps.metrics.registry.metrics() })));
  app.get('/history', (res, req) => {
    const q = HistoryQuery.safeParse(Object.fromEntries(new URLSearchParams(req.getQuery() ?? '')));
    respondAsync(res, async () => {
      if (!q.success) return { status: '400 Bad Request', type: 'application/json', body: JSON.stringify({ error: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }) };
      const rows = await readAfter(deps.store, q.data.room, q.data.after, q.data.limit);
      return { status: '200 OK', type: 'application/json', body: JSON.stringify({ room: q.data.room, messages: rows }) };
    });
  });
  app.get('/', (res) => { res.writeHeader('content-type', 'text/html; charset=utf-8').end(WEB_UI_HTML); });
  app.any('/*', (res) => { res.writeStatus('404 Not Found').end('not found'); });
}
