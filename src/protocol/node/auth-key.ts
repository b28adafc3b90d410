import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { TOKEN_ALG, TokenClaims, type TokenRefusal } from '../auth.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The node's token key as a file (src/protocol/node holds the parts of the contract that need Node:
 * files; the browser bundle never imports them).
 */

/** A key shorter than this is refused (HS256 wants at least 256 bits). */
const MIN_KEY_BYTES = 32;

/** Reads a node's key file, or makes one (32 random bytes, hex, mode 0600) when `create` and it is missing. */
export function loadAuthKey(file: string, create: boolean): Uint8Array {
  if (!existsSync(file)) {
    if (!create) throw new Error(`auth key file ${file} does not exist (serve creates it on first start; or pass --auth-secret-file)`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
  if (key.length < MIN_KEY_BYTES) throw new Error(`auth key file ${file} holds ${key.length} bytes; it needs at least ${MIN_KEY_BYTES}`);
  return new Uint8Array(key);
}

/**
 * Checks a token at once (no promise): jose decodes its header and claims, the HS256 signature is
 * compared in constant time, then the claims are validated (issuer, audience, expiry, a valid user
 * name as subject). The core's WebSocket upgrade must answer synchronously: this uWS closes a socket
 * it upgraded after an asynchronous gap now and then (uNetworking/uWebSockets#1928), and jose's
 * own `jwtVerify` is asynchronous.
 */
export function verifyTokenSync(key: Uint8Array, token: string | undefined, nowSeconds = Math.floor(Date.now() / 1000)): { user: string } | { refused: TokenRefusal; why: string } {
  if (token === undefined || token === '') return { refused: 'missing', why: 'no token: pass ?token= or Authorization: Bearer' };
  const invalid = { refused: 'invalid' as const, why: 'the token is not valid (signature, issuer, audience or form)' };
  const parts = token.split('.');
  // One spelling of the signature only (32 bytes, unpadded base64url): no other string passes for the same token.
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(parts[2]!)) return invalid;
  let claims: Record<string, unknown>;
  try {
    const header = decodeProtectedHeader(token);
    // A header that asks for something this check does not do (crit) is refused, as RFC 7515 says.
    if (header.alg !== TOKEN_ALG || header.crit !== undefined) return invalid;
    claims = decodeJwt(token);
  } catch {
    return invalid;
  }
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > nowSeconds)) return invalid;
  const expected = createHmac('sha256', key).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
  const c = TokenClaims.safeParse(claims);
  if (!c.success) {
    const sub = c.error.issues.find((i) => i.path[0] === 'sub');
    return sub ? { refused: 'invalid', why: `the token's subject is not a valid user name: ${sub.message}` } : invalid;
  }
  if (c.data.exp <= nowSeconds) return { refused: 'expired', why: 'the token has expired' };
  return { user: c.data.sub };
}
