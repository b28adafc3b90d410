import { z } from 'zod';
import { defineFault } from './fault.js';
import { signalWorkers } from './worker-signal.js';

/** Kills a worker with SIGKILL (no cleanup, no goodbye); the primary re-forks it in the same slot. */
export const workerKill = defineFault({
  doc: 'Kills a worker with SIGKILL; its clients reconnect elsewhere and the primary re-forks it in the same slot.',
  targets: 'workers',
  params: z.object({}).strict(),
  start: (ctx, target) => signalWorkers(ctx, target, 'SIGKILL'),
});
