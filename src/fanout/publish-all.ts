import type { Redis } from 'ioredis';

/** The most messages one call carries (a turn with more makes more calls); the function refuses more. */
export const PUBLISH_ALL_MAX = 256;

/**
 * The function the bus publishes a turn's messages with: `FCALL dl_publish_all_v1 0 channel1 payload1
 * channel2 payload2 ...`. Versioned: workers of two builds sharing one Redis never replace each other's code.
 */
export const PUBLISH_ALL_FUNCTION = 'dl_publish_all_v1';

/**
 * The Redis function library of the bus (Redis 7 functions): one function that PUBLISHes each
 * (channel, payload) pair of its arguments, in order, after checking there are whole pairs and at most
 * PUBLISH_ALL_MAX of them (a bounded run: a function cannot be stopped by the bus user). Loaded by
 * whoever may load functions (the core's primary on its embedded server, through a loader user of its
 * own; a worker on a Redis that lets it); the bus user itself may only call it (`+fcall`). Each PUBLISH
 * it runs is checked against the caller's channel rules. `allow-oom` and `allow-stale`: it runs where a
 * PUBLISH would (over maxmemory, on a stale replica).
 */
export const PUBLISH_ALL_LIBRARY = `#!lua name=deliverylab_bus_v1
redis.register_function{
  function_name = '${PUBLISH_ALL_FUNCTION}',
  callback = function(keys, args)
    if #args % 2 == 1 or #args > ${2 * PUBLISH_ALL_MAX} then
      return redis.error_reply('ERR ${PUBLISH_ALL_FUNCTION}: whole (channel, payload) pairs, at most ${PUBLISH_ALL_MAX} of them')
    end
    for i = 1, #args, 2 do redis.call('PUBLISH', args[i], args[i + 1]) end
    return #args / 2
  end,
  flags = { 'allow-oom', 'allow-stale' },
}
`;

/** Loads the bus's function library with a connection allowed to (a library already there is kept). */
export async function loadPublishAll(redis: Redis): Promise<void> {
  try {
    await redis.call('FUNCTION', 'LOAD', PUBLISH_ALL_LIBRARY);
  } catch (e) {
    if (!/already exists/i.test(String(e))) throw e;
  }
}

/**
 * Whether `redis` can publish a batch with the bus's function: a call with nothing to publish; when
 * the function is not there, one try to load it (refused to the embedded Redis's bus user, which finds
 * it loaded by the primary) and a second call.
 */
export async function canPublishAll(redis: Redis): Promise<boolean> {
  const probe = async () => Number(await redis.call('FCALL', PUBLISH_ALL_FUNCTION, '0')) === 0;
  try {
    return await probe();
  } catch (e) {
    if (!/function not found/i.test(String(e))) return false;
  }
  try {
    await loadPublishAll(redis);
    return await probe();
  } catch {
    return false;
  }
}
