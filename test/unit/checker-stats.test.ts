import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeStats, latencySummary, percentile } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('stats', () => {
  it('empty history', () => {
    expect(computeStats(lab().input())).toEqual({
      sent: 0,
      acked: 0,
      dbMessages: 0,
      deliveries: 0,
      duplicatesDropped: 0,
      gapsFilled: 0,
      retries: 0,
      refused: 0,
      unsettled: 0,
      unsettledNotInDb: 0,
      latencyMs: { p50: 0, p99: 0, max: 0 },
      recoveryMs: [],
    });
  });

  it("counts the application's view: invokes, app acks and app deliveries, not the SDK's report", () => {
    // The SDK says it delivered m3 to c2, but the application never got it; c1's SDK retried m2 once.
    const h = happy().attempt('c1', 'r1', 'm2', 'world', 2).sdkDeliver('c2', 'r1', 'm3', 3, 'x').ack('c1', 'r1', 'm2', 2, true);
    expect(computeStats(h.input())).toMatchObject({ sent: 2, acked: 2, deliveries: 4, retries: 1, unsettled: 0 });
  });

  it('sender-side losses: sends never acked nor refused, and how many of them the database lacks', () => {
    const h = happy()
      .send('c1', 'r1', 'm3', 'lost') // no answer at all, not in the database
      .send('c2', 'r1', 'm4', 'unknown').sendInfo('c2', 'r1', 'm4', 'abandoned').commit('m4', 'r1', 3, 'unknown', 'c2') // unknown, but committed
      .send('c2', 'r1', 'm5', 'refused').sendFail('c2', 'r1', 'm5', 'room_not_joined'); // definitely refused: settled
    expect(computeStats(h.input())).toMatchObject({ sent: 5, acked: 2, refused: 1, unsettled: 2, unsettledNotInDb: 1 });
  });

  it("keeps each client's sends of an id apart, whatever the clients are called", () => {
    // Two clients send the same id: each is acked once, and one client's refusal settles none of the other's sends.
    const both = lab().invoke('', 'r', 'm1', 'a').ack('', 'r', 'm1', 1).invoke('c1', 'r', 'm1', 'a').ack('c1', 'r', 'm1', 1, true).commit('m1', 'r', 1, 'a', '');
    expect(computeStats(both.input())).toMatchObject({ sent: 2, acked: 2, unsettled: 0 });
    const other = lab().invoke('', 'r', 'm1', 'a').sendFail('c4', 'r', 'm1', 'x');
    expect(computeStats(other.input())).toMatchObject({ sent: 1, refused: 1, unsettled: 1, unsettledNotInDb: 1 });
  });

  it('counts sends by id, retries, drops and gap fetches', () => {
    const h = happy().send('c1', 'r1', 'm2', 'world', 2).ack('c1', 'r1', 'm2', 2, true).dropped('c2', 'r1', 'm1', 1).gapFetch('c2', 'r1', 1, 2);
    expect(computeStats(h.input())).toMatchObject({ sent: 2, acked: 2, dbMessages: 2, deliveries: 4, duplicatesDropped: 1, gapsFilled: 1, retries: 1 });
  });

  it('measures latency from the first send of an id', () => {
    // m1 sent at 40 and delivered at 60 and 70; m2 sent at 80 and delivered at 100 and 110.
    expect(computeStats(happy().input()).latencyMs).toEqual({ p50: 20, p99: 30, max: 30 });
  });

  it('measures recovery after a lasting fault from its heal, and after a one-shot kill from its start', () => {
    const h = lab()
      .connect('c1', 0)
      .connect('c2', 1)
      .join('c1', 'r1')
      .join('c2', 'r1')
      .at(100)
      .fault('p1', 'redis-partition', 'w1')
      .post('c1', 'r1', 'm1', 'a', 1)
      .fanout('m1', 'c1')
      .at(200)
      .heal('p1')
      .phase('recovery')
      .at(450)
      .fanout('m1', 'c2')
      .at(600)
      .fault('k1', 'worker-kill', 'w0')
      .heal('k1');
    const s = computeStats(h.input());
    expect(s.recoveryMs).toEqual([
      { fault: 'p1', kind: 'redis-partition', target: 'w1', from: 'heal', fromAt: 200, healedAt: 200, recoveryMs: 250 },
      { fault: 'k1', kind: 'worker-kill', target: 'w0', from: 'start', fromAt: 600, healedAt: 610, recoveryMs: 0 },
    ]);
    expect(s.lostBeforeRecovery).toBe(1);
  });

  it('counts no loss before recovery for a client in a room it was refused (members-only, every join forbidden)', () => {
    const base = () => lab().connect('c1', 0).connect('c3', 1).join('c1', 'r1').join('c3', 'r1')
      .at(100).post('c1', 'r1', 'm1', 'a', 1).fanout('m1', 'c1');
    const owed = computeStats(base().at(200).phase('recovery').input());
    expect(owed.lostBeforeRecovery).toBe(1);
    const refused = computeStats(base().frame('c3', 'error', { code: 'forbidden', id: 'r1' }).at(200).phase('recovery').input());
    expect(refused.lostBeforeRecovery).toBe(0);
  });

  it("measures a crash point's recovery from when it fired, not from when it was armed or disarmed", () => {
    const h = lab()
      .connect('c1', 0)
      .connect('c2', 1)
      .join('c1', 'r1')
      .join('c2', 'r1')
      .at(100)
      .fault('x1', 'crash-point', 'worker:1')
      .at(200)
      .post('c1', 'r1', 'm1', 'a', 1)
      .fanout('m1', 'c1');
    // Armed at 100, fired in worker 1 at 300 (a crash point on worker 0 fired earlier does not count), disarmed at 1000.
    h.events.push(
      { type: 'failpoint-fired', t: 250, worker: 0, pid: 1000, failpoint: 'crash.before-commit', detail: 'other' },
      { type: 'failpoint-fired', t: 300, worker: 1, pid: 1001, failpoint: 'crash.before-commit', detail: 'm9' },
    );
    h.at(700).fanout('m1', 'c2').at(1000).heal('x1');
    expect(computeStats(h.input()).recoveryMs).toEqual([
      { fault: 'x1', kind: 'crash-point', target: 'worker:1', from: 'fired', fromAt: 300, healedAt: 1000, recoveryMs: 400 },
    ]);
  });

  it('a crash point that never fired is measured from its heal', () => {
    const h = lab().connect('c1', 0).at(100).fault('x1', 'crash-point', 'worker:0').at(500).heal('x1');
    expect(computeStats(h.input()).recoveryMs).toEqual([
      { fault: 'x1', kind: 'crash-point', target: 'worker:0', from: 'heal', fromAt: 500, healedAt: 500, recoveryMs: 0 },
    ]);
  });

  it('takes nearest-rank percentiles', () => {
    const v = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(v, 50), percentile(v, 99), percentile(v, 100)]).toEqual([50, 99, 100]);
    expect(percentile(new Float64Array(0), 50)).toBe(0);
  });

  it('finds by selection the p50, p99 and max a sort would give', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 400 }), fc.integer({ min: 1, max: 4 }), (values, spread) => {
        // Repeated values too: ties are where a selection can go wrong (+ 0: no negative zero, which toEqual tells apart).
        const v = Float64Array.from(values.map((x) => Math.round(x / spread) + 0));
        const sorted = v.slice().sort();
        const want = { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: v.length === 0 ? 0 : sorted[v.length - 1]! };
        expect(latencySummary(v)).toEqual(want);
      }),
    );
  });
});
