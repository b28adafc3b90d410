import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CaughtUpTimeoutError, DeliveryClient } from '../../src/client/index.js';
import { msg, startClient } from './support/fake-socket.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const seqs = (messages: { seq: number }[]) => messages.map((m) => m.seq);

describe('client delivery', () => {
  it('in-order delivery: messages reach the app once each, in seq order, with deliver events', () => {
    const h = startClient();
    h.socket().accept(2).push({ type: 'joined', room: 'r', head: 0 }, msg('r', 1), msg('r', 2), msg('r', 3));
    expect(seqs(h.delivered)).toEqual([1, 2, 3]);
    expect(h.client.cursor('r')).toBe(3);
    expect(h.eventsOf('deliver')[0]).toEqual({ type: 'deliver', room: 'r', id: 'm-r-1', seq: 1, sender: 'bob', body: 'body 1', worker: 2 });
    expect(h.client.stats).toMatchObject({ delivered: 3, duplicatesDropped: 0, fetches: 0, replays: 0 });
  });

  it('join replay: messages before joined are delivered and counted as replays', () => {
    const h = startClient({ cursors: { r: 4 } });
    h.socket().accept().push(msg('r', 5), msg('r', 6), { type: 'joined', room: 'r', head: 6 }, msg('r', 7));
    expect(seqs(h.delivered)).toEqual([5, 6, 7]);
    expect(h.client.stats.replays).toBe(2);
    expect(h.eventsOf('joined')).toEqual([{ type: 'joined', room: 'r', head: 6, worker: 0 }]);
  });

  it('duplicate dropped: a seq at or below the cursor is not delivered again and is counted', () => {
    const h = startClient();
    h.socket().accept(1).push({ type: 'joined', room: 'r', head: 0 }, msg('r', 1), msg('r', 2), msg('r', 1));
    expect(seqs(h.delivered)).toEqual([1, 2]);
    expect(h.client.stats.duplicatesDropped).toBe(1);
    expect(h.eventsOf('duplicate-dropped')).toEqual([{ type: 'duplicate-dropped', room: 'r', id: 'm-r-1', seq: 1, worker: 1 }]);
  });

  it('duplicate delivered when dedup off: the app sees the repeated message again', () => {
    const h = startClient({ semantics: { dedup: false } });
    h.socket().accept().push({ type: 'joined', room: 'r', head: 0 }, msg('r', 1), msg('r', 2), msg('r', 1));
    expect(seqs(h.delivered)).toEqual([1, 2, 1]);
    expect(h.client.stats).toMatchObject({ delivered: 3, duplicatesDelivered: 1, duplicatesDropped: 0 });
    expect(h.client.cursor('r')).toBe(2);
  });

  it('gap buffers and fetches then drains: one fetch for the gap, the fill releases the buffer in order', () => {
    const h = startClient();
    const s = h.socket().accept().push(msg('r', 1), { type: 'joined', room: 'r', head: 1 }, msg('r', 4), msg('r', 5));
    expect(seqs(h.delivered)).toEqual([1]);
    expect(s.sentOf('fetch')).toEqual([{ type: 'fetch', room: 'r', after: 1, limit: 2 }]);
    expect(h.eventsOf('gap-fetch')).toEqual([{ type: 'gap-fetch', room: 'r', after: 1, upto: 3, worker: 0 }]);
    s.push(msg('r', 2), msg('r', 3), { type: 'fetched', room: 'r', after: 1, count: 2, more: false });
    expect(seqs(h.delivered)).toEqual([1, 2, 3, 4, 5]);
    expect(h.client.stats).toMatchObject({ fetches: 1, gapsFilled: 2, delivered: 5 });
    expect(s.sentOf('fetch')).toHaveLength(1);
  });

  it('a gap found during the join replay is fetched only after joined', () => {
    const h = startClient();
    const s = h.socket().accept().push(msg('r', 3));
    expect(s.sentOf('fetch')).toEqual([]);
    s.push({ type: 'joined', room: 'r', head: 3 });
    expect(s.sentOf('fetch')).toEqual([{ type: 'fetch', room: 'r', after: 0, limit: 2 }]);
  });

  it('fetched with more: true fetches the next page at once', () => {
    const h = startClient({ fetchLimit: 2 });
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 5 });
    expect(s.sentOf('fetch')).toEqual([{ type: 'fetch', room: 'r', after: 0, limit: 2 }]);
    s.push(msg('r', 1), msg('r', 2), { type: 'fetched', room: 'r', after: 0, count: 2, more: true });
    expect(s.sentOf('fetch').at(-1)).toEqual({ type: 'fetch', room: 'r', after: 2, limit: 2 });
  });

  it('head above cursor fetches: a head the cursor has not reached by the next head triggers a tail fetch', () => {
    const h = startClient();
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 0 }, { type: 'head', room: 'r', seq: 2 });
    expect(s.sentOf('fetch')).toEqual([]); // live messages may still be in flight
    s.push({ type: 'head', room: 'r', seq: 3 });
    expect(s.sentOf('fetch')).toEqual([{ type: 'fetch', room: 'r', after: 0, limit: 3 }]);
    expect(h.eventsOf('gap-fetch')).toEqual([{ type: 'gap-fetch', room: 'r', after: 0, upto: 3, worker: 0 }]);
    s.push(msg('r', 1), msg('r', 2), msg('r', 3), { type: 'fetched', room: 'r', after: 0, count: 3, more: false });
    expect(seqs(h.delivered)).toEqual([1, 2, 3]);
    expect(h.client.stats.gapsFilled).toBe(3);
  });

  it('a head reached in time by live messages fetches nothing', () => {
    const h = startClient();
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 0 }, { type: 'head', room: 'r', seq: 1 });
    s.push(msg('r', 1), { type: 'head', room: 'r', seq: 2 }, msg('r', 2), { type: 'head', room: 'r', seq: 2 });
    expect(s.sentOf('fetch')).toEqual([]);
  });

  it('joined with a head above the cursor fetches at once (a truncated replay)', () => {
    const h = startClient({ cursors: { r: 10 } });
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 12 });
    expect(s.sentOf('fetch')).toEqual([{ type: 'fetch', room: 'r', after: 10, limit: 2 }]);
  });

  it('a gap that fills within gapGraceMs is not fetched; one that stays open is fetched once after it', async () => {
    const h = startClient({ gapGraceMs: 50 });
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 0 }, msg('r', 2), msg('r', 1));
    await vi.advanceTimersByTimeAsync(100);
    expect(s.sentOf('fetch')).toHaveLength(0);
    expect(h.delivered.map((m) => m.seq)).toEqual([1, 2]);
    s.push(msg('r', 4));
    await vi.advanceTimersByTimeAsync(49);
    expect(s.sentOf('fetch')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.sentOf('fetch')).toEqual([{ type: 'fetch', room: 'r', after: 2, limit: 1 }]);
  });

  it('an empty fetch answer is not repeated at once; the next head retries', () => {
    const h = startClient();
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 0 }, msg('r', 3));
    s.push({ type: 'fetched', room: 'r', after: 0, count: 0, more: false });
    expect(s.sentOf('fetch')).toHaveLength(1);
    s.push({ type: 'head', room: 'r', seq: 3 });
    expect(s.sentOf('fetch')).toHaveLength(2);
  });

  it('a fetch whose answer is lost is sent again after heartbeatTimeoutMs', async () => {
    const h = startClient({ heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 3000, retryIntervalMs: 1000 });
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 0 }, msg('r', 2));
    await vi.advanceTimersByTimeAsync(2000);
    expect(s.sentOf('fetch')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.sentOf('fetch')).toEqual([{ type: 'fetch', room: 'r', after: 0, limit: 1 }, { type: 'fetch', room: 'r', after: 0, limit: 1 }]);
  });

  it('a join refused or unanswered is sent again, and a joined room is not rejoined', async () => {
    const h = startClient({ rooms: ['r', 's'], heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 3000, retryIntervalMs: 1000 });
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 0 });
    s.push({ type: 'error', code: 'internal', message: 'db busy', ref: 's' });
    await vi.advanceTimersByTimeAsync(3000);
    expect(s.sentOf('join').map((f) => f.room)).toEqual(['r', 's', 's']);
  });

  it('fetch off: a gap is never fetched and later messages wait behind it', () => {
    const h = startClient({ semantics: { fetch: false } });
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 0 }, msg('r', 2), { type: 'head', room: 'r', seq: 5 });
    s.push({ type: 'head', room: 'r', seq: 5 });
    expect(s.sentOf('fetch')).toEqual([]);
    expect(h.delivered).toEqual([]);
  });

  it('at-most-once (no fetch, no replay): what arrives is shown at once and the gap is lost', () => {
    const h = startClient({ semantics: { fetch: false, replay: false, retry: false } });
    const s = h.socket().accept().push({ type: 'joined', room: 'r', head: 0 }, msg('r', 3), msg('r', 5), msg('r', 4));
    expect(s.sentOf('join')).toEqual([{ type: 'join', room: 'r', after: 0, replay: false }]);
    expect(seqs(h.delivered)).toEqual([3, 5]);
    expect(h.client.stats.duplicatesDropped).toBe(1);
  });

  it('invalid frames are counted and ignored', () => {
    const h = startClient();
    h.socket().accept().push({ type: 'joined', room: 'r', head: 0 }).pushRaw('{not json').push({ type: 'msg', room: 'r', seq: 1 }, { type: 'nope' });
    expect(h.client.stats.badFrames).toBe(3);
    expect(h.delivered).toEqual([]);
  });

  it('whenCaughtUp resolves on the delivery that reaches the head', async () => {
    const h = startClient({ rooms: ['r', 's'] });
    const s = h.socket().accept();
    let done = false;
    const caughtUp = h.client.whenCaughtUp({ r: 1, s: 2 }, 5000).then(() => (done = true));
    s.push(msg('r', 1), msg('s', 1));
    await Promise.resolve();
    expect(done).toBe(false);
    s.push(msg('s', 2));
    await caughtUp;
    expect(done).toBe(true);
  });

  it('whenCaughtUp rejects on timeout naming the room, cursor and head', async () => {
    const h = startClient();
    h.socket().accept().push(msg('r', 1));
    const caughtUp = h.client.whenCaughtUp({ r: 3 }, 1000);
    const check = expect(caughtUp).rejects.toThrow(/room r at cursor 1 < head 3/);
    await vi.advanceTimersByTimeAsync(1000);
    await check;
    await expect(caughtUp).rejects.toBeInstanceOf(CaughtUpTimeoutError);
  });
});

describe('client options', () => {
  it('refuses a bad URL, a bad room name or a missing WebSocket at construction, saying what to change', () => {
    expect(() => startClient({ urls: ['not a url'] })).toThrow(/not a URL/);
    expect(() => startClient({ rooms: ['no spaces'] })).toThrow(/1-64 chars/);
    expect(() => startClient({ urls: [] })).toThrow(/at least one/);
    vi.stubGlobal('WebSocket', undefined);
    try {
      expect(() => new DeliveryClient({ urls: ['ws://w0/ws'], user: 'alice' })).toThrow(/pass options.WebSocket/);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
