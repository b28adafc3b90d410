/**
 * A property-based fuzz of the client → worker protocol against a live core of two workers:
 * fast-check generates DL_FUZZ_FRAMES frames (100,000 by default) — arbitrary strings, arbitrary
 * JSON, frame-like objects with their fields mutated (wrong types, missing fields, huge and negative
 * numbers, lone surrogates, long room names, extra fields), mangled JSON text, deep nesting, binary
 * frames, frames between 64 KiB and 256 KiB, and valid frames — and sends them on four attacker
 * connections (two users on each worker), in pipelined batches. The property, per batch: every frame
 * is answered exactly once (answers are matched to frames, not only counted), each with what the
 * contract in src/protocol says — an `error` whose code is the one the frame's defect calls for, or
 * the normal answer (pong, ack, joined, fetched, left, or the error a valid frame may meet in the
 * connection's state) — no server frame fails the `ServerFrame` schema, and the connection stays open.
 * Beside the attackers a well-behaved SDK client sends steadily to a room shared with a member on
 * each worker (and with the attackers, who send valid messages there too); at the end every send of
 * it was acked, every ack is a database row, every member's stream is the database's rows of the room,
 * and neither worker process was replaced.
 *
 * The limits the attackers stay under, and why the accounting is exact:
 * - The per-connection rate limiter (`FRAME_RATE` in src/server/chat-worker.ts: 5,000 frames/s, burst 10,000) is the only
 *   thing that refuses a frame without reading it: past it, only the first 10 refusals a second get an
 *   error frame and past 1,000 a second the connection is closed with 1008. Bad frames are not
 *   refusals: each is parsed and answered. Each attacker is paced at PACE_PER_SEC (under 5,000/s, one
 *   batch ahead at most), so no frame is ever refused and every frame is owed exactly one answer.
 * - Frames over 4 × MAX_FRAME_BYTES (256 KiB) close the connection with 1009 by design, and a text
 *   frame that is not UTF-8 is dropped by the WebSocket layer: the generator stays under the first and
 *   the `ws` client never sends the second; the last test shows both close only their own connection.
 * - 100 rooms per connection, 4 reads in flight, 2,000 sends/s per user: answered with a code
 *   (too_many_rooms, too_many_reads, rate_limited), which the oracle accepts for a valid join, fetch
 *   or send; the attackers' valid joins and fetches use their own rooms (a replay of the busy shared
 *   room to every join would only cost time).
 *
 * DL_FUZZ_FRAMES sets the number of frames; DL_FUZZ_SEED (and DL_FUZZ_PATH, from fast-check's report)
 * replays a failure, with the same DL_FUZZ_FRAMES (it sets the batch size): fast-check prints the seed
 * and the path when the property fails, after shrinking the failing batches to the frames that fail them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_FRAME_TYPES, ClientFrame, MAX_BODY_CHARS, MAX_FETCH_LIMIT, MAX_FRAME_BYTES, RoomName, ServerFrame,
  type CoreEvent, type ErrorCode,
} from '../../src/protocol/index.js';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';
import { readDbHeads, readDbSnapshot } from '../../lab/history/db-snapshot.js';
import { loadCoreProcess, type Core } from '../support/dist-core.js';
import {
  closeMembers, expectAcksDurable, expectAllSendsAcked, expectDbConsistent, expectStreamsEqualDb, send, startMember, waitCaughtUp, within, type ChatMember,
} from '../support/chat-members.js';
import { RawSocket } from '../support/raw-socket.js';
import { waitFor } from '../support/wait-for.js';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`${name}=${raw} is not an integer`);
  return n;
}

/** Frames to generate and send in all. */
const FRAMES = Math.max(1, envInt('DL_FUZZ_FRAMES', 100_000));
/**
 * fast-check's seed (printed by fast-check when the property fails; set it to replay). Fixed by default, so
 * that `make test` fuzzes the same frames every time; DL_FUZZ_SEED=random explores new ones.
 */
const SEED = process.env['DL_FUZZ_SEED'] === 'random' ? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0 : envInt('DL_FUZZ_SEED', 20_261_130);
/** fast-check's counterexample path, to replay a failure's shrunk case directly (with its seed). */
const PATH = process.env.DL_FUZZ_PATH || undefined;

const WORKERS = 2;
/** Attacker connections per worker, each of a user of its own. */
const ATTACKERS_PER_WORKER = 2;
const ATTACKERS = WORKERS * ATTACKERS_PER_WORKER;
/** Frames each attacker sends before it waits for their answers. */
const BATCH = Math.min(500, Math.ceil(FRAMES / ATTACKERS));
/** fast-check runs: each sends one batch on every attacker connection. */
const RUNS = Math.ceil(FRAMES / (ATTACKERS * BATCH));
/** Frames per second each attacker sends at most: under the worker's 5,000/s per connection (burst 10,000). */
const PACE_PER_SEC = 4000;
/** Frames over this close the connection with 1009 (src/server/worker.ts, HARD_FRAME_BYTES): the generator stays under it. */
const HARD_FRAME_BYTES = 4 * MAX_FRAME_BYTES;

