/**
 * Every bad frame gets an `error` with its code from the table, and the same connection then
 * works normally; /health and /metrics answer what a monitoring system expects.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, type ErrorCode } from '../../src/protocol/index.js';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';
import { loadCoreProcess, type Core } from '../support/dist-core.js';
import { RawSocket } from '../support/raw-socket.js';
import { waitFor } from '../support/wait-for.js';

const ROOM = 'lobby';
/** A frame between MAX_FRAME_BYTES and the server's 4x transport limit: the core must answer, not drop the connection. */
const OVERSIZED_BYTES = 100 * 1024;
const HEALTH_TIMEOUT_MS = 10_000;

/** What a case sends: a text frame (object or raw string), or binary bytes. */
type Bad = { text: object | string } | { binary: Uint8Array };

interface BadFrameCase {
  name: string;
  /** Frames sent (and answered) first, to set up the state the bad frame needs. */
  setup?: { frame: object; expect: 'ack' | 'joined' }[];
  /** The user the setup frames are sent as, on a connection of their own. @default the prober's own connection */
  setupAs?: string;
  frame: Bad;
  code: ErrorCode;
  /** The `ref` the error must carry (the message id or room), when it has one. */
  ref?: string;
}

const CASES: BadFrameCase[] = [
  { name: 'malformed JSON', frame: { text: '{"type":"send","id":' }, code: 'bad_json' },
  { name: 'JSON that is not an object', frame: { text: '[1,2,3]' }, code: 'bad_frame' },
  { name: 'unknown type', frame: { text: { type: 'shout', room: ROOM } }, code: 'unknown_type', ref: ROOM },
  { name: 'missing field (send without body)', frame: { text: { type: 'send', id: 'missing-body', room: ROOM } }, code: 'bad_frame', ref: 'missing-body' },
  { name: 'wrong field type (numeric type)', frame: { text: { type: 42, room: ROOM } }, code: 'bad_frame', ref: ROOM },
  { name: 'missing type', frame: { text: { room: ROOM } }, code: 'bad_frame' },
  { name: 'wrong field type (numeric body)', frame: { text: { type: 'send', id: 'numeric-body', room: ROOM, body: 42 } }, code: 'bad_frame', ref: 'numeric-body' },
  { name: 'wrong field type (string after)', frame: { text: { type: 'join', room: ROOM, after: 'zero' } }, code: 'bad_frame', ref: ROOM },
  {
    name: `oversized frame (${OVERSIZED_BYTES} bytes > ${MAX_FRAME_BYTES})`,
    frame: { text: { type: 'send', id: 'too-big', room: ROOM, body: 'x'.repeat(OVERSIZED_BYTES) } },
    code: 'too_large',
  },
  { name: 'join to an invalid room name', frame: { text: { type: 'join', room: 'no spaces allowed!', after: 0 } }, code: 'bad_room', ref: 'no spaces allowed!' },
  { name: 'leave a room not joined', frame: { text: { type: 'leave', room: 'never-joined' } }, code: 'not_joined', ref: 'never-joined' },
  {
    name: 'same id with a different body',
    setup: [{ frame: { type: 'send', id: 'conflicted-id', room: ROOM, body: 'first' }, expect: 'ack' }],
    frame: { text: { type: 'send', id: 'conflicted-id', room: ROOM, body: 'second' } },
    code: 'id_conflict',
    ref: 'conflicted-id',
  },
  {
    name: 'same id in another room',
    setup: [{ frame: { type: 'send', id: 'roomed-id', room: ROOM, body: 'same' }, expect: 'ack' }],
    frame: { text: { type: 'send', id: 'roomed-id', room: 'elsewhere', body: 'same' } },
    code: 'id_conflict',
    ref: 'roomed-id',
  },
  {
    name: 'same id from another sender',
    setup: [{ frame: { type: 'send', id: 'sent-by-other', room: ROOM, body: 'same' }, expect: 'ack' }],
    setupAs: 'someone-else',
    frame: { text: { type: 'send', id: 'sent-by-other', room: ROOM, body: 'same' } },
    code: 'id_conflict',
    ref: 'sent-by-other',
  },
  { name: 'binary frame', frame: { binary: new TextEncoder().encode(JSON.stringify({ type: 'ping', nonce: 1 })) }, code: 'bad_frame' },
];

const { startCore } = await loadCoreProcess();

let dir: string;
let redis: RedisServerHandle | undefined;
let core: Core | undefined;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dl-core-bad-frames-'));
  redis = await startRedisServer();
  core = await startCore({ workers: 1, db: join(dir, 'db.sqlite'), redisUrls: [redis.url], logFile: join(dir, 'core.log') });
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

