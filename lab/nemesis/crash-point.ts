import { z } from 'zod';
import { CrashPoint, crashFailpoint } from '../../src/protocol/index.js';
import { defineFault, slotsOf } from './fault.js';
import { armFailpoint } from './failpoint-fault.js';

/** Kills a worker at an exact instant of the send path, on its nth send after arming (deterministic worst case). */
export const crashPoint = defineFault({
  doc: 'Arms a crash point (before-commit, after-commit-before-ack, after-ack-before-publish) that SIGKILLs the worker on its nth send.',
  targets: 'workers',
  params: z.object({ point: CrashPoint, nth: z.number().int().min(1).default(5) }).strict(),
  start: async (ctx, target, p) => {
    const before = new Map(slotsOf(target).map((s) => [s, ctx.core.pid(s)]));
    const disarm = await armFailpoint(ctx, target, crashFailpoint(p.point), { nth: p.nth });
    return async () => {
      // A worker that fired is a new process (armed nothing); one that did not is disarmed.
      await disarm();
      await Promise.all([...before].map(async ([slot, pid]) => { if (ctx.core.pid(slot) !== pid) await ctx.core.waitWorkerUp(slot, pid); }));
    };
  },
});
