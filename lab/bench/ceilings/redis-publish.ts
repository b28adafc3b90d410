import { execFile } from 'node:child_process';
import { Redis } from 'ioredis';

/** The Redis PUBLISH ceilings. */
export interface RedisCeiling {
  /** One ioredis connection with auto-pipelining, `concurrency` publishes kept in flight. */
  ioredisAutoPipelinedPerSec: number;
  /** redis-benchmark PUBLISH, 50 clients, no pipelining (null when redis-benchmark is not on PATH). */
  redisBenchmarkPerSec: number | null;
  /** redis-benchmark PUBLISH, 50 clients, pipelines of 16. */
  redisBenchmarkPipelinedPerSec: number | null;
  /** Why redis-benchmark figures are missing, if they are. */
  note?: string;
}

/** Publishes as fast as one auto-pipelined ioredis connection can for `durationMs` (a frame-sized payload, no subscriber). */
async function ioredisPublish(url: string, durationMs: number, payload: string): Promise<number> {
  const r = new Redis(url, { enableAutoPipelining: true, lazyConnect: true });
  await r.connect();
  try {
    const inFlight = 512;
    let done = 0;
    const until = performance.now() + durationMs;
    const started = performance.now();
    const worker = async () => {
      while (performance.now() < until) {
        await r.publish('dl:room:bench-ceiling', payload);
        done += 1;
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    return Math.round(done / ((performance.now() - started) / 1000));
  } finally {
    r.disconnect();
  }
}

/** Runs `redis-benchmark ... PUBLISH` (authenticating with `password`, if any) and returns its requests per second, or null if it is missing. */
function redisBenchmark(port: number, password: string, requests: number, pipeline: number, payload: string): Promise<number | null> {
  return new Promise((resolve) => {
    execFile('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), ...(password ? ['-a', password] : []), '-c', '50', '-n', String(requests), '-P', String(pipeline), '--csv', 'PUBLISH', 'dl:room:bench-ceiling', payload], { timeout: 60_000 }, (err, stdout) => {
      if (err) return resolve(null);
      // CSV: "test","rps",...; the second line holds the figures.
      const line = stdout.trim().split('\n').find((l) => /^"PUBLISH/.test(l));
      const rps = line ? Number(line.split(',')[1]?.replace(/"/g, '')) : NaN;
      resolve(Number.isFinite(rps) ? Math.round(rps) : null);
    });
  });
}

/** Measures PUBLISH throughput against a running redis-server (no subscribers, a msg-frame-sized payload). */
export async function measureRedisPublish(o: { url: string; port: number; durationMs: number; requests: number; payloadBytes: number }): Promise<RedisCeiling> {
  const payload = 'x'.repeat(o.payloadBytes);
  const ioredisAutoPipelinedPerSec = await ioredisPublish(o.url, o.durationMs, payload);
  // The lab's redis-server wants a password; redis-benchmark takes it only as a flag.
  const password = decodeURIComponent(new URL(o.url).password);
  const plain = await redisBenchmark(o.port, password, o.requests, 1, payload);
  const piped = plain === null ? null : await redisBenchmark(o.port, password, o.requests * 4, 16, payload);
  return {
    ioredisAutoPipelinedPerSec,
    redisBenchmarkPerSec: plain,
    redisBenchmarkPipelinedPerSec: piped,
    ...(plain === null ? { note: 'redis-benchmark is not on PATH (or failed): only the ioredis figure is measured' } : {}),
  };
}
