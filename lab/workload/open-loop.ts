import type { SimClient } from './sim-client.js';

/** Options of the open-loop workload. */
export interface OpenLoopOptions {
  clients: readonly SimClient[];
  /** Sends per second over all clients. */
  ratePerSec: number;
  durationMs: number;
  bodyBytes: number;
  random: () => number;
  signal?: AbortSignal;
  /** Called after every send is issued (for live progress). */
  onSend?: () => void;
}

const TICK_MS = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Sends at a fixed rate whatever the system does (open loop: a slow or failing system does not
 * slow the offered load down); each send goes from a seeded-random sender (listeners never send) to one of its rooms.
 * Resolves when the duration is over or the signal aborts; the sends' outcomes are in the history.
 */
export async function runOpenLoop(o: OpenLoopOptions): Promise<number> {
  const started = performance.now();
  const senders = o.clients.filter((c) => c.role === 'sender');
  if (senders.length === 0) return 0;
  let issued = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(tick, TICK_MS);
    const stop = () => { clearInterval(timer); o.signal?.removeEventListener('abort', stop); resolve(); };
    o.signal?.addEventListener('abort', stop, { once: true });
    function tick(): void {
      const elapsed = Math.min(performance.now() - started, o.durationMs);
      const due = Math.floor((elapsed * o.ratePerSec) / 1000);
      while (issued < due) {
        const c = senders[Math.floor(o.random() * senders.length)]!;
        const room = c.rooms[Math.floor(o.random() * c.rooms.length)]!;
        issued += 1;
        void c.send(room, body(c.name, issued, o.bodyBytes, o.random));
        o.onSend?.();
      }
      if (elapsed >= o.durationMs || o.signal?.aborted) stop();
    }
  });
  return issued;
}

function body(client: string, n: number, bytes: number, random: () => number): string {
  let s = `${client}#${n}:`;
  while (s.length < bytes) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s.slice(0, Math.max(bytes, s.indexOf(':') + 1));
}
