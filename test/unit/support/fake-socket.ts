/**
 * A scripted stand-in for a WebSocket, for unit tests of the client SDK only: the test plays the
 * server (open, welcome, frames, close) and reads what the client wrote.
 */
import { ClientFrame, type ServerFrame } from '../../../src/protocol/index.js';
import { DeliveryClient, type ClientEvent, type ClientOptions, type Message, type WebSocketConstructor } from '../../../src/client/index.js';

/** One fake connection. */
export class FakeSocket {
  readyState = 0;
  /** Frames the client wrote, parsed (a malformed one throws in the test). */
  readonly sent: ClientFrame[] = [];
  /** True once the client called close(); terminated once it called terminate(). */
  closeCalled = false;
  terminated = false;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  /** Set by the factory when the runtime has no terminate() (a browser). */
  terminate?: () => void;

  constructor(readonly url: string, withTerminate: boolean) {
    if (withTerminate) {
      this.terminate = () => {
        this.terminated = true;
        this.readyState = 3;
      };
    }
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error(`send on a socket in state ${this.readyState}`);
    this.sent.push(ClientFrame.parse(JSON.parse(data)));
  }

  close(): void {
    this.closeCalled = true;
    if (this.readyState < 2) this.readyState = 2;
  }

  /** Server side: accept the connection and send `welcome` (with `nonces: true` when the server is to say it echoes send nonces). */
  accept(worker = 0, pid = 1000 + worker, nonces = false): this {
    this.readyState = 1;
    this.onopen?.({});
    return this.push({ type: 'welcome', worker, pid, user: 'alice', ...(nonces ? { nonces } : {}) });
  }

  /** Server side: send frames. */
  push(...frames: (ServerFrame | Record<string, unknown>)[]): this {
    for (const frame of frames) this.pushRaw(JSON.stringify(frame));
    return this;
  }

  /** Server side: send raw text. */
  pushRaw(text: string): this {
    this.onmessage?.({ data: text });
    return this;
  }

  /** Server side: the connection ends (the worker died or closed it). */
  serverClose(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  /** The frames of one type the client wrote. */
  sentOf<T extends ClientFrame['type']>(type: T): Extract<ClientFrame, { type: T }>[] {
    return this.sent.filter((f): f is Extract<ClientFrame, { type: T }> => f.type === type);
  }
}

/** A WebSocket constructor whose instances are recorded in `sockets`, oldest first. */
export function fakeWebSocket(options: { withTerminate?: boolean } = {}): { WebSocket: WebSocketConstructor; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  const withTerminate = options.withTerminate ?? true;
  const WebSocket = class extends FakeSocket {
    constructor(url: string) {
      super(url, withTerminate);
      sockets.push(this);
    }
  };
  return { WebSocket, sockets };
}

/** A `msg` frame of room r with seq s. */
export function msg(room: string, seq: number, extra: Partial<Message> = {}): ServerFrame {
  return { type: 'msg', id: `m-${room}-${seq}`, room, seq, sender: 'bob', body: `body ${seq}`, ts: 0, ...extra };
}

/** A client on fake sockets, with everything it delivered and observed recorded. */
export interface Harness {
  client: DeliveryClient;
  sockets: FakeSocket[];
  /** The newest socket. */
  socket(): FakeSocket;
  delivered: Message[];
  events: ClientEvent[];
  /** The events of one type. */
  eventsOf<T extends ClientEvent['type']>(type: T): Extract<ClientEvent, { type: T }>[];
}

/** Start a client on fake sockets (one room `r` by default, ids id-1, id-2, ...). */
export function startClient(options: Partial<ClientOptions> & { withTerminate?: boolean } = {}): Harness {
  const { withTerminate, ...rest } = options;
  const { WebSocket, sockets } = fakeWebSocket({ withTerminate });
  const delivered: Message[] = [];
  const events: ClientEvent[] = [];
  let n = 0;
  const client = new DeliveryClient({
    urls: ['ws://w0/ws?user=alice'],
    user: 'alice',
    rooms: ['r'],
    WebSocket,
    random: () => 0.5,
    gapGraceMs: 0,
    idFactory: () => `id-${++n}`,
    onMessage: (m) => delivered.push(m),
    onEvent: (e) => events.push(e),
    ...rest,
  });
  return {
    client,
    sockets,
    socket: () => {
      const s = sockets.at(-1);
      if (s === undefined) throw new Error('no socket was opened');
      return s;
    },
    delivered,
    events,
    eventsOf: <T extends ClientEvent['type']>(type: T) =>
      events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type),
  };
}
