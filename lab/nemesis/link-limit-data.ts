import { z } from 'zod';
import { linkFault, linkParams } from './link-toxic.js';

/** A Redis connection closed once `bytes` have passed in a direction: cut in the middle of a message. */
export const linkLimitData = linkFault(
  'Closes each Redis connection of workers once bytes have passed in a direction (mid-message), over and over while it lasts.',
  { bytes: z.number().int().min(0).max(1_000_000_000).default(4096), ...linkParams },
  (p) => ({ kind: 'limit-data', bytes: p.bytes, stream: p.stream, link: p.link, toxicity: p.toxicity }),
);
