import { createHmac, createSecretKey, hash, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { BusKey, busMacHeader, type BusMac } from '../protocol/index.js';

/** Bytes of a key the primary makes itself. */
const KEY_BYTES = 32;
/** Characters of a MAC in the envelope: HMAC-SHA256 (32 bytes) in base64url without padding. */
const MAC_CHARS = 43;

/** Thrown when `--bus-key-file` cannot be used; the message says why and never holds the key. */
export class BusKeyFileError extends Error {
  override readonly name = 'BusKeyFileError';
}

/** A fresh random bus key (hex), made by the primary at start when it is given no key file. */
export function generateBusKey(): string {
  return randomBytes(KEY_BYTES).toString('hex');
}

/**
 * Reads a bus key file (`--bus-key-file`): one line of hex, at least 32 bytes, readable by its owner
 * alone (like an ssh key, a file others can read is refused). Nodes that share one Redis share it.
 */
export function readBusKeyFile(path: string): string {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new BusKeyFileError(`--bus-key-file ${path}: not a regular file`);
    if ((st.mode & 0o077) !== 0) throw new BusKeyFileError(`--bus-key-file ${path}: group or others may access it (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof BusKeyFileError) throw e;
    throw new BusKeyFileError(`--bus-key-file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const key = BusKey.safeParse(text);
  if (!key.success) throw new BusKeyFileError(`--bus-key-file ${path}: ${key.error.issues[0]?.message ?? 'not a bus key'}`);
  return key.data;
}

/** SHA-256's block size: the HMAC key pads are one block each (RFC 2104). */
const SHA256_BLOCK = 64;
/** Inputs up to this many bytes are hashed from one reused buffer; longer ones go through `createHmac`. */
const SCRATCH_BYTES = 64 * 1024;

/**
 * The bus's MAC: HMAC-SHA256 with the node's key over the room, the origin and the frame, in base64url.
 * Computed as RFC 2104 lays it out, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), with Node's one-shot `hash()`
 * over buffers made once: `createHmac` makes an object and re-derives the key pads on every call, which
 * cost a worker 7.3% of its perf samples at saturation (`HmacInit`). `createHmac` is the reference the
 * unit tests hold this to, and still signs inputs too long for the buffer.
 */
export function createBusMac(keyHex: string): BusMac {
  const keyBytes = Buffer.from(BusKey.parse(keyHex), 'hex');
  const key: KeyObject = createSecretKey(keyBytes);
  // A key longer than a block is hashed first (RFC 2104); a shorter one is padded with zeros.
  const k = Buffer.alloc(SHA256_BLOCK);
  (keyBytes.length > SHA256_BLOCK ? hash('sha256', keyBytes, 'buffer') : keyBytes).copy(k);
  // Not from Node's shared pool: these hold the key's pads for the life of the bus.
  const inner = Buffer.alloc(SHA256_BLOCK + SCRATCH_BYTES);
  const outer = Buffer.alloc(SHA256_BLOCK + 32);
  for (let i = 0; i < SHA256_BLOCK; i++) {
    inner[i] = k[i]! ^ 0x36;
    outer[i] = k[i]! ^ 0x5c;
  }
  const sign = (room: string, origin: string, frame: string) => {
    const m = busMacHeader(room, origin) + frame;
    // Written only when it surely fits (3 bytes of UTF-8 at most per UTF-16 unit).
    if (m.length * 3 > SCRATCH_BYTES) return createHmac('sha256', key).update(m).digest('base64url');
    const n = inner.write(m, SHA256_BLOCK, 'utf8');
    hash('sha256', inner.subarray(0, SHA256_BLOCK + n), 'buffer').copy(outer, SHA256_BLOCK);
    return hash('sha256', outer, 'base64url');
  };
  return {
    sign,
    verify: (room, origin, frame, mac) => {
      // Compared as the text it travels as: a MAC spelled any other way (padding, other characters) is refused.
      const given = Buffer.from(mac);
      if (given.length !== MAC_CHARS) return false;
      return timingSafeEqual(given, Buffer.from(sign(room, origin, frame)));
    },
  };
}

/** The bus's MAC as `createHmac` computes it: the reference `createBusMac` is tested against. */
export function referenceBusMac(keyHex: string, room: string, origin: string, frame: string): string {
  return createHmac('sha256', Buffer.from(BusKey.parse(keyHex), 'hex')).update(busMacHeader(room, origin) + frame).digest('base64url');
}
