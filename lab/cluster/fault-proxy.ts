/**
 * A Toxiproxy-style TCP proxy that runs inside the harness process: one per worker between the
 * worker and Redis, and one per client and worker between the client and the worker. Its mode
 * partitions the link (cut: resets; blackhole: silence) or slows it down (latency with jitter, byte
 * order preserved); toxics on top make it misbehave as real links do, each per direction, on the
 * Redis publisher or subscriber connection alone if asked, and on each connection with a probability:
 * a bandwidth limit, a slicer, a data limit, a reset after a delay, a slow close, bursts of loss.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { mulberry32 } from './prng.js';
import { labRedisPassword, redisUrlWithPassword } from './redis-server.js';

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

const common = {
  /** upstream: what the worker (or client) sends; downstream: what it receives. @default 'both' */
  stream: z.enum(['upstream', 'downstream', 'both']).default('both'),
  /** On a Redis link: only the publisher's connection, or the subscriber's. @default 'any' */
  link: z.enum(['any', 'pub', 'sub']).default('any'),
  /** The chance that the toxic applies to a connection (drawn once per connection, seeded). @default 1 */
  toxicity: z.number().min(0).max(1).default(1),
};

/** The schema of a toxic: what it does, and to which connections and directions. */
export const toxicSchema = z.discriminatedUnion('kind', [
  /** At most rateKBps kilobytes per second per direction of a connection. */
  z.object({ kind: z.literal('bandwidth'), rateKBps: z.number().positive().max(1_000_000), ...common }).strict(),
  /** Every chunk split into pieces of averageBytes ± variationBytes, each sent delayUs after the one before. */
  z.object({ kind: z.literal('slicer'), averageBytes: z.number().int().min(1).max(1_000_000), variationBytes: z.number().int().min(0).max(1_000_000).default(0), delayUs: z.number().int().min(0).max(10_000_000).default(0), ...common }).strict(),
  /** The connection is closed once `bytes` have passed in a direction (cut mid-message). */
  z.object({ kind: z.literal('limit-data'), bytes: z.number().int().min(0), ...common }).strict(),
  /** The connection is reset (RST) timeoutMs after the toxic starts or the connection opens. */
  z.object({ kind: z.literal('reset-peer'), timeoutMs: z.number().int().min(0).max(600_000).default(0), ...common }).strict(),
  /** When one side closes, the other learns it delayMs later. */
  z.object({ kind: z.literal('slow-close'), delayMs: z.number().int().min(0).max(600_000), ...common }).strict(),
  /**
   * Bursts of packet loss as TCP lives them: a chunk starts a burst with burstProbability; for burstMs
   * every chunk is held back by retransmitMs (lost, then retransmitted), in order. Bytes are never
   * dropped from the stream, as TCP never drops them.
   */
  z.object({ kind: z.literal('drop-bursts'), burstProbability: z.number().min(0).max(1), burstMs: z.number().int().min(1).max(60_000), retransmitMs: z.number().int().min(1).max(60_000).default(200), ...common }).strict(),
]);
export type Toxic = z.infer<typeof toxicSchema>;
export type ToxicInput = z.input<typeof toxicSchema>;

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
  /** Connections closed by a limit-data toxic or reset by a reset-peer toxic. */
  connectionsCutByToxics: number;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The Redis port to forward to. */
  upstreamPort: number;
  /** The Redis host to forward to. @default '127.0.0.1' */
  upstreamHost?: string;
  /** The port to listen on. @default 0 (a free port) */
  listenPort?: number;
  /** The address to listen on (a lab network's host address, for nodes in network namespaces). @default '127.0.0.1' */
  listenHost?: string;
  /** The scheme of `url`. @default 'redis' */
  scheme?: 'redis' | 'ws';
  /**
   * The Redis password `url` carries: the proxy passes AUTH through untouched, so its clients need
   * the credentials of the server behind it. @default that of the lab's redis-server on `upstreamPort`, if any
   */
  password?: string;
}

