import { z } from 'zod';
import { linkFault, linkParams } from './link-toxic.js';

/** A Redis link limited to rateKBps per direction of a connection: a message backlog grows behind it. */
export const linkBandwidth = linkFault(
  'Limits the Redis links of workers to rateKBps kilobytes per second per direction (a backlog builds; order is kept).',
  { rateKBps: z.number().positive().max(1_000_000).default(2), ...linkParams },
  (p) => ({ kind: 'bandwidth', rateKBps: p.rateKBps, stream: p.stream, link: p.link, toxicity: p.toxicity }),
);
