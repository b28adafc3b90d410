/**
 * The signed bus envelope (src/protocol/bus.ts with the HMAC of src/fanout/bus-mac.ts): what a
 * worker publishes verifies on every worker of its node, and anything changed on the way, or signed
 * with another key, or not signed at all, is dropped with its reason.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BusKey, decodeBusMessage, encodeBusMessage, redactRedisUrl, roomChannel, type MsgFrame } from '../../src/protocol/index.js';
import { OwnPublishes, receiveBusMessage } from '../../src/fanout/bus.js';
import { BusKeyFileError, createBusMac, generateBusKey, readBusKeyFile } from '../../src/fanout/bus-mac.js';

const KEY = generateBusKey();
const mac = createBusMac(KEY);
const ROOM = 'lobby';
const ORIGIN = 'w0:1234';

function msgFrame(room = ROOM, body = 'hello'): string {
  return JSON.stringify({ type: 'msg', id: '01HZX3V3J6Q0M7YQ4W2Q5N8K9T', room, seq: 7, sender: 'alice', body, ts: 1_700_000_000_000 } satisfies MsgFrame);
}

/** The envelope's parts: `m <origin> <mac>\n<frame>`. */
function parts(s: string): { origin: string; mac: string; frame: string } {
  const nl = s.indexOf('\n');
  const [, origin = '', m = ''] = s.slice(0, nl).split(' ');
  return { origin, mac: m, frame: s.slice(nl + 1) };
}

