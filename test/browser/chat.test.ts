/**
 * The web chat in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core,
 * which downloads no browser) against a real core from dist/ with 2 workers: pages on different
 * workers see every message once, through a worker's SIGKILL; a send shows pending until its ack,
 * then its seq; a refused send shows its code; the cluster panel shows every worker from its own
 * reports (a SIGSTOPped one goes stale); and another server can serve the page with fault controls.
 * Screenshots go to reports/browser/.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';
// What another server (the lab's) may import to serve the page: the protocol's shell and the bundle's path.
import { chatPageHtml, ClusterBody, CLUSTER_STALE_AFTER_MS, FaultCommandRequest, slotPort, type WebConfig } from '../../src/protocol/index.js';
import { webBundlePath } from '../../src/server/web-ui.js';
import { loadCoreProcess, waitBusReady, type Core } from '../support/dist-core.js';
import { waitFor } from '../support/wait-for.js';
import { launchChromium, SHOTS } from '../support/browser.js';

const WORKERS = 2;
/** Bounds for conditions on a busy 2-core machine (none is a timing assertion). */
const READY_MS = 30_000;
const CONVERGE_MS = 30_000;

/** A page with every frame it threw, to fail on a broken page rather than time out on it. */
interface ChatPage { page: Page; errors: string[] }

let dir: string | undefined;
let redis: RedisServerHandle | undefined;
let core: Core | undefined;
let browser: Browser | undefined;
let failed = false;
let labServer: Server | undefined;
let labPort = 0;
let labHandler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

const need = <T>(v: T | undefined, what: string): T => {
  if (v === undefined) throw new Error(`${what} did not start`);
  return v;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dl-browser-'));
  const { startCore } = await loadCoreProcess();
  redis = await startRedisServer();
  // The other server that serves the page (last test) listens first: the core lets its origin in.
  labServer = createServer((req, res) => (labHandler ? labHandler(req, res) : res.writeHead(503).end()));
  await new Promise<void>((resolve) => labServer!.listen(0, '127.0.0.1', resolve));
  labPort = (labServer.address() as { port: number }).port;
  core = await startCore({ workers: WORKERS, db: join(dir, 'db.sqlite'), redisUrls: [redis.url], logFile: join(dir, 'core.log'), allowOrigin: `http://127.0.0.1:${labPort}` });
  await waitBusReady(core, WORKERS, READY_MS);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  try {
    await browser?.close();
  } finally {
    await core?.stop();
    await redis?.stop();
    await new Promise<void>((resolve) => (labServer ? labServer.close(() => resolve()) : resolve()));
    if (dir && failed) console.error(`kept ${dir} (core.log, db.sqlite) for the failed test`);
    else if (dir) rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

/** Marks the run failed (to keep its directory) when `fn` throws. */
async function tracked(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    failed = true;
    throw e;
  }
}

/** Opens the chat at `url` in a fresh browser context. */
async function openChat(url: string, setup?: (page: Page) => Promise<void>): Promise<ChatPage> {
  const context = await need(browser, 'the browser').newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await setup?.(page);
  await page.goto(url);
  return { page, errors };
}

async function closeChat(c: ChatPage | undefined): Promise<void> {
  await c?.page.context().close();
}

const corePageUrl = (query: string, port = need(core, 'the core').port) => `http://127.0.0.1:${port}/?${query}`;
/** A token of the core's for `user` (the page connects with ?token=). */
const tokenOf = (user: string) => need(core, 'the core').token(user);

/** Resolves once the page says it is connected (to `worker`, or to a process other than `notPid`, when given); returns the worker and pid it shows. */
async function connected(c: ChatPage, want: { worker?: number; notPid?: number } = {}): Promise<{ worker: number; pid: number }> {
  const conn = c.page.getByTestId('conn-state');
  return waitFor(async () => {
    expect(c.errors).toEqual([]);
    expect(await conn.getAttribute('data-state')).toBe('connected');
    const worker = Number(await conn.getAttribute('data-worker'));
    const pid = Number(await conn.getAttribute('data-pid'));
    if (want.worker !== undefined) expect(worker).toBe(want.worker);
    if (want.notPid !== undefined) expect(pid).not.toBe(want.notPid);
    return { worker, pid };
  }, READY_MS, 50);
}

/** Types a message and sends it; returns its id (the rendered element of the user's own message with this body). */
async function sendMessage(c: ChatPage, room: string, body: string): Promise<string> {
  await c.page.getByTestId('send-input').fill(body);
  await c.page.getByTestId('send-button').click();
  const el = c.page.getByTestId(`messages-${room}`).locator('.msg[data-own=true]').filter({ has: c.page.locator('.body', { hasText: body }) });
  const id = await waitFor(async () => {
    const v = await el.first().getAttribute('data-id', { timeout: 1000 });
    expect(v).toBeTruthy();
    return v!;
  }, READY_MS, 50);
  return id;
}

/** Every message id the page renders in a room, in page order (duplicates included, if any). */
function renderedIds(c: ChatPage, room: string): Promise<string[]> {
  return c.page.getByTestId(`messages-${room}`).locator('.msg').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset['id'] ?? ''));
}

