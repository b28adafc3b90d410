/**
 * The core under test runs from `dist/` (it forks `dist/lab/cli.js`): load the compiled
 * `startCore`, typed by its source module, and say what to run when the build is missing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as CoreProcess from '../../lab/cluster/core-process.js';

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

/** The http:// URL of `path` on worker `slot`'s own port, from the core's ws URL of that slot. */
export function slotHttpUrl(slotWsUrl: string, path: string): string {
  const u = new URL(slotWsUrl);
  return `http://${u.host}${path}`;
}
