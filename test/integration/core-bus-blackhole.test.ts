/**
 * A worker's Redis links blackholed for longer than the bus's probe deadline: the bus reconnects into
 * the blackhole (TCP is accepted, the handshake is swallowed), and must still be ready once it heals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '../../lab/cluster/redis-server.js';
import { startFaultProxy, type FaultProxy } from '../../lab/cluster/fault-proxy.js';
import { loadCoreProcess, waitBusReady, workerHealth, type Core } from '../support/dist-core.js';
import { waitFor } from '../support/wait-for.js';

/** Longer than the probe's silence allowance plus its deadline (2 s + 2 s), so a reconnect lands inside the blackhole. */
const BLACKHOLE_MS = 7000;
const READY_TIMEOUT_MS = 20_000;

const { startCore } = await loadCoreProcess();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

describe('Redis bus under a long blackhole', () => {
  it('reconnects and is ready again after the heal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-bus-blackhole-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const redis: RedisServerHandle = await startRedisServer();
    cleanups.push(() => redis.stop());
    const proxy: FaultProxy = await startFaultProxy({ upstreamPort: redis.port });
    cleanups.push(() => proxy.close());
    const core: Core = await startCore({ workers: 1, db: join(dir, 'db.sqlite'), redisUrls: [proxy.url], logFile: join(dir, 'core.log') });
    cleanups.push(() => core.stop());
    await waitBusReady(core, 1, READY_TIMEOUT_MS);

    proxy.setMode({ kind: 'blackhole' });
    // The probe notices: the bus counts a failure and reconnects (into the blackhole).
    await waitFor(async () => expect(((await workerHealth(core, 0)).redis as { probeFailures: number }).probeFailures).toBeGreaterThan(0), READY_TIMEOUT_MS);
    await new Promise((r) => setTimeout(r, BLACKHOLE_MS)); // the fault's duration is the point of this test, not a wait for a condition
    proxy.setMode({ kind: 'pass' });
    await waitBusReady(core, 1, READY_TIMEOUT_MS);
    expect((await workerHealth(core, 0)).redis).toMatchObject({ publisher: 'ready', subscriber: 'ready' });
  });
});
