import { monotonicFactory } from 'ulid';
import type WebSocket from 'ws';
import { DeliveryClient, SendError, type ClientOptions } from '../../src/client/index.js';
import type { ClientSemanticsFlags } from '../../src/protocol/index.js';
import type { WirePath } from '../history/events.js';
import type { HistoryRecorder } from '../history/recorder.js';
import { tappedWebSocket } from './wire-tap.js';

/**
 * A simulated application on the client SDK over a real WebSocket. Its history is observed where a
 * user stands: what its `send()` calls did and how each settled, what its message callback received
 * (the view the checkers judge); the SDK's report of itself; and every frame on its socket.
 */
export interface SimClient {
  readonly name: string;
  /** The worker slot it was placed on first. */
  readonly home: number;
  /** The rooms the application uses: it sends to them and catches up in them (every room it joins but those it is refused). */
  readonly rooms: string[];
  /** Rooms its SDK joins that the core refuses it (members-only rooms its user is not a member of): never used. */
  readonly refused: readonly string[];
  /** `listener` clients never send. */
  readonly role: 'sender' | 'listener';
  readonly client: DeliveryClient;
  /** The application sends a message (with an id it makes, or `id` to reuse one); resolves once it settled, never rejects. */
  send(room: string, body: string, id?: string): Promise<void>;
  /** Messages this application sent and saw acked, newest last (what an id-reuse fault reuses). */
  readonly acked: readonly { id: string; room: string; body: string }[];
  /** Drops the connection and keeps the client's network down for `forMs` (no new connection succeeds meanwhile). */
  goOffline(forMs: number): void;
  /** While on, ack frames for this client are lost on the way in (below the SDK), as on a lossy link. */
  dropAcks(on: boolean): void;
  /** Ack frames lost so far by `dropAcks`, by message id. */
  readonly droppedAcks: ReadonlySet<string>;
  /** The application's sends not yet settled. */
  readonly unsettled: number;
}

/** Options of `startSimClient`. */
export interface SimClientOptions {
  name: string;
  home: number;
  /** ws URLs, the home worker's first (the client moves down the list on reconnect). */
  urls: string[];
  /** What says who the client is, appended to each URL: `?token=…` (or `?user=…` for a core with insecure dev users). */
  credentials: string;
  /** Every room its SDK joins. */
  rooms: string[];
  /** Of those, the members-only rooms its user is not a member of: the SDK asks, the core refuses, the application never uses them. @default none */
  refused?: readonly string[];
  semantics: ClientSemanticsFlags;
  history: HistoryRecorder;
  random: () => number;
  /** @default 'sender' */
  role?: 'sender' | 'listener';
  /** Replaces the socket class under the SDK (a test plants a bug below the SDK this way). @default the wire tap as it is */
  plant?: (tapped: new (url: string) => WebSocket) => new (url: string) => WebSocket;
  /** Extra client options (timeouts). */
  tuning?: Partial<Pick<ClientOptions, 'retryIntervalMs' | 'heartbeatIntervalMs' | 'heartbeatTimeoutMs' | 'connectTimeoutMs' | 'backoff'>>;
}

