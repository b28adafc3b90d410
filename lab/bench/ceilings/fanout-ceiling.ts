import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../../cluster/redis-server.js';
import type { ChildGroup } from '../children.js';
import { startServerProcess } from '../server-process.js';
import type { SystemUnderLoad } from '../system-under-load.js';

const FANOUT_SERVER = fileURLToPath(new URL('./fanout-server.js', import.meta.url));

/** Starts the uWS fan-out ceiling (`fanout`) as a bench child: what uWS topics deliver with nothing behind them. */
export async function startFanoutCeiling(o: { group: ChildGroup; dir: string; signal?: AbortSignal }): Promise<SystemUnderLoad> {
  const name = 'fanout';
  const server = await startServerProcess(o.group, FANOUT_SERVER, { port: await findFreePort() }, name, join(o.dir, `${name}.log`), '/ws', o.signal);
  return {
    name,
    description: 'ONE uWS process, no persistence and no Redis: JSON.parse → ack → uWS topic publish (the raw fan-out ceiling)',
    dialect: 'wire',
    urls: [server.url],
    processes: new Map([['server', server.pid]]),
    stop: () => o.group.stop(server.child),
  };
}