/** A running fault proxy. */
export interface FaultProxy {
  readonly port: number;
  /** `redis://:<password>@127.0.0.1:<port>` (the upstream's password, if it has one): hand this to the worker instead of Redis's own URL. */
  readonly url: string;
  readonly mode: FaultMode;
  /** A snapshot of the counters. */
  readonly stats: FaultProxyStats;
  /** Switches mode at once; `{ kind: 'pass' }` heals. */
  setMode(mode: FaultMode): void;
  /** Adds a toxic (validated) to every connection it applies to, open or future; returns its id. */
  addToxic(toxic: ToxicInput, seed: number): number;
  /** Removes a toxic; the connections it applied to go on untouched. */
  removeToxic(id: number): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

type Item = { chunk: Buffer | null; releaseAt: number };

/** A toxic in place on a proxy: its seeded draw per connection, and its timers. */
interface ActiveToxic {
  id: number;
  toxic: Toxic;
  random: () => number;
}

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
  /** A Redis connection's role, from the name it gives itself (CLIENT SETNAME …-pub or …-sub). */
  role: 'pub' | 'sub' | undefined;
  /** The first bytes it sent upstream, until its role is known. */
  sniffed: string;
  /** Per toxic id: whether it applies to this connection (drawn once). */
  drawn: Map<number, boolean>;
  /** Bytes passed per direction (for limit-data). */
  passed: { upstream: number; downstream: number };
  /** Per direction: when the bandwidth limit next lets bytes through, and until when a loss burst lasts. */
  nextFree: { upstream: number; downstream: number };
  burstUntil: { upstream: number; downstream: number };
  timers: NodeJS.Timeout[];
}

