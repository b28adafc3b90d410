import { describe, expect, it } from 'vitest';
import { appMatchesSdk } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('app-matches-sdk', () => {
  it('empty history', () => {
    expect(appMatchesSdk(lab().input())).toMatchObject({ name: 'app-matches-sdk', ok: true, checked: 0 });
  });

  it('the application got what the SDK reported', () => {
    expect(appMatchesSdk(happy().input())).toMatchObject({ ok: true, checked: 4, violations: 0 });
  });

  it('recorded by the SDK, never handed to the application (lost inside the SDK)', () => {
    const h = lab().connect('c2', 1).join('c2', 'r1').post('c1', 'r1', 'm1', 'x', 1)
      .frame('c2', 'msg', { room: 'r1', id: 'm1', seq: 1 }).sdkDeliver('c2', 'r1', 'm1', 1, 'x');
    const r = appMatchesSdk(h.input());
    expect(r).toMatchObject({ ok: false, checked: 1, violations: 1 });
    expect(r.examples[0]?.text).toContain("the SDK says it delivered message m1 (room r1, seq 1) to client c2's application");
    expect(r.examples[0]?.text).toContain('it was on the wire');
    expect(r.examples[0]?.text).toContain('lost inside the SDK');
  });

  it('the application got a message the SDK never reported', () => {
    const h = lab().connect('c2', 1).appOnly('c2', 'r1', 'm9', 1, 'x');
    expect(appMatchesSdk(h.input())).toMatchObject({ ok: false, violations: 1 });
  });

  it('the same messages in another order', () => {
    const h = lab().connect('c2', 1).sdkDeliver('c2', 'r1', 'm1', 1, 'a').sdkDeliver('c2', 'r1', 'm2', 2, 'b')
      .appOnly('c2', 'r1', 'm2', 2, 'b').appOnly('c2', 'r1', 'm1', 1, 'a');
    expect(appMatchesSdk(h.input())).toMatchObject({ ok: false, checked: 2, violations: 2 });
  });

  it("clients' deliveries interleaved otherwise than the SDK's reports are judged stream by stream", () => {
    // Each client's application got what its SDK reported, but the two clients' events interleave
    // differently on the two sides: not the same sequence overall, the same in every stream.
    const h = happy()
      .commit('m3', 'r1', 3, 'three')
      .sdkDeliver('c1', 'r1', 'm3', 3, 'three')
      .sdkDeliver('c2', 'r1', 'm3', 3, 'three')
      .appOnly('c2', 'r1', 'm3', 3, 'three')
      .appOnly('c1', 'r1', 'm3', 3, 'three');
    expect(appMatchesSdk(h.input())).toMatchObject({ ok: true, checked: 6, violations: 0 });
    // And a difference inside one stream is still found when the overall sequences differ.
    const bad = happy().commit('m3', 'r1', 3, 'three').sdkDeliver('c1', 'r1', 'm3', 3, 'three').sdkDeliver('c2', 'r1', 'm3', 3, 'three').appOnly('c2', 'r1', 'm3', 3, 'three');
    expect(appMatchesSdk(bad.input())).toMatchObject({ ok: false, checked: 6, violations: 1 });
  });
});
