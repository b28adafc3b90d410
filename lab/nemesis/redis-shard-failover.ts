import { ClusterRoomParams, shardOfRoom } from './cluster-room.js';
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
  params: ClusterRoomParams,
  start: async (ctx, _target, p) => {
    const { cluster, primary, slot } = await shardOfRoom(ctx, 'redis-shard-failover', p.room);
    // Awaited at heal; settled here so that a failover that fails (no replica, no promotion in time) is the
    // run's error at heal, not an unhandled rejection meanwhile.
    const failover = cluster.killPrimary(primary.port, { rejoin: false }).then((r) => {
      ctx.history.record({ type: 'redis-topology', change: 'promoted', room: p.room, slot, fromPort: r.oldPrimaryPort, toPort: r.newPrimaryPort, ms: r.promotionMs });
      return { ok: true as const, r };
    }, (error: unknown) => ({ ok: false as const, error }));
    ctx.history.record({ type: 'redis-topology', change: 'primary-killed', room: p.room, slot, fromPort: primary.port, toPort: null, ms: null });
    return async () => {
      const outcome = await failover;
      if (!outcome.ok) throw outcome.error;
      const { r } = outcome;
      const ms = await cluster.restartNode(r.oldPrimaryPort);
      ctx.history.record({ type: 'redis-topology', change: 'rejoined', room: p.room, slot, fromPort: r.oldPrimaryPort, toPort: r.newPrimaryPort, ms });
    };
  },
});
