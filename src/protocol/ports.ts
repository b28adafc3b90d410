/**
 * The port layout of one node: every worker serves the shared `port` (SO_REUSEPORT), and worker k
 * also serves its own slot port, `port + 1 + k`, so a client (or the lab) can reach one worker.
 */
export function slotPort(port: number, slot: number): number {
  return port + 1 + slot;
}

/** The ports a node of `workers` workers on `port` serves clients on: the shared one and every slot port. */
export function portsOf(port: number, workers: number): number[] {
  return [port, ...Array.from({ length: workers }, (_, k) => slotPort(port, k))];
}

/**
 * Worker k's admin port, `port + 1 + workers + k`: its `/health` and `/metrics`, bound to the admin host
 * (loopback unless `--admin-host` says otherwise), never to the address clients reach.
 */
export function adminPort(port: number, workers: number, slot: number): number {
  return port + 1 + workers + slot;
}

/** How many consecutive ports from `port` a node of `workers` workers takes: shared, slot and admin ports. */
export function nodePortCount(workers: number): number {
  return 1 + 2 * workers;
}

/** The WebSocket path every worker serves. */
export const WS_PATH = '/ws';

/** The ws:// URL of a host and port. */
export function wsUrl(host: string, port: number): string {
  return `ws://${host}:${port}${WS_PATH}`;
}