const ANSWERS_TIMEOUT_MS = 20_000;
/** fast-check stops (and fails) past this, shrinking included, so a failure is reported before the test's timeout. */
const FUZZ_TIME_LIMIT_MS = 120_000;
const TEST_TIMEOUT_MS = 240_000; // above the fuzz bound, the settling and the final checks, so a slow failure still prints its seed
const SETTLE_TIMEOUT_MS = 30_000;
/** The well-behaved sender sends one message this often while the attackers fuzz. */
const SEND_EVERY_MS = 20;

/** The room the well-behaved members (and the attackers' valid sends) share. */
const SHARED = 'shared';
/** The rooms the attackers' valid frames join, fetch, leave and send to. */
const FUZZ_ROOMS = ['fz-0', 'fz-1', 'fz-2', 'fz-3', 'fz-4', 'fz-5'];

// ---------------------------------------------------------------------------------------------
// What is sent: a frame as generated (small, readable in a counterexample), made into bytes when sent.

type Frame =
  /** A text frame, as is (lone surrogates reach the wire as U+FFFD, as any UTF-8 encoder writes them). */
  | { kind: 'text'; text: string }
  /** A JSON text frame (JSON.stringify writes lone surrogates as \uD800 escapes, which JSON.parse turns back into them). */
  | { kind: 'json'; value: unknown }
  /** JSON text cut short at, or with `insert` put in at, a fraction of its length. */
  | { kind: 'mangled'; value: unknown; at: number; insert: string | null }
  | { kind: 'binary'; bytes: Uint8Array }
  /** A send frame padded to about `bytes` bytes (over MAX_FRAME_BYTES: too_large), built when sent. */
  | { kind: 'big'; bytes: number }
  /** `depth` nested arrays, alone or as the body of a send. */
  | { kind: 'deep'; depth: number; inSend: boolean }
  /** A send whose body is `char` `count` times (around MAX_BODY_CHARS), built when sent. */
  | { kind: 'long-body'; char: string; count: number };

