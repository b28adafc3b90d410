import type { FaultContext, Heal } from './fault.js';

/**
 * Takes the whole core down with `kill` (then `after`, with every process gone), records it, and
 * returns the heal a supervisor would do: start the node again on the same ports and database.
 */
export async function takeNodeDown(ctx: FaultContext, kill: () => Promise<void>, after: () => void = () => undefined): Promise<Heal> {
  const primaryPid = ctx.core.primaryPid;
  await kill();
  after();
  ctx.history.record({ type: 'core-down', primaryPid });
  return async () => {
    await ctx.core.restart();
    ctx.history.record({ type: 'core-up', primaryPid: ctx.core.primaryPid });
  };
}
