import { SignJWT } from 'jose';
import { z } from 'zod';
import { codePoints, isWellFormedText } from './text.js';

/**
 * Who a connection is: a signed, expiring token (a JWT, HS256) whose subject is the user name. The
 * core verifies it at the WebSocket upgrade (`?token=` — browsers cannot set headers on a
 * WebSocket — or `Authorization: Bearer`); the sender of every message is its subject. The key is
 * a file of the node's (`--auth-secret-file`); `deliverylab token <user>` signs with the same file.
 * Tokens are signed with jose; the core checks them with `verifyTokenSync` (src/protocol/node).
 */

/** The issuer and audience every token carries. */
export const TOKEN_ISSUER = 'deliverylab';
export const TOKEN_AUDIENCE = 'deliverylab-core';
export const TOKEN_ALG = 'HS256';

/** Line and paragraph separators, controls, and format characters (bidi overrides, zero-width marks): never in a name. */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;


/**
 * A user name: well-formed Unicode (no lone surrogate), 1-64 code points, no control, format (bidi,
 * zero-width) or separator characters, and no space at either end. Names are compared as given.
 */
export const UserName = z.string()
  .refine((s) => isWellFormedText(s), 'a user name must be well-formed Unicode (no lone surrogate)')
  .refine((s) => codePoints(s) >= 1 && codePoints(s) <= 64, 'a user name is 1-64 characters')
  .refine((s) => !FORBIDDEN_IN_NAME.test(s), 'a user name has no control, format (bidi, zero-width) or line-separator characters')
  .refine((s) => s.trim() === s, 'a user name does not start or end with a space');

/** A token's lifetime, in seconds: at most 30 days. */
export const TokenTtl = z.number().int().min(1).max(30 * 24 * 3600);

/** Signs a token for `user`, valid for `ttlSeconds`. */
export async function signToken(key: Uint8Array, user: string, ttlSeconds: number): Promise<string> {
  const name = UserName.parse(user);
  return new SignJWT({})
    .setProtectedHeader({ alg: TOKEN_ALG, typ: 'JWT' })
    .setSubject(name)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + TokenTtl.parse(ttlSeconds))
    .sign(key);
}

/** Why a token was refused, as the 401's body says it. */
export type TokenRefusal = 'missing' | 'expired' | 'invalid';

/** The claims a token must carry (checked after its signature). */
export const TokenClaims = z.object({
  sub: UserName,
  iss: z.literal(TOKEN_ISSUER),
  aud: z.union([z.literal(TOKEN_AUDIENCE), z.array(z.string()).refine((a) => a.includes(TOKEN_AUDIENCE), 'audience')]),
  exp: z.number().int(),
});

/** The token a WebSocket upgrade or an HTTP request carries: `?token=` first, else `Authorization: Bearer`. */
export function tokenOf(query: string | undefined, authorization: string | undefined): string | undefined {
  const fromQuery = new URLSearchParams(query ?? '').get('token');
  if (fromQuery) return fromQuery;
  const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return m?.[1];
}
