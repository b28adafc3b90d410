import { z } from 'zod';

/** The points of the send path where a worker can be made to crash, in the order the default path reaches them. */
export const CRASH_POINTS = ['before-commit', 'after-commit-before-ack', 'after-ack-before-publish'] as const;
/** A crash point of the send path. */
export type CrashPoint = (typeof CRASH_POINTS)[number];
/** zod schema of a crash point. */
export const CrashPoint = z.enum(CRASH_POINTS);

/** The failpoint that arms a crash point. */
export function crashFailpoint(point: CrashPoint): `crash.${CrashPoint}` {
  return `crash.${point}`;
}

/**
 * Failpoints: named points in a worker, off unless armed through the control channel.
 * Crash points fire once, on the `nth` send the worker handles after arming, then disarm.
 */
export const FAILPOINTS = {
  'crash.before-commit': { doc: 'Exit (SIGKILL itself) just before the commit: after validation by default, after the publish or the ack in the seeded bugs that do those first.', kind: 'crash' },
  'crash.after-commit-before-ack': { doc: 'Exit after the commit, before the ack is sent.', kind: 'crash' },
  'crash.after-ack-before-publish': { doc: 'Exit after the ack, before the Redis publish.', kind: 'crash' },
  'publish.duplicate': { doc: 'Publish each message twice with the given probability.', kind: 'publish' },
  'publish.delay': { doc: 'Hold each publish back by a random delay within windowMs (reorders publishes).', kind: 'publish' },
  'redis.unsubscribe': { doc: "Silently drop the worker's Redis subscriptions while it still believes it is subscribed.", kind: 'redis' },
} as const satisfies Record<`crash.${CrashPoint}`, { doc: string; kind: 'crash' }> & Record<string, { doc: string; kind: 'crash' | 'publish' | 'redis' }>;

/** A failpoint name. */
export type FailpointName = keyof typeof FAILPOINTS;
/** Every failpoint name, in table order. */
export const FAILPOINT_NAMES = Object.keys(FAILPOINTS) as FailpointName[];
/** zod schema of a failpoint name. */
export const FailpointName = z.enum(FAILPOINT_NAMES as [FailpointName, ...FailpointName[]]);

/** Parameters of an armed failpoint (units in the names). */
export const FailpointParams = z.object({
  /** Crash points: fire on the nth send after arming. @default 1 */
  nth: z.number().int().min(1).default(1),
  /** publish.*: chance that a publish is affected. @default 1 */
  probability: z.number().min(0).max(1).default(1),
  /** publish.delay: delays are uniform in [0, windowMs). @default 50 */
  windowMs: z.number().int().min(0).max(60_000).default(50),
  /** Seed of the failpoint's random choices. @default 1 */
  seed: z.number().int().default(1),
});
export type FailpointParams = z.infer<typeof FailpointParams>;