function wireOf(f: Frame): { data: Buffer; binary: boolean } {
  switch (f.kind) {
    case 'text': return { data: Buffer.from(f.text, 'utf8'), binary: false };
    case 'json': return { data: Buffer.from(JSON.stringify(f.value) ?? 'null', 'utf8'), binary: false };
    case 'mangled': {
      const s = JSON.stringify(f.value) ?? 'null';
      const i = Math.floor(f.at * s.length);
      return { data: Buffer.from(f.insert === null ? s.slice(0, i) : s.slice(0, i) + f.insert + s.slice(i), 'utf8'), binary: false };
    }
    case 'binary': return { data: Buffer.from(f.bytes), binary: true };
    case 'big': {
      const head = JSON.stringify({ type: 'send', id: `big-${f.bytes}`, room: FUZZ_ROOMS[0], body: '' });
      return { data: Buffer.from(`${head.slice(0, -2)}${'x'.repeat(Math.max(0, f.bytes - head.length))}"}`, 'utf8'), binary: false };
    }
    case 'deep': {
      const nest = '['.repeat(f.depth) + ']'.repeat(f.depth);
      return { data: Buffer.from(f.inSend ? `{"type":"send","id":"deep","room":"${FUZZ_ROOMS[0]}","body":${nest}}` : nest, 'utf8'), binary: false };
    }
    case 'long-body': {
      const frame = { type: 'send', id: `long-${f.char.codePointAt(0)}-${f.count}`, room: FUZZ_ROOMS[1], body: f.char.repeat(f.count) };
      return { data: Buffer.from(JSON.stringify(frame), 'utf8'), binary: false };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The oracle: what the contract (src/protocol: frames, error table, limits) says a frame is owed.

/** A server frame that answers one client frame; `msg`, `head` and `welcome` answer none. */
type Answer = Extract<ServerFrame, { type: 'error' | 'pong' | 'ack' | 'joined' | 'fetched' | 'left' }>;
const ANSWER_TYPES = new Set<ServerFrame['type']>(['error', 'pong', 'ack', 'joined', 'fetched', 'left']);

/** What one sent frame is owed: answers are matched to frames within groups of one key. */
interface Owed {
  key: string;
  /** The frame, shortened, for a failure's message. */
  what: string;
  /** The answers it may get. */
  accepts: (a: Answer) => boolean;
}

function answerKey(a: Answer): string {
  switch (a.type) {
    case 'error': return `ref:${a.ref ?? ''}`;
    case 'pong': return `pong:${a.nonce ?? ''}`;
    case 'ack': return `ref:${a.id}`;
    default: return `ref:${a.room}`;
  }
}

function short(s: string, n = 160): string {
  return s.length <= n ? s : `${s.slice(0, n)}… (${s.length} chars)`;
}

/** The worker decodes text as any WHATWG UTF-8 decoder does (a leading BOM is not part of the text). */
const decoder = new TextDecoder('utf-8', { fatal: true });

function owedFor(data: Buffer, binary: boolean): Owed {
  const what = binary ? `<binary ${data.length} bytes>` : short(data.toString('utf8'));
  const error = (codes: ErrorCode[], ref: string | undefined): Owed => ({
    key: `ref:${ref ?? ''}`,
    what: `${what} → error ${codes.join('|')}${ref === undefined ? '' : ` ref ${JSON.stringify(short(ref, 40))}`}`,
    accepts: (a) => a.type === 'error' && codes.includes(a.code) && a.ref === ref && a.message.length > 0,
  });
  if (binary) return error(['bad_frame'], undefined);
  if (data.length > MAX_FRAME_BYTES) return error(['too_large'], undefined);
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch {
    return error(['bad_json'], undefined);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return error(['bad_frame'], undefined);
  const rec = raw as Record<string, unknown>;
  // An error's ref is the frame's id, else its room, when it is a string (at most 64 UTF-16 units).
  const ref = (typeof rec.id === 'string' ? rec.id : typeof rec.room === 'string' ? rec.room : undefined)?.slice(0, 64);
  if (typeof rec.type !== 'string') return error(['bad_frame'], ref);
  if (!(CLIENT_FRAME_TYPES as readonly string[]).includes(rec.type)) return error(['unknown_type'], ref);
  const parsed = ClientFrame.safeParse(raw);
  if (!parsed.success) {
    // A room name that is not one is bad_room when it is the frame's only defect; with others, either code.
    const badRoom = typeof rec.room === 'string' && !RoomName.safeParse(rec.room).success;
    const onlyRoom = badRoom && ClientFrame.safeParse({ ...rec, room: FUZZ_ROOMS[0] }).success;
    return error(onlyRoom ? ['bad_room'] : badRoom ? ['bad_frame', 'bad_room'] : ['bad_frame'], ref);
  }
  // A valid frame: its normal answer, or the error the connection's state may give it (never an input error).
  const f = parsed.data;
  const stateError = (a: Answer, codes: ErrorCode[], ref: string) => a.type === 'error' && codes.includes(a.code) && a.ref === ref;
  switch (f.type) {
    case 'ping':
      return { key: `pong:${f.nonce ?? ''}`, what: `${what} → pong`, accepts: (a) => a.type === 'pong' && a.nonce === f.nonce };
    case 'join':
      return { key: `ref:${f.room}`, what: `${what} → joined`, accepts: (a) => (a.type === 'joined' && a.room === f.room) || stateError(a, ['too_many_rooms', 'too_many_reads', 'forbidden'], f.room) };
    case 'send':
      return { key: `ref:${f.id}`, what: `${what} → ack`, accepts: (a) => (a.type === 'ack' && a.id === f.id && a.room === f.room) || stateError(a, ['not_joined', 'rate_limited', 'id_conflict'], f.id) };
    case 'fetch':
      return { key: `ref:${f.room}`, what: `${what} → fetched`, accepts: (a) => (a.type === 'fetched' && a.room === f.room && a.after === f.after) || stateError(a, ['not_joined', 'too_many_reads'], f.room) };
    case 'leave':
      return { key: `ref:${f.room}`, what: `${what} → left`, accepts: (a) => (a.type === 'left' && a.room === f.room) || stateError(a, ['not_joined'], f.room) };
  }
}

/**
 * Matches answers to the frames that are owed them (a maximum bipartite matching per key: an answer
 * counts for one frame only); returns the frames left unanswered and the answers left over.
 */
function match(owed: readonly Owed[], answers: readonly Answer[]): { unanswered: Owed[]; extra: Answer[] } {
  const groups = new Map<string, { owed: Owed[]; answers: Answer[] }>();
  const group = (k: string) => {
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { owed: [], answers: [] }));
    return g;
  };
  for (const o of owed) group(o.key).owed.push(o);
  for (const a of answers) group(answerKey(a)).answers.push(a);
  const unanswered: Owed[] = [];
  const extra: Answer[] = [];
  for (const g of groups.values()) {
    const ownerOf: number[] = g.answers.map(() => -1);
    const augment = (i: number, seen: boolean[]): boolean => {
      for (let j = 0; j < g.answers.length; j++) {
        if (seen[j] || !g.owed[i]!.accepts(g.answers[j]!)) continue;
        seen[j] = true;
        if (ownerOf[j] === -1 || augment(ownerOf[j]!, seen)) {
          ownerOf[j] = i;
          return true;
        }
      }
      return false;
    };
    g.owed.forEach((o, i) => { if (!augment(i, [])) unanswered.push(o); });
    g.answers.forEach((a, j) => { if (ownerOf[j] === -1) extra.push(a); });
  }
  return { unanswered, extra };
}

// ---------------------------------------------------------------------------------------------
// The generators.

/** One code unit or code point of a fuzzed string: anything, lone surrogates and the JSON-special included. */
const fuzzChar = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom('\u0000', '"', '\\', '{', '}', '[', ']', ':', ',', '\u2028', '\u2029', '\ufeff', '\ufffd', '\uffff', '\u{10ffff}', '\u{1f600}', 'é', '\u0301') },
);
const fuzzString = (maxLength: number) => fc.string({ unit: fuzzChar, maxLength });
const roomChars = 'ABCXYZabcxyz0189_.:-';
const roomOf = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...roomChars), minLength: min, maxLength: max });

