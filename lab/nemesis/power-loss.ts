import { z } from 'zod';
import { rollBackUnsynced } from '../cluster/power-loss.js';
import { defineFault } from './fault.js';

/**
 * Power loss of the core's node: every process dies at once (SIGKILL to the primary and each
 * worker), every write to the database that was not fsynced is lost (the interposer's undo journals
 * roll each file back to its last sync), and after forMs a supervisor starts the node again on
 * what survived; the clients reconnect by themselves.
 */
export const powerLoss = defineFault({
  doc: 'Power loss of the core: SIGKILL to the primary and every worker at once, every unsynced database write lost; the node starts again after forMs.',
  targets: 'core',
  params: z.object({}).strict(),
  start: async (ctx) => {
    const primaryPid = ctx.core.primaryPid;
    await ctx.core.powerOff();
    const rolledBack = rollBackUnsynced(ctx.dbFile);
    ctx.history.record({ type: 'core-down', primaryPid });
    ctx.history.record({ type: 'power-loss', rolledBack });
    return async () => {
      await ctx.core.restart();
      ctx.history.record({ type: 'core-up', primaryPid: ctx.core.primaryPid });
    };
  },
});
