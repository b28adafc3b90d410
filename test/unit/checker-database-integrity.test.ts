import { describe, expect, it } from 'vitest';
import { databaseIntegrity } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('database-integrity', () => {
  it('empty history', () => {
    expect(databaseIntegrity(lab().input())).toMatchObject({ ok: true, checked: 1, violations: 0 });
  });

  it('sound database', () => {
    expect(databaseIntegrity(happy().input())).toMatchObject({ ok: true, checked: 2, violations: 0 });
  });

  it('integrity error', () => {
    const h = happy().fault('k1', 'worker-kill', 'w0').integrity('*** in database main ***', 'Page 5: btreeInitPage() returns error code 11');
    const r = databaseIntegrity(h.input());
    expect(r).toMatchObject({ ok: false, violations: 1 });
    expect(r.examples[0]?.faults).toEqual(['worker-kill w0']);
    expect(r.examples[0]?.text).toContain('PRAGMA integrity_check returned "*** in database main ***"');
  });

  it('head mismatch', () => {
    const r = databaseIntegrity(happy().head('r1', 3).input());
    expect(r).toMatchObject({ ok: false, checked: 2, violations: 2 });
    expect(r.examples.map((e) => e.text.split(';')[0])).toEqual([
      'room r1 has head 3 but its highest message seq is 2',
      'room r1 has head 3 but seq 3 of 1..3 has no message row',
    ]);
  });

  it('a hole below the head', () => {
    const r = databaseIntegrity(lab().commit('a', 'r1', 1, 'x').commit('b', 'r1', 4, 'y').input());
    expect(r.violations).toBe(1);
    expect(r.examples[0]?.text).toContain('2 seqs (the first is 2) of 1..4 have no message row');
  });

  it('two rows at one seq', () => {
    const r = databaseIntegrity(lab().commit('a', 'r1', 1, 'x').commit('b', 'r1', 1, 'y').input());
    expect(r.examples[0]?.text).toContain('two message rows with seq 1');
  });

  it('messages of a room the rooms table does not know', () => {
    const input = happy().input();
    input.db.rooms = [];
    const r = databaseIntegrity(input);
    expect(r.examples[0]?.text).toContain('room r1 has 2 message rows but no row in the rooms table');
  });
});
