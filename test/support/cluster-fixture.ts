/**
 * A real cluster for one test: a redis-server, the core (primary + workers) on a SQLite file in a
 * temp dir, and the members the test starts. `useCluster` registers the hooks that start it before
 * each test and stop everything after it, keeping the dir (core.log, db.sqlite) when the test failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';
import { loadCoreProcess, waitBusReady, type Core } from './dist-core.js';
import { closeMembers, type ChatMember } from './chat-members.js';
import type { WriterName } from '../../src/protocol/index.js';

const BUS_READY_TIMEOUT_MS = 20_000;

/** What a test gets: valid inside a test (started by beforeEach). */
export interface ClusterFixture {
  readonly dir: string;
  readonly dbFile: string;
  readonly core: Core;
  readonly redis: RedisServerHandle;
  /** Members the test started; closed after the test. */
  readonly members: ChatMember[];
  /** Send loops the test started; aborted after the test. */
  readonly stopSending: Set<AbortController>;
}

const { startCore } = await loadCoreProcess();

/** Starts a cluster of `workers` before each test of the file (or of the describe block it is called in) and stops it after. */
export function useCluster(name: string, workers: number, opts: { writer?: WriterName } = {}): ClusterFixture {
  let state: { dir: string; core?: Core; redis?: RedisServerHandle } | undefined;
  const members: ChatMember[] = [];
  const stopSending = new Set<AbortController>();
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is only available inside a test`);
    return v;
  };
  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), `dl-${name}-`));
    state = { dir };
    state.redis = await startRedisServer();
    state.core = await startCore({ workers, db: join(dir, 'db.sqlite'), redisUrls: [state.redis.url], logFile: join(dir, 'core.log'), ...opts });
    // Members join only once every worker can subscribe (a worker listens before its Redis connections are up).
    await waitBusReady(state.core, workers, BUS_READY_TIMEOUT_MS);
  });
  afterEach(async (ctx) => {
    for (const c of stopSending) c.abort();
    stopSending.clear();
    await closeMembers(members);
    members.length = 0;
    await state?.core?.stop();
    await state?.redis?.stop();
    if (state && ctx.task.result?.state === 'fail') console.error(`kept ${state.dir} (core.log, db.sqlite) for the failed test`);
    else if (state) rmSync(state.dir, { recursive: true, force: true });
    state = undefined;
  });
  return {
    get dir() { return need(state?.dir, 'dir'); },
    get dbFile() { return join(need(state?.dir, 'dir'), 'db.sqlite'); },
    get core() { return need(state?.core, 'core'); },
    get redis() { return need(state?.redis, 'redis'); },
    members,
    stopSending,
  };
}
