import { ServerFrame, type ClientFrame } from '../protocol/index.js';
import type { DisconnectReason } from './events.js';
import { Heartbeat } from './heartbeat.js';
import type { ResolvedOptions } from './options.js';
import { dropSocket, frameText, OPEN, type WebSocketLike } from './socket.js';
import type { TimerHandle } from './timers.js';

/** What a `Connection` reports to its owner. */
export interface ConnectionHandlers {
  /** A valid server frame (pongs are consumed by the heartbeat and not passed on). */
  onFrame(frame: ServerFrame): void;
  /** A frame that was not JSON or failed the `ServerFrame` schema. */
  onBadFrame(): void;
  /** The connection is over; called exactly once. */
  onDown(reason: DisconnectReason): void;
}

type ConnectionOptions = Pick<
  ResolvedOptions,
  'WebSocket' | 'timers' | 'now' | 'connectTimeoutMs' | 'heartbeatIntervalMs' | 'heartbeatTimeoutMs'
>;

/**
 * One WebSocket to one worker: a deadline for the `welcome`, then a heartbeat; validated frames
 * go to the owner and every way the socket can end is reported once through `onDown`.
 */
export class Connection {
  readonly #o: ConnectionOptions;
  readonly #h: ConnectionHandlers;
  readonly #socket: WebSocketLike;
  readonly #heartbeat: Heartbeat;
  #deadline: TimerHandle | null;
  #down = false;
  #closing = false;

  /** Open a socket to `url`; throws what the WebSocket constructor throws. */
  constructor(url: string, options: ConnectionOptions, handlers: ConnectionHandlers) {
    this.#o = options;
    this.#h = handlers;
    this.#socket = new options.WebSocket(url);
    this.#heartbeat = new Heartbeat({
      intervalMs: options.heartbeatIntervalMs,
      timeoutMs: options.heartbeatTimeoutMs,
      timers: options.timers,
      now: options.now,
      sendPing: (nonce) => this.send({ type: 'ping', nonce }),
      onTimeout: () => this.drop('heartbeat'),
    });
    this.#socket.onmessage = (event: { data: unknown }) => this.#onData(event.data);
    this.#socket.onclose = () => this.#end(this.#closing ? 'client-close' : 'closed');
    this.#socket.onerror = () => this.drop(this.#closing ? 'client-close' : 'error');
    this.#deadline = options.timers.setTimeout(() => this.drop('connect-timeout'), options.connectTimeoutMs);
  }

  /** Write a frame if the socket is open (frames written while it is not are lost, like any in flight). */
  send(frame: ClientFrame): void {
    if (this.#down || this.#socket.readyState !== OPEN) return;
    try {
      this.#socket.send(JSON.stringify(frame));
    } catch {
      // The socket is failing; its close or error event ends the connection.
    }
  }

  /** End the connection at once, without a close handshake where the runtime allows. */
  drop(reason: DisconnectReason): void {
    if (this.#down) return;
    this.#end(reason); // first, so a close event fired by the drop itself is ignored
    dropSocket(this.#socket);
  }

  /** Start a close handshake; the connection is dropped if it has not closed within the connect timeout. */
  close(): void {
    if (this.#down) return;
    this.#closing = true;
    if (this.#socket.readyState !== OPEN) return this.drop('client-close');
    this.#socket.close(1000, 'client closing');
    this.#clearDeadline();
    this.#deadline = this.#o.timers.setTimeout(() => this.drop('client-close'), this.#o.connectTimeoutMs);
  }

  #onData(data: unknown): void {
    if (this.#down) return;
    const text = frameText(data);
    let json: unknown;
    try {
      json = text === undefined ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = ServerFrame.safeParse(json);
    if (!parsed.success) return this.#h.onBadFrame();
    const frame = parsed.data;
    if (frame.type === 'pong') return this.#heartbeat.onPong(frame.nonce);
    if (frame.type === 'welcome' && !this.#closing) {
      this.#clearDeadline();
      this.#heartbeat.start();
    }
    this.#h.onFrame(frame);
  }

  #end(reason: DisconnectReason): void {
    if (this.#down) return;
    this.#down = true;
    this.#clearDeadline();
    this.#heartbeat.stop();
    this.#h.onDown(reason);
  }

  #clearDeadline(): void {
    if (this.#deadline !== null) this.#o.timers.clearTimeout(this.#deadline);
    this.#deadline = null;
  }
}
