import { fork } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

/**
 * What one message hop costs on this machine before any work is done: a byte sent back and forth between
 * two Node processes over loopback TCP, one at a time, so each arrival wakes a process that was waiting.
 * Every hop of the send path (client → worker, worker ⇄ primary, worker ⇄ Redis, worker → member) pays it
 * when the load is light; under load each wakeup carries many messages.
 */
export interface WakeupCeiling {
  roundTrips: number;
  /** Wall time per round trip (two hops). */
  roundTripUs: number;
  /** CPU this process spent per round trip (one wakeup, one read, one write), user and system. */
  cpuUsPerRoundTrip: number;
  systemCpuUsPerRoundTrip: number;
}

/** The forked echo process (wakeup-echo.ts, compiled). */
const ECHO = fileURLToPath(new URL('./wakeup-echo.js', import.meta.url));

/** Bound on the whole measurement (it takes about a second): an echo process that never answers fails it. */
const WAKEUP_TIMEOUT_MS = 60_000;

/** Measures `roundTrips` loopback round trips against a forked echo process; rejects if the echo dies, the link breaks, the bound passes or `signal` aborts. */
export async function measureWakeup(roundTrips: number, signal?: AbortSignal): Promise<WakeupCeiling> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const child = fork(ECHO, [String(port)], { stdio: 'ignore' });
  let peer: Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  // Whatever ends the measurement early: the echo's exit, a broken link, the bound, an abort.
  const failed = new Promise<never>((_, reject) => {
    child.once('exit', (code, sig) => reject(new Error(`the echo process exited (${sig ?? `code ${code}`}) during the wakeup measurement`)));
    timer = setTimeout(() => reject(new Error(`the wakeup measurement did not finish within ${WAKEUP_TIMEOUT_MS} ms`)), WAKEUP_TIMEOUT_MS);
    onAbort = () => reject(new Error('the bench was interrupted'));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  failed.catch(() => undefined);
  try {
    const sock = await Promise.race([failed, new Promise<Socket>((resolve) => server.once('connection', resolve))]);
    peer = sock;
    sock.setNoDelay(true);
    sock.on('error', () => undefined); // a reset shows as the echo's exit or the bound
    const run = (n: number) => new Promise<{ wallNs: number; cpu: NodeJS.CpuUsage }>((resolve) => {
      let left = n;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const onData = () => {
        if (--left > 0) return void sock.write('x');
        sock.off('data', onData);
        resolve({ wallNs: Number(process.hrtime.bigint() - t0), cpu: process.cpuUsage(cpu0) });
      };
      sock.on('data', onData);
      sock.write('x');
    });
    await Promise.race([failed, run(Math.min(2000, roundTrips))]); // warm-up: JIT and the kernel's socket paths
    const { wallNs, cpu } = await Promise.race([failed, run(roundTrips)]);
    const per = (us: number) => Math.round((us / roundTrips) * 10) / 10;
    return { roundTrips, roundTripUs: per(wallNs / 1000), cpuUsPerRoundTrip: per(cpu.user + cpu.system), systemCpuUsPerRoundTrip: per(cpu.system) };
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    child.removeAllListeners('exit');
    peer?.destroy();
    child.kill('SIGKILL');
    server.close();
  }
}

