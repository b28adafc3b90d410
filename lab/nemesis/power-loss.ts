import { z } from 'zod';
import { rollBackUnsynced } from '../cluster/power-loss.js';
import { defineFault } from './fault.js';
import { takeNodeDown } from './node-down.js';

/**
 * Power loss of the core's node: every process dies at once (SIGKILL to the primary and each
 * worker), every write to the database that was not fsynced is lost (the interposer's undo journals
 * roll each file back to its last sync), and after forMs a supervisor starts the node again on
 * what survived; the clients reconnect by themselves.
 */
export const powerLoss = defineFault({
  doc: 'Power loss of the core: SIGKILL to the primary and every worker at once, every unsynced database write lost; the node starts again after forMs.',
  targets: 'core',
  needsSqlite: true,
  params: z.object({}).strict(),
  // The files are rolled back once every process is gone, before the node starts again.
  start: (ctx) => takeNodeDown(ctx, () => ctx.core.powerOff(), () => ctx.history.record({ type: 'power-loss', rolledBack: rollBackUnsynced(ctx.dbFile) })),
});
