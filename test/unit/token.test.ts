import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signToken, TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/protocol/auth.js';
import { verifyTokenSync } from '../../src/protocol/node/auth-key.js';

const key = new TextEncoder().encode('k'.repeat(64));
const other = new TextEncoder().encode('o'.repeat(64));
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('tokens', () => {
  it('a token signed by signToken verifies as its subject', async () => {
    expect(verifyTokenSync(key, await signToken(key, 'zoë😀', 60))).toEqual({ user: 'zoë😀' });
  });

  it('refuses a missing token, another key, a changed payload, alg none, an expired one, and a foreign issuer', async () => {
    const good = await signToken(key, 'ann', 60);
    expect(verifyTokenSync(key, undefined)).toMatchObject({ refused: 'missing' });
    expect(verifyTokenSync(other, good)).toMatchObject({ refused: 'invalid' });
    const [h, , s] = good.split('.');
    const exp = Math.floor(Date.now() / 1000) + 60;
    expect(verifyTokenSync(key, `${h}.${b64({ sub: 'admin', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp })}.${s}`)).toMatchObject({ refused: 'invalid' });
    expect(verifyTokenSync(key, `${b64({ alg: 'none' })}.${b64({ sub: 'admin', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp })}.`)).toMatchObject({ refused: 'invalid' });
    expect(verifyTokenSync(key, good, exp + 10)).toMatchObject({ refused: 'expired' });
    const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('ann').setIssuer('someone').setAudience(TOKEN_AUDIENCE).setExpirationTime(exp).sign(key);
    expect(verifyTokenSync(key, foreign)).toMatchObject({ refused: 'invalid' });
    expect(verifyTokenSync(key, 'not.a.token')).toMatchObject({ refused: 'invalid' });
    // One spelling of a valid token only: padding, another base64 alphabet or changed unused bits do not pass.
    expect(verifyTokenSync(key, `${good}==`)).toMatchObject({ refused: 'invalid' });
    expect(verifyTokenSync(key, good.replace(/-/g, '+').replace(/_/g, '/'))).toMatchObject(good.includes('-') || good.includes('_') ? { refused: 'invalid' } : { user: 'ann' });
    const last = good.at(-1)!;
    const sibling = String.fromCharCode(last.charCodeAt(0) + 1);
    expect(verifyTokenSync(key, `${good.slice(0, -1)}${sibling}`)).toMatchObject({ refused: 'invalid' });
    // A header with crit, signed correctly with the node's key (made by hand: jose will not sign an extension it does not know).
    const critInput = `${b64({ alg: 'HS256', crit: ['x'], x: 1 })}.${b64({ sub: 'ann', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp })}`;
    const withCrit = `${critInput}.${createHmac('sha256', key).update(critInput).digest('base64url')}`;
    expect(verifyTokenSync(key, withCrit)).toMatchObject({ refused: 'invalid' });
    const notYet = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('ann').setIssuer(TOKEN_ISSUER).setAudience(TOKEN_AUDIENCE).setNotBefore(exp).setExpirationTime(exp + 60).sign(key);
    expect(verifyTokenSync(key, notYet)).toMatchObject({ refused: 'invalid' });
  });
});
