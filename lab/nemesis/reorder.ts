import { z } from 'zod';
import { defineFault } from './fault.js';
import { armFailpoint } from './failpoint-fault.js';

/** Holds publishes back by a random delay within windowMs, so other workers see them out of order (a failpoint). */
export const reorder = defineFault({
  doc: 'Workers hold each publish back by a random delay within windowMs, reordering what others receive (failpoint publish.delay).',
  targets: 'workers',
  params: z.object({ windowMs: z.number().int().min(1).max(10_000).default(200), probability: z.number().min(0).max(1).default(1) }).strict(),
  start: (ctx, target, p) => armFailpoint(ctx, target, 'publish.delay', { windowMs: p.windowMs, probability: p.probability }),
});
