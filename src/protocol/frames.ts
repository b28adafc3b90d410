import { z } from 'zod';
import { ERROR_CODE_NAMES, type ErrorCode } from './errors.js';
import { codePoints, hasNoNul, isWellFormedText } from './text.js';

/** Largest text frame the server accepts, in bytes; larger ones get `too_large`. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Largest message body, in characters (code points). */
export const MAX_BODY_CHARS = 16 * 1024;
/** Most messages one `fetch` or one join replay returns. */
export const MAX_FETCH_LIMIT = 1000;

/** A room name: 1-64 characters of letters, digits and `_ . : -`. */
export const RoomName = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'room must be 1-64 chars of [A-Za-z0-9_.:-]');
/** A client-made message id (ULID or UUIDv7 recommended: time-ordered ids insert faster). */
export const MessageId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'id must be 1-64 chars of [A-Za-z0-9_-]');
/** A per-room sequence number; 0 means "before the first message". */
export const Seq = z.number().int().nonnegative();

/** `join`: subscribe to a room; the server replays every committed message with seq > after (unless replay is false). */
export const JoinFrame = z.object({ type: z.literal('join'), room: RoomName, after: Seq.default(0), replay: z.boolean().default(true) });
/**
 * A number the client picks per `send()` and repeats on each of its retries; the server echoes it in that
 * send's `ack` or `error`. An id reused for a new send gets a new nonce, so a late answer to the earlier
 * send (a duplicate ack still on the wire) is told apart from the new send's own answer.
 */
export const SendNonce = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** `send`: commit a message; the id (and the nonce, if any) is reused on every retry. */
export const SendFrame = z.object({
  type: z.literal('send'), id: MessageId, room: RoomName, nonce: SendNonce.optional(),
  // Well-formed Unicode only: a lone surrogate would be stored as something else than was sent, and the
  // same send retried would no longer match itself.
  body: z.string().max(4 * MAX_BODY_CHARS).refine((s) => isWellFormedText(s), 'body must be well-formed Unicode (no lone surrogate)')
    .refine((s) => hasNoNul(s), 'body must not contain U+0000 (no store of the core can hold it)')
    .refine((s) => s.length <= MAX_BODY_CHARS || codePoints(s) <= MAX_BODY_CHARS, `body is at most ${MAX_BODY_CHARS} characters`),
});
/** `fetch`: read committed messages of a room with seq > after (gap fill). */
export const FetchFrame = z.object({ type: z.literal('fetch'), room: RoomName, after: Seq, limit: z.number().int().min(1).max(MAX_FETCH_LIMIT).default(MAX_FETCH_LIMIT) });
/** `leave`: unsubscribe from a room. */
export const LeaveFrame = z.object({ type: z.literal('leave'), room: RoomName });
/** `ping`: liveness probe; the server answers `pong` with the same nonce. */
export const PingFrame = z.object({ type: z.literal('ping'), nonce: z.number().int().optional() });

/** Every frame a client may send, discriminated by `type`. */
export const ClientFrame = z.discriminatedUnion('type', [JoinFrame, SendFrame, FetchFrame, LeaveFrame, PingFrame]);
/** A validated client frame. */
export type ClientFrame = z.infer<typeof ClientFrame>;
/** The client frame types. */
export const CLIENT_FRAME_TYPES = ['join', 'send', 'fetch', 'leave', 'ping'] as const;

/** `welcome`: sent once on connect; `nonces: true` says the core echoes a send's nonce in every answer that names the send. */
export const WelcomeFrame = z.object({ type: z.literal('welcome'), worker: z.number().int(), pid: z.number().int(), user: z.string(), nonces: z.literal(true).optional() });
/** `joined`: the join's replay is complete; head is the room's committed head when the replay was read. */
export const JoinedFrame = z.object({ type: z.literal('joined'), room: RoomName, head: Seq });
/** `ack`: the send is committed with this seq; duplicate is true when the id was already committed; nonce is the send's. */
export const AckFrame = z.object({ type: z.literal('ack'), id: MessageId, room: RoomName, seq: Seq, duplicate: z.boolean(), nonce: SendNonce.optional() });
/** `msg`: a committed message (live, replayed or fetched). */
export const MsgFrame = z.object({ type: z.literal('msg'), id: MessageId, room: RoomName, seq: Seq, sender: z.string(), body: z.string(), ts: z.number() });
/** `head`: the room's committed head, read from the database. */
export const HeadFrame = z.object({ type: z.literal('head'), room: RoomName, seq: Seq });
/** `fetched`: the end of a fetch answer (its msgs precede it); more is true when the limit was hit. */
export const FetchedFrame = z.object({ type: z.literal('fetched'), room: RoomName, after: Seq, count: z.number().int(), more: z.boolean() });
/** `left`: the leave is done. */
export const LeftFrame = z.object({ type: z.literal('left'), room: RoomName });
/** `pong`: answer to ping. */
export const PongFrame = z.object({ type: z.literal('pong'), nonce: z.number().int().optional() });
/** `error`: a bad frame or a failed operation; ref is the message id or room it concerns, nonce the send's if it refuses one. */
export const ErrorFrame = z.object({
  type: z.literal('error'),
  code: z.enum(ERROR_CODE_NAMES as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
  ref: z.string().optional(),
  nonce: SendNonce.optional(),
});

/** Every frame a server may send, discriminated by `type`. */
export const ServerFrame = z.discriminatedUnion('type', [
  WelcomeFrame, JoinedFrame, AckFrame, MsgFrame, HeadFrame, FetchedFrame, LeftFrame, PongFrame, ErrorFrame,
]);
/** A validated server frame. */
export type ServerFrame = z.infer<typeof ServerFrame>;
export type WelcomeFrame = z.infer<typeof WelcomeFrame>;
export type JoinedFrame = z.infer<typeof JoinedFrame>;
export type AckFrame = z.infer<typeof AckFrame>;
export type MsgFrame = z.infer<typeof MsgFrame>;
export type HeadFrame = z.infer<typeof HeadFrame>;
export type FetchedFrame = z.infer<typeof FetchedFrame>;
export type ErrorFrame = z.infer<typeof ErrorFrame>;
export type JoinFrame = z.infer<typeof JoinFrame>;
export type SendFrame = z.infer<typeof SendFrame>;
export type FetchFrame = z.infer<typeof FetchFrame>;
