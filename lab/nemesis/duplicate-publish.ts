import { z } from 'zod';
import { defineFault } from './fault.js';
import { armFailpoint } from './failpoint-fault.js';

/** Makes workers publish each message twice with the given probability (a failpoint). */
export const duplicatePublish = defineFault({
  doc: 'Workers publish each message twice to Redis with the given probability (failpoint publish.duplicate).',
  targets: 'workers',
  params: z.object({ probability: z.number().min(0).max(1).default(0.5) }).strict(),
  start: (ctx, target, p) => armFailpoint(ctx, target, 'publish.duplicate', { probability: p.probability }),
});
