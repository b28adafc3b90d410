import type { FailpointName, FailpointParams } from '../../src/protocol/index.js';
import { slotsOf, type FaultContext, type Heal, type ResolvedTarget } from './fault.js';

/** How long arming or disarming waits to be seen in the worker's /health (a paused or dead worker never shows it). */
const SEEN_WITHIN_MS = 2000;
const POLL_MS = 10;

/**
 * Arms a failpoint on the target workers through the primary, and resolves once each worker's
 * /health lists it (or after a bound: a paused worker arms it when it runs again), so that whatever
 * comes next (a scripted send, a console command) meets it armed. The heal disarms it the same way.
 */
export async function armFailpoint(ctx: FaultContext, target: ResolvedTarget, failpoint: FailpointName, params: Partial<FailpointParams>): Promise<Heal> {
  const slots = slotsOf(target);
  slots.forEach((slot, i) => ctx.core.control({ type: 'arm', slot, failpoint, params: { nth: 1, probability: 1, windowMs: 50, ...params, seed: ctx.seed + i } }));
  await Promise.all(slots.map((slot) => seen(ctx, slot, failpoint, true)));
  return async () => {
    for (const slot of slots) ctx.core.control({ type: 'disarm', slot, failpoint });
    await Promise.all(slots.map((slot) => seen(ctx, slot, failpoint, false)));
  };
}

async function seen(ctx: FaultContext, slot: number, failpoint: FailpointName, armed: boolean): Promise<void> {
  const deadline = performance.now() + SEEN_WITHIN_MS;
  while (performance.now() < deadline) {
    const h = await ctx.core.health(slot, Math.max(1, deadline - performance.now()));
    if (h === undefined || h.failpoints.includes(failpoint) === armed) return;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
