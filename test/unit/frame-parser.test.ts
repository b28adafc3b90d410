import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../src/server/frame-parser.js';
import { ERROR_CODES, ERROR_CODE_NAMES, MAX_FRAME_BYTES } from '../../src/protocol/index.js';

describe('parseFrame', () => {
  it.each([
    { name: 'malformed JSON', frame: '{"type":', code: 'bad_json' },
    { name: 'not an object', frame: '[1,2]', code: 'bad_frame' },
    { name: 'type missing', frame: '{"room":"r"}', code: 'bad_frame' },
    { name: 'unknown type', frame: '{"type":"shout"}', code: 'unknown_type' },
    { name: 'missing field', frame: '{"type":"send","room":"r","body":"x"}', code: 'bad_frame' },
    { name: 'wrong type', frame: '{"type":"fetch","room":"r","after":"zero"}', code: 'bad_frame' },
    { name: 'invalid room', frame: '{"type":"join","room":"no spaces!"}', code: 'bad_room' },
    { name: 'oversized', frame: `{"type":"send","id":"a","room":"r","body":"${'x'.repeat(MAX_FRAME_BYTES)}"}`, code: 'too_large' },
  ])('$name → $code', ({ frame, code }) => {
    const r = parseFrame(new TextEncoder().encode(frame).buffer as ArrayBuffer);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.code).toBe(code);
  });

  it('a valid frame gets its defaults', () => {
    expect(parseFrame('{"type":"join","room":"r1"}')).toEqual({ ok: true, frame: { type: 'join', room: 'r1', after: 0, replay: true } });
  });

  it('a bad send names its id as ref, so the client can match the error to its outbox', () => {
    expect(parseFrame('{"type":"send","id":"m1","room":"r","body":5}')).toMatchObject({ ok: false, code: 'bad_frame', ref: 'm1' });
  });
});

describe('error codes', () => {
  it('are unique, documented, and say whether the outcome is definite', () => {
    expect(new Set(ERROR_CODE_NAMES).size).toBe(ERROR_CODE_NAMES.length);
    for (const code of ERROR_CODE_NAMES) {
      expect(ERROR_CODES[code].doc.length).toBeGreaterThan(10);
      expect(typeof ERROR_CODES[code].definite).toBe('boolean');
    }
  });
});
