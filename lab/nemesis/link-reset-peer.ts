import { z } from 'zod';
import { linkFault, linkParams } from './link-toxic.js';

/** Each Redis connection reset (RST) timeoutMs after the fault starts or the connection opens. */
export const linkResetPeer = linkFault(
  'Resets (RST) each Redis connection of workers timeoutMs after the fault starts or the connection opens, while it lasts.',
  { timeoutMs: z.number().int().min(0).max(600_000).default(200), ...linkParams },
  (p) => ({ kind: 'reset-peer', timeoutMs: p.timeoutMs, stream: p.stream, link: p.link, toxicity: p.toxicity }),
);
