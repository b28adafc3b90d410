import type * as UWS from 'uWebSockets.js';

/**
 * Coalesces the frames sent to each socket during one macrotask and sends them in one
 * `ws.cork` per socket from a microtask: a send outside a uWS handler is otherwise one write()
 * syscall per frame (on loopback, the receiver's TCP work runs inside that syscall too).
 */
export class CorkedReplies<S> {
  readonly #pending = new Map<UWS.WebSocket<S>, string[]>();
  readonly #isClosed: (ws: UWS.WebSocket<S>) => boolean;
  #scheduled = false;

  /** `isClosed` says when a socket must not be written any more. */
  constructor(isClosed: (ws: UWS.WebSocket<S>) => boolean) {
    this.#isClosed = isClosed;
  }

  /** Queues a text frame for the socket. */
  send(ws: UWS.WebSocket<S>, frame: string): void {
    const list = this.#pending.get(ws);
    if (list) list.push(frame);
    else this.#pending.set(ws, [frame]);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    for (const [ws, frames] of this.#pending) {
      if (this.#isClosed(ws)) continue;
      ws.cork(() => {
        for (const f of frames) ws.send(f, false);
      });
    }
    this.#pending.clear();
  }
}