const validRoom = fc.constantFrom(...FUZZ_ROOMS);
const validId = fc.oneof(
  fc.constantFrom('dup-1', 'dup-2', 'dup-3'),
  fc.string({ unit: fc.constantFrom(...'ABCxyz019_-'), minLength: 1, maxLength: 64 }),
);
const validBody = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }));

/** Numbers a field should not get, and the edges of the ones it may. */
const oddNumber = fc.oneof(
  fc.constantFrom(
    0, -0, 1, -1, 0.5, -0.5, 1000, 1001, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e21, 1e300, -1e300,
    Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON,
  ),
  fc.integer(),
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
/** Any value a field should not get. */
const oddValue = fc.oneof(
  { weight: 4, arbitrary: oddNumber },
  { weight: 4, arbitrary: fuzzString(40) },
  { weight: 2, arbitrary: roomOf(65, 2000) },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, '', ' ', '0', '1', 'null', 'true', '-1', 'NaN', '__proto__', 'constructor') },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2, stringUnit: fuzzChar }) },
);
/** A field: usually what it should be, sometimes missing (undefined, dropped by JSON.stringify), sometimes anything. */
const field = (valid: fc.Arbitrary<unknown>) => fc.oneof(
  { weight: 5, arbitrary: valid },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: oddValue },
);
const FIELDS: Record<(typeof CLIENT_FRAME_TYPES)[number], Record<string, fc.Arbitrary<unknown>>> = {
  join: { room: fc.oneof(validRoom, roomOf(1, 64)), after: fc.option(fc.nat(), { nil: undefined }), replay: fc.option(fc.boolean(), { nil: undefined }) },
  send: { id: validId, room: validRoom, body: validBody },
  fetch: { room: validRoom, after: fc.nat(), limit: fc.option(fc.integer({ min: 1, max: MAX_FETCH_LIMIT }), { nil: undefined }) },
  leave: { room: validRoom },
  ping: { nonce: fc.option(fc.integer(), { nil: undefined }) },
};
const oddType = fc.oneof(
  fc.constantFrom('shout', 'JOIN', 'Join', 'join ', ' ping', 'pong', 'ack', 'error', 'welcome', 'msg', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'send\u0000'),
  fuzzString(20),
  oddValue,
);
const extraFields = fc.dictionary(
  fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'type', 'id', 'room', 'body', 'after', 'extra', ''), fuzzString(8)),
  oddValue,
  { maxKeys: 3 },
);
/** An object that looks like a client frame: a real type (or not), its fields mutated, extra fields. */
const frameLike = fc.constantFrom(...CLIENT_FRAME_TYPES).chain((type) => fc.record({
  type: fc.oneof({ weight: 6, arbitrary: fc.constant<unknown>(type) }, { weight: 1, arbitrary: oddType }),
  fields: fc.record(Object.fromEntries(Object.entries(FIELDS[type]).map(([k, v]) => [k, field(v)]))),
  extra: fc.option(extraFields, { nil: undefined, freq: 3 }),
  extraFirst: fc.boolean(),
})).map(({ type, fields, extra, extraFirst }): Record<string, unknown> => {
  // Extra fields before the frame's own ones lose to them (the last of two equal keys wins), after them they win.
  const own = { type, ...fields };
  return extra === undefined ? own : extraFirst ? { ...extra, ...own } : { ...own, ...extra };
});
/** A valid frame of the contract, to the attackers' own rooms (sends to the shared room too). */
const validFrame: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ type: fc.constant('join'), room: validRoom, after: fc.nat({ max: 50 }), replay: fc.boolean() }),
  fc.record({ type: fc.constant('send'), id: validId, room: fc.oneof(validRoom, fc.constant(SHARED)), body: validBody }),
  fc.record({ type: fc.constant('fetch'), room: validRoom, after: fc.nat({ max: 50 }), limit: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ type: fc.constant('leave'), room: validRoom }),
  fc.record({ type: fc.constant('ping'), nonce: fc.integer() }, { requiredKeys: [] }),
);

