/**
 * Each delivery's path, from small hand-written histories: one per path, and one per fate of a
 * frame that carried no delivery.
 */
import { describe, expect, it } from 'vitest';
import { deliveryPaths } from '../../lab/history/delivery-paths.js';
import type { HistoryEvent, WirePath } from '../../lab/history/events.js';
import type { CoreTrace } from '../../src/protocol/index.js';

const ROOM = 'r1';

/** A msg frame client `client` received on its connection to `worker`. */
function frame(t: number, client: string, worker: number, id: string, seq: number, path: WirePath): HistoryEvent {
  return { type: 'frame', t, client, worker, frame: 'msg', room: ROOM, id, seq, path };
}
/** The application's message callback got the message. */
function deliver(t: number, client: string, worker: number, id: string, seq: number, path: WirePath): HistoryEvent {
  return { type: 'deliver', t, client, room: ROOM, id, seq, sender: 's', body: 'b', worker, path };
}
/** The SDK dropped a copy at or below its cursor. */
function dropped(t: number, client: string, worker: number, id: string, seq: number): HistoryEvent {
  return { type: 'duplicate-dropped', t, client, room: ROOM, id, seq, worker };
}
/** A core trace event on the run's clock. */
function trace(t: number, tr: Omit<CoreTrace, 'at'>): HistoryEvent {
  return { type: 'trace', t, trace: { ...tr, at: 1_000_000 + t } as CoreTrace };
}
/** The traces of worker `worker` committing, acking, fanning out and publishing `id` (a retry when `republish`). */
function sendPath(t: number, worker: number, id: string, seq: number, republish = false): HistoryEvent[] {
  return [
    trace(t, { what: 'commit', worker: null, id, room: ROOM, seq, duplicate: republish, batch: 1, writer: 'primary', forWorker: worker }),
    trace(t + 0.1, { what: 'fanout', worker, id, room: ROOM, seq, source: 'local', members: 1, republish }),
    trace(t + 0.2, { what: 'publish', worker, id, room: ROOM, seq, copies: 1, republish }),
    trace(t + 0.3, { what: 'ack', worker, id, room: ROOM, seq, duplicate: republish }),
  ];
}
/** The traces of worker `worker` receiving `id` from worker `origin` over Redis and fanning it out. */
function busPath(t: number, worker: number, origin: number, id: string, seq: number): HistoryEvent[] {
  return [
    trace(t, { what: 'bus-receive', worker, id, room: ROOM, seq, origin, originPid: 100 + origin }),
    trace(t + 0.1, { what: 'fanout', worker, id, room: ROOM, seq, source: 'bus', members: 1 }),
  ];
}
/** The history as the recorder keeps it: trace events arrive late (the core batches them), after the client's view. */
function arrived(client: HistoryEvent[], traces: HistoryEvent[]): HistoryEvent[] {
  return [...client, ...traces];
}

