import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClientClosedError, SendAbandonedError, SendError } from '../../src/client/index.js';
import { startClient } from './support/fake-socket.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

/** Longest reconnect delay the default backoff can pick for the first attempt, in ms. */
const FIRST_BACKOFF_MAX_MS = 50;

describe('client outbox', () => {
  it('a send is written with the client-made id and resolved by its ack', async () => {
    const h = startClient();
    const s = h.socket().accept(3);
    const ack = h.client.send('r', 'hello');
    expect(s.sentOf('send')).toEqual([{ type: 'send', id: 'id-1', room: 'r', body: 'hello', nonce: 1 }]);
    expect(h.eventsOf('send')).toEqual([{ type: 'send', room: 'r', id: 'id-1', body: 'hello', attempt: 1, worker: 3 }]);
    expect(h.client.pendingCount).toBe(1);
    s.push({ type: 'ack', id: 'id-1', room: 'r', seq: 7, duplicate: false });
    await expect(ack).resolves.toEqual({ id: 'id-1', room: 'r', seq: 7, duplicate: false });
    expect(h.client.pendingCount).toBe(0);
    expect(h.client.stats).toMatchObject({ sent: 1, retries: 0, acks: 1 });
  });

  it('a send made before the welcome is written after the joins', () => {
    const h = startClient();
    void h.client.send('r', 'early');
    const s = h.socket().accept();
    expect(s.sent.map((f) => f.type)).toEqual(['join', 'send']);
    expect(h.client.stats.sent).toBe(1);
  });

  it('send retried with the same id across a reconnect and resolved once by the ack', async () => {
    const h = startClient({ urls: ['ws://w0/ws', 'ws://w1/ws'] });
    const first = h.socket().accept(0);
    const ack = h.client.send('r', 'hello');
    first.serverClose();
    await vi.advanceTimersByTimeAsync(FIRST_BACKOFF_MAX_MS);
    const second = h.socket().accept(1);
    expect(second.sent.map((f) => f.type)).toEqual(['join', 'send']);
    expect(second.sentOf('send')[0]?.id).toBe('id-1');
    second.push({ type: 'ack', id: 'id-1', room: 'r', seq: 4, duplicate: true });
    second.push({ type: 'ack', id: 'id-1', room: 'r', seq: 4, duplicate: true });
    await expect(ack).resolves.toEqual({ id: 'id-1', room: 'r', seq: 4, duplicate: true });
    expect(h.eventsOf('send').map((e) => [e.id, e.attempt, e.worker])).toEqual([['id-1', 1, 0], ['id-1', 2, 1]]);
    expect(h.eventsOf('ack')).toHaveLength(1);
    expect(h.client.stats).toMatchObject({ sent: 1, retries: 1, acks: 1 });
  });

  it('an unacked send is resent with the same id every retryIntervalMs while connected', async () => {
    const h = startClient({ retryIntervalMs: 200 });
    const s = h.socket().accept();
    void h.client.send('r', 'x');
    await vi.advanceTimersByTimeAsync(199);
    expect(s.sentOf('send')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(201);
    expect(s.sentOf('send').map((f) => f.id)).toEqual(['id-1', 'id-1', 'id-1']);
    s.push({ type: 'ack', id: 'id-1', room: 'r', seq: 1, duplicate: false });
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.sentOf('send')).toHaveLength(3);
  });

  it('definite error rejects: the send is removed and never resent', async () => {
    const h = startClient({ retryIntervalMs: 100 });
    const s = h.socket().accept();
    const ack = h.client.send('r', 'x');
    s.push({ type: 'error', code: 'id_conflict', message: 'id taken', ref: 'id-1' });
    await expect(ack).rejects.toThrow(SendError);
    await expect(ack).rejects.toMatchObject({ code: 'id_conflict', id: 'id-1', room: 'r' });
    expect(h.eventsOf('send-error')).toEqual([{ type: 'send-error', room: 'r', id: 'id-1', code: 'id_conflict', definite: true }]);
    expect(h.client.pendingCount).toBe(0);
    await vi.advanceTimersByTimeAsync(500);
    expect(s.sentOf('send')).toHaveLength(1);
  });

  it("a late answer to an earlier send does not settle a new send that reuses its id: the nonce tells them apart", async () => {
    const h = startClient({ retryIntervalMs: 100 });
    const s = h.socket().accept();
    const first = h.client.send('r', 'first', { id: 'X' });
    await vi.advanceTimersByTimeAsync(100);
    const [attempt1, attempt2] = s.sentOf('send');
    expect(attempt1?.nonce).toEqual(expect.any(Number));
    expect(attempt2?.nonce, 'a retry repeats its send\'s nonce').toBe(attempt1?.nonce);
    // The retry raced the first attempt's ack: the server answers both, the second with duplicate: true.
    s.push({ type: 'ack', id: 'X', room: 'r', seq: 1, duplicate: false, nonce: attempt1!.nonce });
    await expect(first).resolves.toMatchObject({ seq: 1, duplicate: false });
    // The application reuses the id with an edited body before the retry's duplicate ack arrives.
    const edited = h.client.send('r', 'edited', { id: 'X' });
    const reuse = s.sentOf('send')[2]!;
    expect(reuse.nonce).not.toBe(attempt1!.nonce);
    s.push({ type: 'ack', id: 'X', room: 'r', seq: 1, duplicate: true, nonce: attempt1!.nonce });
    s.push({ type: 'error', code: 'id_conflict', message: 'id taken', ref: 'X', nonce: reuse.nonce! });
    await expect(edited).rejects.toMatchObject({ code: 'id_conflict', id: 'X' });
    expect(h.eventsOf('ack')).toHaveLength(1);
    expect(h.client.stats).toMatchObject({ acks: 1, staleAnswers: 1 });
  });

  it('after a welcome that says the core echoes nonces, an error without one is about a room from the start', async () => {
    const h = startClient();
    const s = h.socket().accept(0, 1000, true);
    let settled = false;
    const named = h.client.send('r', 'y', { id: 'r' });
    void named.then(() => (settled = true), () => (settled = true));
    s.push({ type: 'error', code: 'too_many_reads', message: 'wait for the answers', ref: 'r' });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled, 'a room error settled a send named like the room').toBe(false);
    s.push({ type: 'error', code: 'id_conflict', message: 'id taken', ref: 'r', nonce: s.sentOf('send')[0]!.nonce! });
    await expect(named).rejects.toMatchObject({ code: 'id_conflict' });
  });

  it('the errors-by-ref ablation takes that room error as the answer to the send named like the room', async () => {
    const h = startClient({ semantics: { roomErrors: false } });
    const s = h.socket().accept(0, 1000, true);
    const named = h.client.send('lobby', 'y', { id: 'vip' });
    s.push({ type: 'error', code: 'forbidden', message: 'members only', ref: 'vip' });
    await expect(named).rejects.toMatchObject({ code: 'forbidden', id: 'vip' });
  });

  it('a client that sends no nonce pairs every answer by id, even with a core that says it echoes them', async () => {
    const h = startClient({ semantics: { nonce: false } });
    const s = h.socket().accept(0, 1000, true);
    const refused = h.client.send('r', 'x', { id: 'Z' });
    expect(s.sentOf('send')[0]).not.toHaveProperty('nonce');
    s.push({ type: 'error', code: 'id_conflict', message: 'id taken', ref: 'Z' });
    await expect(refused).rejects.toMatchObject({ code: 'id_conflict', id: 'Z' });
  });

  it('answers without a nonce (a core that does not echo it) settle the waiting send of their id', async () => {
    const h = startClient();
    const s = h.socket().accept();
    const ack = h.client.send('r', 'x', { id: 'Y' });
    s.push({ type: 'ack', id: 'Y', room: 'r', seq: 2, duplicate: false });
    await expect(ack).resolves.toMatchObject({ id: 'Y', seq: 2 });
  });

  it('indefinite error keeps retrying with the same id until acked', async () => {
    const h = startClient({ retryIntervalMs: 100 });
    const s = h.socket().accept();
    const ack = h.client.send('r', 'x');
    s.push({ type: 'error', code: 'unavailable', message: 'busy', ref: 'id-1' });
    expect(h.eventsOf('send-error')).toEqual([{ type: 'send-error', room: 'r', id: 'id-1', code: 'unavailable', definite: false }]);
    expect(h.client.pendingCount).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(s.sentOf('send').map((f) => f.id)).toEqual(['id-1', 'id-1']);
    s.push({ type: 'ack', id: 'id-1', room: 'r', seq: 2, duplicate: false });
    await expect(ack).resolves.toMatchObject({ seq: 2 });
  });

  it('retry off abandons on disconnect: rejected as outcome unknown and never resent', async () => {
    const h = startClient({ semantics: { retry: false }, retryIntervalMs: 100 });
    const first = h.socket().accept();
    const ack = h.client.send('r', 'x');
    const rejected = expect(ack).rejects.toThrow(/outcome unknown/);
    await vi.advanceTimersByTimeAsync(500);
    expect(first.sentOf('send')).toHaveLength(1);
    first.serverClose();
    await rejected;
    await expect(ack).rejects.toBeInstanceOf(SendAbandonedError);
    expect(h.eventsOf('send-abandoned')).toEqual([{ type: 'send-abandoned', room: 'r', id: 'id-1', reason: 'disconnected' }]);
    await vi.advanceTimersByTimeAsync(FIRST_BACKOFF_MAX_MS);
    const second = h.socket().accept();
    expect(second.sentOf('send')).toEqual([]);
    expect(h.client.stats).toMatchObject({ sent: 1, retries: 0 });
  });

  it('retry off: an indefinite error abandons the send', async () => {
    const h = startClient({ semantics: { retry: false } });
    const s = h.socket().accept();
    const ack = h.client.send('r', 'x');
    s.push({ type: 'error', code: 'internal', message: 'boom', ref: 'id-1' });
    await expect(ack).rejects.toMatchObject({ name: 'SendAbandonedError', reason: 'error:internal' });
  });

  it('a frame the server would refuse is rejected locally without being sent', async () => {
    const h = startClient();
    const s = h.socket().accept();
    await expect(h.client.send('bad room!', 'x')).rejects.toMatchObject({ code: 'bad_frame' });
    expect(s.sentOf('send')).toEqual([]);
  });

  it('close abandons unacked sends and refuses new ones', async () => {
    const h = startClient();
    const s = h.socket().accept();
    const ack = h.client.send('r', 'x');
    const closed = h.client.close();
    await expect(ack).rejects.toMatchObject({ reason: 'client-close' });
    expect(s.closeCalled).toBe(true);
    s.serverClose(1000);
    await closed;
    await expect(h.client.send('r', 'y')).rejects.toBeInstanceOf(ClientClosedError);
    expect(h.eventsOf('disconnect')).toEqual([{ type: 'disconnect', worker: 0, reason: 'client-close' }]);
  });
});

describe('client outbox: retryUnacked (the retry-before-ack fault)', () => {
  it('resends every unacked send at once with the same id, and not when retry is off', () => {
    const h = startClient();
    const s = h.socket().accept();
    void h.client.send('r', 'a');
    void h.client.send('r', 'b');
    s.push({ type: 'ack', id: 'id-1', room: 'r', seq: 1, duplicate: false });
    expect(h.client.retryUnacked()).toBe(1);
    expect(s.sentOf('send').map((f) => f.id)).toEqual(['id-1', 'id-2', 'id-2']);
    expect(h.client.stats.retries).toBe(1);
    const off = startClient({ semantics: { retry: false } });
    const t = off.socket().accept();
    void off.client.send('r', 'a');
    expect(off.client.retryUnacked()).toBe(0);
    expect(t.sentOf('send')).toHaveLength(1);
  });
});
