import { z } from 'zod';
import { RoomName, roomChannel } from '../../src/protocol/index.js';
import type { ClusterNode, RedisCluster } from '../cluster/redis-cluster.js';
import type { FaultContext } from './fault.js';

/** The parameters of a fault on the Redis Cluster shard of one room: the room (one the clients joined). */
export const ClusterRoomParams = z.object({ room: RoomName.default('lobby') }).strict();

/** The run's Redis Cluster and where a room's channel lives in it now: its slot and the primary serving it. */
export async function shardOfRoom(ctx: FaultContext, kind: string, room: string): Promise<{ cluster: RedisCluster; slot: number; primary: ClusterNode }> {
  const cluster = ctx.redisCluster;
  if (!cluster) throw new Error(`${kind} needs the run's Redis Cluster`);
  const { slot, primary } = await cluster.shardOf(roomChannel(room));
  return { cluster, slot, primary };
}
