/**
 * A bare WebSocket speaking the wire protocol frame by frame, for tests that need to send exactly
 * what they mean (retries, bad frames) and to read every server frame, validated by `ServerFrame`.
 */
import WebSocket from 'ws';
import { ServerFrame, type WelcomeFrame } from '../../src/protocol/index.js';

/** Bound for opening a connection and receiving its welcome. */
const OPEN_TIMEOUT_MS = 10_000;
/** Default bound for an expected frame. */
const TAKE_TIMEOUT_MS = 10_000;

type FrameOf<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>;

/** A connection whose received frames queue up until a test takes them. */
export class RawSocket {
  readonly #ws: WebSocket;
  readonly #queue: ServerFrame[] = [];
  readonly #wakers = new Set<() => void>();
  #closed: string | null = null;
  /** Frames that did not pass the `ServerFrame` schema (a protocol bug if any). */
  readonly invalid: string[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${String(data)}>` : String(data);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const parsed = ServerFrame.safeParse(json);
      if (parsed.success) this.#queue.push(parsed.data);
      else this.invalid.push(text);
      this.#wake();
    });
    ws.on('close', (code, reason) => {
      // A socket error comes first and says more (a protocol error the client found): keep it.
      this.#closed ??= `closed by the server (${code} ${String(reason)})`;
      this.#wake();
    });
    ws.on('error', (err) => {
      this.#closed = `socket error: ${err.message}`;
      this.#wake();
    });
  }

  /** Opens a connection to `url` and resolves with it and its `welcome`. */
  static async open(url: string): Promise<{ socket: RawSocket; welcome: WelcomeFrame }> {
    const ws = new WebSocket(url);
    const socket = new RawSocket(ws);
    try {
      const welcome = await socket.take('welcome', () => true, OPEN_TIMEOUT_MS);
      return { socket, welcome };
    } catch (err) {
      socket.close();
      throw err;
    }
  }

  /** True while the socket is open. */
  get open(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Sends a frame: an object is serialized as JSON, a string goes as is (a text frame). */
  send(frame: object | string): void {
    this.#ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a binary frame. */
  sendBinary(bytes: Uint8Array): void {
    this.#ws.send(bytes, { binary: true });
  }

  /** Removes and returns the first queued frame of this type that matches, waiting for one up to `timeoutMs`. */
  take<T extends ServerFrame['type']>(type: T, match: (f: FrameOf<T>) => boolean = () => true, timeoutMs = TAKE_TIMEOUT_MS): Promise<FrameOf<T>> {
    return new Promise((resolve, reject) => {
      const attempt = (): boolean => {
        const i = this.#queue.findIndex((f) => f.type === type && match(f as FrameOf<T>));
        if (i >= 0) {
          done();
          resolve(this.#queue.splice(i, 1)[0] as FrameOf<T>);
          return true;
        }
        if (this.#closed !== null) {
          done();
          reject(new Error(`no matching ${type} frame: ${this.#closed}; queued: ${this.#describeQueue()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching ${type} frame within ${timeoutMs} ms; queued: ${this.#describeQueue()}`));
      }, timeoutMs);
      const waker = (): void => void attempt();
      const done = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(waker);
      };
      if (!attempt()) this.#wakers.add(waker);
    });
  }

  /** Sends a ping with `nonce` and resolves with the pong that carries it. */
  async ping(nonce: number): Promise<FrameOf<'pong'>> {
    this.send({ type: 'ping', nonce });
    return this.take('pong', (f) => f.nonce === nonce);
  }

  /** Closes the connection (no wait). */
  close(): void {
    this.#ws.terminate();
  }

  #describeQueue(): string {
    return JSON.stringify(this.#queue.slice(0, 10).map((f) => ('code' in f ? `${f.type}:${f.code}` : f.type)));
  }

  #wake(): void {
    for (const w of [...this.#wakers]) w();
  }
}
