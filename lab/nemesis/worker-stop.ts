import { z } from 'zod';
import { defineFault } from './fault.js';
import { signalWorkers } from './worker-signal.js';

/** Stops a worker with SIGTERM (graceful: it closes its sockets first); the primary re-forks it. */
export const workerStop = defineFault({
  doc: 'Stops a worker with SIGTERM (graceful shutdown); the primary re-forks it in the same slot.',
  targets: 'workers',
  params: z.object({}).strict(),
  start: (ctx, target) => signalWorkers(ctx, target, 'SIGTERM'),
});