type Direction = 'upstream' | 'downstream';

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
  readonly #toxics = new Map<number, ActiveToxic>();
  #nextToxic = 1;
  #mode: FaultMode = { kind: 'pass' };
  #random: () => number = mulberry32(0);
  readonly #counters = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    connectionsReset: 0,
    bytesToUpstream: 0,
    bytesToClient: 0,
    bytesDiscarded: 0,
    connectionsCutByToxics: 0,
  };

  constructor(server: Server, port: number, upstreamHost: string, upstreamPort: number, scheme: 'redis' | 'ws', password: string | undefined, listenHost: string) {
    this.#server = server;
    this.port = port;
    this.url = scheme === 'redis' && password !== undefined ? redisUrlWithPassword(port, password, listenHost) : `${scheme}://${listenHost}:${port}`;
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

  addToxic(input: ToxicInput, seed: number): number {
    const parsed = toxicSchema.safeParse(input);
    if (!parsed.success) throw new FaultModeError(input, z.prettifyError(parsed.error));
    const t: ActiveToxic = { id: this.#nextToxic++, toxic: parsed.data, random: mulberry32(seed) };
    this.#toxics.set(t.id, t);
    for (const link of this.#links) this.#armTimers(link, t);
    return t.id;
  }

  removeToxic(id: number): void {
    this.#toxics.delete(id);
  }

  /** Whether toxic `t` applies to `link` in direction `dir` (its draw is made once per connection). */
  #applies(link: Link, t: ActiveToxic, dir: Direction | undefined): boolean {
    const { stream, link: which, toxicity } = t.toxic;
    if (dir !== undefined && stream !== 'both' && stream !== dir) return false;
    if (which !== 'any' && link.role !== which) return false;
    let drawn = link.drawn.get(t.id);
    if (drawn === undefined) {
      drawn = t.random() < toxicity;
      link.drawn.set(t.id, drawn);
    }
    return drawn;
  }

  /** A reset-peer toxic resets each connection it applies to, its timeout after the later of its start and the connection's. */
  #armTimers(link: Link, t: ActiveToxic): void {
    if (t.toxic.kind !== 'reset-peer') return;
    const fire = () => {
      if (!this.#toxics.has(t.id) || !this.#links.has(link)) return;
      // A toxic for one role waits for the connection to say its name (its first command).
      if (t.toxic.link !== 'any' && link.role === undefined && link.sniffed.length < 512) return void link.timers.push(setTimeout(fire, 10));
      if (!this.#applies(link, t, undefined)) return;
      this.#counters.connectionsCutByToxics += 1;
      this.#destroy(link, true);
    };
    link.timers.push(setTimeout(fire, t.toxic.timeoutMs));
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
      role: undefined,
      sniffed: '',
      drawn: new Map(),
      passed: { upstream: 0, downstream: 0 },
      nextFree: { upstream: 0, downstream: 0 },
      burstUntil: { upstream: 0, downstream: 0 },
      timers: [],
    };
    this.#links.add(link);
    for (const t of this.#toxics.values()) this.#armTimers(link, t);
    client.on('data', (chunk: Buffer) => {
      if (link.role === undefined && link.sniffed.length < 512) {
        link.sniffed += chunk.toString('latin1', 0, Math.min(chunk.length, 512));
        const m = /-(pub|sub)\r\n/.exec(link.sniffed);
        if (m) link.role = m[1] as 'pub' | 'sub';
      }
      this.#forward(link, 'upstream', chunk);
    });
    upstream.on('data', (chunk: Buffer) => this.#forward(link, 'downstream', chunk));
    // A FIN is connection lifecycle, not data: it follows the data queued before it, in every mode.
    client.on('end', () => link.toUpstream.push(null, this.#delayMs() + this.#closeDelayMs(link, 'upstream')));
    upstream.on('end', () => link.toClient.push(null, this.#delayMs() + this.#closeDelayMs(link, 'downstream')));
    client.on('close', () => this.#closeLater(link, 'upstream'));
    upstream.on('error', () => this.#destroy(link, true));
    upstream.on('close', () => this.#closeLater(link, 'downstream'));
  }

  /** How much later a slow-close toxic lets the other side learn of a close in direction `dir`. */
  #closeDelayMs(link: Link, dir: Direction): number {
    let ms = 0;
    for (const t of this.#toxics.values()) if (t.toxic.kind === 'slow-close' && this.#applies(link, t, dir)) ms = Math.max(ms, t.toxic.delayMs);
    return ms;
  }

  #closeLater(link: Link, dir: Direction): void {
    const ms = this.#closeDelayMs(link, dir);
    if (ms === 0) return this.#destroy(link, false);
    link.timers.push(setTimeout(() => this.#destroy(link, false), ms));
  }

  #forward(link: Link, dir: Direction, chunk: Buffer): void {
    const lane = dir === 'upstream' ? link.toUpstream : link.toClient;
    switch (this.#mode.kind) {
      case 'blackhole':
      case 'cut':
        this.#counters.bytesDiscarded += chunk.length;
        return;
      case 'pass':
      case 'latency':
        break;
    }
    let delayMs = this.#delayMs();
    let pieces: { chunk: Buffer; gapMs: number }[] | undefined;
    let closeAfter = false;
    const now = performance.now();
    for (const t of this.#toxics.values()) {
      if (!this.#applies(link, t, dir)) continue;
      const x = t.toxic;
      switch (x.kind) {
        case 'limit-data': {
          const room = Math.max(0, x.bytes - link.passed[dir]);
          if (chunk.length >= room) {
            chunk = chunk.subarray(0, room);
            closeAfter = true;
          }
          break;
        }
        case 'drop-bursts':
          if (link.burstUntil[dir] <= now && t.random() < x.burstProbability) link.burstUntil[dir] = now + x.burstMs;
          if (link.burstUntil[dir] > now) delayMs += x.retransmitMs;
          break;
        case 'bandwidth': {
          const start = Math.max(now + delayMs, link.nextFree[dir]);
          link.nextFree[dir] = start + (chunk.length / (x.rateKBps * 1024)) * 1000;
          delayMs = link.nextFree[dir] - now;
          break;
        }
        case 'slicer': {
          pieces = [];
          for (let at = 0; at < chunk.length;) {
            const size = Math.max(1, Math.round(x.averageBytes + (t.random() * 2 - 1) * x.variationBytes));
            pieces.push({ chunk: chunk.subarray(at, at + size), gapMs: x.delayUs / 1000 });
            at += size;
          }
          break;
        }
        case 'reset-peer':
        case 'slow-close':
          break;
      }
    }
    link.passed[dir] += chunk.length;
    if (pieces === undefined) {
      if (chunk.length > 0) lane.push(chunk, delayMs);
    } else {
      let at = delayMs;
      for (const p of pieces) {
        lane.push(p.chunk, at);
        at += p.gapMs;
      }
    }
    if (closeAfter) {
      this.#counters.connectionsCutByToxics += 1;
      // The bytes up to the limit go out first; then both sides see the connection end.
      lane.push(null, delayMs);
      link.timers.push(setTimeout(() => this.#destroy(link, false), Math.max(0, delayMs) + 50));
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
    for (const t of link.timers) clearTimeout(t);
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
    server.listen(options.listenPort ?? 0, options.listenHost ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', () => undefined);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const upstreamHost = options.upstreamHost ?? '127.0.0.1';
  const password = options.password ?? (upstreamHost === '127.0.0.1' ? labRedisPassword(options.upstreamPort) : undefined);
  return new TcpFaultProxy(server, port, upstreamHost, options.upstreamPort, options.scheme ?? 'redis', password, options.listenHost ?? '127.0.0.1');
}
