import { describe, expect, it } from 'vitest';
import { sendsSettled } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('sends-settled', () => {
  it('empty history', () => {
    expect(sendsSettled(lab().input())).toMatchObject({ name: 'sends-settled', ok: true, checked: 0, violations: 0 });
  });

  it('every send acked', () => {
    expect(sendsSettled(happy().input())).toMatchObject({ ok: true, checked: 2, violations: 0 });
  });

  it('a send refused with a definite error is settled', () => {
    const h = lab().connect('c1', 0).send('c1', 'r1', 'm1', 'x').sendFail('c1', 'r1', 'm1', 'id_conflict');
    expect(sendsSettled(h.input())).toMatchObject({ ok: true, checked: 1, violations: 0 });
  });

  it('lost in a crash, never written again (a client that does not retry)', () => {
    const h = lab().connect('c1', 0).join('c1', 'r1')
      .at(1000).fault('f1', 'crash-point', 'worker:0')
      .send('c1', 'r1', 'm1', 'in flight')
      .disconnect('c1', 'closed').connect('c1', 1)
      .heal('f1');
    const r = sendsSettled(h.input());
    expect(r).toMatchObject({ ok: false, checked: 1, violations: 1 });
    expect(r.examples[0]).toMatchObject({ id: 'm1', client: 'c1', worker: 0, faults: ['crash-point worker:0'] });
    expect(r.examples[0]?.text).toBe(
      "client c1's send of message m1 (room r1) made at 1010 ms was still pending at the end (1040 ms); " +
        'attempts: #1 on worker 0 at 1010 ms (faults: crash-point worker:0); the id is NOT in the database: the message is lost ' +
        'and the application was never told; active faults at its last attempt: crash-point worker:0',
    );
  });

  it('abandoned with the outcome unknown, though committed', () => {
    const h = lab().connect('c1', 0).send('c1', 'r1', 'm1', 'x').commit('m1', 'r1', 1, 'x').sendInfo('c1', 'r1', 'm1', 'SendAbandonedError: disconnected');
    const r = sendsSettled(h.input());
    expect(r).toMatchObject({ ok: false, violations: 1 });
    expect(r.examples[0]?.text).toContain('was given up at 20 ms with its outcome unknown (SendAbandonedError: disconnected)');
    expect(r.examples[0]?.text).toContain('the id IS in the database');
  });

  it('a retry on another worker that got through settles the send', () => {
    const h = lab().connect('c1', 0).send('c1', 'r1', 'm1', 'x').disconnect('c1').connect('c1', 1)
      .attempt('c1', 'r1', 'm1', 'x', 2).commit('m1', 'r1', 1, 'x').ack('c1', 'r1', 'm1', 1);
    expect(sendsSettled(h.input())).toMatchObject({ ok: true, checked: 1 });
  });

  it("the SDK's own ack does not settle the application's send", () => {
    const h = lab().connect('c1', 0).send('c1', 'r1', 'm1', 'x').commit('m1', 'r1', 1, 'x');
    h.events.push({ type: 'sdk-ack', t: 30, client: 'c1', room: 'r1', id: 'm1', seq: 1, duplicate: false, worker: 0 });
    expect(sendsSettled(h.input())).toMatchObject({ ok: false, violations: 1 });
  });
});

describe('sends-settled: a definite refusal must be true', () => {
  it('refused with a definite error, yet committed with this very content', () => {
    const h = lab().connect('c1', 0).send('c1', 'r1', 'm1', 'x').commit('m1', 'r1', 1, 'x', 'c1').sendFail('c1', 'r1', 'm1', 'rate_limited');
    const r = sendsSettled(h.input());
    expect(r).toMatchObject({ ok: false, checked: 1, violations: 1 });
    expect(r.examples[0]?.text).toContain('was refused at 20 ms with rate_limited, which promises it had no effect, yet the database holds it with this very content');
  });

  it('an id reused with other content, refused with id_conflict, is a true refusal', () => {
    const h = lab().connect('c1', 0).post('c1', 'r1', 'm1', 'first', 1).send('c1', 'r1', 'm1', 'second').sendFail('c1', 'r1', 'm1', 'id_conflict');
    expect(sendsSettled(h.input())).toMatchObject({ ok: true, checked: 2, violations: 0 });
  });
});
