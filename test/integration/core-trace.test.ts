/**
 * The core's own trace events, carried end to end by the process contract: with `--trace`, one
 * message sent through worker 0 with a member on worker 1 reaches the lab as commit (by the primary),
 * ack, publish, bus-receive and fan-out events naming the right ids and workers, on one clock; the
 * in-process core traces its own commits; without `--trace` the same message is delivered and no
 * trace event arrives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';
import type { CoreEvent, CoreTrace, MsgFrame } from '../../src/protocol/index.js';
import { loadCoreProcess, waitBusReady, type Core } from '../support/dist-core.js';
import { RawSocket } from '../support/raw-socket.js';
import { waitFor } from '../support/wait-for.js';

const BUS_READY_TIMEOUT_MS = 20_000;
const TRACE_TIMEOUT_MS = 10_000;
const ROOM = 'traced';

const { startCore } = await loadCoreProcess();

interface Running { dir: string; core: Core; redis?: RedisServerHandle; events: CoreEvent[]; sockets: RawSocket[] }
let running: Running | undefined;

/** Starts a redis-server (unless in-process) and the core, recording every event it reports. */
async function start(o: { trace: boolean; inProcess?: boolean }): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'dl-core-trace-'));
  const events: CoreEvent[] = [];
  const redis = o.inProcess ? undefined : await startRedisServer();
  const workers = o.inProcess ? 1 : 2;
  const core = await startCore({
    workers, db: join(dir, 'db.sqlite'), redisUrls: redis ? [redis.url] : [], logFile: join(dir, 'core.log'),
    trace: o.trace, inProcess: o.inProcess ?? false, onEvent: (e) => events.push(e),
  });
  running = { dir, core, ...(redis ? { redis } : {}), events, sockets: [] };
  if (redis) await waitBusReady(core, workers, BUS_READY_TIMEOUT_MS);
  return running;
}

afterEach(async (ctx) => {
  const r = running;
  running = undefined;
  if (!r) return;
  for (const s of r.sockets) s.close();
  await r.core.stop();
  await r.redis?.stop();
  if (ctx.task.result?.state === 'fail') console.error(`kept ${r.dir} (core.log, db.sqlite) for the failed test`);
  else rmSync(r.dir, { recursive: true, force: true });
});

/** Opens a connection to `slot` as `user` and joins the room; resolves with the socket and its worker's pid. */
async function member(r: Running, slot: number, user: string): Promise<{ socket: RawSocket; pid: number }> {
  const { socket, welcome } = await RawSocket.open(`${r.core.slotUrl(slot)}${await r.core.credentials(user)}`);
  r.sockets.push(socket);
  expect(welcome.worker).toBe(slot);
  socket.send({ type: 'join', room: ROOM, after: 0 });
  await socket.take('joined', (f) => f.room === ROOM);
  return { socket, pid: welcome.pid };
}

/** Every trace event the core reported so far. */
function traces(r: Running): CoreTrace[] {
  return r.events.flatMap((e) => (e.type === 'trace' ? e.traces : []));
}

/** The one trace of this kind (and worker, and source for fan-outs) about message `id`; throws until there is exactly one. */
function one<W extends CoreTrace['what']>(r: Running, what: W, id: string, match: Partial<Extract<CoreTrace, { what: W }>> = {}): Extract<CoreTrace, { what: W }> {
  const found = traces(r).filter((t): t is Extract<CoreTrace, { what: W }> => t.what === what && 'id' in t && t.id === id && Object.entries(match).every(([k, v]) => (t as Record<string, unknown>)[k] === v));
  expect(found, `${what} ${JSON.stringify(match)} of ${id}`).toHaveLength(1);
  return found[0]!;
}

