import WebSocket from 'ws';
import { DeliveryClient, type ClientOptions } from '../../src/client/index.js';
import type { ClientSemanticsFlags } from '../../src/protocol/index.js';
import type { HistoryRecorder } from '../history/recorder.js';

/** A simulated user: the client SDK over a real WebSocket, every observation recorded in the history. */
export interface SimClient {
  readonly name: string;
  /** The worker slot it was placed on first. */
  readonly home: number;
  readonly rooms: string[];
  readonly client: DeliveryClient;
}

/** Options of `startSimClient`. */
export interface SimClientOptions {
  name: string;
  home: number;
  /** ws URLs, the home worker's first (the client moves down the list on reconnect). */
  urls: string[];
  rooms: string[];
  semantics: ClientSemanticsFlags;
  history: HistoryRecorder;
  random: () => number;
  /** Extra client options (timeouts). */
  tuning?: Partial<Pick<ClientOptions, 'retryIntervalMs' | 'heartbeatIntervalMs' | 'heartbeatTimeoutMs' | 'connectTimeoutMs' | 'backoff'>>;
}

/** Starts a simulated client; it connects, joins its rooms and records everything it sees. */
export function startSimClient(o: SimClientOptions): SimClient {
  const client = new DeliveryClient({
    urls: o.urls.map((u) => `${u}?user=${encodeURIComponent(o.name)}`),
    user: o.name,
    rooms: o.rooms,
    semantics: o.semantics,
    WebSocket: WebSocket as unknown as NonNullable<ClientOptions['WebSocket']>,
    random: o.random,
    retryIntervalMs: 500,
    heartbeatIntervalMs: 500,
    heartbeatTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    backoff: { initialMs: 25, maxMs: 500 },
    ...o.tuning,
    onEvent: (e) => void o.history.record({ ...e, client: o.name }),
  });
  return { name: o.name, home: o.home, rooms: o.rooms, client };
}
