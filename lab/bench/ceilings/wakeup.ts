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

/** Measures `roundTrips` loopback round trips against a forked echo process. */
export async function measureWakeup(roundTrips: number): Promise<WakeupCeiling> {
  let peer: Socket | undefined;
  const server = createServer((c) => { peer = c; });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const child = fork(ECHO, [String(port)], { stdio: 'ignore' });
  try {
    while (!peer) await new Promise((r) => setTimeout(r, 5));
    const sock = peer;
    sock.setNoDelay(true);
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
    await run(Math.min(2000, roundTrips)); // warm-up: JIT and the kernel's socket paths
    const { wallNs, cpu } = await run(roundTrips);
    const per = (us: number) => Math.round((us / roundTrips) * 10) / 10;
    return { roundTrips, roundTripUs: per(wallNs / 1000), cpuUsPerRoundTrip: per(cpu.user + cpu.system), systemCpuUsPerRoundTrip: per(cpu.system) };
  } finally {
    peer?.destroy();
    child.kill('SIGKILL');
    server.close();
  }
}

