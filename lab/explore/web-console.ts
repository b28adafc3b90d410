import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHAT_SCRIPT_PATH, chatPageHtml, FaultCommandRequest, WEB_BUNDLE_PATH, type FaultCommandReply } from '../../src/protocol/index.js';
import type { CommandOutcome } from './console-commands.js';

/** The browser bundle of the web chat (built by `make build`), served at the page's script path. */
const BUNDLE = fileURLToPath(new URL(`../../../${WEB_BUNDLE_PATH}`, import.meta.url));

const MAX_BODY_BYTES = 16 * 1024;

/** Options of the explore web console. */
export interface WebConsoleOptions {
  /**
   * The core's shared port on 127.0.0.1 (the chat connects its WebSockets there, /api/cluster reads
   * its /cluster) and the token the page connects with; undefined while the session is starting.
   */
  core: () => { port: number; token: string } | undefined;
  /** Runs one console line, the same way as the terminal does. */
  run: (line: string) => Promise<CommandOutcome>;
  /** @default 0 (any free port) */
  port?: number;
}

/** The running console: its URL, and how to close it. */
export interface WebConsole {
  readonly url: string;
  /** The console's origin (`http://127.0.0.1:<port>`): the core must let its pages in. */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * The explore session's web console, on 127.0.0.1 only: the web chat (the same bundle the core
 * serves at `/`) with its cluster panel and, here alone, the fault controls, which post console
 * commands to /api/command. A plain `serve` never has these controls: they live in the lab's
 * process, not in the core.
 */
export async function startWebConsole(o: WebConsoleOptions): Promise<WebConsole> {
  let origin = '';
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => reply(res, 500, 'application/json', JSON.stringify({ ok: false, output: String(e) })));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', origin).pathname;
    const core = o.core();
    if (core === undefined) return reply(res, 503, 'text/plain', 'the session is starting: reload in a moment');
    if (req.method === 'GET' && path === '/') {
      const page = chatPageHtml({ wsBase: `ws://127.0.0.1:${core.port}`, clusterUrl: '/api/cluster', controls: { commandUrl: '/api/command' }, token: core.token });
      return reply(res, 200, 'text/html; charset=utf-8', page.replace('<title>deliverylab chat</title>', '<title>deliverylab explore</title>'));
    }
    if (req.method === 'GET' && path === CHAT_SCRIPT_PATH) {
      if (!existsSync(BUNDLE)) return reply(res, 500, 'text/plain', `the web chat bundle is missing (${BUNDLE}): run "make build"`);
      return reply(res, 200, 'application/javascript; charset=utf-8', readFileSync(BUNDLE, 'utf8'));
    }
    if (req.method === 'GET' && path === '/api/cluster') {
      const r = await fetch(`http://127.0.0.1:${core.port}/cluster`).catch((e: unknown) => e as Error);
      if (r instanceof Error) return reply(res, 502, 'application/json', JSON.stringify({ error: `the core did not answer: ${r.message}` }));
      return reply(res, r.status, 'application/json', await r.text());
    }
    if (req.method === 'POST' && path === '/api/command') {
      // Only the console's own page may drive the session (no other site through the user's browser).
      const from = req.headers.origin;
      if (from !== undefined && from !== origin) return reply(res, 403, 'application/json', JSON.stringify({ ok: false, output: `origin ${from} may not send commands` }));
      const body = FaultCommandRequest.safeParse(await readJson(req));
      if (!body.success) return reply(res, 400, 'application/json', JSON.stringify({ ok: false, output: `bad request: ${body.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}` }));
      const out = await o.run(body.data.command);
      return reply(res, 200, 'application/json', JSON.stringify({ ok: out.ok, output: out.output } satisfies FaultCommandReply));
    }
    return reply(res, 404, 'text/plain', 'not found');
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/`,
    origin,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function reply(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
