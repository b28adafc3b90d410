import { z } from 'zod';
import { linkFault, linkParams } from './link-toxic.js';

/** When one end of a Redis connection closes, the other learns it delayMs later (a half-dead link meanwhile). */
export const linkSlowClose = linkFault(
  'Delays the close of Redis connections of workers by delayMs: when Redis goes away, the worker hears of it late.',
  { delayMs: z.number().int().min(0).max(600_000).default(2000), ...linkParams },
  (p) => ({ kind: 'slow-close', delayMs: p.delayMs, stream: p.stream, link: p.link, toxicity: p.toxicity }),
);
