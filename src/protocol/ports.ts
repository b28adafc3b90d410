/**
 * The port layout of one node: every worker serves the shared `port` (SO_REUSEPORT), and worker k
 * also serves its own slot port, `port + 1 + k`, so a client (or the lab) can reach one worker.
 */
export function slotPort(port: number, slot: number): number {
  return port + 1 + slot;
}

/** The ports a node of `workers` workers on `port` takes: the shared one and every slot port. */
export function portsOf(port: number, workers: number): number[] {
  return [port, ...Array.from({ length: workers }, (_, k) => slotPort(port, k))];
}

/** The WebSocket path every worker serves. */
export const WS_PATH = '/ws';

/** The ws:// URL of a host and port. */
export function wsUrl(host: string, port: number): string {
  return `ws://${host}:${port}${WS_PATH}`;
}
