import { connect, type Socket } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultModeError, startFaultProxy, type FaultMode, type FaultProxy } from '../../lab/cluster/fault-proxy.js';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';
import { waitFor } from '../support/wait-for.js';

/** How long a blackholed command may wait for an answer before we call it lost. */
const COMMAND_TIMEOUT_MS = 300;
/** Reconnect delay of test clients. */
const RETRY_DELAY_MS = 20;
const LATENCY: Extract<FaultMode, { kind: 'latency' }> = { kind: 'latency', latencyMs: 40, jitterMs: 30, seed: 7 };
const MESSAGES = 50;

let redis: RedisServerHandle;
let proxy: FaultProxy;
const clients: Redis[] = [];
const sockets: Socket[] = [];

beforeEach(async () => {
  redis = await startRedisServer();
  proxy = await startFaultProxy({ upstreamPort: redis.port });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  for (const socket of sockets.splice(0)) socket.destroy();
  await proxy.close();
  await redis.stop();
});

function client(url: string, options: RedisOptions = {}): Redis {
  const redisClient = new Redis(url, { retryStrategy: () => RETRY_DELAY_MS, ...options });
  redisClient.on('error', () => undefined);
  clients.push(redisClient);
  return redisClient;
}

function once(redisClient: Redis, event: 'ready' | 'close'): Promise<void> {
  return new Promise((resolve) => redisClient.once(event, () => resolve()));
}

/** How a connection attempt that the proxy refuses ends: its error code (or 'closed') and what it received. */
async function refusedConnection(port: number): Promise<{ how: string; received: string }> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  let received = '';
  let how = 'closed';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  // The reset may come before or after the client sees the handshake complete: both are a refusal.
  socket.on('error', (error: NodeJS.ErrnoException) => (how = error.code ?? error.message));
  await new Promise((resolve) => socket.once('close', resolve));
  return { how, received };
}

/** A raw TCP connection to the proxy, authenticated to the lab's Redis behind it, that records what it receives (after AUTH's +OK) and how it ended. */
async function rawConnection(port: number): Promise<{ socket: Socket; received: () => string; ended: Promise<string> }> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  let text = '';
  let errorCode = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', (error: NodeJS.ErrnoException) => (errorCode = error.code ?? error.message));
  const ended = new Promise<string>((resolve) => socket.once('close', () => resolve(errorCode || 'closed')));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(`AUTH ${redis.password}\r\n`);
  await waitFor(() => expect(text).toBe('+OK\r\n'));
  text = '';
  return { socket, received: () => text, ended };
}

describe('fault proxy', () => {
  it('pass: forwards SET and GET and counts bytes both ways', async () => {
    const viaProxy = client(proxy.url);
    await viaProxy.set('k', 'v');
    expect(await viaProxy.get('k')).toBe('v');
    expect(proxy.mode).toEqual({ kind: 'pass' });
    expect(proxy.stats).toMatchObject({ connectionsAccepted: 1, connectionsOpen: 1, connectionsReset: 0 });
    expect(proxy.stats.bytesToUpstream).toBeGreaterThan(0);
    expect(proxy.stats.bytesToClient).toBeGreaterThan(0);
  });

  it('cut: resets the open connection, refuses new ones, and the client reconnects once healed', async () => {
    const viaProxy = client(proxy.url);
    const errors: string[] = [];
    viaProxy.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
    await viaProxy.ping();

    const closed = once(viaProxy, 'close');
    proxy.setMode({ kind: 'cut' });
    await closed;
    await waitFor(() => expect(errors).toContain('ECONNRESET'));
    expect(proxy.stats).toMatchObject({ connectionsReset: 1, connectionsOpen: 0 });

    // The client keeps retrying and each attempt is accepted then reset; so is a raw connection.
    await waitFor(() => expect(proxy.stats.connectionsRefused).toBeGreaterThanOrEqual(2));
    expect(await refusedConnection(proxy.port)).toEqual({ how: 'ECONNRESET', received: '' });
    expect(viaProxy.status).not.toBe('ready');

    const ready = once(viaProxy, 'ready');
    proxy.setMode({ kind: 'pass' });
    await ready;
    expect(await viaProxy.ping()).toBe('PONG');
  });

  it('blackhole: a command gets no answer, the connection stays up, and the discarded request is gone after heal', async () => {
    const viaProxy = client(proxy.url, { commandTimeout: COMMAND_TIMEOUT_MS });
    await viaProxy.ping();
    const raw = await rawConnection(proxy.port);
    raw.socket.write('PING\r\n');
    await waitFor(() => expect(raw.received()).toBe('+PONG\r\n'));

    proxy.setMode({ kind: 'blackhole' });
    raw.socket.write('PING\r\n');
    // The ioredis timeout is the bound for both: COMMAND_TIMEOUT_MS of silence.
    await expect(viaProxy.ping()).rejects.toThrow(/timed out/i);
    expect(raw.received()).toBe('+PONG\r\n');
    expect(raw.socket.readyState).toBe('open');
    expect(viaProxy.status).toBe('ready');
    expect(proxy.stats).toMatchObject({ connectionsOpen: 2, connectionsReset: 0 });
    expect(proxy.stats.bytesDiscarded).toBeGreaterThan(0);

    proxy.setMode({ kind: 'pass' });
    // Same TCP connection: the blackholed PING never reached Redis, so exactly one PONG comes back.
    raw.socket.write('ECHO healed\r\n');
    await waitFor(() => expect(raw.received()).toBe('+PONG\r\n$6\r\nhealed\r\n'));
    // A fresh client works at once.
    expect(await client(proxy.url).ping()).toBe('PONG');
    // ioredis keeps a timed-out command queued, so the next reply is paired with it and every later
    // command is answered off by one: after a blackhole a client must reconnect, not reuse the link.
    await expect(viaProxy.ping()).rejects.toThrow(/timed out/i);
    const ready = once(viaProxy, 'ready');
    viaProxy.disconnect(true);
    await ready;
    expect(await viaProxy.ping()).toBe('PONG');
  });

  it('latency: 50 messages arrive in the order sent, each no sooner than latencyMs - jitterMs', async () => {
    const subscriber = client(proxy.url);
    const publisher = client(redis.url);
    const received: { index: number; delayMs: number }[] = [];
    subscriber.on('message', (_channel: string, message: string) => {
      const { index, sentAt } = JSON.parse(message) as { index: number; sentAt: number };
      received.push({ index, delayMs: performance.now() - sentAt });
    });
    await subscriber.subscribe('ordered');
    proxy.setMode(LATENCY);

    for (let index = 0; index < MESSAGES; index += 1) {
      await publisher.publish('ordered', JSON.stringify({ index, sentAt: performance.now() }));
    }
    await waitFor(() => expect(received).toHaveLength(MESSAGES), 10_000);

    expect(received.map((r) => r.index)).toEqual([...Array(MESSAGES).keys()]);
    const minDelayMs = Math.min(...received.map((r) => r.delayMs));
    expect(minDelayMs).toBeGreaterThanOrEqual(LATENCY.latencyMs - LATENCY.jitterMs);
  });

  it('closes the client side when Redis is gone', async () => {
    const raw = await rawConnection(proxy.port);
    await redis.kill();
    expect(await raw.ended).toMatch(/closed|ECONNRESET/);
    expect(await refusedConnection(proxy.port)).toEqual({ how: 'ECONNRESET', received: '' });
    expect(proxy.stats.connectionsOpen).toBe(0);
  });

  it('rejects an invalid mode', () => {
    expect(() => proxy.setMode({ kind: 'latency', latencyMs: -1, jitterMs: 0, seed: 1 })).toThrow(FaultModeError);
    expect(proxy.mode).toEqual({ kind: 'pass' });
  });
});

