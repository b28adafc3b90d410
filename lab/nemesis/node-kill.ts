import { z } from 'zod';
import { defineFault } from './fault.js';
import { takeNodeDown } from './node-down.js';

/**
 * A whole node dies: SIGKILL to its primary and every worker at once (its clients lose their
 * connections and go to the other nodes); after forMs a supervisor starts it again on the same address.
 */
export const nodeKill = defineFault({
  doc: 'SIGKILL to a whole node (its primary and every worker at once); its clients go to other nodes, and a supervisor starts it again after forMs.',
  targets: 'nodes',
  params: z.object({}).strict(),
  start: async (ctx, target) => {
    if (target.kind !== 'nodes') throw new Error('node-kill targets nodes');
    const heals = await Promise.all(target.nodes.map((n) => {
      const node = ctx.nodes[n]!;
      return takeNodeDown(ctx, () => node.core.powerOff(), undefined, node.core);
    }));
    return async () => { await Promise.all(heals.map((h) => h())); };
  },
});
