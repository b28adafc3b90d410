/**
 * A Toxiproxy-style TCP proxy that runs inside the harness process, one per worker, between the
 * worker and Redis, so a scenario can partition one worker from Redis: cut it (resets), blackhole
 * it (silence), or slow it down (latency with jitter, byte order preserved).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { mulberry32 } from './prng.js';

/** The schema of a proxy mode; the nemesis validates scenario parameters with it. */
export const faultModeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('pass') }),
  z.object({ kind: z.literal('cut') }),
  z.object({ kind: z.literal('blackhole') }),
  z.object({
    kind: z.literal('latency'),
    latencyMs: z.number().nonnegative(),
    jitterMs: z.number().nonnegative(),
    seed: z.number().int(),
  }),
]);

/**
 * What the proxy does to traffic: `pass` forwards; `cut` resets every open connection and resets
 * new ones as soon as they are accepted; `blackhole` keeps connections up and silently discards
 * everything in both directions (discarded bytes are gone for good); `latency` delays each chunk
 * by `latencyMs` ± uniform `jitterMs` (seeded), never letting a chunk overtake an earlier one of
 * the same direction.
 */
export type FaultMode = z.infer<typeof faultModeSchema>;

/** Thrown by `setMode` for a mode that does not match {@link faultModeSchema}. */
export class FaultModeError extends Error {
  override readonly name = 'FaultModeError';
  constructor(readonly mode: unknown, readonly issues: string) {
    super(`Invalid fault proxy mode ${JSON.stringify(mode)}: ${issues}`);
  }
}

/** Counters of a proxy since it started. */
export interface FaultProxyStats {
  /** Connections accepted and paired with an upstream connection. */
  connectionsAccepted: number;
  /** Connections accepted during a cut and reset at once. */
  connectionsRefused: number;
  /** Open connections reset when a cut began. */
  connectionsReset: number;
  /** Connections open now. */
  connectionsOpen: number;
  /** Bytes written to Redis. */
  bytesToUpstream: number;
  /** Bytes written to the client. */
  bytesToClient: number;
  /** Bytes discarded by a blackhole (including chunks in flight when it began). */
  bytesDiscarded: number;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The Redis port to forward to. */
  upstreamPort: number;
  /** The Redis host to forward to. @default '127.0.0.1' */
  upstreamHost?: string;
  /** The port to listen on, on 127.0.0.1. @default 0 (a free port) */
  listenPort?: number;
}

/** A running fault proxy. */
export interface FaultProxy {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`: hand this to the worker instead of Redis's own URL. */
  readonly url: string;
  readonly mode: FaultMode;
  /** A snapshot of the counters. */
  readonly stats: FaultProxyStats;
  /** Switches mode at once; `{ kind: 'pass' }` heals. */
  setMode(mode: FaultMode): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

type Item = { chunk: Buffer | null; releaseAt: number };

/** One direction of one connection: a queue that releases chunks in order, each not before its time. */
class Lane {
  #queue: Item[] = [];
  #lastReleaseAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #paused = false;

  constructor(
    private readonly source: Socket,
    private readonly target: Socket,
    private readonly onWritten: (bytes: number) => void,
  ) {}

  /** Queues a chunk (null: end of stream) for release after `delayMs`, behind every earlier one. */
  push(chunk: Buffer | null, delayMs: number): void {
    const now = performance.now();
    const releaseAt = Math.max(this.#lastReleaseAt, now + delayMs);
    this.#lastReleaseAt = releaseAt;
    if (this.#queue.length === 0 && releaseAt <= now) return this.#write(chunk);
    this.#queue.push({ chunk, releaseAt });
    this.#schedule();
  }

  /** Drops every queued chunk and returns how many bytes were dropped. */
  discard(): number {
    const bytes = this.#queue.reduce((sum, item) => sum + (item.chunk?.length ?? 0), 0);
    this.#queue = this.#queue.filter((item) => item.chunk === null);
    this.#lastReleaseAt = 0;
    if (this.#queue.length === 0) this.close();
    return bytes;
  }

  close(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    const head = this.#queue[0];
    if (this.#timer !== null || head === undefined) return;
    // Timers may fire a little early against performance.now(): #flush re-checks and re-arms.
    const waitMs = Math.max(0, Math.ceil(head.releaseAt - performance.now()));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#flush();
    }, waitMs);
  }

  #flush(): void {
    const now = performance.now();
    while (this.#queue.length > 0 && (this.#queue[0]?.releaseAt ?? Infinity) <= now) {
      this.#write(this.#queue.shift()?.chunk ?? null);
    }
    this.#schedule();
  }

  #write(chunk: Buffer | null): void {
    if (this.target.destroyed) return;
    if (chunk === null) {
      this.target.end();
      return;
    }
    this.onWritten(chunk.length);
    if (!this.target.write(chunk) && !this.#paused) {
      this.#paused = true;
      this.source.pause();
      this.target.once('drain', () => {
        this.#paused = false;
        this.source.resume();
      });
    }
  }
}

interface Link {
  client: Socket;
  upstream: Socket;
  toUpstream: Lane;
  toClient: Lane;
}

function reset(socket: Socket): void {
  if (socket.destroyed) return;
  // resetAndDestroy() on a socket still connecting would wait for the connection first.
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

class TcpFaultProxy implements FaultProxy {
  readonly port: number;
  readonly url: string;
  readonly #server: Server;
  readonly #upstreamHost: string;
  readonly #upstreamPort: number;
  readonly #links = new Set<Link>();
  #mode: FaultMode = { kind: 'pass' };
  #random: () => number = mulberry32(0);
  readonly #counters = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    connectionsReset: 0,
    bytesToUpstream: 0,
    bytesToClient: 0,
    bytesDiscarded: 0,
  };

  constructor(server: Server, port: number, upstreamHost: string, upstreamPort: number) {
    this.#server = server;
    this.port = port;
    this.url = `redis://127.0.0.1:${port}`;
    this.#upstreamHost = upstreamHost;
    this.#upstreamPort = upstreamPort;
    server.on('connection', (client) => this.#accept(client));
  }

