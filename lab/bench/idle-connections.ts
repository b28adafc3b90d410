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
  /** (RSS after − RSS before) / opened, on the worker (0, with a note, if RSS fell meanwhile). */
  rssPerConnectionBytes: number;
  /** Set when fewer connections than requested were attempted, and why. */
  note?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    const before = rssBytes(o.serverPid);
    const r = await open(count);
    await sleep(SETTLE_MS);
    const after = rssBytes(o.serverPid);
    const fell = after < before ? `the worker's RSS fell during the measurement (${before} → ${after} B): per-connection memory not measurable this run` : undefined;
    const notes = [note, fell].filter((x) => x !== undefined).join('; ');
    return {
      requested: o.count,
      opened: r.opened,
      failed: r.failed,
      ...(r.firstError === undefined ? {} : { firstError: r.firstError }),
      fdLimit,
      rssBeforeBytes: before,
      rssAfterBytes: after,
      rssPerConnectionBytes: r.opened > 0 && after >= before ? Math.round((after - before) / r.opened) : 0,
      ...(notes ? { note: notes } : {}),
    };
  } finally {
    if (child.connected) child.send({ type: 'close' } satisfies LoadCommand);
    await o.group.stop(child);
  }
}
