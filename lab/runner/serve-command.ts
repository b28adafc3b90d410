import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ControlRequest, SemanticsName, serverFlags, WriterName } from '../../src/protocol/index.js';
import { startPrimary } from '../../src/server/index.js';
import { startRedisServer, type RedisServerHandle } from '../cluster/redis-server.js';
import { parseOrUsage } from './cli-errors.js';

/** Options of `deliverylab serve`, validated. */
export const ServeOptions = z.object({
  workers: z.coerce.number().int().min(1).max(64).default(() => availableParallelism()),
  port: z.coerce.number().int().min(1).max(65000).default(8080),
  host: z.string().default('127.0.0.1'),
  db: z.string().min(1).default('data/deliverylab.sqlite'),
  redis: z.string().regex(/^redis:\/\/[^,\s]+(,redis:\/\/[^,\s]+)*$/, 'a redis:// URL, or several separated by commas (one per worker)').optional(),
  semantics: SemanticsName.default('effectively-once'),
  headIntervalMs: z.coerce.number().int().min(50).max(60_000).default(1000),
  synchronous: z.enum(['FULL', 'NORMAL', 'OFF']).default('FULL'),
  writer: WriterName.default('primary'),
});
export type ServeOptions = z.infer<typeof ServeOptions>;

/**
 * `deliverylab serve`: starts redis-server unless --redis is given, then the primary and its workers.
 * Under the harness (an IPC parent), it forwards the primary's events and takes control requests.
 */
export async function serveCommand(raw: Record<string, unknown>): Promise<void> {
  const o = parseOrUsage(ServeOptions, raw, 'serve');
  const db = resolve(o.db);
  mkdirSync(dirname(db), { recursive: true });
  let redis: RedisServerHandle | undefined;
  let urls = o.redis ? o.redis.split(',') : [];
  if (!o.redis && serverFlags(o.semantics).redis) {
    redis = await startRedisServer();
    urls = [redis.url];
  }
  const ipc = typeof process.send === 'function';
  const primary = await startPrimary({
    workers: o.workers, port: o.port, host: o.host, db, redisUrls: urls, semantics: o.semantics,
    headIntervalMs: o.headIntervalMs, synchronous: o.synchronous, writer: o.writer,
    onEvent: (e) => {
      if (ipc) { if (process.connected) process.send?.(e, undefined, {}, () => undefined); } // the lab may be gone already
      else if (e.type === 'ready') {
        const slots = Array.from({ length: o.workers }, (_, k) => `worker ${k}: ws://${o.host}:${o.port + 1 + k}/ws`).join('\n  ');
        process.stdout.write(`deliverylab serving on ws://${o.host}:${o.port}/ws (web UI http://${o.host}:${o.port}/)\n  ${slots}\n` +
          `  database ${db}\n  redis ${redis ? `${urls[0]} (embedded, pid ${redis.pid})` : urls.join(', ') || 'none (local-only)'}\n  semantics ${o.semantics}\nCtrl-C stops everything.\n`);
      } else if (e.type === 'worker-exit' && !stopping) process.stdout.write(`worker ${e.slot} (pid ${e.pid}) exited (${e.signal ?? `code ${e.code}`}); re-forking\n`);
    },
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await primary.stop();
      await redis?.stop();
      process.exit(0);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  if (ipc) {
    process.on('message', (raw) => {
      const m = ControlRequest.safeParse(raw);
      if (!m.success) return;
      if (m.data.type === 'shutdown') void stop();
      else primary.control(m.data);
    });
    process.on('disconnect', () => void stop());
  }
}