/** JSON text no JSON.stringify writes: numbers spelled every way (and some no JSON has), duplicate keys. */
const numberText = fc.constantFrom(
  '0', '-0', '1', '1.0', '1e0', '1E2', '-1', '01', '0x10', '1e400', '-1e400', '1e-400', 'NaN', 'Infinity', '.5', '5.', '+1', '1_000',
  '1000', '1001', '9007199254740991', '9007199254740992', '9007199254740993', '-9007199254740993', '123456789012345678901234567890',
);
const jsonTextFrame = fc.oneof(
  fc.tuple(fc.constantFrom(
    (n: string) => `{"type":"ping","nonce":${n}}`,
    (n: string) => `{"type":"fetch","room":"${FUZZ_ROOMS[2]}","after":${n}}`,
    (n: string) => `{"type":"fetch","room":"${FUZZ_ROOMS[2]}","after":0,"limit":${n}}`,
    (n: string) => `{"type":"join","room":"${FUZZ_ROOMS[2]}","after":${n},"replay":false}`,
  ), numberText).map(([template, n]) => template(n)),
  // Two objects run together: the second one's keys repeat the first's, and JSON.parse keeps the last.
  fc.tuple(fc.oneof(validFrame, frameLike), fc.oneof(validFrame, frameLike, extraFields)).map(([a, b]) => `${JSON.stringify(a).slice(0, -1)},${JSON.stringify(b).slice(1)}`),
);

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 10, arbitrary: fuzzString(200).map((text): Frame => ({ kind: 'text', text })) },
  { weight: 10, arbitrary: fc.jsonValue({ maxDepth: 4, stringUnit: fuzzChar }).map((value): Frame => ({ kind: 'json', value })) },
  { weight: 40, arbitrary: frameLike.map((value): Frame => ({ kind: 'json', value })) },
  { weight: 6, arbitrary: fc.record({ value: fc.oneof(frameLike, validFrame), at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), insert: fc.option(fc.oneof(fuzzString(6), fc.constantFrom('\ufeff', '"', '}', ',"type":"ping"', ' ')), { nil: null }) }).map((m): Frame => ({ kind: 'mangled', ...m })) },
  { weight: 1, arbitrary: validFrame.map((value): Frame => ({ kind: 'mangled', value, at: 0, insert: '\ufeff' })) },
  { weight: 5, arbitrary: fc.oneof(fc.uint8Array({ maxLength: 300 }), validFrame.map((v) => new TextEncoder().encode(JSON.stringify(v)))).map((bytes): Frame => ({ kind: 'binary', bytes })) },
  { weight: 15, arbitrary: validFrame.map((value): Frame => ({ kind: 'json', value })) },
  { weight: 4, arbitrary: jsonTextFrame.map((text): Frame => ({ kind: 'text', text })) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      { weight: 1, arbitrary: fc.constantFrom(MAX_FRAME_BYTES - 1, MAX_FRAME_BYTES, MAX_FRAME_BYTES + 1, HARD_FRAME_BYTES - 1, HARD_FRAME_BYTES).map((bytes): Frame => ({ kind: 'big', bytes })) },
      { weight: 1, arbitrary: fc.integer({ min: MAX_FRAME_BYTES - 100, max: HARD_FRAME_BYTES }).map((bytes): Frame => ({ kind: 'big', bytes })) },
      { weight: 3, arbitrary: fc.record({ depth: fc.integer({ min: 100, max: 20_000 }), inSend: fc.boolean() }).map((d): Frame => ({ kind: 'deep', ...d })) },
      { weight: 3, arbitrary: fc.record({ char: fc.constantFrom('a', 'é', '€', '\u{1f600}'), count: fc.constantFrom(MAX_BODY_CHARS - 1, MAX_BODY_CHARS, MAX_BODY_CHARS + 1) }).map((b): Frame => ({ kind: 'long-body', ...b })) },
      { weight: 15, arbitrary: fc.constant<Frame>({ kind: 'json', value: { type: 'ping' } }) },
    ),
  },
);
/**
 * One attacker's batch: generated as exactly BATCH frames (so the run sends DL_FUZZ_FRAMES), shrunk as
 * an array of any length (so a failing batch shrinks to the few frames that fail it, not to BATCH
 * simplified ones). Both are fast-check arrays of the same items: the generated value's context is one
 * the shrinking array understands.
 */
class BatchArbitrary extends fc.Arbitrary<Frame[]> {
  readonly #generated = fc.array(frameArb, { minLength: BATCH, maxLength: BATCH });
  readonly #shrunk = fc.array(frameArb, { minLength: 0, maxLength: BATCH });
  generate(mrng: fc.Random, biasFactor: number | undefined): fc.Value<Frame[]> {
    return this.#generated.generate(mrng, biasFactor);
  }
  canShrinkWithoutContext(value: unknown): value is Frame[] {
    return this.#shrunk.canShrinkWithoutContext(value);
  }
  shrink(value: Frame[], context: unknown): fc.Stream<fc.Value<Frame[]>> {
    return this.#shrunk.shrink(value, context);
  }
}
const batchArb = new BatchArbitrary();

// ---------------------------------------------------------------------------------------------
// The attackers' connections.

/** An attacker's connection: the answers it gets queue up; msg and head frames (no answers) are counted. */
class Attacker {
  ws: WebSocket | null = null;
  answers: Answer[] = [];
  /** Why the connection is gone, or null while it is up. */
  closed: string | null = 'not opened';
  /** Server frames that failed the ServerFrame schema, or came unasked (a second welcome). */
  readonly invalid: string[] = [];
  /** Frames that answer no frame: live msgs, replays and heads. */
  unsolicited = 0;
  /** Frames sent on the current connection, and when it opened (the pace is per connection). */
  sent = 0;
  since = 0;
  opens = 0;
  #wake: (() => void) | null = null;

