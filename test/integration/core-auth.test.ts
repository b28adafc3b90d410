/**
 * Who may connect, and what a connection may do, against a real core from dist with 2 workers:
 * signed, expiring tokens at the WebSocket upgrade (missing, expired, forged, or a bad subject: 401,
 * no welcome); the sender of a message is the token's subject; browser origins; send and fetch only
 * after join; members-only rooms over the WebSocket and /history; well-formed text (a name with
 * characters outside the BMP dedups against itself on retry; a lone surrogate is refused); frames
 * over the hard limit closed with 1009 and a reason; and the per-connection and per-user limits.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { waitFor } from '../support/wait-for.js';
import { describe, expect, it } from 'vitest';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/protocol/auth.js';
import { loadAuthKey } from '../../src/protocol/node/auth-key.js';
import { MAX_ANSWER_BYTES, MAX_CONNECTIONS_PER_USER, MAX_ROOMS_PER_CONNECTION, slotPort } from '../../src/protocol/index.js';
import { useCluster } from '../support/cluster-fixture.js';
import { DIST_CORE_MAIN_PATH } from '../support/dist-core.js';
import { RawSocket } from '../support/raw-socket.js';
import { runCli } from '../support/cli.js';

/** How an upgrade attempt ended: the HTTP status it was turned away with (and why), or 'open'. */
function attempt(url: string, headers: Record<string, string> = {}): Promise<{ status: number | 'open'; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => { ws.close(); resolve({ status: 'open', body: '' }); });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', () => undefined);
  });
}

/** A token signed by hand: for what `signToken` would never make (expired, another key, a bad subject). */
function craft(key: Uint8Array, claims: { sub: string; exp: number; iss?: string; aud?: string }): Promise<string> {
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub).setIssuer(claims.iss ?? TOKEN_ISSUER)
    .setAudience(claims.aud ?? TOKEN_AUDIENCE).setIssuedAt().setExpirationTime(claims.exp).sign(key);
}

/** Runs the core's room administration program on the fixture's database. */
function roomAdmin(args: string[]): Promise<number | null> {
  return new Promise((resolve) => spawn(process.execPath, [DIST_CORE_MAIN_PATH.replace(/main\.js$/, 'room-admin.js'), ...args], { stdio: 'ignore' }).on('exit', resolve));
}

