/** Prefix of every Redis channel deliverylab uses. */
export const CHANNEL_PREFIX = 'dl:';

/**
 * The Redis pub/sub channel of a room (the only place channel names are built). The room is a hash tag
 * (`{room}`): on a Redis Cluster, a room's channel lives on the shard that owns the room's hash slot.
 * `*` stays a pattern (the ACL's channel rule).
 */
export function roomChannel(room: string): string {
  return room === '*' ? `${CHANNEL_PREFIX}room:*` : `${CHANNEL_PREFIX}room:{${room}}`;
}

/** The room of a Redis channel made by `roomChannel`, or undefined for any other channel. */
export function roomOfChannel(channel: string): string | undefined {
  const p = `${CHANNEL_PREFIX}room:{`;
  return channel.startsWith(p) && channel.endsWith('}') ? channel.slice(p.length, -1) : undefined;
}

/** The uWS topic local members of a room subscribe to. */
export function roomTopic(room: string): string {
  return `room/${room}`;
}