  constructor(readonly user: string, readonly slot: number, readonly core: Core) {}

  async open(): Promise<void> {
    // The old connection's events are ignored from here on (each handler checks it is the current one).
    this.ws?.terminate();
    this.ws = null;
    const url = `${this.core.slotUrl(this.slot)}${await this.core.credentials(this.user)}`;
    this.answers = [];
    this.closed = null;
    this.opens += 1;
    const ws = new WebSocket(url);
    this.ws = ws;
    const welcomed = new Promise<void>((resolve, reject) => {
      let welcome = false;
      ws.on('message', (data, isBinary) => {
        if (this.ws !== ws) return;
        const text = String(data);
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        const p = ServerFrame.safeParse(json);
        if (isBinary || !p.success || (p.data.type === 'welcome' && welcome)) this.invalid.push(short(`${isBinary ? 'binary ' : ''}${text}`));
        else if (p.data.type === 'welcome') {
          welcome = true;
          resolve();
        } else if (ANSWER_TYPES.has(p.data.type)) this.answers.push(p.data as Answer);
        else this.unsolicited += 1;
        this.#wake?.();
      });
      ws.on('close', (code, reason) => {
        if (this.ws !== ws) return;
        this.closed ??= `closed by the server (${code} ${String(reason)})`;
        reject(new Error(`${this.user}: ${this.closed}`));
        this.#wake?.();
      });
      ws.on('error', (err) => {
        if (this.ws !== ws) return;
        this.closed = `socket error: ${err.message}`;
        reject(new Error(`${this.user}: ${this.closed}`));
        this.#wake?.();
      });
    });
    try {
      await within(welcomed, 10_000, `${this.user}'s welcome`);
    } catch (err) {
      this.reset(`no welcome: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    this.sent = 0;
    this.since = performance.now();
  }

  /** Terminates the connection (after a failed batch: whatever it still owes must not reach the next). */
  reset(why: string): void {
    this.closed ??= why;
    this.ws?.terminate();
  }

  /** Resolves once `n` answers are queued, or the connection is gone, or `timeoutMs` has passed. */
  async waitAnswers(n: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.answers.length < n && this.closed === null && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - performance.now()));
        this.#wake = () => { clearTimeout(t); resolve(); };
      });
      this.#wake = null;
    }
  }

  send(data: Buffer, binary: boolean): void {
    this.ws!.send(data, { binary });
    this.sent += 1;
  }
}

/** What the fuzz saw, for the summary. */
const seen = { frames: 0, answers: new Map<string, number>(), batches: 0 };

function count(a: Answer): void {
  const k = a.type === 'error' ? `error:${a.code}` : a.type;
  seen.answers.set(k, (seen.answers.get(k) ?? 0) + 1);
}

/**
 * Sends one batch on one attacker connection (paced) and checks the property: every frame answered
 * once with what it is owed, nothing else answered, no invalid server frame, the connection up.
 */
async function runBatch(att: Attacker, batch: readonly Frame[]): Promise<void> {
  // After a failure (fast-check then shrinks) each batch gets a fresh connection.
  if (att.closed !== null) await att.open();
  const frames = batch.map((f) => {
    const wire = wireOf(f);
    return { ...wire, owed: owedFor(wire.data, wire.binary) };
  });
  try {
    if (att.answers.length > 0) throw new Error(`answers that no frame asked for: ${JSON.stringify(att.answers.slice(0, 5))}`);
    // The pace: at most PACE_PER_SEC frames a second on this connection, one batch ahead at most.
    const due = att.since + (att.sent / PACE_PER_SEC) * 1000;
    if (performance.now() < due) await new Promise((r) => setTimeout(r, due - performance.now()));
    for (const f of frames) att.send(f.data, f.binary);
    await att.waitAnswers(frames.length, ANSWERS_TIMEOUT_MS);
    // Answers beyond the count (a frame answered twice) arrive with the next batch and fail it, or the final check.
    const answers = att.answers.splice(0);
    const { unanswered, extra } = match(frames.map((f) => f.owed), answers);
    const problems = [
      ...(att.closed !== null ? [`the connection is gone: ${att.closed}`] : []),
      ...(att.invalid.length > 0 ? [`server frames that fail the ServerFrame schema: ${att.invalid.slice(0, 5).join(' | ')}`] : []),
      ...(unanswered.length > 0 ? [`${unanswered.length} frame(s) without their answer: ${unanswered.slice(0, 5).map((o) => o.what).join(' | ')}`] : []),
      ...(extra.length > 0 ? [`${extra.length} answer(s) no frame was owed: ${extra.slice(0, 5).map((a) => short(JSON.stringify(a))).join(' | ')}`] : []),
    ];
    if (problems.length > 0) throw new Error(`${att.user} (worker ${att.slot}), ${frames.length} frames, ${answers.length} answers: ${problems.join('; ')}`);
    for (const a of answers) count(a);
    seen.frames += frames.length;
    seen.batches += 1;
  } catch (err) {
    att.reset('reset after a failed batch');
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------

const { startCore } = await loadCoreProcess();

let dir: string;
let redis: RedisServerHandle | undefined;
let core: Core | undefined;
const coreEvents: CoreEvent[] = [];
const attackers: Attacker[] = [];
const members: ChatMember[] = [];
const sockets: RawSocket[] = [];
/** A test failed: keep the temp dir (core.log, db.sqlite). */
let keep = false;

/**
 * Resolves once a message sent on `from` reaches a raw socket on `to` live (over Redis: raw sockets
 * never fetch): each worker listens before its Redis connections are up. Not /health: it may move.
 */
async function waitBusLive(c: Core, from: number, to: number): Promise<void> {
  let attempt = 0;
  await waitFor(async () => {
    const room = `bus-probe-${from}-${to}-${attempt++}`;
    const { socket: rx } = await RawSocket.open(`${c.slotUrl(to)}${await c.credentials('probe')}`);
    const { socket: tx } = await RawSocket.open(`${c.slotUrl(from)}${await c.credentials('probe')}`);
    try {
      for (const s of [rx, tx]) {
        s.send({ type: 'join', room, replay: false });
        await s.take('joined');
      }
      tx.send({ type: 'send', id: room, room, body: 'probe' });
      await tx.take('ack');
      await rx.take('msg', (m) => m.id === room, 1000);
    } finally {
      rx.close();
      tx.close();
    }
  }, 20_000, 50);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dl-core-fuzz-'));
  redis = await startRedisServer();
  core = await startCore({ workers: WORKERS, db: join(dir, 'db.sqlite'), redisUrls: [redis.url], logFile: join(dir, 'core.log'), onEvent: (e) => coreEvents.push(e) });
  await waitBusLive(core, 0, 1);
  await waitBusLive(core, 1, 0);
}, 60_000);

afterAll(async () => {
  for (const a of attackers) a.reset('test over');
  for (const s of sockets) s.close();
  await closeMembers(members);
  await core?.stop();
  await redis?.stop();
  if (keep) console.error(`kept ${dir} (core.log, db.sqlite) for the failed test`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') keep = true;
});

describe('core under fuzzed frames', () => {
  it(`answers each of ${FRAMES} generated frames with a code, keeps every connection up, and a well-behaved client beside it loses nothing`, async () => {
    const c = core!;
    const pids = [c.pid(0), c.pid(1)];
    expect(pids.every((p) => p !== undefined)).toBe(true);

    // The well-behaved: alice sends to the shared room from worker 0; bob (worker 1) and carol (worker 0) are in it.
    for (const [name, home] of [['alice', 0], ['bob', 1], ['carol', 0]] as const) {
      members.push(startMember({ name, home, rooms: [SHARED], urls: [c.slotUrl(home)], credentials: await c.credentials(name) }));
    }
    const [alice] = members as [ChatMember, ...ChatMember[]];
    await waitFor(() => {
      for (const m of members) expect(m.events.some((e) => e.type === 'joined'), `${m.name} joined`).toBe(true);
    }, 15_000);

    // The attackers: users of their own, ATTACKERS_PER_WORKER per worker, each in the shared room.
    for (let i = 0; i < ATTACKERS; i++) attackers.push(new Attacker(`fuzzer-${i}`, i % WORKERS, c));
    for (const a of attackers) {
      await a.open();
      a.send(Buffer.from(JSON.stringify({ type: 'join', room: SHARED, replay: false })), false);
      await a.waitAnswers(1, 10_000);
      expect(a.answers.splice(0)).toEqual([{ type: 'joined', room: SHARED, head: expect.any(Number) }]);
    }

    // alice sends one message every SEND_EVERY_MS on average: when the fuzzing keeps this process's
    // event loop busy past a tick, she catches up (a few at most) at the next.
    let sending = true;
    const sender = (async () => {
      const from = performance.now();
      let sent = 0;
      while (sending) {
        const due = Math.min(sent + 5, Math.floor((performance.now() - from) / SEND_EVERY_MS) + 1);
        for (; sent < due; sent++) void send(alice, SHARED, `alice#${sent + 1}`);
        await new Promise((r) => setTimeout(r, SEND_EVERY_MS));
      }
    })();

