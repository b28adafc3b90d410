import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The core's program, which `serve` runs as it is. */
const CORE_MAIN = fileURLToPath(new URL('../../src/server/main.js', import.meta.url));

/**
 * `deliverylab serve`: runs the core's program (src/server/main.ts) with the same flags, in the
 * foreground. The program validates them (a bad one exits 2, naming it); Ctrl-C stops it and
 * everything it started. It runs with an IPC channel to this command, so if this command dies by any
 * means (SIGKILL included) the channel closes and the core stops itself.
 */
export function serveCommand(argv: readonly string[]): Promise<number> {
  const child = fork(CORE_MAIN, [...argv], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  child.on('message', () => undefined); // its events are for a lab; the terminal gets its summary on stdout
  // The terminal's Ctrl-C reaches the program too (one process group); a signal sent to us alone is passed on.
  const forward = (sig: NodeJS.Signals) => { if (child.exitCode === null) child.kill(sig); };
  process.on('SIGINT', forward).on('SIGTERM', forward);
  // Exit codes: the program's own; killed by a signal, it could not carry on (2).
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 2 : 0))));
}
