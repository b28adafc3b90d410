/** The part of a WebSocket the client uses, met by the browser's global `WebSocket` and by the `ws` package's class. */
// Handler parameters are `never` because browsers and `ws` declare different event classes that
// both must fit; the client reads only `data` from a message event.
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed (the same numbers in browsers and `ws`). */
  readonly readyState: number;
  /** Send one text frame. */
  send(data: string): void;
  /** Start the close handshake. */
  close(code?: number, reason?: string): void;
  /** Destroy the connection without a close handshake (`ws` only). */
  terminate?(): void;
  /** Called when the connection opens. */
  onopen: ((event: never) => void) | null;
  /** Called for every received frame. */
  onmessage: ((event: never) => void) | null;
  /** Called once when the connection is closed. */
  onclose: ((event: never) => void) | null;
  /** Called when the connection fails; a close follows. */
  onerror: ((event: never) => void) | null;
}

/** A WebSocket constructor such as `globalThis.WebSocket` or the default export of `ws`. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The ready state of an open socket. */
export const OPEN = 1;

const decoder = new TextDecoder();

/** The text of a message event's data, or undefined when it is neither text nor bytes. */
export function frameText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return decoder.decode(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return decoder.decode(data);
  return undefined;
}

/** Drop a socket at once: `terminate()` where it exists (no close handshake), else `close()`. */
export function dropSocket(socket: WebSocketLike): void {
  try {
    if (typeof socket.terminate === 'function') socket.terminate();
    else socket.close();
  } catch {
    // A socket that is already closed may throw; dropping it is then done.
  }
}
