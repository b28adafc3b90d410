import { z } from 'zod';
import type { FaultProxy } from '../cluster/fault-proxy.js';
import { defineFault } from './fault.js';

/**
 * One client's own network link to the workers (its proxies, one per worker), misbehaving while the
 * others' links are fine: cut (connections reset and refused), blackhole (accepted, nothing passes),
 * slow (latency and a bandwidth limit), or slice (every write in small pieces, WebSocket frames cut
 * at any byte).
 */
export const clientLink = defineFault({
  doc: "Breaks one client's own link to every worker: cut (reset, refuse), blackhole (silence), slow (latencyMs and rateKBps) or slice (averageBytes pieces, delayUs apart).",
  targets: 'clients',
  needsClientLinks: true,
  params: z.object({
    /** The client whose link it is. @default 'c0' */
    client: z.string().regex(/^[cl]\d+$/, 'a client is c<i> or l<i>').default('c0'),
    mode: z.enum(['cut', 'blackhole', 'slow', 'slice']).default('blackhole'),
    /** slow: added latency per chunk. @default 200 */
    latencyMs: z.number().int().min(0).max(60_000).default(200),
    /** slow: kilobytes per second per direction. @default 8 */
    rateKBps: z.number().positive().max(1_000_000).default(8),
    /** slice: the average piece. @default 8 */
    averageBytes: z.number().int().min(1).max(65_536).default(8),
    /** slice: the gap between pieces. @default 1000 */
    delayUs: z.number().int().min(0).max(1_000_000).default(1000),
  }).strict(),
  start: async (ctx, _target, p) => {
    const proxies: readonly FaultProxy[] | undefined = ctx.clientLinks.get(p.client);
    if (!proxies) throw new Error(`client-link: no client ${p.client} (clients: ${[...ctx.clientLinks.keys()].join(', ')})`);
    const toxics: { proxy: FaultProxy; id: number }[] = [];
    for (const proxy of proxies) {
      if (p.mode === 'cut' || p.mode === 'blackhole') proxy.setMode({ kind: p.mode });
      if (p.mode === 'slow') {
        proxy.setMode({ kind: 'latency', latencyMs: p.latencyMs, jitterMs: 0, seed: ctx.seed });
        toxics.push({ proxy, id: proxy.addToxic({ kind: 'bandwidth', rateKBps: p.rateKBps }, ctx.seed) });
      }
      if (p.mode === 'slice') toxics.push({ proxy, id: proxy.addToxic({ kind: 'slicer', averageBytes: p.averageBytes, variationBytes: Math.floor(p.averageBytes / 2), delayUs: p.delayUs }, ctx.seed) });
    }
    return async () => {
      for (const proxy of proxies) proxy.setMode({ kind: 'pass' });
      for (const { proxy, id } of toxics) proxy.removeToxic(id);
    };
  },
});
