import { z } from 'zod';
import type { LinkCut } from '../cluster/lab-network.js';
import { defineFault } from './fault.js';

/**
 * Cuts a node off from Redis, from the database, or from the other nodes with nftables rules in its
 * namespace: both ways, or one way only (`outbound`: what the node sends is dropped; `inbound`: what it
 * is sent). Packets vanish (no reset), as on a real network: a connection notices only by its own
 * timeouts. The nodes never talk to each other directly (the bus and the database are their only
 * links), so a cut between nodes alone changes nothing: that is the point it makes.
 */
export const nodePartition = defineFault({
  doc: "Drops a node's packets to and/or from Redis, the database or the other nodes (nftables in its namespace) for forMs; direction both, outbound or inbound.",
  targets: 'nodes',
  params: z.object({
    from: z.enum(['redis', 'db', 'nodes']).default('redis'),
    direction: z.enum(['both', 'outbound', 'inbound']).default('both'),
  }).strict(),
  start: async (ctx, target, p) => {
    if (target.kind !== 'nodes') throw new Error('node-partition targets nodes');
    const network = ctx.network;
    if (!network) throw new Error('node-partition needs the nodes\' network');
    const cuts: LinkCut[] = [];
    for (const n of target.nodes) {
      const node = ctx.nodes[n]!;
      if (p.from === 'nodes') {
        for (const other of ctx.nodes) if (other.index !== n) cuts.push(await network.cut(n, { ip: other.ip }, p.direction));
        continue;
      }
      const ports = p.from === 'redis' ? node.redisPorts : [node.dbPort];
      if (ports.length === 0) throw new Error(`node-partition from ${p.from}: node ${n} has no link to it in this run (a variant without Redis)`);
      for (const port of ports) cuts.push(await network.cut(n, { ip: network.hostIp, port }, p.direction));
    }
    return async () => { for (const c of cuts) await c.heal(); };
  },
});
