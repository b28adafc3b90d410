import { ClusterRoomParams, shardOfRoom } from './cluster-room.js';
import { defineFault } from './fault.js';

/**
 * Moves the hash slot of a room's channel to another shard's primary under traffic (SETSLOT
 * IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE): the old owner drops the slot's sharded subscriptions,
 * and the room is quiet on the bus until its subscribers have subscribed again on the new owner.
 */
export const redisSlotMigrate = defineFault({
  doc: "Moves the hash slot of a room's channel to another shard's primary under traffic; the old owner drops the room's sharded subscriptions.",
  targets: 'redis',
  needsRedis: true,
  redisMode: 'cluster',
  params: ClusterRoomParams,
  start: async (ctx, _target, p) => {
    const { cluster, primary, slot } = await shardOfRoom(ctx, 'redis-slot-migrate', p.room);
    const primaries = cluster.nodes.filter((n) => n.role === 'primary' && n.port !== primary.port);
    const to = primaries[Math.floor(ctx.random() * primaries.length)]!;
    const m = await cluster.migrateSlot(slot, to.port);
    ctx.history.record({ type: 'redis-topology', change: 'slot-moved', room: p.room, slot, fromPort: m.fromPort, toPort: m.toPort, ms: m.ms });
    return async () => undefined;
  },
});
