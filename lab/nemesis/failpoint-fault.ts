import type { FailpointName, FailpointParams } from '../../src/protocol/index.js';
import { slotsOf, type FaultContext, type Heal, type ResolvedTarget } from './fault.js';

/** Arms a failpoint on the target workers through the primary; the heal disarms it. */
export async function armFailpoint(ctx: FaultContext, target: ResolvedTarget, failpoint: FailpointName, params: Partial<FailpointParams>): Promise<Heal> {
  const slots = slotsOf(target);
  slots.forEach((slot, i) => ctx.core.control({ type: 'arm', slot, failpoint, params: { nth: 1, probability: 1, windowMs: 50, ...params, seed: ctx.seed + i } }));
  return async () => { for (const slot of slots) ctx.core.control({ type: 'disarm', slot, failpoint }); };
}
