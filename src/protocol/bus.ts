import { z } from 'zod';
import { MsgFrame } from './frames.js';

/** A worker's identity on the bus: `w<slot>:<pid>` (its own echoes are recognised by it). */
/** The Redis user the bus connects as, on the embedded redis-server and on the lab's Redis Clusters (an ACL user limited to what the bus runs). */
export const BUS_REDIS_USER = 'deliverylab';

export const BusOrigin = z.string().regex(/^w\d+:\d+$/, 'origin is w<slot>:<pid>');

/**
 * The key every worker of a node signs and checks bus messages with: at least 32 random bytes, as
 * lowercase hex (`openssl rand -hex 32`). The primary makes one at start or reads `--bus-key-file`;
 * it is never the Redis password (whoever can reach Redis must still not be able to forge).
 */
export const BusKey = z.string().trim().toLowerCase().regex(/^[0-9a-f]{64,1024}$/, 'a bus key is 64 to 1024 hex digits (32 bytes or more: openssl rand -hex 32)')
  .refine((s) => s.length % 2 === 0, 'a bus key is an even number of hex digits (whole bytes)');

/**
 * Messages published on a room's Redis channel, discriminated by `type`. `msg` carries a committed
 * message as the serialized `msg` frame every recipient gets (serialized once, forwarded as is).
 */
export const BusMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('msg'), origin: BusOrigin, frame: z.string() }),
]);
export type BusMessage = z.infer<typeof BusMessage>;

/** Why a received bus message was dropped: its MAC is missing or does not verify, or it is not a valid envelope of a `msg` frame of the channel's room. */
export const BusRejectReason = z.enum(['bad_mac', 'bad_schema']);
export type BusRejectReason = z.infer<typeof BusRejectReason>;

/**
 * Signs and checks the MAC of a bus message (HMAC-SHA256 with the node's bus key in the core,
 * `src/fanout/bus-mac.ts`). The MAC covers the room, the origin and the frame, as laid out by
 * {@link busMacHeader} followed by the frame: a message cannot be moved to another room or origin.
 */
export interface BusMac {
  /** The MAC of (room, origin, frame), as the envelope carries it. */
  sign(room: string, origin: string, frame: string): string;
  /** True when `mac` is the MAC of (room, origin, frame); compares in constant time. */
  verify(room: string, origin: string, frame: string, mac: string): boolean;
}

/**
 * What the MAC covers before the frame: a version tag, the room (length-prefixed) and the origin
 * (a validated origin holds no newline), so that no two (room, origin, frame) share an input.
 */
export function busMacHeader(room: string, origin: string): string {
  return `dl-bus-v1\n${room.length}:${room}\n${origin}\n`;
}

/** Encodes a signed bus message for `room`: `m <origin> <mac>\n<frame JSON>`. */
export function encodeBusMessage(m: BusMessage, room: string, mac: BusMac): string {
  switch (m.type) {
    case 'msg': return `m ${m.origin} ${mac.sign(room, m.origin, m.frame)}\n${m.frame}`;
  }
}

/** A decoded bus message, or why it was dropped. */
export type DecodedBusMessage = { ok: true; message: BusMessage } | { ok: false; reason: BusRejectReason };

/**
 * Decodes and checks a bus message received on `room`'s channel: the envelope, its MAC (before
 * anything of the frame is parsed), then the frame it carries (a `msg` frame of the same room).
 * Anything else (a foreign publisher, an unsigned or forged message, a corrupt payload) is
 * dropped with its reason and never reaches a client.
 */
export function decodeBusMessage(s: string, room: string, mac: BusMac): DecodedBusMessage {
  if (!s.startsWith('m ')) return BAD_SCHEMA;
  const nl = s.indexOf('\n');
  if (nl < 0) return BAD_SCHEMA;
  const sp = s.indexOf(' ', 2);
  const signed = sp >= 0 && sp < nl;
  const origin = s.slice(2, signed ? sp : nl);
  if (!BusOrigin.safeParse(origin).success) return BAD_SCHEMA;
  // An envelope without a MAC (the unsigned format, or a foreign publisher) is a MAC failure.
  if (!signed) return BAD_MAC;
  const frame = s.slice(nl + 1);
  if (!mac.verify(room, origin, frame, s.slice(sp + 1, nl))) return BAD_MAC;
  let raw: unknown;
  try { raw = JSON.parse(frame); } catch { return BAD_SCHEMA; }
  const f = MsgFrame.safeParse(raw);
  if (!f.success || f.data.room !== room) return BAD_SCHEMA;
  return { ok: true, message: { type: 'msg', origin, frame } };
}

const BAD_MAC: DecodedBusMessage = Object.freeze({ ok: false, reason: 'bad_mac' });
const BAD_SCHEMA: DecodedBusMessage = Object.freeze({ ok: false, reason: 'bad_schema' });

/**
 * A Redis URL (or a comma-separated list of them) fit to be shown: a password it carries is
 * replaced by `***` (`redis://:***@127.0.0.1:6379`, `unix://deliverylab:***@/run/redis.sock`; a
 * user alone, `redis://name@host`, is hidden whole, as some clients read it as a password).
 * A unix socket path has nothing to hide and is returned as is.
 */
export function redactRedisUrl(url: string): string {
  return url.split(',').map((u) => {
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(u);
    if (!scheme) return u;
    const rest = u.slice(scheme[0].length);
    // The authority ends at the first '/', '?' or '#'; its credentials end at its last '@'.
    const end = rest.search(/[/?#]/);
    const authority = end < 0 ? rest : rest.slice(0, end);
    const at = authority.lastIndexOf('@');
    if (at < 0) return u;
    // `user:password@` keeps the user; a lone `secret@` may be a password (clients differ): all of it goes.
    const colon = authority.indexOf(':');
    const hidden = colon >= 0 && colon < at ? `${authority.slice(0, colon)}:***` : '***';
    return `${scheme[0]}${hidden}@${rest.slice(at + 1)}`;
  }).join(',');
}
