import { z } from 'zod';
import { linkFault, linkParams } from './link-toxic.js';

/**
 * Packet loss in bursts as TCP lives it: a chunk starts a burst with burstProbability, and for burstMs
 * every chunk waits retransmitMs (lost, then sent again). TCP never drops bytes from the stream; what
 * the application sees of loss is stalls.
 */
export const linkDropBursts = linkFault(
  'Bursts of packet loss on the Redis links of workers: chunks in a burst (burstMs long, started with burstProbability) are retransmitted retransmitMs later.',
  { burstProbability: z.number().min(0).max(1).default(0.05), burstMs: z.number().int().min(1).max(60_000).default(300), retransmitMs: z.number().int().min(1).max(60_000).default(200), ...linkParams },
  (p) => ({ kind: 'drop-bursts', burstProbability: p.burstProbability, burstMs: p.burstMs, retransmitMs: p.retransmitMs, stream: p.stream, link: p.link, toxicity: p.toxicity }),
);
