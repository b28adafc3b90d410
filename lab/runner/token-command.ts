import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { z } from 'zod';
import { signToken, UserName } from '../../src/protocol/auth.js';
import { loadAuthKey } from '../../src/protocol/node/auth-key.js';
import { parseOrUsage, UsageError } from './cli-errors.js';
import { parseDurationMs } from './overrides.js';

/** The core's room administration program. */
const ROOM_ADMIN = fileURLToPath(new URL('../../src/server/room-admin.js', import.meta.url));

const TokenOptions = z.object({
  authSecretFile: z.string().min(1).default('data/auth.key'),
  ttl: z.string().min(1).default('12h'),
});

/** A lifetime as written: 30s, 15m, 12h, 7d (or what `--duration` takes). */
function ttlSeconds(text: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'] : parseDurationMs(text, '--ttl');
  const s = Math.round(ms / 1000);
  if (s < 1 || s > 30 * 86_400) throw new UsageError(`--ttl: "${text}" must be between 1s and 30d`);
  return s;
}

/** `deliverylab token <user>`: a token signed with a local core's key; the last line is the token alone. */
export async function tokenCommand(user: string, raw: Record<string, unknown>): Promise<string> {
  const o = parseOrUsage(TokenOptions, raw, 'token');
  const name = UserName.safeParse(user);
  if (!name.success) throw new UsageError(`token: <user>: ${name.error.issues[0]?.message ?? 'not a user name'}`);
  const file = resolve(o.authSecretFile);
  if (!existsSync(file)) throw new UsageError(`token: --auth-secret-file ${o.authSecretFile} does not exist: start the core once (deliverylab serve makes it beside its database), or name its key file`);
  const ttl = ttlSeconds(o.ttl);
  const token = await signToken(loadAuthKey(file, false), name.data, ttl);
  return `token for ${name.data}, valid for ${ttl} s, signed with ${file}:\n${token}`;
}

/** `deliverylab room <room> …`: runs the core's room administration program with the same arguments; resolves with its exit code. */
export function roomCommand(argv: readonly string[]): Promise<number> {
  const child = fork(ROOM_ADMIN, [...argv], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 2)));
}
