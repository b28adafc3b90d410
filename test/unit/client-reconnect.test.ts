import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { msg, startClient } from './support/fake-socket.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const URLS = ['ws://w0/ws?user=alice', 'ws://w1/ws?user=alice', 'ws://w2/ws?user=alice'];

describe('client reconnect', () => {
  it('reconnect rotates urls with backoff within bounds, and a welcome resets the backoff', async () => {
    const h = startClient({ urls: URLS, random: () => 0.999, backoff: { initialMs: 100, maxMs: 400 } });
    // full jitter: delay = floor(random * min(maxMs, initialMs * 2^attempt))
    const expected = [
      { delayMs: 99, url: URLS[1] },
      { delayMs: 199, url: URLS[2] },
      { delayMs: 399, url: URLS[0] },
      { delayMs: 399, url: URLS[1] },
    ];
    for (const { delayMs, url } of expected) {
      const before = h.sockets.length;
      h.socket().serverClose();
      await vi.advanceTimersByTimeAsync(delayMs - 1);
      expect(h.sockets).toHaveLength(before);
      await vi.advanceTimersByTimeAsync(1);
      expect(h.sockets).toHaveLength(before + 1);
      expect(h.socket().url).toBe(url);
    }
    expect(h.client.stats.reconnects).toBe(4);
    h.socket().accept(1);
    h.socket().serverClose();
    await vi.advanceTimersByTimeAsync(99);
    expect(h.socket().url).toBe(URLS[2]);
    expect(h.eventsOf('disconnect').map((e) => e.reason)).toEqual(['closed', 'closed', 'closed', 'closed', 'closed']);
  });

  it('full jitter can reconnect at once and never waits past the bound', async () => {
    const h = startClient({ urls: URLS, random: () => 0 });
    h.socket().serverClose();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.sockets).toHaveLength(2);
  });

  it('heartbeat timeout reconnects: a worker that stops answering pings is dropped and the next url is tried', async () => {
    const h = startClient({ urls: URLS, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000 });
    const s = h.socket().accept(0);
    for (let i = 1; i <= 5; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      const ping = s.sentOf('ping').at(-1);
      expect(ping?.nonce).toBe(i);
      s.push({ type: 'pong', nonce: ping?.nonce });
    }
    expect(h.client.connectedWorker).toBe(0);
    // From now on the worker is paused: the ping at 6000 ms is the first unanswered one.
    await vi.advanceTimersByTimeAsync(1000 + 2999);
    expect(h.client.connectedWorker).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.client.connectedWorker).toBeNull();
    expect(s.terminated).toBe(true);
    expect(h.eventsOf('disconnect')).toEqual([{ type: 'disconnect', worker: 0, reason: 'heartbeat' }]);
    await vi.advanceTimersByTimeAsync(50);
    expect(h.socket().url).toBe(URLS[1]);
  });

  it('a late pong answers only its own ping: the next unanswered ping keeps its own deadline', async () => {
    const h = startClient({ heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000 });
    const s = h.socket().accept(0);
    await vi.advanceTimersByTimeAsync(2500); // pings 1 and 2 went out at 1000 and 2000 ms
    s.push({ type: 'pong', nonce: 1 });
    await vi.advanceTimersByTimeAsync(2499); // 4999 ms: ping 2 is 2999 ms old
    expect(h.client.connectedWorker).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.eventsOf('disconnect')).toEqual([{ type: 'disconnect', worker: 0, reason: 'heartbeat' }]);
  });

  it('a connection with no welcome within connectTimeoutMs is dropped', async () => {
    const h = startClient({ urls: URLS, connectTimeoutMs: 500 });
    await vi.advanceTimersByTimeAsync(500);
    expect(h.sockets[0]?.terminated).toBe(true);
    expect(h.eventsOf('disconnect')).toEqual([{ type: 'disconnect', worker: null, reason: 'connect-timeout' }]);
    await vi.advanceTimersByTimeAsync(50);
    expect(h.socket().url).toBe(URLS[1]);
  });

  it('rejoin after reconnect uses the cursor, and messages buffered before the drop are kept', async () => {
    const h = startClient({ urls: URLS });
    const first = h.socket().accept(0);
    expect(first.sentOf('join')).toEqual([{ type: 'join', room: 'r', after: 0, replay: true }]);
    first.push(msg('r', 1), msg('r', 2), msg('r', 3), { type: 'joined', room: 'r', head: 3 }, msg('r', 5));
    first.serverClose();
    await vi.advanceTimersByTimeAsync(50);
    const second = h.socket().accept(1);
    expect(second.sentOf('join')).toEqual([{ type: 'join', room: 'r', after: 3, replay: true }]);
    expect(h.eventsOf('join').at(-1)).toEqual({ type: 'join', room: 'r', after: 3, worker: 1 });
    second.push(msg('r', 4), { type: 'joined', room: 'r', head: 5 });
    expect(h.delivered.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(second.sentOf('fetch')).toEqual([]);
  });

  it('a socket error is only a reconnect', async () => {
    const h = startClient({ urls: URLS });
    const s = h.socket().accept(0);
    s.onerror?.({});
    expect(h.eventsOf('disconnect')).toEqual([{ type: 'disconnect', worker: 0, reason: 'error' }]);
    await vi.advanceTimersByTimeAsync(50);
    expect(h.socket().url).toBe(URLS[1]);
    expect(h.eventsOf('connect')).toEqual([{ type: 'connect', worker: 0, pid: 1000 }]);
  });

  it('closeAbruptly terminates the socket (ws) and the client reconnects', async () => {
    const h = startClient({ urls: URLS });
    const s = h.socket().accept(0);
    h.client.closeAbruptly();
    expect(s.terminated).toBe(true);
    expect(s.closeCalled).toBe(false);
    expect(h.eventsOf('disconnect')).toEqual([{ type: 'disconnect', worker: 0, reason: 'fault' }]);
    await vi.advanceTimersByTimeAsync(50);
    expect(h.sockets).toHaveLength(2);
  });

  it('closeAbruptly falls back to close() where there is no terminate() (a browser)', () => {
    const h = startClient({ withTerminate: false });
    const s = h.socket().accept(0);
    h.client.closeAbruptly();
    expect(s.closeCalled).toBe(true);
    expect(h.client.connectedWorker).toBeNull();
  });

  it('close stops for good: no reconnect, no pings, and it resolves', async () => {
    const h = startClient({ urls: URLS });
    const s = h.socket().accept(0);
    const closed = h.client.close();
    s.serverClose(1000);
    await closed;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.sockets).toHaveLength(1);
    expect(s.sentOf('ping')).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close while waiting to reconnect resolves at once and cancels the reconnect', async () => {
    const h = startClient({ urls: URLS });
    h.socket().serverClose();
    await h.client.close();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.sockets).toHaveLength(1);
  });

  it('close drops a socket whose close handshake does not finish in time', async () => {
    const h = startClient({ connectTimeoutMs: 300 });
    const s = h.socket().accept(0);
    const closed = h.client.close();
    await vi.advanceTimersByTimeAsync(300);
    await closed;
    expect(s.terminated).toBe(true);
  });
});
