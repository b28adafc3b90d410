/**
 * SIGKILL a worker while clients on both workers send: the clients reconnect, resend what was not
 * acked, resume from their cursors, and end up with exactly the database's stream of their rooms.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDbHeads, readDbSnapshot } from '../../lab/history/db-snapshot.js';
import { workerHealth } from '../support/dist-core.js';
import {
  expectAcksDurable, expectAllSendsAcked, expectDbConsistent, expectStreamsEqualDb, sendUntilAborted, startMember,
  waitCaughtUp, type ChatMember,
} from '../support/chat-members.js';
import { waitFor } from '../support/wait-for.js';
import { useCluster } from '../support/cluster-fixture.js';

const WORKERS = 2;
const KILLED_SLOT = 0;
const ROOMS = ['r1', 'r2', 'r3'];
/** Acks each member must have before the kill, and after it (proving the stream resumed). */
const ACKS_BEFORE_KILL = 10;
const ACKS_AFTER_KILL = 10;
const PROGRESS_TIMEOUT_MS = 20_000;
const RESPAWN_TIMEOUT_MS = 20_000;
const SETTLE_TIMEOUT_MS = 20_000;
const CATCH_UP_TIMEOUT_MS = 20_000;

/** Two members per worker, in overlapping rooms; each lists both slots, its home first. */
const PLACEMENT = [
  { name: 'w0a', home: 0, rooms: ['r1', 'r2'] },
  { name: 'w0b', home: 0, rooms: ['r2', 'r3'] },
  { name: 'w1a', home: 1, rooms: ['r1', 'r3'] },
  { name: 'w1b', home: 1, rooms: ROOMS },
];

const fx = useCluster('core-worker-kill', WORKERS);

const acked = (m: ChatMember) => m.acks.length;

describe('core under a worker SIGKILL', () => {
  it('clients reconnect, resend, resume, and converge to the database', async () => {
    const c = fx.core;
    const slots = Array.from({ length: WORKERS }, (_, k) => k);
    for (const p of PLACEMENT) {
      fx.members.push(startMember({ ...p, credentials: await c.credentials(p.name), urls: slots.map((k) => c.slotUrl((p.home + k) % WORKERS)) }));
    }
    const sending = new AbortController();
    fx.stopSending.add(sending);
    const loops = fx.members.map((m) => sendUntilAborted(m, sending.signal));

    await waitFor(() => expect(Math.min(...fx.members.map(acked))).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL), PROGRESS_TIMEOUT_MS);
    const ackedAtKill = new Map(fx.members.map((m) => [m, acked(m)]));
    const oldPid = c.signal(KILLED_SLOT, 'SIGKILL');

    // Every member keeps getting acks after the kill: those of worker 0 only after a reconnect.
    await waitFor(() => {
      for (const m of fx.members) expect(acked(m), m.name).toBeGreaterThanOrEqual(ackedAtKill.get(m)! + ACKS_AFTER_KILL);
    }, PROGRESS_TIMEOUT_MS);
    const newPid = await c.waitWorkerUp(KILLED_SLOT, oldPid, RESPAWN_TIMEOUT_MS);
    sending.abort();
    const issued = (await Promise.all(loops)).reduce((a, b) => a + b, 0);

    expect(newPid).not.toBe(oldPid);
    const health = await waitFor(async () => {
      const h = await workerHealth(c, KILLED_SLOT);
      expect(h).toMatchObject({ worker: KILLED_SLOT, pid: newPid });
      return h;
    }, RESPAWN_TIMEOUT_MS);
    expect(health.pid).toBe(newPid);

    for (const m of fx.members.filter((x) => x.home === KILLED_SLOT)) {
      const disconnects = m.events.filter((e) => e.type === 'disconnect');
      expect(disconnects.length, `${m.name} noticed the kill`).toBeGreaterThanOrEqual(1);
      expect(m.events.filter((e) => e.type === 'connect').length, `${m.name} reconnected`).toBeGreaterThanOrEqual(2);
    }

    expect(await expectAllSendsAcked(fx.members, SETTLE_TIMEOUT_MS)).toBe(issued);
    const dbFile = fx.dbFile;
    // A late joiner on the re-forked worker replays everything from the database.
    const late = startMember({ name: 'late', credentials: await c.credentials('late'), home: KILLED_SLOT, rooms: ROOMS, urls: [c.slotUrl(KILLED_SLOT)] });
    fx.members.push(late);
    await waitCaughtUp(fx.members, readDbHeads(dbFile), CATCH_UP_TIMEOUT_MS);

    const db = readDbSnapshot(dbFile);
    expectDbConsistent(db);
    expectAcksDurable(fx.members, db);
    // Each issued send is exactly one row: retries after the kill were absorbed by the id.
    expect(db.messages).toHaveLength(issued);
    expect(new Set(fx.members.flatMap((m) => m.acks.map((a) => a.id))).size).toBe(issued);
    expectStreamsEqualDb(fx.members, db);
    expect(late.events.filter((e) => e.type === 'connect').map((e) => e.type === 'connect' && e.pid)).toEqual([newPid]);
  });
});