describe('core authentication and authorization', () => {
  const cluster = useCluster('core-auth', 2);
  const now = () => Math.floor(Date.now() / 1000);

  it('admits a signed token as its subject and turns away a missing, expired, forged or badly named one with 401', async () => {
    const c = cluster.core;
    const url = c.slotUrl(0);
    const key = loadAuthKey(join(cluster.dir, 'auth.key'), false);
    const { socket, welcome } = await RawSocket.open(`${url}${await c.credentials('alice')}`);
    expect(welcome.user).toBe('alice');
    socket.close();
    expect(await attempt(url)).toMatchObject({ status: 401, body: expect.stringContaining('no token') });
    expect(await attempt(`${url}?user=admin`)).toMatchObject({ status: 401 });
    expect(await attempt(`${url}?token=${await craft(key, { sub: 'alice', exp: now() - 10 })}`)).toMatchObject({ status: 401, body: 'the token has expired' });
    expect(await attempt(`${url}?token=${await craft(new Uint8Array(32).fill(7), { sub: 'alice', exp: now() + 60 })}`)).toMatchObject({ status: 401, body: expect.stringContaining('not valid') });
    expect(await attempt(`${url}?token=${await craft(key, { sub: 'alice', exp: now() + 60, aud: 'elsewhere' })}`)).toMatchObject({ status: 401 });
    // A subject with a bidi override, and one with a control character: no such user.
    expect(await attempt(`${url}?token=${await craft(key, { sub: 'ali\u202Ece', exp: now() + 60 })}`)).toMatchObject({ status: 401, body: expect.stringContaining('not a valid user name') });
    expect(await attempt(`${url}?token=${await craft(key, { sub: 'a\u0007b', exp: now() + 60 })}`)).toMatchObject({ status: 401 });
    // The Authorization header works as well as ?token=.
    expect(await attempt(url, { authorization: `Bearer ${await c.token('bob')}` })).toMatchObject({ status: 'open' });
  });

  it('deliverylab token prints a token of the core\'s key as its last line, and the core admits it', async () => {
    const r = await runCli(['token', 'carol', '--auth-secret-file', join(cluster.dir, 'auth.key'), '--ttl', '5m']);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim().split('\n').at(-1)!;
    const { socket, welcome } = await RawSocket.open(`${cluster.core.slotUrl(1)}?token=${token}`);
    expect(welcome.user).toBe('carol');
    socket.close();
    expect(await runCli(['token', 'bad\u202Ename', '--auth-secret-file', join(cluster.dir, 'auth.key')])).toMatchObject({ code: 2, stderr: expect.stringContaining('format (bidi') });
  });

  it('the sender is the subject; send and fetch need a join; a browser page from another origin is turned away', async () => {
    const c = cluster.core;
    const { socket: s } = await RawSocket.open(`${c.slotUrl(0)}${await c.credentials('dave')}`);
    s.send({ type: 'send', id: 'm-before-join', room: 'lobby', body: 'too early' });
    expect(await s.take('error', (e) => e.ref === 'm-before-join')).toMatchObject({ code: 'not_joined' });
    s.send({ type: 'fetch', room: 'lobby', after: 0 });
    expect(await s.take('error', (e) => e.ref === 'lobby')).toMatchObject({ code: 'not_joined' });
    s.send({ type: 'join', room: 'lobby' });
    await s.take('joined');
    // Posting as another user: a sender field in the frame is not part of the protocol; the subject stays the sender.
    s.send({ type: 'send', id: 'm-1', room: 'lobby', body: 'hello', sender: 'admin', user: 'admin' });
    await s.take('ack', (a) => a.id === 'm-1');
    expect(await s.take('msg', (m) => m.id === 'm-1')).toMatchObject({ sender: 'dave' });
    s.close();
    const port = slotPort(c.port, 0);
    expect(await attempt(c.slotUrl(0) + (await c.credentials('dave')), { origin: 'https://evil.example' })).toMatchObject({ status: 403 });
    // Another scheme, a port that is not the node's, and a DNS-rebinding page (its own name in Host) are turned away.
    expect(await attempt(c.slotUrl(0) + (await c.credentials('dave')), { origin: `ftp://127.0.0.1:${port}` })).toMatchObject({ status: 403 });
    expect(await attempt(c.slotUrl(0) + (await c.credentials('dave')), { origin: `http://127.0.0.1:${c.port + 3}` })).toMatchObject({ status: 403 });
    expect(await attempt(c.slotUrl(0) + (await c.credentials('dave')), { origin: `http://evil.example:${port}`, host: `evil.example:${port}` })).toMatchObject({ status: 403 });
    expect(await attempt(c.slotUrl(0) + (await c.credentials('dave')), { origin: `http://127.0.0.1:${port}` })).toMatchObject({ status: 'open' });
  });

  it('members-only rooms: a non-member cannot join or read its history; a member can', async () => {
    const c = cluster.core;
    expect(await roomAdmin(['secret', '--db', cluster.dbFile, '--members', 'erin'])).toBe(0);
    const { socket: erin } = await RawSocket.open(`${c.slotUrl(0)}${await c.credentials('erin')}`);
    erin.send({ type: 'join', room: 'secret' });
    await erin.take('joined', (j) => j.room === 'secret');
    erin.send({ type: 'send', id: 's-1', room: 'secret', body: 'for members' });
    await erin.take('ack', (a) => a.id === 's-1');
    const { socket: frank } = await RawSocket.open(`${c.slotUrl(1)}${await c.credentials('frank')}`);
    frank.send({ type: 'join', room: 'secret' });
    expect(await frank.take('error', (e) => e.ref === 'secret')).toMatchObject({ code: 'forbidden' });
    // A send right behind a refused join is refused too: it waited for the decision.
    frank.send({ type: 'join', room: 'secret' });
    frank.send({ type: 'send', id: 's-2', room: 'secret', body: 'let me in' });
    expect(await frank.take('error', (e) => e.ref === 's-2')).toMatchObject({ code: 'not_joined' });
    const history = (who: string) => c.credentials(who).then((q) => fetch(`http://127.0.0.1:${slotPort(c.port, 0)}/history?room=secret&${q.slice(1)}`));
    expect((await history('frank')).status).toBe(403);
    const ok = await history('erin');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { messages: { id: string }[] }).messages.map((m) => m.id)).toEqual(['s-1']);
    expect((await fetch(`http://127.0.0.1:${slotPort(c.port, 0)}/history?room=lobby`)).status).toBe(401);
    erin.close();
    frank.close();
  });

  it('text: a name outside the BMP dedups against itself on retry; a lone surrogate in a body is refused and the connection stays', async () => {
    const c = cluster.core;
    const name = 'zoë😀'.repeat(12); // 60 code points, 72 UTF-16 units
    const { socket: s, welcome } = await RawSocket.open(`${c.slotUrl(0)}${await c.credentials(name)}`);
    expect(welcome.user).toBe(name);
    s.send({ type: 'join', room: 'lobby' });
    await s.take('joined');
    const send = { type: 'send', id: 't-1', room: 'lobby', body: 'ünïcode 😀' };
    s.send(send);
    expect(await s.take('ack', (a) => a.id === 't-1')).toMatchObject({ duplicate: false });
    s.send(send);
    expect(await s.take('ack', (a) => a.id === 't-1')).toMatchObject({ duplicate: true });
    s.send('{"type":"send","id":"t-2","room":"lobby","body":"broken \\ud800 half"}');
    expect(await s.take('error', (e) => e.ref === 't-2')).toMatchObject({ code: 'bad_frame', message: expect.stringContaining('well-formed') });
    s.send({ type: 'ping', nonce: 7 });
    await s.take('pong', (p) => p.nonce === 7);
    s.close();
  });

  it('a user\'s sends are counted across workers in Redis, where the per-user rate limit reads them', async () => {
    const c = cluster.core;
    // The counts are read off Redis's own command stream (MONITOR), not off the keys: a key per second expires after 2 s,
    // so on a slow machine it may be gone before it is read. redis-cli reads it: ioredis's monitor() can take a feed
    // line for a reply while its connection settles ("Command queue state error", redis/ioredis#1981). Line-buffered:
    // into a pipe, redis-cli would hold its lines back in a 4 KB buffer.
    const monitor = spawn('stdbuf', ['-oL', 'redis-cli', '-h', '127.0.0.1', '-p', String(cluster.redis.port), '-a', cluster.redis.password, '--no-auth-warning', 'MONITOR'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let feed = '';
    const added = new Map<string, number>();
    monitor.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      feed += chunk;
      const lines = feed.split('\n');
      feed = lines.pop()!;
      for (const line of lines) {
        const m = /"incrby" "dl:rate:\{\d+\}:ivy" "(\d+)"/i.exec(line);
        if (m) added.set('ivy', (added.get('ivy') ?? 0) + Number(m[1]));
        if (line.trim() === 'OK') added.set('monitoring', 1);
      }
    });
    const sockets: Awaited<ReturnType<typeof RawSocket.open>>['socket'][] = [];
    try {
      await waitFor(() => expect(added.get('monitoring')).toBe(1), 10_000, 10);
      for (const slot of [0, 1]) sockets.push((await RawSocket.open(`${c.slotUrl(slot)}${await c.credentials('ivy')}`)).socket);
      for (const [k, s] of sockets.entries()) {
        s.send({ type: 'join', room: 'lobby', replay: false });
        await s.take('joined');
        for (let i = 0; i < 10; i++) s.send({ type: 'send', id: `ivy-${k}-${i}`, room: 'lobby', body: 'counted' });
        for (let i = 0; i < 10; i++) await s.take('ack', (a) => a.id === `ivy-${k}-${i}`);
      }
      // Each worker adds its count every 100 ms with INCRBY on a key per second.
      await waitFor(() => expect(added.get('ivy') ?? 0).toBe(20), 5000, 10);
    } finally {
      monitor.kill();
      for (const s of sockets) s.close();
    }
  });

  it('a fetch flood is bounded: no read while earlier answers wait to be read, each answer at most 512 KiB, and the connection stays', async () => {
    const c = cluster.core;
    const FLOOD = 60;
    const { socket: s } = await RawSocket.open(`${c.slotUrl(0)}${await c.credentials('jill')}`);
    s.send({ type: 'join', room: 'big', replay: false });
    await s.take('joined');
    // 200 messages of 8 KB: 1.6 MB in the room, more than one answer may carry.
    const body = 'b'.repeat(8 * 1024);
    for (let i = 0; i < 200; i++) s.send({ type: 'send', id: `big-${i}`, room: 'big', body });
    for (let i = 0; i < 200; i++) await s.take('ack', (a) => a.id === `big-${i}`);
    while (await s.take('msg', () => true, 0).then(() => true, () => false)) { /* drop the live copies */ }
    for (let i = 0; i < FLOOD; i++) s.send({ type: 'fetch', room: 'big', after: 0, limit: 1000 });
    // Frames are answered in order: once the pong is in, every fetch has its answer or its refusal.
    s.send({ type: 'ping', nonce: 9 });
    await s.take('pong', (p) => p.nonce === 9, 30_000);
    const drain = async (take: () => Promise<unknown>) => {
      let n = 0;
      while (await take().then(() => true, () => false)) n += 1;
      return n;
    };
    const answers: { count: number; more: boolean }[] = [];
    await drain(() => s.take('fetched', () => true, 0).then((f) => answers.push(f)));
    const refused = await drain(() => s.take('error', (e) => e.code === 'too_many_reads', 0));
    expect(answers.length + refused).toBe(FLOOD);
    expect(refused).toBeGreaterThan(0);
    for (const a of answers) {
      expect(a.more).toBe(true);
      expect(a.count * body.length).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    }
    expect(s.open).toBe(true);
    s.close();
  });

  it('limits: rooms per connection, connections per user, and a frame over the hard limit closed with 1009', async () => {
    const c = cluster.core;
    const { socket: s } = await RawSocket.open(`${c.slotUrl(0)}${await c.credentials('gina')}`);
    for (let i = 0; i < MAX_ROOMS_PER_CONNECTION; i++) s.send({ type: 'join', room: `r${i}`, replay: false });
    for (let i = 0; i < MAX_ROOMS_PER_CONNECTION; i++) await s.take('joined', (j) => j.room === `r${i}`);
    s.send({ type: 'join', room: 'one-too-many' });
    expect(await s.take('error', (e) => e.ref === 'one-too-many')).toMatchObject({ code: 'too_many_rooms' });
    const held: RawSocket[] = [];
    for (let i = 1; i < MAX_CONNECTIONS_PER_USER; i++) held.push((await RawSocket.open(`${c.slotUrl(0)}${await c.credentials('gina')}`)).socket);
    expect(await attempt(`${c.slotUrl(0)}${await c.credentials('gina')}`)).toMatchObject({ status: 429 });
    // Another worker counts its own.
    expect(await attempt(`${c.slotUrl(1)}${await c.credentials('gina')}`)).toMatchObject({ status: 'open' });
    for (const h of held) h.close();
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      void c.credentials('hank').then((q) => {
        const ws = new WebSocket(`${c.slotUrl(1)}${q}`);
        ws.on('open', () => ws.send('x'.repeat(300 * 1024)));
        ws.on('close', (code, reason) => resolve({ code, reason: String(reason) }));
        ws.on('error', () => undefined);
      });
    });
    expect(await closed).toMatchObject({ code: 1009, reason: expect.stringContaining('over the hard limit') });
    s.close();
  });
});
