import { describe, expect, it } from 'vitest';
import { checkAll, INVARIANT_NAMES, INVARIANTS, isInvariantName, type CheckInput } from '../../lab/checker/index.js';
import type { DbMessage, HistoryEvent } from '../../lab/history/events.js';
import { happy, lab } from './support/history-builder.js';

/** A synthetic run of about `events` events: 5 rooms of 10 clients each, every message delivered to every member. */
function synthetic(events: number): CheckInput & { history: HistoryEvent[] } {
  const rooms = 5;
  const perRoom = 10;
  const history: HistoryEvent[] = [];
  const messages: DbMessage[] = [];
  let t = 0;
  for (let r = 0; r < rooms; r++) {
    for (let c = 0; c < perRoom; c++) {
      const client = `c${r * perRoom + c}`;
      history.push({ type: 'connect', t, client, worker: c % 2, pid: 100 + (c % 2) });
      history.push({ type: 'join', t, client, room: `r${r}`, after: 0, worker: c % 2 });
    }
  }
  const heads = new Array<number>(rooms).fill(0);
  history.push({ type: 'fault-start', t, fault: 'k1', kind: 'worker-kill', target: 'w1', params: {} });
  for (let i = 0; history.length < events - perRoom - 2; i++) {
    t += 0.25;
    const r = i % rooms;
    const room = `r${r}`;
    const seq = (heads[r] = (heads[r] ?? 0) + 1);
    const id = `m${i}`;
    const sender = `c${r * perRoom}`;
    const body = `body ${i}`;
    history.push({ type: 'send', t, client: sender, room, id, body, attempt: 1, worker: 0 });
    messages.push({ id, room, seq, sender, body, created_at: t });
    history.push({ type: 'ack', t: t + 1, client: sender, room, id, seq, duplicate: false, worker: 0 });
    for (let c = 0; c < perRoom; c++) {
      history.push({ type: 'deliver', t: t + 2 + c / 10, client: `c${r * perRoom + c}`, room, id, seq, sender, body, worker: c % 2 });
    }
  }
  history.push({ type: 'fault-heal', t, fault: 'k1', kind: 'worker-kill', target: 'w1' });
  return { history, db: { messages, rooms: heads.map((head, r) => ({ name: `r${r}`, head })), integrity: ['ok'] } };
}

describe('checkAll', () => {
  it('empty history: every invariant holds', () => {
    const out = checkAll(lab().input());
    expect(out.ok).toBe(true);
    expect(out.results.map((r) => [r.name, r.ok, r.violations])).toEqual(INVARIANT_NAMES.map((n) => [n, true, 0]));
    expect(out.stats.sent).toBe(0);
  });

  it('runs only the named invariants, in the given order', () => {
    const out = checkAll(happy().input(), ['per-room-order', 'acked-durable']);
    expect(out.results.map((r) => r.name)).toEqual(['per-room-order', 'acked-durable']);
    expect(out.results.every((r) => typeof r.timeMs === 'number')).toBe(true);
    expect(out.stats).toMatchObject({ sent: 2, deliveries: 4 });
  });

  it('is not ok when one invariant breaks', () => {
    const out = checkAll(happy().deliver('c1', 'r1', 'm1', 1, 'hello').input());
    expect(out.ok).toBe(false);
    expect(out.results.filter((r) => !r.ok).map((r) => r.name)).toEqual(['exactly-once-effect', 'per-room-order']);
  });

  it('turns a throwing checker into a failed result', () => {
    const input = happy().input();
    const broken = { ...input, db: { ...input.db, integrity: null as unknown as string[] } };
    const [r] = checkAll(broken, ['database-integrity']).results;
    expect(r).toMatchObject({ name: 'database-integrity', ok: false, violations: 1 });
    expect(r?.examples[0]?.text).toMatch(/^the checker itself failed: /);
  });

  it('documents every invariant for explain', () => {
    for (const name of INVARIANT_NAMES) {
      expect(isInvariantName(name)).toBe(true);
      expect(INVARIANTS[name].doc).toMatch(/^[A-Z].*\.$/);
      expect(INVARIANTS[name].explain.length).toBeGreaterThan(200);
    }
    expect(isInvariantName('toString')).toBe(false);
  });

  it('handles 1,000,000 history events', () => {
    const input = synthetic(1_000_000);
    input.history.push({ type: 'deliver', t: 1e9, client: 'c3', room: 'r0', id: 'm0', seq: 1, sender: 'c0', body: 'body 0', worker: 1 });
    expect(input.history.length).toBeGreaterThanOrEqual(999_990);
    const n = input.db.messages.length;
    const out = checkAll(input);
    const byName = Object.fromEntries(out.results.map((r) => [r.name, r]));
    expect(byName['acked-durable']).toMatchObject({ ok: true, checked: n });
    expect(byName['unique-ids']).toMatchObject({ ok: true, checked: n });
    expect(byName['no-phantoms']).toMatchObject({ ok: true, checked: n * 10 + 1 });
    expect(byName['at-least-once']).toMatchObject({ ok: true, checked: n * 10 });
    expect(byName['exactly-once-effect']).toMatchObject({ ok: false, violations: 1, checked: n * 10 + 1 });
    expect(byName['exactly-once-effect']?.examples[0]).toMatchObject({ id: 'm0', client: 'c3', worker: 1 });
    expect(byName['per-room-order']).toMatchObject({ ok: false, violations: 1 });
    expect(byName['database-integrity']).toMatchObject({ ok: true, checked: 6 });
    expect(out.stats).toMatchObject({ sent: n, acked: n, dbMessages: n, deliveries: n * 10 + 1 });
    expect(out.stats.latencyMs.max).toBe(1e9 - 0.25);
    expect(out.stats.recoveryMs).toHaveLength(1);
  });
});