  get mode(): FaultMode {
    return this.#mode;
  }

  get stats(): FaultProxyStats {
    return { ...this.#counters, connectionsOpen: this.#links.size };
  }

  setMode(mode: FaultMode): void {
    const parsed = faultModeSchema.safeParse(mode);
    if (!parsed.success) throw new FaultModeError(mode, z.prettifyError(parsed.error));
    this.#mode = parsed.data;
    if (this.#mode.kind === 'latency') this.#random = mulberry32(this.#mode.seed);
    for (const link of this.#links) {
      if (this.#mode.kind === 'cut') {
        this.#counters.connectionsReset += 1;
        this.#destroy(link, true);
      } else if (this.#mode.kind === 'blackhole') {
        this.#counters.bytesDiscarded += link.toUpstream.discard() + link.toClient.discard();
      }
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const link of this.#links) this.#destroy(link, false);
    await closed;
  }

  #accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.#mode.kind === 'cut') {
      this.#counters.connectionsRefused += 1;
      reset(client);
      return;
    }
    this.#counters.connectionsAccepted += 1;
    client.setNoDelay(true);
    const upstream = connect({ host: this.#upstreamHost, port: this.#upstreamPort, allowHalfOpen: true });
    upstream.setNoDelay(true);
    const link: Link = {
      client,
      upstream,
      toUpstream: new Lane(client, upstream, (n) => (this.#counters.bytesToUpstream += n)),
      toClient: new Lane(upstream, client, (n) => (this.#counters.bytesToClient += n)),
    };
    this.#links.add(link);
    client.on('data', (chunk: Buffer) => this.#forward(link.toUpstream, chunk));
    upstream.on('data', (chunk: Buffer) => this.#forward(link.toClient, chunk));
    // A FIN is connection lifecycle, not data: it follows the data queued before it, in every mode.
    client.on('end', () => link.toUpstream.push(null, this.#delayMs()));
    upstream.on('end', () => link.toClient.push(null, this.#delayMs()));
    client.on('close', () => this.#destroy(link, false));
    upstream.on('error', () => this.#destroy(link, true));
    upstream.on('close', () => this.#destroy(link, false));
  }

  #forward(lane: Lane, chunk: Buffer): void {
    switch (this.#mode.kind) {
      case 'pass':
        return lane.push(chunk, 0);
      case 'latency':
        return lane.push(chunk, this.#delayMs());
      case 'blackhole':
      case 'cut':
        this.#counters.bytesDiscarded += chunk.length;
        return;
    }
  }

  #delayMs(): number {
    if (this.#mode.kind !== 'latency') return 0;
    const { latencyMs, jitterMs } = this.#mode;
    return Math.max(0, latencyMs + (this.#random() * 2 - 1) * jitterMs);
  }

  /** Tears a link down; `abort` sends resets (a cut, an upstream error) instead of a close. */
  #destroy(link: Link, abort: boolean): void {
    if (!this.#links.delete(link)) return;
    link.toUpstream.close();
    link.toClient.close();
    if (abort) {
      reset(link.client);
      reset(link.upstream);
    } else {
      link.client.destroy();
      link.upstream.destroy();
    }
  }
}

/** Starts a fault proxy on 127.0.0.1 in `pass` mode and resolves once it listens. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const server = createServer({ allowHalfOpen: true, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.listenPort ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return new TcpFaultProxy(server, port, options.upstreamHost ?? '127.0.0.1', options.upstreamPort);
}
