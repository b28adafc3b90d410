import { fileURLToPath } from 'node:url';
import { awaitMessage, BenchChildError, type ChildGroup } from './children.js';
import type { LoadCommand, LoadReport } from './load-messages.js';
import { openFileLimit, rssBytes } from './proc-stats.js';

const LOAD_CLIENT = fileURLToPath(new URL('./load-client.js', import.meta.url));
/** Connections opened before the baseline is read, so first-use allocations are not charged to the idle ones. */
const WARM_CONNECTIONS = 200;
/** File descriptors kept free for everything else a process holds. */
const FD_MARGIN = 1000;
/** Pause before reading RSS, so the worker has settled after the burst. */
const SETTLE_MS = 1000;
/** The connections are opened in this many equal steps, RSS read after each: the figure is the slope of a line through the readings. */
const STEPS = 5;

/** Memory held by idle connections on one worker. */
export interface IdleResult {
  /** Connections asked for. */
  requested: number;
  opened: number;
  failed: number;
  firstError?: string;
  /** The open-file limit this process (and so the worker and the load client) runs with. */
  fdLimit: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** The worker's RSS after each step: connections open (beyond the warm-up ones) and the RSS then. */
  samples: { connections: number; rssBytes: number }[];
  /**
   * Bytes of RSS per idle connection on the worker: the least-squares slope of RSS over connections open
   * through `samples` (one reading before and after would charge a heap's growth step, or a collection, to
   * whichever burst it fell in). 0, with a note, when RSS fell overall.
   */
  rssPerConnectionBytes: number;
  /** Set when fewer connections than requested were attempted, and why. */
  note?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The least-squares slope of y over x (0 when every x is the same). */
export function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const sxx = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return sxx > 0 ? points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0) / sxx : 0;
}

/** Opens `count` idle WebSockets (welcomed, in no room) against one server process and reads its RSS growth from /proc. */
export async function measureIdleConnections(o: { url: string; serverPid: number; count: number; group: ChildGroup; signal?: AbortSignal }): Promise<IdleResult> {
  const fdLimit = openFileLimit();
  const allowed = Math.max(0, Math.floor(fdLimit - FD_MARGIN - WARM_CONNECTIONS));
  const count = Math.min(o.count, allowed);
  const note = count < o.count ? `the open-file limit is ${fdLimit} (ulimit -n): opened ${count} instead of ${o.count}` : undefined;
  const child = o.group.fork(LOAD_CLIENT, []);
  const open = async (n: number) => {
    const answer = awaitMessage(child, 'idle-client', (m) => {
      const r = m as LoadReport | undefined;
      return r?.type === 'idle-opened' || r?.type === 'failed' ? r : undefined;
    }, 180_000, o.signal);
    child.send({ type: 'idle', dialect: 'wire', url: o.url, count: n, concurrency: 200 } satisfies LoadCommand);
    const r = await answer;
    if (r.type === 'failed') throw new BenchChildError('idle-client', `failed: ${r.error}`);
    return r as Extract<LoadReport, { type: 'idle-opened' }>;
  };
  try {
    await open(WARM_CONNECTIONS);
    await sleep(SETTLE_MS);
    const samples = [{ connections: 0, rssBytes: rssBytes(o.serverPid) }];
    let opened = 0;
    let failed = 0;
    let firstError: string | undefined;
    for (let step = 0; step < STEPS; step++) {
      const n = Math.floor(count / STEPS) + (step < count % STEPS ? 1 : 0);
      if (n === 0) continue;
      const r = await open(n);
      opened += r.opened;
      failed += r.failed;
      firstError ??= r.firstError;
      await sleep(SETTLE_MS);
      samples.push({ connections: opened, rssBytes: rssBytes(o.serverPid) });
    }
    const before = samples[0]!.rssBytes;
    const after = samples.at(-1)!.rssBytes;
    const fell = after < before ? `the worker's RSS fell during the measurement (${before} → ${after} B): per-connection memory not measurable this run` : undefined;
    const notes = [note, fell].filter((x) => x !== undefined).join('; ');
    return {
      requested: o.count,
      opened,
      failed,
      ...(firstError === undefined ? {} : { firstError }),
      fdLimit,
      rssBeforeBytes: before,
      rssAfterBytes: after,
      samples,
      rssPerConnectionBytes: opened > 0 && after >= before ? Math.max(0, Math.round(slope(samples.map((s) => [s.connections, s.rssBytes])))) : 0,
      ...(notes ? { note: notes } : {}),
    };
  } finally {
    if (child.connected) child.send({ type: 'close' } satisfies LoadCommand);
    await o.group.stop(child);
  }
}