/** The database's rows of a room, by seq (read-only, beside the running core). */
function dbRows(room: string): { id: string; seq: number }[] {
  const db = new SQLite(join(need(dir, 'the temp dir'), 'db.sqlite'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    return db.prepare('SELECT id, seq FROM messages WHERE room = ? ORDER BY seq').all(room) as { id: string; seq: number }[];
  } finally {
    db.close();
  }
}

/** The page shows exactly the database's messages of the room: each id once, in seq order. */
async function expectShowsDb(c: ChatPage, room: string): Promise<void> {
  const rows = dbRows(room);
  const ids = await renderedIds(c, room);
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  expect([...counts].filter(([, n]) => n !== 1), 'ids rendered more than once').toEqual([]);
  expect(ids, 'the page shows the database rows, in seq order').toEqual(rows.map((r) => r.id));
}

/** The user's own message is acked and shows the database's seq. */
async function expectAcked(c: ChatPage, id: string): Promise<void> {
  const el = c.page.getByTestId(`msg-${id}`);
  await waitFor(async () => expect(await el.getAttribute('data-state')).toBe('acked'), CONVERGE_MS, 50);
  const row = (await Promise.all(['lobby', 'acks'].map(async (room) => dbRows(room)))).flat().find((r) => r.id === id);
  expect(row, `message ${id} is in the database`).toBeDefined();
  expect(await el.getAttribute('data-seq')).toBe(String(row!.seq));
  expect(await el.locator('.seq').textContent()).toBe(`#${row!.seq}`);
}

const shot = (c: ChatPage, name: string) => c.page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe('the web chat in headless Chromium', () => {
  it('two pages on different workers each show every message once, through a SIGKILL of one page\'s worker', () => tracked(async () => {
    const c = need(core, 'the core');
    let alice: ChatPage | undefined;
    let bob: ChatPage | undefined;
    try {
      alice = await openChat(corePageUrl(`worker=0&token=${await tokenOf('alice')}`));
      bob = await openChat(corePageUrl(`worker=1&token=${await tokenOf('bob')}`));
      const a0 = await connected(alice, { worker: 0 });
      await connected(bob, { worker: 1 });
      expect(a0.pid).toBe(c.pid(0));
      const sent = [await sendMessage(alice, 'lobby', 'alice: before the kill'), await sendMessage(bob, 'lobby', 'bob: before the kill')];
      for (const id of sent.slice(0, 1)) await expectAcked(alice, id);
      for (const id of sent.slice(1)) await expectAcked(bob, id);
      for (const p of [alice, bob]) await waitFor(() => expectShowsDb(p, 'lobby'), CONVERGE_MS, 100);
      expect(dbRows('lobby').map((r) => r.id).sort()).toEqual([...sent].sort());
      await shot(alice, 'chat-alice-before-kill');

      // A real SIGKILL to the real pid of the worker alice's page is on.
      process.kill(a0.pid, 'SIGKILL');
      const afterKill = [await sendMessage(alice, 'lobby', 'alice: right after the kill'), await sendMessage(bob, 'lobby', 'bob: right after the kill')];
      await connected(alice, { notPid: a0.pid });
      await connected(bob);
      const later = [await sendMessage(alice, 'lobby', 'alice: after reconnecting'), await sendMessage(bob, 'lobby', 'bob: after reconnecting')];
      for (const id of [afterKill[0]!, later[0]!]) await expectAcked(alice, id);
      for (const id of [afterKill[1]!, later[1]!]) await expectAcked(bob, id);

      const all = [...sent, ...afterKill, ...later];
      await waitFor(() => expect(dbRows('lobby').map((r) => r.id).sort()).toEqual([...all].sort()), CONVERGE_MS, 100);
      for (const p of [alice, bob]) await waitFor(() => expectShowsDb(p, 'lobby'), CONVERGE_MS, 100);
      const events = await alice.page.getByTestId('event-log').textContent();
      expect(events).toContain(`disconnected from worker 0`);

      // The cluster panel shows the re-forked worker 0 (its new pid, from its own reports).
      const newPid = await c.waitWorkerUp(0, a0.pid, READY_MS);
      await waitFor(async () => {
        expect(await alice!.page.getByTestId('worker-0-pid').textContent()).toBe(String(newPid));
        expect(await alice!.page.getByTestId('worker-0-state').getAttribute('data-state')).toBe('up');
      }, CONVERGE_MS, 100);
      await shot(alice, 'chat-alice-after-kill');
      await shot(bob, 'chat-bob-after-kill');
      expect([...alice.errors, ...bob.errors]).toEqual([]);
    } finally {
      await closeChat(alice);
      await closeChat(bob);
    }
  }), 120_000);

  it('an own send shows pending until its ack arrives, then its seq; a refused send shows its code', () => tracked(async () => {
    let carol: ChatPage | undefined;
    /** Acks held back from the page while true (the WebSocket is routed through the test). */
    let holdAcks = false;
    const held: { route: WebSocketRoute; message: string | Buffer }[] = [];
    try {
      carol = await openChat(corePageUrl(`token=${await tokenOf('carol')}`), (page) => page.routeWebSocket(/\/ws\?token=/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((m) => server.send(m));
        server.onMessage((m) => {
          if (holdAcks && typeof m === 'string' && (JSON.parse(m) as { type?: string }).type === 'ack') held.push({ route: ws, message: m });
          else ws.send(m);
        });
      }));
      await connected(carol);
      // Joining a second room through the page's form, then working in it.
      await carol.page.getByTestId('join-input').fill('acks');
      await carol.page.getByTestId('join-button').click();
      await waitFor(async () => expect(await carol!.page.getByTestId('messages-acks').isVisible()).toBe(true), READY_MS, 50);
      await waitFor(async () => expect(await carol!.page.getByTestId('event-log').textContent()).toContain('joined acks'), READY_MS, 50);

      holdAcks = true;
      const id = await sendMessage(carol, 'acks', 'carol: waiting for my ack');
      const el = carol.page.getByTestId(`msg-${id}`);
      // Committed (the database has it) and not acked (the page holds no ack): shown pending, without a seq.
      await waitFor(() => expect(dbRows('acks').map((r) => r.id)).toContain(id), CONVERGE_MS, 50);
      await waitFor(() => expect(held.length).toBeGreaterThan(0), CONVERGE_MS, 50);
      expect(await el.getAttribute('data-state')).toBe('pending');
      expect(await el.getAttribute('data-seq')).toBeNull();
      expect(await el.locator('.status').textContent()).toMatch(/^pending/);
      expect(await el.locator('.seq').textContent()).toBe('…');
      await shot(carol, 'chat-pending');

      holdAcks = false;
      for (const h of held.splice(0)) h.route.send(h.message);
      await expectAcked(carol, id);
      expect(await el.locator('.status').textContent()).toMatch(/^acked #\d+/);
      await waitFor(() => expectShowsDb(carol!, 'acks'), CONVERGE_MS, 100);
      await shot(carol, 'chat-acked');

      // A body over the protocol's limit is refused by the SDK with bad_frame: shown refused, never committed.
      const refused = await sendMessage(carol, 'acks', `carol: too long ${'x'.repeat(17_000)}`);
      const r = carol.page.getByTestId(`msg-${refused}`);
      await waitFor(async () => expect(await r.getAttribute('data-state')).toBe('refused'), CONVERGE_MS, 50);
      expect(await r.locator('.status').textContent()).toBe('refused: bad_frame');
      expect(dbRows('acks').map((row) => row.id)).not.toContain(refused);
      // The room name is checked as the protocol's RoomName before a join.
      await carol.page.getByTestId('join-input').fill('no spaces allowed');
      await carol.page.getByTestId('join-button').click();
      await waitFor(async () => expect(await carol!.page.getByTestId('join-error').textContent()).toContain('room must be'), READY_MS, 50);
      await shot(carol, 'chat-refused');
      expect(carol.errors).toEqual([]);
    } finally {
      holdAcks = false;
      await closeChat(carol);
    }
  }));

  it('the cluster panel shows every worker from its own reports, and a SIGSTOPped worker as not answering', () => tracked(async () => {
    const c = need(core, 'the core');
    let dave: ChatPage | undefined;
    let stopped: number | undefined;
    try {
      // Served by worker 0's own port: its /cluster is asked of worker 0, which asks the primary.
      dave = await openChat(corePageUrl(`worker=0&token=${await tokenOf('dave')}`, slotPort(c.port, 0)));
      await connected(dave, { worker: 0 });
      const id = await sendMessage(dave, 'lobby', 'dave: checking the panel');
      await expectAcked(dave, id);
      const panel = dave.page;
      await waitFor(async () => {
        for (let k = 0; k < WORKERS; k++) {
          expect(await panel.getByTestId(`worker-${k}-pid`).textContent()).toBe(String(c.pid(k)));
          expect(await panel.getByTestId(`worker-${k}-state`).getAttribute('data-state')).toBe('up');
          expect(await panel.getByTestId(`worker-${k}-redis`).textContent()).toBe('ready / ready');
        }
        const rows = dbRows('lobby');
        expect(await panel.getByTestId('room-head-lobby').textContent()).toBe(String(rows[rows.length - 1]!.seq));
        expect(await panel.getByTestId('room-cursor-lobby').textContent()).toBe('caught up');
      }, CONVERGE_MS, 100);
      expect(await panel.getByTestId('global-controls').isVisible()).toBe(false);
      expect(await panel.getByTestId('control-kill-0').count()).toBe(0);

      stopped = c.signal(1, 'SIGSTOP');
      expect(stopped).toBeDefined();
      await waitFor(async () => {
        expect(await panel.getByTestId('worker-1-state').getAttribute('data-state')).toBe('stale');
        expect(await panel.getByTestId('worker-1-state').textContent()).toMatch(/^not answering \(last report [\d.]+ s ago\)$/);
        expect(await panel.getByTestId('worker-0-state').getAttribute('data-state')).toBe('up');
      }, CONVERGE_MS, 100);
      // The same through the contract: worker 0 answers for the cluster, worker 1's last report is old.
      const body = ClusterBody.parse(await (await fetch(`http://127.0.0.1:${slotPort(c.port, 0)}/cluster`)).json());
      expect(body.answeredBy.worker).toBe(0);
      expect(body.primary.answered).toBe(true);
      const w1 = body.workers.find((w) => w.slot === 1)!;
      expect(w1).toMatchObject({ state: 'stale', pid: stopped });
      expect(w1.lastSeenMs).toBeGreaterThan(CLUSTER_STALE_AFTER_MS);
      await shot(dave, 'cluster-worker-1-stopped');

      process.kill(stopped, 'SIGCONT');
      stopped = undefined;
      await waitFor(async () => expect(await panel.getByTestId('worker-1-state').getAttribute('data-state')).toBe('up'), CONVERGE_MS, 100);
      expect(dave.errors).toEqual([]);
    } finally {
      if (stopped !== undefined) process.kill(stopped, 'SIGCONT');
      await closeChat(dave);
    }
  }));

  it('another server serves the same page with a config: fault controls post commands and show the replies', () => tracked(async () => {
    const c = need(core, 'the core');
    const commands: string[] = [];
    let erin: ChatPage | undefined;
    try {
      // A hostile character sequence in a config value must stay data inside the page's <script>.
      const commandPath = '/command?x=</script><script>window.pwned=1</script>';
      const config: WebConfig = { wsBase: `ws://127.0.0.1:${c.port}`, clusterUrl: `http://127.0.0.1:${c.port}/cluster`, controls: { commandUrl: commandPath } };
      labHandler = (req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        if (req.method === 'GET' && url.pathname === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end(chatPageHtml(config));
        if (req.method === 'GET' && url.pathname === '/app.js') return void readFile(webBundlePath()).then((js) => res.writeHead(200, { 'content-type': 'application/javascript' }).end(js));
        if (req.method === 'POST' && url.pathname === '/command') {
          let text = '';
          req.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => {
            const r = FaultCommandRequest.safeParse(JSON.parse(text));
            if (r.success) commands.push(r.data.command);
            res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r.success ? { ok: r.data.command !== 'nope', output: `did ${r.data.command}` } : { ok: false, output: 'bad request' }));
          });
          return;
        }
        res.writeHead(404).end();
      };
      erin = await openChat(`http://127.0.0.1:${labPort}/?token=${await tokenOf('erin')}&worker=1`);
      const page = erin.page;
      // Served elsewhere, it still reaches the core: its workers (wsBase) and the cluster's view (clusterUrl).
      await connected(erin, { worker: 1 });
      expect(await page.evaluate(() => (window as { DELIVERYLAB_CONFIG?: unknown }).DELIVERYLAB_CONFIG)).toEqual(config);
      expect(await page.evaluate(() => (window as { pwned?: unknown }).pwned)).toBeUndefined();
      await waitFor(async () => expect(await page.getByTestId('worker-1-pid').textContent()).toBe(String(c.pid(1))), CONVERGE_MS, 100);

      await page.getByTestId('control-kill-0').click();
      await page.getByTestId('control-partition-cut-1').click();
      await page.getByTestId('control-partition-blackhole-0').click();
      await page.getByTestId('control-heal').click();
      await page.getByTestId('control-redis-restart').click();
      await page.getByTestId('control-input').fill('nope');
      await page.getByTestId('control-send').click();
      const expected = ['kill 0', 'partition 1 cut', 'partition 0 blackhole', 'heal', 'redis restart', 'nope'];
      await waitFor(() => expect([...commands].sort()).toEqual([...expected].sort()), CONVERGE_MS, 50);
      const log = page.getByTestId('control-log');
      await waitFor(async () => {
        const text = await log.textContent();
        for (const cmd of expected.filter((x) => x !== 'nope')) expect(text).toContain(`ok: did ${cmd}`);
        expect(text).toContain('failed: did nope');
      }, CONVERGE_MS, 50);
      for (const cmd of ['stop', 'pause', 'resume']) for (let k = 0; k < WORKERS; k++) expect(await page.getByTestId(`control-${cmd}-${k}`).count()).toBe(1);
      await shot(erin, 'chat-with-fault-controls');
      expect(erin.errors).toEqual([]);
    } finally {
      await closeChat(erin);
      labHandler = undefined;
    }
  }));
});
