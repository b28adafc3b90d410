import type { FaultContext, Heal, ResolvedTarget } from './fault.js';
import { slotsOf } from './fault.js';

/** Sends a terminating signal to the target workers; the heal waits until the primary has re-forked each. */
export async function signalWorkers(ctx: FaultContext, target: ResolvedTarget, signal: NodeJS.Signals): Promise<Heal> {
  const killed = slotsOf(target).map((slot) => ({ slot, pid: ctx.core.pid(slot) }));
  for (const k of killed) ctx.core.signal(k.slot, signal);
  return async () => {
    await Promise.all(killed.map((k) => ctx.core.waitWorkerUp(k.slot, k.pid)));
  };
}
