/**
 * The core under test runs from `dist/` (the lab forks `dist/src/server/main.js`): load the compiled
 * `startCore`, typed by its source module, and say what to run when the build is missing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as CoreProcess from '../../lab/cluster/core-process.js';
import type { Core } from '../../lab/cluster/core-process.js';
import { HealthBody } from '../../src/protocol/index.js';

export type { Core, CoreOptions } from '../../lab/cluster/core-process.js';

const DIST_CLI = new URL('../../dist/lab/cli.js', import.meta.url);
const DIST_CORE_PROCESS = new URL('../../dist/lab/cluster/core-process.js', import.meta.url);

/** Imports `dist/lab/cluster/core-process.js`; throws a message naming the build command when it is missing. */
export async function loadCoreProcess(): Promise<typeof CoreProcess> {
  if (!existsSync(DIST_CLI)) {
    throw new Error(`${fileURLToPath(DIST_CLI)} is missing: run \`npx tsc -p tsconfig.json\` first (the core runs from dist/)`);
  }
  return (await import(DIST_CORE_PROCESS.href)) as typeof CoreProcess;
}

/** The compiled CLI's path, for tests that spawn `deliverylab` themselves. */
export const DIST_CLI_PATH = fileURLToPath(DIST_CLI);
/** The compiled core program's path (what a deployment runs). */
export const DIST_CORE_MAIN_PATH = fileURLToPath(new URL('../../dist/src/server/main.js', import.meta.url));

/** Fetches worker `slot`'s /health, validated against the contract's schema. */
export async function workerHealth(core: Core, slot: number): Promise<HealthBody> {
  const res = await fetch(core.adminUrl(slot, '/health'));
  return HealthBody.parse(await res.json());
}

/**
 * Resolves once every worker's Redis publisher and subscriber are `ready` (a worker listens
 * before its Redis connections are up; tests that need live cross-worker fan-out start after this).
 */
export async function waitBusReady(core: Core, workers: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (let slot = 0; slot < workers; slot++) {
    for (;;) {
      const h = await workerHealth(core, slot).catch(() => null);
      if (h?.redis.publisher === 'ready' && h.redis.subscriber === 'ready') break;
      if (performance.now() > deadline) throw new Error(`worker ${slot}'s Redis connections not ready within ${timeoutMs} ms: ${JSON.stringify(h?.redis)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