    const started = performance.now();
    try {
      await fc.assert(
        fc.asyncProperty(fc.tuple(...attackers.map(() => batchArb)), async (batches) => {
          const outcomes = await Promise.allSettled(batches.map((b, i) => runBatch(attackers[i]!, b)));
          const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason instanceof Error ? o.reason.message : String(o.reason)] : []));
          if (failures.length > 0) throw new Error(failures.join('\n'));
        }),
        {
          seed: SEED, numRuns: RUNS, ...(PATH === undefined ? {} : { path: PATH }),
          plugins: [fc.interruptAfterTimeLimit(FUZZ_TIME_LIMIT_MS, { failOnInterrupt: true })],
        },
      );
    } finally {
      sending = false;
      await sender;
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `core-fuzz: ${seen.frames} frames in ${seen.batches} batches on ${ATTACKERS} connections in ${seconds.toFixed(1)} s (${Math.round(seen.frames / seconds)}/s), `
      + `seed ${SEED}; answers: ${JSON.stringify(Object.fromEntries([...seen.answers].sort()))}; `
      + `unsolicited msg/head frames: ${attackers.reduce((n, a) => n + a.unsolicited, 0)}; alice sent ${alice.sends.length}`,
    );
    expect(seen.frames).toBeGreaterThanOrEqual(PATH === undefined ? FRAMES : 0);

    // Every attacker connection is the one it opened, still up, owes nothing more and answers a ping.
    for (const a of attackers) {
      expect({ user: a.user, closed: a.closed, opens: a.opens, invalid: a.invalid }).toEqual({ user: a.user, closed: null, opens: 1, invalid: [] });
      const nonce = 424242;
      a.send(Buffer.from(JSON.stringify({ type: 'ping', nonce })), false);
      await a.waitAnswers(1, 10_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(a.answers.splice(0), `${a.user}'s answers after the fuzz`).toEqual([{ type: 'pong', nonce }]);
    }

    // No worker died or was replaced.
    expect(coreEvents.filter((e) => e.type === 'worker-exit')).toEqual([]);
    expect([c.pid(0), c.pid(1)]).toEqual(pids);

    // The well-behaved lost nothing: every send acked, every ack a row, every stream the database's room.
    await expectAllSendsAcked([alice], SETTLE_TIMEOUT_MS);
    const dbFile = join(dir, 'db.sqlite');
    await waitCaughtUp(members, readDbHeads(dbFile), SETTLE_TIMEOUT_MS);
    const db = readDbSnapshot(dbFile);
    expectDbConsistent(db);
    expectAcksDurable([alice], db);
    expectStreamsEqualDb(members, db);
    for (const m of members) {
      const got = new Set(m.delivered.map((d) => d.id));
      expect(alice.acks.filter((a) => !got.has(a.id)).map((a) => a.id), `alice's acked messages ${m.name} did not get`).toEqual([]);
    }
    const reconnects = members.map((m) => ({ member: m.name, connects: m.events.filter((e) => e.type === 'connect').length }));
    console.log(`core-fuzz: alice ${alice.acks.length} acked, rows in ${SHARED}: ${db.messages.filter((r) => r.room === SHARED).length}; connects: ${JSON.stringify(reconnects)}`);
    // The core logs JSON lines at warn and above here (after its banner): nothing at error or fatal.
    const log = readFileSync(join(dir, 'core.log'), 'utf8').split('\n').filter((l) => l.startsWith('{'));
    console.log(`core-fuzz: core.log has ${log.length} warning(s) or worse${log.length > 0 ? `, the first: ${short(log[0]!, 300)}` : ''}`);
    expect(log.filter((l) => /"level":(50|60)/.test(l)).slice(0, 5), 'error lines in core.log').toEqual([]);
  }, TEST_TIMEOUT_MS);

  it('frames that close a connection by design close that one alone, and the harness reports it', async () => {
    const c = core!;
    const pids = [c.pid(0), c.pid(1)];
    const { socket: bystander } = await RawSocket.open(`${c.slotUrl(0)}${await c.credentials('bystander')}`);
    sockets.push(bystander);
    const victim = new Attacker('victim', 0, c);
    attackers.push(victim);

    // Over the hard limit: closed with 1009.
    await expect(runBatch(victim, [{ kind: 'big', bytes: HARD_FRAME_BYTES + 1 }])).rejects.toThrow(/the connection is gone: closed by the server \(1009 /);
    // A text frame that is not UTF-8: the WebSocket layer drops the connection.
    await victim.open();
    victim.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), false);
    await victim.waitAnswers(1, 5_000);
    expect(victim.closed).toMatch(/^closed by the server/);
    expect(victim.answers).toEqual([]);
    // A batch that closes its connection midway fails, with the frames before it answered.
    await expect(runBatch(victim, [{ kind: 'json', value: { type: 'ping', nonce: 1 } }, { kind: 'big', bytes: HARD_FRAME_BYTES + 1 }, { kind: 'json', value: { type: 'ping', nonce: 2 } }]))
      .rejects.toThrow(/the connection is gone: closed by the server \(1009 .*2 frame\(s\) without their answer: .*\{"type":"ping","nonce":2\}/s);
    // And a wrong answer is caught: a ping is not owed an error.
    expect(match([owedFor(Buffer.from('{"type":"ping","nonce":3}'), false)], [{ type: 'error', code: 'bad_frame', message: 'x' }]).unanswered).toHaveLength(1);

    expect(await bystander.ping(7)).toEqual({ type: 'pong', nonce: 7 });
    expect(bystander.open).toBe(true);
    expect([c.pid(0), c.pid(1)]).toEqual(pids);
    expect(coreEvents.filter((e) => e.type === 'worker-exit')).toEqual([]);
  }, 60_000);
});