describe('delivery paths', () => {
  it('empty history', () => {
    expect(deliveryPaths([])).toEqual([]);
  });

  it('live-local: fanned out by the worker that committed it, on its own send path', () => {
    const h = arrived([frame(11, 'c1', 0, 'm1', 1, 'live'), deliver(11, 'c1', 0, 'm1', 1, 'live')], sendPath(10, 0, 'm1', 1));
    expect(deliveryPaths(h)).toEqual([
      { kind: 'delivery', t: 11, client: 'c1', room: ROOM, id: 'm1', seq: 1, worker: 0, wire: 'live', path: 'live-local', from: 0, nth: 1, copies: 1 },
    ]);
  });

  it('live-bus: received from Redis and fanned out by another worker', () => {
    const h = arrived([frame(12, 'c2', 1, 'm1', 1, 'live'), deliver(12, 'c2', 1, 'm1', 1, 'live')], [...sendPath(10, 0, 'm1', 1), ...busPath(11, 1, 0, 'm1', 1)]);
    expect(deliveryPaths(h)).toEqual([expect.objectContaining({ client: 'c2', id: 'm1', worker: 1, wire: 'live', path: 'live-bus', from: 0 })]);
  });

  it('replay: in the replay of a join', () => {
    const h = arrived([frame(20, 'c2', 1, 'm1', 1, 'replay'), deliver(20, 'c2', 1, 'm1', 1, 'replay')],
      [...sendPath(10, 0, 'm1', 1), trace(19.5, { what: 'replay', worker: 1, user: 'c2', room: ROOM, after: 0, rows: 1, head: 1 })]);
    expect(deliveryPaths(h)).toEqual([expect.objectContaining({ client: 'c2', id: 'm1', wire: 'replay', path: 'replay' })]);
  });

  it('fetch: in the answer to a gap fetch', () => {
    const h = arrived([frame(30, 'c2', 1, 'm1', 1, 'fetch'), deliver(30, 'c2', 1, 'm1', 1, 'fetch')],
      [...sendPath(10, 0, 'm1', 1), trace(29.5, { what: 'fetch', worker: 1, user: 'c2', room: ROOM, after: 0, count: 1, more: false })]);
    expect(deliveryPaths(h)).toEqual([expect.objectContaining({ client: 'c2', id: 'm1', wire: 'fetch', path: 'fetch' })]);
  });

  it('republish through Redis: the first publish died with its worker, the retry committed as a duplicate', () => {
    // Worker 0 committed m1 and crashed before it published; the sender retried on worker 1, which published it again.
    const traces = [
      trace(10, { what: 'commit', worker: null, id: 'm1', room: ROOM, seq: 1, duplicate: false, batch: 1, writer: 'primary', forWorker: 0 }),
      ...sendPath(500, 1, 'm1', 1, true),
      ...busPath(501, 0, 1, 'm1', 1),
    ];
    const h = arrived([frame(502, 'c3', 0, 'm1', 1, 'live'), deliver(502, 'c3', 0, 'm1', 1, 'live')], traces);
    expect(deliveryPaths(h)).toEqual([expect.objectContaining({ client: 'c3', worker: 0, path: 'republish', via: 'bus', from: 1 })]);
  });

  it('republish locally: the retry landed on the worker of the member, which fanned it out itself', () => {
    const h = arrived([frame(501, 'c1', 1, 'm1', 1, 'live'), deliver(501, 'c1', 1, 'm1', 1, 'live')], [...sendPath(10, 0, 'm1', 1), ...sendPath(500, 1, 'm1', 1, true)]);
    expect(deliveryPaths(h)).toEqual([expect.objectContaining({ client: 'c1', worker: 1, path: 'republish', via: 'local', from: 1 })]);
  });

  it('a copy through Redis before the retry is live-bus, the one after it republish', () => {
    const traces = [...sendPath(10, 0, 'm1', 1), ...busPath(11, 1, 0, 'm1', 1), ...sendPath(500, 0, 'm1', 1, true), ...busPath(501, 1, 0, 'm1', 1)];
    const h = arrived([frame(12, 'c2', 1, 'm1', 1, 'live'), deliver(12, 'c2', 1, 'm1', 1, 'live'), frame(502, 'c2', 1, 'm1', 1, 'live'), dropped(502, 'c2', 1, 'm1', 1)], traces);
    expect(deliveryPaths(h)).toEqual([
      expect.objectContaining({ kind: 'delivery', t: 12, path: 'live-bus', nth: 1, copies: 2 }),
      expect.objectContaining({ kind: 'frame', t: 502, path: 'republish', via: 'bus', fate: 'duplicate-dropped' }),
    ]);
  });

  it('duplicate after a reconnect: the live copy delivered, the replayed one dropped by the SDK', () => {
    const h = arrived([
      frame(11, 'c1', 0, 'm1', 1, 'live'), deliver(11, 'c1', 0, 'm1', 1, 'live'),
      frame(40, 'c1', 1, 'm1', 1, 'replay'), dropped(40, 'c1', 1, 'm1', 1),
    ], sendPath(10, 0, 'm1', 1));
    expect(deliveryPaths(h)).toEqual([
      expect.objectContaining({ kind: 'delivery', path: 'live-local', nth: 1, copies: 2 }),
      expect.objectContaining({ kind: 'frame', t: 40, worker: 1, wire: 'replay', path: 'replay', fate: 'duplicate-dropped' }),
    ]);
  });

  it('duplicate inside the SDK: two copies reached the application (no client dedup)', () => {
    const h = arrived([
      frame(11, 'c1', 0, 'm1', 1, 'live'), deliver(11, 'c1', 0, 'm1', 1, 'live'),
      frame(40, 'c1', 1, 'm1', 1, 'replay'), deliver(40, 'c1', 1, 'm1', 1, 'replay'),
    ], sendPath(10, 0, 'm1', 1));
    expect(deliveryPaths(h).map((r) => r.kind === 'delivery' && [r.path, r.nth, r.copies])).toEqual([['live-local', 1, 2], ['replay', 2, 2]]);
  });

  it('held behind a gap: a buffered copy is the one delivered once the gap is filled', () => {
    const h = arrived([
      frame(12, 'c2', 1, 'm2', 2, 'live'),
      frame(13, 'c2', 1, 'm2', 2, 'live'), dropped(13, 'c2', 1, 'm2', 2),
      frame(30, 'c2', 1, 'm1', 1, 'fetch'), deliver(30, 'c2', 1, 'm1', 1, 'fetch'), deliver(30, 'c2', 1, 'm2', 2, 'live'),
    ], [...sendPath(10, 0, 'm1', 1), ...sendPath(11, 0, 'm2', 2), ...busPath(11.5, 1, 0, 'm2', 2), ...busPath(12.5, 1, 0, 'm2', 2)]);
    expect(deliveryPaths(h)).toEqual([
      expect.objectContaining({ kind: 'frame', t: 13, id: 'm2', fate: 'duplicate-dropped' }),
      expect.objectContaining({ kind: 'delivery', id: 'm1', path: 'fetch' }),
      expect.objectContaining({ kind: 'delivery', id: 'm2', path: 'live-bus', from: 0, copies: 2 }),
    ]);
  });

  it('lost inside the SDK: the frame arrived and the application never got the message', () => {
    const h = arrived([frame(12, 'c2', 1, 'm2', 2, 'live')], [...sendPath(11, 0, 'm2', 2), ...busPath(11.5, 1, 0, 'm2', 2)]);
    expect(deliveryPaths(h)).toEqual([
      { kind: 'frame', t: 12, client: 'c2', room: ROOM, id: 'm2', seq: 2, worker: 1, wire: 'live', path: 'live-bus', from: 0, fate: 'never-delivered' },
    ]);
  });

  it('no traces (tracing off): a live delivery has an unknown path', () => {
    const h = arrived([frame(11, 'c1', 0, 'm1', 1, 'live'), deliver(11, 'c1', 0, 'm1', 1, 'live')], []);
    expect(deliveryPaths(h)).toEqual([expect.objectContaining({ kind: 'delivery', wire: 'live', path: 'unknown' })]);
  });
});
