import { z } from 'zod';
import { MsgFrame } from './frames.js';

/** A worker's identity on the bus: `w<slot>:<pid>` (its own echoes are recognised by it). */
export const BusOrigin = z.string().regex(/^w\d+:\d+$/, 'origin is w<slot>:<pid>');

/**
 * Messages published on a room's Redis channel, discriminated by `type`. `msg` carries a committed
 * message as the serialized `msg` frame every recipient gets (serialized once, forwarded as is).
 */
export const BusMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('msg'), origin: BusOrigin, frame: z.string() }),
]);
export type BusMessage = z.infer<typeof BusMessage>;

/** Encodes a bus message: `m <origin>\n<frame JSON>`. */
export function encodeBusMessage(m: BusMessage): string {
  switch (m.type) {
    case 'msg': return `m ${m.origin}\n${m.frame}`;
  }
}

/**
 * Decodes and validates a bus message: the envelope, and the frame it carries (a `msg` frame of the
 * same room). Anything else (a foreign publisher, a corrupt payload) is undefined and never reaches a client.
 */
export function decodeBusMessage(s: string, room: string): BusMessage | undefined {
  if (!s.startsWith('m ')) return undefined;
  const nl = s.indexOf('\n');
  if (nl < 0) return undefined;
  const origin = s.slice(2, nl);
  const frame = s.slice(nl + 1);
  if (!BusOrigin.safeParse(origin).success) return undefined;
  let raw: unknown;
  try { raw = JSON.parse(frame); } catch { return undefined; }
  const f = MsgFrame.safeParse(raw);
  if (!f.success || f.data.room !== room) return undefined;
  return { type: 'msg', origin, frame };
}