/** Starts a simulated client; it connects, joins its rooms and records everything it sees. */
export function startSimClient(o: SimClientOptions): SimClient {
  const h = o.history;
  const name = o.name;
  /** The worker and path of the last frame that carried each (room, seq), and the worker of each ack frame. */
  const carriedBy = new Map<string, { worker: number | null; path: WirePath | null }>();
  const ackWorker = new Map<string, number | null>();
  let offlineUntil = 0;
  let droppingAcks = false;
  const droppedAcks = new Set<string>();
  const Tapped = tappedWebSocket({
    offline: () => performance.now() < offlineUntil,
    drop: (f) => {
      if (!droppingAcks || f.type !== 'ack') return false;
      droppedAcks.add(f.id);
      return true;
    },
    onFrame: ({ frame: f, worker, path }) => {
      switch (f.type) {
        case 'welcome':
        case 'pong':
          return;
        case 'msg':
          carriedBy.set(`${f.room}\n${f.seq}`, { worker, path: path ?? null });
          return void h.record({ type: 'frame', client: name, worker, frame: 'msg', room: f.room, id: f.id, seq: f.seq, ...(path ? { path } : {}) });
        case 'ack':
          ackWorker.set(f.id, worker);
          return void h.record({ type: 'frame', client: name, worker, frame: 'ack', room: f.room, id: f.id, seq: f.seq, duplicate: f.duplicate });
        case 'error':
          return void h.record({ type: 'frame', client: name, worker, frame: 'error', code: f.code, ...(f.ref !== undefined ? { id: f.ref } : {}), ...(f.nonce !== undefined ? { nonce: f.nonce } : {}) });
        case 'head':
          return void h.record({ type: 'frame', client: name, worker, frame: 'head', room: f.room, seq: f.seq });
        case 'joined':
          return void h.record({ type: 'frame', client: name, worker, frame: 'joined', room: f.room, seq: f.head });
        case 'fetched':
          return void h.record({ type: 'frame', client: name, worker, frame: 'fetched', room: f.room, seq: f.after });
        case 'left':
          return void h.record({ type: 'frame', client: name, worker, frame: 'left', room: f.room });
      }
    },
  });
  const client = new DeliveryClient({
    urls: o.urls.map((u) => `${u}${o.credentials}`),
    user: name,
    rooms: o.rooms,
    semantics: o.semantics,
    WebSocket: (o.plant ? o.plant(Tapped) : Tapped) as unknown as NonNullable<ClientOptions['WebSocket']>,
    random: o.random,
    retryIntervalMs: 500,
    heartbeatIntervalMs: 500,
    heartbeatTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    backoff: { initialMs: 25, maxMs: 500 },
    ...o.tuning,
    // The application's own view: its message callback.
    onMessage: (m) => {
      const via = carriedBy.get(`${m.room}\n${m.seq}`);
      h.record({ type: 'deliver', client: name, room: m.room, id: m.id, seq: m.seq, sender: m.sender, body: m.body, worker: via?.worker ?? null, path: via?.path ?? null });
    },
    // The SDK's report of itself: kept apart from the application's view (sdk-ack, sdk-deliver).
    onEvent: (e) => {
      if (e.type === 'deliver') return void h.record({ ...e, type: 'sdk-deliver', client: name });
      if (e.type === 'ack') return void h.record({ ...e, type: 'sdk-ack', client: name });
      h.record({ ...e, client: name });
    },
  });
  const newId = monotonicFactory(o.random);
  const acked: { id: string; room: string; body: string }[] = [];
  let unsettled = 0;
  const refused = o.refused ?? [];
  return {
    name,
    home: o.home,
    rooms: o.rooms.filter((r) => !refused.includes(r)),
    refused,
    role: o.role ?? 'sender',
    client,
    acked,
    send: async (room, body, reuse) => {
      const id = reuse ?? newId();
      h.record({ type: 'invoke', client: name, room, id, body });
      unsettled += 1;
      try {
        const ack = await client.send(room, body, { id });
        h.record({ type: 'ack', client: name, room, id, seq: ack.seq, duplicate: ack.duplicate, worker: ackWorker.get(id) ?? null });
        acked.push({ id, room, body });
      } catch (e) {
        if (e instanceof SendError) h.record({ type: 'send-fail', client: name, room, id, code: e.code });
        else h.record({ type: 'send-info', client: name, room, id, reason: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
      } finally {
        unsettled -= 1;
      }
    },
    get unsettled() { return unsettled; },
    droppedAcks,
    dropAcks: (on) => { droppingAcks = on; },
    goOffline: (forMs) => {
      offlineUntil = performance.now() + forMs;
      client.closeAbruptly();
    },
  };
}