describe('bus envelope', () => {
  it('sign then verify: the message comes back as it was sent', () => {
    const frame = msgFrame();
    const wire = encodeBusMessage({ type: 'msg', origin: ORIGIN, frame }, ROOM, mac);
    expect(wire).toMatch(/^m w0:1234 [A-Za-z0-9_-]{43}\n\{/);
    expect(decodeBusMessage(wire, ROOM, mac)).toEqual({ ok: true, message: { type: 'msg', origin: ORIGIN, frame } });
    // Another worker of the node holds the same key (a MAC object of its own).
    expect(decodeBusMessage(wire, ROOM, createBusMac(KEY)).ok).toBe(true);
  });

  it('a tampered frame is bad_mac', () => {
    const wire = encodeBusMessage({ type: 'msg', origin: ORIGIN, frame: msgFrame() }, ROOM, mac);
    const { origin, mac: m } = parts(wire);
    const forged = `m ${origin} ${m}\n${msgFrame(ROOM, 'hellO')}`;
    expect(decodeBusMessage(forged, ROOM, mac)).toEqual({ ok: false, reason: 'bad_mac' });
    // One byte appended.
    expect(decodeBusMessage(`${wire} `, ROOM, mac)).toEqual({ ok: false, reason: 'bad_mac' });
  });

  it('a tampered origin is bad_mac (a worker cannot be made to take its own message for another\'s)', () => {
    const wire = encodeBusMessage({ type: 'msg', origin: ORIGIN, frame: msgFrame() }, ROOM, mac);
    const { mac: m, frame } = parts(wire);
    expect(decodeBusMessage(`m w1:1234 ${m}\n${frame}`, ROOM, mac)).toEqual({ ok: false, reason: 'bad_mac' });
  });

  it('a tampered room is bad_mac: a message signed for one room does not verify on another room\'s channel', () => {
    // The frame names room "dev" and was signed for "dev"; replayed on lobby's channel it fails the MAC before the frame is read.
    const wire = encodeBusMessage({ type: 'msg', origin: ORIGIN, frame: msgFrame('dev') }, 'dev', mac);
    expect(decodeBusMessage(wire, 'dev', mac).ok).toBe(true);
    expect(decodeBusMessage(wire, ROOM, mac)).toEqual({ ok: false, reason: 'bad_mac' });
    // Room and origin are delimited in what the MAC covers: no two (room, origin) pairs share an input.
    const a = createBusMac(KEY).sign('a1', 'w2:3', 'x');
    expect(createBusMac(KEY).verify('a', 'w12:3', 'x', a)).toBe(false);
  });

  it('a wrong key is bad_mac', () => {
    const other = createBusMac(generateBusKey());
    const wire = encodeBusMessage({ type: 'msg', origin: ORIGIN, frame: msgFrame() }, ROOM, other);
    expect(decodeBusMessage(wire, ROOM, mac)).toEqual({ ok: false, reason: 'bad_mac' });
  });

  it('an unsigned envelope (the old format) is bad_mac; a MAC of the wrong shape too', () => {
    const frame = msgFrame();
    expect(decodeBusMessage(`m ${ORIGIN}\n${frame}`, ROOM, mac)).toEqual({ ok: false, reason: 'bad_mac' });
    const { mac: m } = parts(encodeBusMessage({ type: 'msg', origin: ORIGIN, frame }, ROOM, mac));
    // Too long, too short, a character outside base64url, padding, a non-ASCII look-alike of the last character.
    for (const bad of ['', 'x', `${m}A`, m.slice(0, -1), `${m.slice(0, -1)}!`, `${m.slice(0, 20)}=${m.slice(21)}`, `${m.slice(0, -1)}${String.fromCharCode(0x100 + m.charCodeAt(42))}`]) {
      expect(decodeBusMessage(`m ${ORIGIN} ${bad}\n${frame}`, ROOM, mac), `mac ${JSON.stringify(bad)}`).toEqual({ ok: false, reason: 'bad_mac' });
    }
  });

  it('garbage, a bad origin, or a validly signed frame that is not a msg of the room is bad_schema', () => {
    expect(decodeBusMessage('not a bus message', ROOM, mac)).toEqual({ ok: false, reason: 'bad_schema' });
    expect(decodeBusMessage('m w0:1 no-newline', ROOM, mac)).toEqual({ ok: false, reason: 'bad_schema' });
    expect(decodeBusMessage(`m system ${'A'.repeat(43)}\n${msgFrame()}`, ROOM, mac)).toEqual({ ok: false, reason: 'bad_schema' });
    // Signed with the right key (a worker's bug, not a forgery), yet not what the bus carries: still never forwarded.
    for (const frame of ['{"type":"msg"', JSON.stringify({ type: 'head', room: ROOM, seq: 1 }), msgFrame('dev')]) {
      const wire = encodeBusMessage({ type: 'msg', origin: ORIGIN, frame }, ROOM, mac);
      expect(decodeBusMessage(wire, ROOM, mac), frame).toEqual({ ok: false, reason: 'bad_schema' });
    }
  });
});

describe('bus key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dl-bus-key-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keyFile = (name: string, text: string, mode: number) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    chmodSync(p, mode);
    return p;
  };

  it('is 32 random bytes in hex, different every time', () => {
    expect(BusKey.parse(KEY)).toBe(KEY);
    expect(KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(generateBusKey()).not.toBe(KEY);
  });

  it('a key file of hex, mode 600, is read (trimmed, lowercased)', () => {
    const k = 'AB'.repeat(32);
    expect(readBusKeyFile(keyFile('ok', `${k}\n`, 0o600))).toBe(k.toLowerCase());
  });

  it('a key file others may read, a short key, or no file is refused without printing the key', () => {
    const k = 'cd'.repeat(32);
    const cases = [keyFile('open', k, 0o644), keyFile('short', 'ab'.repeat(8), 0o600), keyFile('odd', `${k}a`, 0o600), join(dir, 'missing')];
    for (const p of cases) {
      let error: unknown;
      try { readBusKeyFile(p); } catch (e) { error = e; }
      expect(error, p).toBeInstanceOf(BusKeyFileError);
      expect((error as Error).message).toContain(p);
      expect((error as Error).message).not.toContain(k);
    }
  });
});

