import WebSocket from 'ws';
import { ServerFrame, type ClientFrame } from '../../src/protocol/index.js';
import type { WirePath } from '../history/events.js';

/** A frame a client received, as the tap saw it on the socket (below the SDK). */
export interface TappedFrame {
  frame: ServerFrame;
  /** The worker of the connection (from its welcome), or null before it. */
  worker: number | null;
  /** msg frames: live, or inside a join's replay or a fetch answer (by the requests in flight on this connection). */
  path: WirePath | undefined;
}

/** Options of `tappedWebSocket`. */
export interface WireTapOptions {
  /** Called with every valid frame received, before the SDK sees it. */
  onFrame: (f: TappedFrame) => void;
  /** While this returns true, new connections fail at once (the client's network is down). */
  offline: () => boolean;
  /** Frames for which this returns true are lost on the way in: recorded nowhere, never seen by the SDK. */
  drop?: (f: ServerFrame) => boolean;
}

/**
 * A `ws` WebSocket class for the SDK that records every frame the client receives, with the worker
 * of the connection and whether a msg came live, in a join's replay or in a fetch answer, and that
 * fails new connections while the client's network is down (a client-side fault).
 */
export function tappedWebSocket(o: WireTapOptions): new (url: string) => WebSocket {
  return class TappedWebSocket extends WebSocket {
    #worker: number | null = null;
    /** Rooms with a join (replay) or fetch waiting for its answer on this connection. */
    #replaying = new Set<string>();
    #fetching = new Set<string>();

    constructor(url: string) {
      super(url);
      if (o.offline()) this.terminate();
    }

    // Every frame passes here before any listener (the SDK's) sees it: recorded first, or lost on the link.
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'message' && args[1] !== true) {
        const f = this.#parse(args[0]);
        if (f !== undefined) {
          if (o.drop?.(f)) return true;
          this.#observe(f);
        }
      }
      return super.emit(event, ...args);
    }

    #parse(data: unknown): ServerFrame | undefined {
      let raw: unknown;
      try { raw = JSON.parse(String(data)); } catch { return undefined; }
      const p = ServerFrame.safeParse(raw);
      return p.success ? p.data : undefined;
    }

    #observe(f: ServerFrame): void {
      if (f.type === 'welcome') this.#worker = f.worker;
      let path: WirePath | undefined;
      if (f.type === 'msg') path = this.#replaying.has(f.room) ? 'replay' : this.#fetching.has(f.room) ? 'fetch' : 'live';
      if (f.type === 'joined') this.#replaying.delete(f.room);
      if (f.type === 'fetched') this.#fetching.delete(f.room);
      o.onFrame({ frame: f, worker: this.#worker, path });
    }

    override send(data: unknown, ...rest: unknown[]): void {
      if (typeof data === 'string') {
        const f = JSON.parse(data) as ClientFrame;
        if (f.type === 'join' && f.replay !== false) this.#replaying.add(f.room);
        if (f.type === 'fetch') this.#fetching.add(f.room);
      }
      (super.send as (...a: unknown[]) => void)(data, ...rest);
    }
  };
}
