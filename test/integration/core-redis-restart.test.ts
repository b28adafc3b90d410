/**
 * SIGKILL redis-server while clients on two workers send, then restart it: sends keep being
 * committed and acked meanwhile, no acked message is lost, and every client converges to the
 * database, recovering through database heads the messages whose publish Redis never carried.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readDbHeads, readDbSnapshot } from '../../lab/history/db-snapshot.js';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';
import { loadCoreProcess, slotHttpUrl, type Core } from '../support/dist-core.js';
import {
  closeMembers, expectAcksDurable, expectAllSendsAcked, expectDbConsistent, expectStreamsEqualDb, sendUntilAborted, startMember,
  waitCaughtUp, type ChatMember,
} from '../support/chat-members.js';
import { waitFor } from '../support/wait-for.js';

const WORKERS = 2;
/** Acks each member must get before the kill, while Redis is down, and after the restart. */
const ACKS_BEFORE_KILL = 10;
const ACKS_WHILE_DOWN = 10;
const ACKS_AFTER_RESTART = 10;
const PROGRESS_TIMEOUT_MS = 20_000;
const REDIS_READY_TIMEOUT_MS = 20_000;
const SETTLE_TIMEOUT_MS = 20_000;
const CATCH_UP_TIMEOUT_MS = 20_000;

/** Two members per worker; every room has members on both workers. */
const PLACEMENT = [
  { name: 'w0a', home: 0, rooms: ['r1', 'r2'] },
  { name: 'w0b', home: 0, rooms: ['r2', 'r3'] },
  { name: 'w1a', home: 1, rooms: ['r1', 'r3'] },
  { name: 'w1b', home: 1, rooms: ['r1', 'r2', 'r3'] },
];

const { startCore } = await loadCoreProcess();

let dir: string;
let redis: RedisServerHandle | undefined;
let core: Core | undefined;
const members: ChatMember[] = [];
const stopSending = new Set<AbortController>();

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dl-core-redis-restart-'));
  redis = await startRedisServer();
  core = await startCore({ workers: WORKERS, db: join(dir, 'db.sqlite'), redisUrls: [redis.url], logFile: join(dir, 'core.log') });
});

afterEach(async (ctx) => {
  for (const c of stopSending) c.abort();
  stopSending.clear();
  await closeMembers(members);
  await core?.stop();
  await redis?.stop();
  core = undefined;
  redis = undefined;
  if (ctx.task.result?.state === 'fail') console.error(`kept ${dir} (core.log, db.sqlite) for the failed test`);
  else rmSync(dir, { recursive: true, force: true });
});

const acked = (m: ChatMember) => m.acks.length;

/** Waits until every member has at least `more` acks beyond `from`. */
async function progress(from: Map<ChatMember, number>, more: number): Promise<void> {
  await waitFor(() => {
    for (const [m, n] of from) expect(acked(m), m.name).toBeGreaterThanOrEqual(n + more);
  }, PROGRESS_TIMEOUT_MS);
}

/** The Redis connection states a worker reports on /health. */
async function redisStatus(c: Core, slot: number): Promise<{ publisher: string; subscriber: string }> {
  const h = (await (await fetch(slotHttpUrl(c.slotUrl(slot), '/health'))).json()) as { redis: { publisher: string; subscriber: string } };
  return h.redis;
}

describe('core under a Redis crash and restart', () => {
  it('loses no acked message and every client converges to the database', async () => {
    const c = core!;
    const r = redis!;
    for (const p of PLACEMENT) members.push(startMember({ ...p, urls: [c.slotUrl(p.home), c.slotUrl((p.home + 1) % WORKERS)] }));
    const sending = new AbortController();
    stopSending.add(sending);
    const loops = members.map((m) => sendUntilAborted(m, sending.signal));

    await progress(new Map(members.map((m) => [m, 0])), ACKS_BEFORE_KILL);
    await r.kill('SIGKILL');
    // Commits and acks go on without Redis; only the cross-worker publishes are lost.
    const atKill = new Map(members.map((m) => [m, acked(m)]));
    await progress(atKill, ACKS_WHILE_DOWN);
    // Acks received while Redis was down, of rooms with members on the other worker (no reconnects: home is the worker).
    const crossWorkerWhileDown = members.flatMap((m) => m.acks.slice(atKill.get(m))
      .filter((a) => members.some((o) => o.home !== m.home && o.rooms.includes(a.room))));

    await r.restart();
    for (let slot = 0; slot < WORKERS; slot++) {
      await waitFor(async () => expect(await redisStatus(c, slot)).toMatchObject({ publisher: 'ready', subscriber: 'ready' }), REDIS_READY_TIMEOUT_MS);
    }
    await progress(new Map(members.map((m) => [m, acked(m)])), ACKS_AFTER_RESTART);
    sending.abort();
    const issued = (await Promise.all(loops)).reduce((a, b) => a + b, 0);
    expect(await expectAllSendsAcked(members, SETTLE_TIMEOUT_MS)).toBe(issued);

    const dbFile = join(dir, 'db.sqlite');
    await waitCaughtUp(members, readDbHeads(dbFile), CATCH_UP_TIMEOUT_MS);
    const db = readDbSnapshot(dbFile);
    expectDbConsistent(db);
    expectAcksDurable(members, db);
    expect(db.messages).toHaveLength(issued);
    expectStreamsEqualDb(members, db);

    // The workers never lost their clients: Redis is coordination, not transport.
    for (const m of members) expect(m.client.stats.reconnects, `${m.name} reconnects`).toBe(0);
    // Messages acked on one worker while Redis was down reached the other worker's members
    // through database heads and gap fetches.
    expect(crossWorkerWhileDown.length).toBeGreaterThan(0);
    expect(members.reduce((sum, m) => sum + m.client.stats.gapsFilled, 0), 'messages recovered by gap fetches').toBeGreaterThan(0);
  });
});
