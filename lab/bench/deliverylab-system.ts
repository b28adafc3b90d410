import { join } from 'node:path';
import { startCore } from '../cluster/core-process.js';
import { startRedisServer } from '../cluster/redis-server.js';
import type { SystemUnderLoad } from './system-under-load.js';

/** Starts the real deliverylab cluster: a lab-started redis-server, the primary and `workers` uWS workers, SQLite with the core's default durability. */
export async function startDeliverylab(o: { workers: number; dir: string }): Promise<SystemUnderLoad & { slotUrl(slot: number): string; workerPid(slot: number): number | undefined }> {
  const redis = await startRedisServer({ logFile: join(o.dir, 'redis-deliverylab.log') });
  try {
    const dbFile = join(o.dir, 'deliverylab.sqlite');
    const core = await startCore({ workers: o.workers, db: dbFile, redisUrls: [redis.url], logFile: join(o.dir, 'core.log') });
    const processes = new Map<string, number>([['primary', core.primaryPid]]);
    for (let k = 0; k < o.workers; k++) processes.set(`worker-${k}`, core.pid(k)!);
    processes.set('redis', redis.pid);
    return {
      name: 'deliverylab',
      description: `${o.workers} uWS workers (node:cluster) + redis-server + SQLite WAL synchronous=FULL`,
      dialect: 'wire',
      urls: Array.from({ length: o.workers }, (_, k) => core.slotUrl(k)),
      dbFile,
      processes,
      slotUrl: (slot) => core.slotUrl(slot),
      workerPid: (slot) => core.pid(slot),
      stop: async () => {
        await core.stop().catch(() => undefined);
        await redis.stop().catch(() => undefined);
      },
    };
  } catch (e) {
    await redis.stop().catch(() => undefined);
    throw e;
  }
}