describe('core trace events', () => {
  it('with --trace, one message through worker 0 to a member on worker 1 is traced at every layer, on one clock', async () => {
    const r = await start({ trace: true });
    const startedAt = performance.timeOrigin + performance.now();
    const listener = await member(r, 1, 'listener');
    const sender = await member(r, 0, 'sender');
    const id = '01JTRACEDMESSAGE000000000';
    sender.socket.send({ type: 'send', id, room: ROOM, body: 'followed through the core' });
    const ack = await sender.socket.take('ack', (a) => a.id === id);
    const msg: MsgFrame = await listener.socket.take('msg', (m) => m.id === id);
    expect(msg.seq).toBe(ack.seq);

    const got = await waitFor(() => ({
      commit: one(r, 'commit', id),
      ack: one(r, 'ack', id),
      publish: one(r, 'publish', id),
      receive: one(r, 'bus-receive', id),
      local: one(r, 'fanout', id, { source: 'local' }),
      bus: one(r, 'fanout', id, { source: 'bus' }),
    }), TRACE_TIMEOUT_MS);
    const seq = ack.seq;
    expect(got.commit).toMatchObject({ worker: null, writer: 'primary', forWorker: 0, room: ROOM, seq, duplicate: false, batch: 1 });
    expect(got.ack).toMatchObject({ worker: 0, room: ROOM, seq, duplicate: false });
    expect(got.publish).toMatchObject({ worker: 0, room: ROOM, seq, copies: 1, republish: false });
    expect(got.publish).not.toHaveProperty('delayMs');
    expect(got.receive).toMatchObject({ worker: 1, room: ROOM, seq, origin: 0, originPid: sender.pid });
    expect(got.local).toMatchObject({ worker: 0, seq, members: 1, republish: false });
    expect(got.bus).toMatchObject({ worker: 1, seq, members: 1 });
    // One clock for three processes: each step is stamped after the one that caused it.
    const at = [got.commit.at, got.ack.at, got.receive.at, got.bus.at];
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(got.publish.at).toBeLessThanOrEqual(got.receive.at);
    expect(got.local.at).toBeLessThanOrEqual(got.publish.at);
    expect(Math.min(...at)).toBeGreaterThan(startedAt);
    expect(Math.max(...at)).toBeLessThan(performance.timeOrigin + performance.now());
    // The joins were traced as replays by the workers that answered them.
    expect(traces(r)).toEqual(expect.arrayContaining([
      expect.objectContaining({ what: 'replay', worker: 1, user: 'listener', room: ROOM, after: 0 }),
      expect.objectContaining({ what: 'replay', worker: 0, user: 'sender', room: ROOM, after: 0 }),
    ]));
  });

  it('in one process (--in-process --trace), the worker traces its own commits', async () => {
    const r = await start({ trace: true, inProcess: true });
    const listener = await member(r, 0, 'listener');
    const sender = await member(r, 0, 'sender');
    const id = '01JTRACEDINPROCESS0000000';
    sender.socket.send({ type: 'send', id, room: ROOM, body: 'one process' });
    const ack = await sender.socket.take('ack', (a) => a.id === id);
    await listener.socket.take('msg', (m) => m.id === id);
    const got = await waitFor(() => ({ commit: one(r, 'commit', id), ack: one(r, 'ack', id), local: one(r, 'fanout', id) }), TRACE_TIMEOUT_MS);
    expect(got.commit).toMatchObject({ worker: 0, writer: 'worker', forWorker: 0, seq: ack.seq, duplicate: false });
    expect(got.ack).toMatchObject({ worker: 0, seq: ack.seq });
    expect(got.local).toMatchObject({ worker: 0, source: 'local', members: 2 });
    expect(traces(r).filter((t) => t.what === 'publish' || t.what === 'bus-receive')).toEqual([]);
  });

  it('without --trace, the same message is delivered and no trace event arrives', async () => {
    const r = await start({ trace: false });
    const listener = await member(r, 1, 'listener');
    const sender = await member(r, 0, 'sender');
    const id = '01JUNTRACEDMESSAGE0000000';
    sender.socket.send({ type: 'send', id, room: ROOM, body: 'not followed' });
    const ack = await sender.socket.take('ack', (a) => a.id === id);
    await listener.socket.take('msg', (m) => m.id === id);
    // A head at or above the message's seq comes from a later timer turn of worker 1 (its traces, if
    // any, were sent at the end of the turn that fanned the message out), and a pong from worker 0.
    await listener.socket.take('head', (h) => h.room === ROOM && h.seq >= ack.seq);
    await sender.socket.ping(7);
    expect(r.events.some((e) => e.type === 'ready')).toBe(true);
    expect(r.events.filter((e) => e.type === 'trace')).toEqual([]);
  });
});
