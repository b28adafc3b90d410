import { CLIENT_FRAME_TYPES, ClientFrame, MAX_FRAME_BYTES, SendNonce, type ErrorCode } from '../protocol/index.js';

/** The outcome of parsing one text frame. */
export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; code: ErrorCode; message: string; ref?: string; nonce?: number };

const KNOWN = new Set<string>(CLIENT_FRAME_TYPES);
const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses and validates one client frame; every failure maps to an error code of the table. */
export function parseFrame(data: ArrayBuffer | string): ParsedFrame {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (size > MAX_FRAME_BYTES) return { ok: false, code: 'too_large', message: `frame of ${size} bytes exceeds ${MAX_FRAME_BYTES}` };
  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
  } catch (err) {
    return { ok: false, code: 'bad_json', message: err instanceof Error ? err.message : 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, code: 'bad_frame', message: 'a frame is a JSON object' };
  const rec = raw as Record<string, unknown>;
  if (typeof rec.type !== 'string') return withRef({ ok: false, code: 'bad_frame', message: 'field "type" must be a string' }, rec);
  if (!KNOWN.has(rec.type)) return withRef({ ok: false, code: 'unknown_type', message: `unknown frame type "${rec.type.slice(0, 32)}"` }, rec);
  const parsed = ClientFrame.safeParse(raw);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0]!;
  const path = issue.path.join('.') || '(frame)';
  const code: ErrorCode = path === 'room' && rec.room !== undefined && typeof rec.room === 'string' ? 'bad_room' : 'bad_frame';
  return withRef({ ok: false, code, message: `${path}: ${issue.message}` }, rec);
}

/** A refusal names what it concerns: the frame's id, else its room; and a refused send's nonce when it is a valid one (echoed so a client reusing an id tells this answer apart). */
function withRef(p: ParsedFrame & { ok: false }, rec: Record<string, unknown>): ParsedFrame {
  const ref = typeof rec.id === 'string' ? rec.id : typeof rec.room === 'string' ? rec.room : undefined;
  const nonce = rec.type === 'send' && SendNonce.safeParse(rec.nonce).success ? (rec.nonce as number) : undefined;
  return { ...p, ...(ref === undefined ? {} : { ref: ref.slice(0, 64) }), ...(nonce === undefined ? {} : { nonce }) };
}
