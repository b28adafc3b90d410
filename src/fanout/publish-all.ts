import type { Redis } from 'ioredis';

/** The function the bus publishes a turn's messages with: `FCALL dl_publish_all 0 channel1 payload1 channel2 payload2 ...`. */
export const PUBLISH_ALL_FUNCTION = 'dl_publish_all';

/**
 * The Redis function library of the bus (Redis 7 functions): one function that PUBLISHes each
 * (channel, payload) pair of its arguments, in order. Loaded by whoever may load functions (the core's
 * primary on its embedded server, through a loader user of its own; a worker on a Redis that lets it);
 * the bus user itself may only call it (`+fcall`). No script text is ever accepted from the bus user,
 * and each PUBLISH the function runs is checked against the caller's channel rules.
 */
export const PUBLISH_ALL_LIBRARY = `#!lua name=deliverylab_bus
redis.register_function{
  function_name = '${PUBLISH_ALL_FUNCTION}',
  callback = function(keys, args)
    for i = 1, #args, 2 do redis.call('PUBLISH', args[i], args[i + 1]) end
    return #args / 2
  end,
}
`;

/** Loads (or replaces) the bus's function library with a connection allowed to. */
export async function loadPublishAll(redis: Redis): Promise<void> {
  await redis.call('FUNCTION', 'LOAD', 'REPLACE', PUBLISH_ALL_LIBRARY);
}

/**
 * Whether `redis` can publish a batch with the bus's function: it tries to load the library (refused
 * to the embedded Redis's bus user, which finds it loaded by the primary), then calls the function
 * with nothing to publish.
 */
export async function canPublishAll(redis: Redis): Promise<boolean> {
  await loadPublishAll(redis).catch(() => undefined);
  try {
    return Number(await redis.call('FCALL', PUBLISH_ALL_FUNCTION, '0')) === 0;
  } catch {
    return false;
  }
}
