import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The core's program, which `serve` runs as it is. */
const CORE_MAIN = fileURLToPath(new URL('../../src/server/main.js', import.meta.url));

/**
 * `deliverylab serve`: runs the core's program (src/server/main.ts) with the same flags, in the
 * foreground. The program validates them (a bad one exits 2, naming it); Ctrl-C stops it and
 * everything it started.
 */
export function serveCommand(argv: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, [CORE_MAIN, ...argv], { stdio: 'inherit' });
  // The terminal's Ctrl-C reaches the program too (one process group); a signal sent to us alone is passed on.
  const forward = (sig: NodeJS.Signals) => { if (child.exitCode === null) child.kill(sig); };
  process.on('SIGINT', forward).on('SIGTERM', forward);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}
