import { describe, expect, it } from 'vitest';
import { ackedDurable } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('acked-durable', () => {
  it('empty history', () => {
    expect(ackedDurable(lab().input())).toMatchObject({ name: 'acked-durable', ok: true, checked: 0, violations: 0, examples: [] });
  });

  it('every ack committed with its body', () => {
    expect(ackedDurable(happy().input())).toMatchObject({ ok: true, checked: 2, violations: 0 });
  });

  it('acked then lost after partition (ack-before-commit crash)', () => {
    const h = happy()
      .at(500)
      .fault('f1', 'worker-kill', 'w0')
      .send('c1', 'r1', 'm3', 'lost', 1)
      .ack('c1', 'r1', 'm3', 3)
      .heal('f1');
    const r = ackedDurable(h.input());
    expect(r).toMatchObject({ ok: false, checked: 3, violations: 1 });
    expect(r.examples[0]).toMatchObject({ id: 'm3', room: 'r1', seq: 3, client: 'c1', worker: 0, faults: ['worker-kill w0'] });
    expect(r.examples[0]?.text).toBe(
      'message m3 (room r1, seq 3) acked to client c1 on worker 0 at 520 ms is missing from the database; active faults then: worker-kill w0',
    );
  });

  it('acked with a body the database does not hold', () => {
    const h = lab().connect('c1', 0).send('c1', 'r1', 'm1', 'sent').commit('m1', 'r1', 1, 'stored').ack('c1', 'r1', 'm1', 1);
    const r = ackedDurable(h.input());
    expect(r.violations).toBe(1);
    expect(r.examples[0]?.text).toContain('another body (sent "sent", stored "stored")');
  });

  it('acked at a seq the database does not hold', () => {
    const h = lab().connect('c1', 0).send('c1', 'r1', 'm1', 'x').commit('m1', 'r1', 2, 'x').ack('c1', 'r1', 'm1', 1);
    const r = ackedDurable(h.input());
    expect(r.examples[0]?.text).toContain('is in the database as room r1, seq 2 instead');
  });

  it('counts every violation and keeps every example', () => {
    const h = lab().connect('c1', 0);
    for (let i = 1; i <= 8; i++) h.send('c1', 'r1', `m${i}`, 'x').ack('c1', 'r1', `m${i}`, i);
    const r = ackedDurable(h.input());
    expect(r).toMatchObject({ ok: false, checked: 8, violations: 8 });
    expect(r.examples).toHaveLength(8);
  });
});

describe('acked-durable: each ack is judged against its own send', () => {
  it('an id reused with other content, acked as a duplicate of the old row (the no-id-conflict bug)', () => {
    const h = lab().connect('c1', 0).post('c1', 'r1', 'm1', 'first', 1).send('c1', 'r1', 'm1', 'second').ack('c1', 'r1', 'm1', 1, true);
    const r = ackedDurable(h.input());
    expect(r).toMatchObject({ ok: false, checked: 2, violations: 1 });
    expect(r.examples[0]?.text).toContain('is in the database with another body (sent "second", stored "first")');
  });

  it("an ack for another client's row", () => {
    const h = lab().connect('c2', 1).send('c2', 'r1', 'm1', 'x').commit('m1', 'r1', 1, 'x', 'c1').ack('c2', 'r1', 'm1', 1, true);
    expect(ackedDurable(h.input()).examples[0]?.text).toContain("is in the database as c1's message");
  });
});