describe('fault proxy toxics', () => {
  /** A value of `n` bytes the test can recognise whole. */
  const bigValue = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');

  it('limit-data: the connection is closed once the limit has passed downstream, in the middle of a reply', async () => {
    const viaProxy = client(proxy.url);
    await viaProxy.set('big', bigValue(5000));
    const raw = await rawConnection(proxy.port);
    // The limit counts from the connection's start: AUTH's reply (+OK\r\n, 5 bytes) has passed already.
    proxy.addToxic({ kind: 'limit-data', bytes: 5 + 100, stream: 'downstream' }, 1);
    raw.socket.write('GET big\r\n');
    await raw.ended;
    // Exactly the first 100 bytes of the reply, then the end: cut mid-message.
    expect(raw.received()).toBe(`$5000\r\n${bigValue(5000)}`.slice(0, 100));
    expect(proxy.stats.connectionsCutByToxics).toBe(1);
  });

  it('toxicity 0 never applies: traffic passes untouched', async () => {
    proxy.addToxic({ kind: 'limit-data', bytes: 0, toxicity: 0 }, 1);
    const viaProxy = client(proxy.url);
    expect(await viaProxy.ping()).toBe('PONG');
    expect(proxy.stats.connectionsCutByToxics).toBe(0);
  });

  it('slicer and bandwidth: every byte arrives, in order, and the link works again once they are removed', async () => {
    const viaProxy = client(proxy.url);
    await viaProxy.set('big', bigValue(3000));
    const slicer = proxy.addToxic({ kind: 'slicer', averageBytes: 7, variationBytes: 5, delayUs: 100 }, 3);
    const bandwidth = proxy.addToxic({ kind: 'bandwidth', rateKBps: 100, stream: 'downstream' }, 4);
    for (let i = 0; i < 5; i++) expect(await viaProxy.get('big')).toBe(bigValue(3000));
    proxy.removeToxic(slicer);
    proxy.removeToxic(bandwidth);
    expect(await viaProxy.get('big')).toBe(bigValue(3000));
  });

  it('reset-peer on the subscriber link alone: the -sub connection is reset, the -pub one goes on', async () => {
    const pub = client(proxy.url, { connectionName: 'w0-pub' });
    const sub = client(proxy.url, { connectionName: 'w0-sub', retryStrategy: () => null });
    await Promise.all([pub.ping(), sub.ping()]);
    const subClosed = once(sub, 'close');
    proxy.addToxic({ kind: 'reset-peer', timeoutMs: 0, link: 'sub' }, 5);
    await subClosed;
    expect(sub.status).not.toBe('ready');
    expect(await pub.ping()).toBe('PONG');
    expect(proxy.stats).toMatchObject({ connectionsCutByToxics: 1, connectionsOpen: 1 });
  });

  it('rejects an invalid toxic', () => {
    expect(() => proxy.addToxic({ kind: 'bandwidth', rateKBps: -1 }, 1)).toThrow(FaultModeError);
  });
});