describe('redactRedisUrl', () => {
  it.each([
    ['redis://:s3cret@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['redis://bus:s3cret@10.0.0.1:6379/0', 'redis://bus:***@10.0.0.1:6379/0'],
    ['redis://s3cret@127.0.0.1:6379', 'redis://***@127.0.0.1:6379'],
    ['unix://deliverylab:s3cret@/tmp/x/redis.sock', 'unix://deliverylab:***@/tmp/x/redis.sock'],
    ['redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['/tmp/x/redis.sock', '/tmp/x/redis.sock'],
    ['redis://:a@127.0.0.1:1,redis://:b@127.0.0.1:2', 'redis://:***@127.0.0.1:1,redis://:***@127.0.0.1:2'],
  ])('%s → %s', (url, shown) => {
    expect(redactRedisUrl(url)).toBe(shown);
  });
});

describe('receiveBusMessage', () => {
  const seen = () => {
    const got: { messages: string[]; rejected: string[] } = { messages: [], rejected: [] };
    return { got, o: { origin: ORIGIN, onMessage: (_room: string, frame: string) => void got.messages.push(frame), onRejected: (r: string) => void got.rejected.push(r) } };
  };

  it("drops the worker's own recent echoes unread, checks everything else that claims its origin, and forwards another worker's message", () => {
    const { got, o } = seen();
    const own = new OwnPublishes();
    const frame = msgFrame();
    const mine = own.remember(encodeBusMessage({ type: 'msg', origin: ORIGIN, frame }, ROOM, mac));
    expect(receiveBusMessage(roomChannel(ROOM), mine, mac, o, own)).toBe(true);
    // Dropped unread: the same envelope with its frame changed still matches a remembered MAC and is not read
    // (it is not forwarded either: nothing under this worker's origin ever is).
    const nl = mine.indexOf('\n');
    expect(receiveBusMessage(roomChannel(ROOM), `${mine.slice(0, nl)}\n{`, mac, o, own)).toBe(true);
    expect(got).toEqual({ messages: [], rejected: [] });
    // Its origin with a MAC it never published (a forgery): checked and counted.
    expect(receiveBusMessage(roomChannel(ROOM), `m ${ORIGIN} ${'A'.repeat(43)}\n${frame}`, mac, o, own)).toBe(false);
    expect(receiveBusMessage(roomChannel(ROOM), `m ${ORIGIN}\n${frame}`, mac, o, own)).toBe(false);
    expect(got.rejected).toEqual(['bad_mac', 'bad_mac']);
    // A genuine echo it no longer remembers: verified in full, dropped, not counted.
    expect(receiveBusMessage(roomChannel(ROOM), mine, mac, o, new OwnPublishes())).toBe(true);
    expect(got).toEqual({ messages: [], rejected: ['bad_mac', 'bad_mac'] });
    // An origin that only starts like this worker's is another worker's: checked, and forwarded when it verifies.
    for (const other of [`${ORIGIN}5`, 'w1:1234']) {
      expect(receiveBusMessage(roomChannel(ROOM), encodeBusMessage({ type: 'msg', origin: other, frame }, ROOM, mac), mac, o, own)).toBe(true);
    }
    expect(got).toEqual({ messages: [frame, frame], rejected: ['bad_mac', 'bad_mac'] });
  });

  it('remembers a bounded number of its own publishes, forgetting the oldest', () => {
    const own = new OwnPublishes();
    const first = own.remember(encodeBusMessage({ type: 'msg', origin: ORIGIN, frame: msgFrame(ROOM, 'first') }, ROOM, mac));
    const macOf = (e: string) => e.slice(e.indexOf(' ', 2) + 1, e.indexOf('\n'));
    expect(own.has(macOf(first))).toBe(true);
    for (let i = 0; i < 16_384; i++) own.remember(`m ${ORIGIN} mac-${i}\n{}`);
    expect(own.has(macOf(first))).toBe(false);
    expect(own.has('mac-16383')).toBe(true);
  });
});
