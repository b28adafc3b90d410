import { z } from 'zod';
import { roomChannel } from '../../src/protocol/index.js';
import { defineFault } from './fault.js';

/**
 * SIGKILL of the primary of the shard that serves a room's channel: until its replica is promoted (a
 * few times cluster-node-timeout) the room's SPUBLISHes fail and its subscribers hear nothing; then the
 * clients of the bus read the new slot map and subscribe again. The killed node is restarted when the
 * step heals and rejoins as a replica.
 */
export const redisShardFailover = defineFault({
  doc: "SIGKILLs the primary of the Redis Cluster shard that serves a room's channel; its replica is promoted, and the killed node rejoins as a replica at heal.",
  targets: 'redis',
  needsRedis: true,
  redisMode: 'cluster',
  params: z.object({ room: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/).default('lobby') }).strict(),
  start: async (ctx, _target, p) => {
    const cluster = ctx.redisCluster;
    if (!cluster) throw new Error('redis-shard-failover needs the run\'s Redis Cluster');
    const { primary, slot } = await cluster.shardOf(roomChannel(p.room));
    const failover = cluster.killPrimary(primary.port, { rejoin: false }).then((r) => {
      ctx.history.record({ type: 'redis-topology', change: 'promoted', room: p.room, slot, fromPort: r.oldPrimaryPort, toPort: r.newPrimaryPort, ms: r.promotionMs });
      return r;
    });
    ctx.history.record({ type: 'redis-topology', change: 'primary-killed', room: p.room, slot, fromPort: primary.port, toPort: null, ms: null });
    return async () => {
      const r = await failover;
      const ms = await cluster.restartNode(r.oldPrimaryPort);
      ctx.history.record({ type: 'redis-topology', change: 'rejoined', room: p.room, slot, fromPort: r.oldPrimaryPort, toPort: r.newPrimaryPort, ms });
    };
  },
});
