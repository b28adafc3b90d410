/**
 * Redis providers for tests, each returning `[url, cleanup]`: an external one from `REDIS_URL`,
 * a `redis-server` child process, or (where a container engine runs) a Redis container.
 */
import { RedisContainer } from '@testcontainers/redis';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterEach } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';

/** A Redis URL and the function that releases it. */
export type RedisProvider = [url: string, cleanup: () => Promise<void>];

/** How long to look for a container engine before skipping. */
const ENGINE_PROBE_TIMEOUT_MS = 3_000;

/** The container image for {@link startContainerRedis}. */
const REDIS_IMAGE = 'redis:7-alpine';

/** Returns `REDIS_URL` if set (cleanup does nothing), else starts a `redis-server` child that cleanup stops. */
export async function withRedis(): Promise<RedisProvider> {
  const external = process.env['REDIS_URL'];
  if (external !== undefined && external !== '') return [external, async () => undefined];
  const server = await startRedisServer();
  return [server.url, () => server.stop()];
}

/** Why no container engine answers, or null if one does (bounded by `timeoutMs`). */
async function containerEngineProblem(timeoutMs: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const probe = getContainerRuntimeClient().then(
    () => null,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts Redis in a container via testcontainers, or says why it skipped when no container engine is reachable. */
export async function startContainerRedis(): Promise<RedisProvider | { skipped: string }> {
  const problem = await containerEngineProblem(ENGINE_PROBE_TIMEOUT_MS);
  if (problem !== null) return { skipped: `no container engine reachable: ${problem}` };
  const container = await new RedisContainer(REDIS_IMAGE).start();
  return [container.getConnectionUrl(), async () => void (await container.stop())];
}

/** What a test leaves to be undone after it, last first: made by {@link cleanupsAfterEach}. */
export type Cleanups = (() => Promise<void> | void)[];

/** A list of cleanups that vitest runs, last first, after each test of the file that calls this. */
export function cleanupsAfterEach(): Cleanups {
  const cleanups: Cleanups = [];
  afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });
  return cleanups;
}

/** The lab's password-protected redis-server, stopped after the test. */
export async function labRedisServer(cleanups: Cleanups): Promise<RedisServerHandle> {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  return redis;
}
