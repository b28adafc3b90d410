import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { startContainerRedis } from '../support/redis.js';

it('PINGs a Redis started in a container (skipped without a container engine)', async (ctx) => {
  const provider = await startContainerRedis();
  if ('skipped' in provider) {
    console.log(`skipped: ${provider.skipped}`);
    return ctx.skip(provider.skipped);
  }
  const [url, cleanup] = provider;
  const client = new Redis(url);
  try {
    expect(await client.ping()).toBe('PONG');
  } finally {
    client.disconnect();
    await cleanup();
  }
});