afterAll(async () => {
  await core?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A connection of `user`, joined to ROOM and `elsewhere` (a send or fetch needs a join). */
async function open(user: string): Promise<RawSocket> {
  const { socket, welcome } = await RawSocket.open(`${core!.slotUrl(0)}${await core!.credentials(user)}`);
  sockets.push(socket);
  expect(welcome).toMatchObject({ worker: 0, user, pid: core!.pid(0), nonces: true });
  for (const room of [ROOM, 'elsewhere']) {
    socket.send({ type: 'join', room });
    await socket.take('joined', (j) => j.room === room);
  }
  return socket;
}

let nextNonce = 1;

describe('core answers bad frames with a coded error and keeps the connection', () => {
  it.each(CASES)('$name → $code', async (c) => {
    const ws = await open('prober');
    const setupWs = c.setupAs === undefined ? ws : await open(c.setupAs);
    for (const s of c.setup ?? []) {
      setupWs.send(s.frame);
      await setupWs.take(s.expect);
    }
    if ('binary' in c.frame) ws.sendBinary(c.frame.binary);
    else ws.send(c.frame.text);
    const error = await ws.take('error');
    expect(error.code).toBe(c.code);
    expect(error.message.length).toBeGreaterThan(0);
    if (c.ref !== undefined) expect(error.ref).toBe(c.ref);

    // The same connection still works: a ping gets its pong, a send its ack, and nothing else went wrong.
    const nonce = nextNonce++;
    expect(await ws.ping(nonce)).toEqual({ type: 'pong', nonce });
    const id = `after-bad-${nonce}`;
    ws.send({ type: 'send', id, room: ROOM, body: `still working after ${c.name}` });
    expect(await ws.take('ack', (a) => a.id === id)).toMatchObject({ id, room: ROOM, duplicate: false });
    expect(ws.open).toBe(true);
    expect(ws.invalid).toEqual([]);
    await expect(ws.take('error', () => true, 0)).rejects.toThrow(/no matching error frame/);
  });

  it("a send's nonce comes back in its ack and in its refusal; without one, none comes back", async () => {
    const ws = await open('noncer');
    ws.send({ type: 'send', id: 'nonced', room: ROOM, body: 'a', nonce: 7 });
    expect(await ws.take('ack', (a) => a.id === 'nonced')).toEqual({ type: 'ack', id: 'nonced', room: ROOM, seq: expect.any(Number), duplicate: false, nonce: 7 });
    ws.send({ type: 'send', id: 'nonced', room: ROOM, body: 'a', nonce: 8 });
    expect(await ws.take('ack', (a) => a.id === 'nonced')).toMatchObject({ duplicate: true, nonce: 8 });
    ws.send({ type: 'send', id: 'nonced', room: ROOM, body: 'b', nonce: 9 });
    expect(await ws.take('error')).toMatchObject({ code: 'id_conflict', ref: 'nonced', nonce: 9 });
    ws.send({ type: 'send', id: 'nonced-bad', room: ROOM, nonce: 10 });
    expect(await ws.take('error')).toMatchObject({ code: 'bad_frame', ref: 'nonced-bad', nonce: 10 });
    ws.send({ type: 'send', id: 'un-nonced', room: ROOM, body: 'c' });
    expect(await ws.take('ack', (a) => a.id === 'un-nonced')).not.toHaveProperty('nonce');
    expect(ws.invalid).toEqual([]);
  });

  it('/health is JSON with worker, pid, connections, redis and db', async () => {
    const ws = await open('healthy');
    const url = core!.adminUrl(0, '/health');
    const health = await waitFor(async () => {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ redis: { publisher: 'ready', subscriber: 'ready' } });
      return body;
    }, HEALTH_TIMEOUT_MS);
    expect(health).toMatchObject({ worker: 0, pid: core!.pid(0), db: 'ok' });
    expect(health['connections']).toBeGreaterThanOrEqual(1);
    expect(ws.open).toBe(true);
  });

  it('/metrics is Prometheus text with dl_messages_committed_total', async () => {
    const ws = await open('counted');
    ws.send({ type: 'send', id: 'counted-1', room: ROOM, body: 'count me' });
    await ws.take('ack', (a) => a.id === 'counted-1');
    const res = await fetch(core!.adminUrl(0, '/metrics'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# HELP dl_messages_committed_total ');
    expect(text).toContain('# TYPE dl_messages_committed_total counter');
    const sample = /^dl_messages_committed_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/m.exec(text);
    expect(sample, 'a dl_messages_committed_total sample line').not.toBeNull();
    expect(Number(sample![1])).toBeGreaterThanOrEqual(1);
  });

  it('/health and /metrics answer only on the admin port; every answer carries the security headers', async () => {
    // What clients reach (shared and slot ports) has no /health or /metrics.
    for (const url of [core!.url, core!.slotUrl(0)]) {
      const base = url.replace(/^ws:/, 'http:').replace(/\/ws$/, '');
      for (const path of ['/health', '/metrics']) expect((await fetch(base + path)).status, `${base}${path}`).toBe(404);
    }
    for (const url of [core!.adminUrl(0, '/health'), core!.adminUrl(0, '/metrics'), core!.adminUrl(0, '/nothing'), core!.slotUrl(0).replace(/^ws:/, 'http:').replace(/\/ws$/, '/')]) {
      const res = await fetch(url);
      expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), url).toBe('DENY');
      expect(res.headers.get('referrer-policy'), url).toBe('no-referrer');
    }
    // The chat page: its own script only, connections to its own host, never framed.
    const page = await fetch(core!.slotUrl(0).replace(/^ws:/, 'http:').replace(/\/ws$/, '/'));
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('ws://127.0.0.1:*');
    // A refused upgrade too.
    const refused = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(core!.slotUrl(0).replace(/^ws:/, 'http:'), { headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
      req.once('response', (res) => { res.resume(); resolve(res); }).once('error', reject).end();
    });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['x-content-type-options']).toBe('nosniff');
  });
});
