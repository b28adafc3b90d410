import { z } from 'zod';
import { linkFault, linkParams } from './link-toxic.js';

/** Every write on a Redis link split into small pieces, each sent a while after the one before (RESP cut at any byte). */
export const linkSlicer = linkFault(
  'Splits every write on the Redis links of workers into pieces of averageBytes ± variationBytes, each delayUs after the last.',
  { averageBytes: z.number().int().min(1).max(65_536).default(8), variationBytes: z.number().int().min(0).max(65_536).default(4), delayUs: z.number().int().min(0).max(1_000_000).default(2000), ...linkParams },
  (p) => ({ kind: 'slicer', averageBytes: p.averageBytes, variationBytes: p.variationBytes, delayUs: p.delayUs, stream: p.stream, link: p.link, toxicity: p.toxicity }),
);
