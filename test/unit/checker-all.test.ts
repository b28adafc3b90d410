import { describe, expect, it } from 'vitest';
import { checkAll, INVARIANT_NAMES, INVARIANTS, isInvariantName } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';
import { syntheticHistory } from '../../lab/history/synthetic-history.js';

const synthetic = (events: number) => syntheticHistory(events);

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
