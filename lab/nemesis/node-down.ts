import type { Core } from '../cluster/core-process.js';
import type { FaultContext, Heal } from './fault.js';

/**
 * Takes the whole core down with `kill` (then `after`, with every process gone), records it, and
 * returns the heal a supervisor would do: start the node again on the same ports and database.
 */
export async function takeNodeDown(ctx: FaultContext, kill: () => Promise<void>, after: () => void = () => undefined, core: Core = ctx.core): Promise<Heal> {
  const primaryPid = core.primaryPid;
  await kill();
  after();
  ctx.history.record({ type: 'core-down', primaryPid });
  return async () => {
    await core.restart();
    ctx.history.record({ type: 'core-up', primaryPid: core.primaryPid });
  };
}
