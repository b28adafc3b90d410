import { z } from 'zod';
import { defineFault, slotsOf } from './fault.js';

/** Freezes a worker with SIGSTOP and thaws it with SIGCONT: alive to TCP, deaf to everything. */
export const workerPause = defineFault({
  doc: 'Pauses a worker with SIGSTOP for forMs, then SIGCONT: its sockets stay open but nothing answers.',
  targets: 'workers',
  params: z.object({}).strict(),
  start: async (ctx, target) => {
    const paused = slotsOf(target).flatMap((slot) => ctx.core.signal(slot, 'SIGSTOP') ?? []);
    return async () => {
      for (const pid of paused) {
        try { process.kill(pid, 'SIGCONT'); } catch { /* it died meanwhile */ }
      }
    };
  },
});
