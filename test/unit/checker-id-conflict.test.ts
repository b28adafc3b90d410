import { describe, expect, it } from 'vitest';
import { idConflict } from '../../lab/checker/index.js';
import { happy, lab } from './support/history-builder.js';

describe('id-conflict', () => {
  it('empty history', () => {
    expect(idConflict(lab().input())).toMatchObject({ name: 'id-conflict', ok: true, checked: 0 });
  });

  it('no id reused: nothing to check', () => {
    expect(idConflict(happy().input())).toMatchObject({ ok: true, checked: 0 });
  });

  it('an id reused with other content is refused with id_conflict', () => {
    const h = happy().send('c1', 'r1', 'm1', 'other body').sendFail('c1', 'r1', 'm1', 'id_conflict');
    expect(idConflict(h.input())).toMatchObject({ ok: true, checked: 1, violations: 0 });
  });

  it('a retry with the same content is not a conflict', () => {
    const h = happy().send('c1', 'r1', 'm1', 'hello').ack('c1', 'r1', 'm1', 1, true);
    expect(idConflict(h.input())).toMatchObject({ ok: true, checked: 0 });
  });

  it('an id reused with other content acked as a duplicate', () => {
    const h = happy().send('c1', 'r1', 'm1', 'other body').ack('c1', 'r1', 'm1', 1, true);
    const r = idConflict(h.input());
    expect(r).toMatchObject({ ok: false, checked: 1, violations: 1 });
    expect(r.examples[0]?.text).toContain('that id is committed as room r1, seq 1, by c1, body "hello"; the send was acked with seq 1');
  });

  it('an id reused in another room, refused with the wrong code', () => {
    const h = happy().send('c1', 'r2', 'm1', 'hello').sendFail('c1', 'r2', 'm1', 'bad_room');
    expect(idConflict(h.input())).toMatchObject({ ok: false, violations: 1 });
  });

  it("never takes one client's answer for another's, whatever their names hold", () => {
    // Client "a" sends id "b\nc" (committed by z with another body) and is refused with id_conflict; client
    // "a\nb" sends id "c" and is acked. Keys joined with a newline would make the two one.
    const h = lab()
      .commit('b\nc', 'r', 1, 'old', 'z')
      .invoke('a', 'r', 'b\nc', 'new')
      .invoke('a\nb', 'r', 'c', 'hi')
      .commit('c', 'r', 2, 'hi', 'a\nb')
      .ack('a\nb', 'r', 'c', 2)
      .sendFail('a', 'r', 'b\nc', 'id_conflict');
    expect(idConflict(h.input())).toMatchObject({ ok: true, checked: 1, violations: 0 });
  });
});

