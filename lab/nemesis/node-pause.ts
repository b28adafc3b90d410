import { z } from 'zod';
import { defineFault } from './fault.js';

/**
 * A whole node stops (SIGSTOP to its primary and every worker, as a VM paused or a long GC would):
 * its connections stay open but nothing answers; SIGCONT at heal, and it goes on where it was.
 */
export const nodePause = defineFault({
  doc: 'SIGSTOP to a whole node (its primary and every worker) for forMs, then SIGCONT: open connections, no answers.',
  targets: 'nodes',
  params: z.object({}).strict(),
  start: async (ctx, target) => {
    if (target.kind !== 'nodes') throw new Error('node-pause targets nodes');
    const pids = target.nodes.flatMap((n) => {
      const node = ctx.nodes[n]!;
      return [node.core.primaryPid, ...node.slots.flatMap((s) => node.core.pid(s) ?? [])];
    });
    for (const pid of pids) { try { process.kill(pid, 'SIGSTOP'); } catch { /* gone */ } }
    return async () => { for (const pid of pids) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } } };
  },
});
