/**
 * The web chat: the client SDK (`DeliveryClient`) in a browser, with rooms, pending/acked/refused
 * sends, the connection's state and the cluster panel. Served by the core at `/` (script `/app.js`,
 * this file bundled by scripts/build-web.mjs); see src/protocol/web.ts for the page's config.
 *
 * The SDK does the delivery work: it reconnects by itself (to the next worker URL), resends unacked
 * sends with the same id, resumes each room from its cursor and fills gaps by fetch. Its rooms are
 * fixed per client, so joining a room replaces the client: the old one is closed, the new one starts
 * from the old one's cursors, and the sends the old one still held are made again with their ids.
 */
import { monotonicFactory } from 'ulid';
import { DeliveryClient, SendAbandonedError, SendError, type Ack, type ClientEvent, type Message } from '../src/client/index.js';
import { RoomName, type ClusterBody } from '../src/protocol/index.js';
import { ClusterPanel } from './cluster-panel.js';
import { portOf, readSettings, sharedWsUrl, slotWsUrls, wsBaseOf, type PageSettings } from './config.js';
import { byId, clock, h } from './dom.js';
import { RoomView, type Item } from './rooms.js';

const EVENT_LOG_LINES = 200;

/** The chat: its rooms, its one client, and what the page shows of them. */
class Chat {
  readonly #s: PageSettings;
  readonly #panel: ClusterPanel;
  readonly #rooms = new Map<string, RoomView>();
  readonly #newId = monotonicFactory();
  readonly #connState = byId('conn-state');
  readonly #eventLog = byId('event-log');
  #active = '';
  #urls: string[] = [];
  #client: DeliveryClient | null = null;
  /** Replacing the client (a room was joined): sends wait for the new one. */
  #replacing: Promise<void> = Promise.resolve();
  /** The client each own send was last handed to (one send per id per client). */
  readonly #handedTo = new WeakMap<Item, DeliveryClient>();

  constructor(settings: PageSettings, panel: ClusterPanel) {
    this.#s = settings;
    this.#panel = panel;
    panel.setCursors(() => new Map([...this.#rooms].map(([name, v]) => [name, v.delivered])));
  }

  /** Starts with the first room, connecting to `urls` (the SDK goes round them). */
  start(urls: string[]): void {
    this.#urls = urls;
    this.#addRoom(this.#s.room);
    this.select(this.#s.room);
    this.#replace(null);
    const input = byId<HTMLInputElement>('send-input');
    const button = byId<HTMLButtonElement>('send-button');
    input.disabled = false;
    button.disabled = false;
    byId('send-form').addEventListener('submit', (e) => {
      e.preventDefault();
      if (input.value === '') return;
      this.send(this.#active, input.value);
      input.value = '';
    });
    const joinInput = byId<HTMLInputElement>('join-input');
    byId('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const r = RoomName.safeParse(joinInput.value.trim());
      byId('join-error').textContent = r.success ? '' : r.error.issues[0]?.message ?? 'not a room name';
      if (!r.success) return;
      joinInput.value = '';
      this.join(r.data);
    });
  }

  /** Joins a room (or shows it when already joined). */
  join(room: string): void {
    if (!this.#rooms.has(room)) {
      this.#addRoom(room);
      this.#log(`joining ${room}: a new connection with every room, from the cursors so far`);
      this.#replace(this.#client);
    }
    this.select(room);
  }

  /** Shows a joined room. */
  select(room: string): void {
    this.#active = room;
    for (const [name, view] of this.#rooms) view.setActive(name === room);
    byId('room-title').textContent = `# ${room}`;
  }

  /** Sends a message to a room: shown pending at once, sent by the current client (or the next, while one is replaced). */
  send(room: string, body: string): void {
    const view = this.#rooms.get(room);
    if (!view) return;
    const item = view.addOwn(this.#newId(), this.#s.user, body);
    void this.#replacing.then(() => this.#transmit(item));
  }

  #addRoom(room: string): void {
    const view = new RoomView(room, (r) => this.select(r));
    this.#rooms.set(room, view);
    byId('rooms').append(h('li', {}, view.tab));
    byId('message-panes').append(view.pane);
  }

  /** Replaces the client with one that has every room (starting from `old`'s cursors), then sends again what `old` still held. */
  #replace(old: DeliveryClient | null): void {
    this.#client = null;
    this.#replacing = this.#replacing.then(async () => {
      if (old) await old.close();
      const rooms = [...this.#rooms.keys()];
      const cursors = Object.fromEntries(rooms.map((r) => [r, old ? old.cursor(r) : 0]));
      const client: DeliveryClient = new DeliveryClient({
        urls: this.#urls,
        user: this.#s.user,
        rooms,
        cursors,
        onMessage: (m) => this.#onMessage(m),
        onEvent: (e) => this.#onEvent(client, e),
      });
      this.#client = client;
      if (old) for (const item of this.#pendingOwn()) this.#transmit(item);
    }).catch((e: unknown) => {
      // The chain must go on (sends wait on it); say why there is no client.
      byId('notice').textContent = `could not start the client: ${e instanceof Error ? e.message : String(e)}`;
    });
  }

  #pendingOwn(): Item[] {
    return [...this.#rooms.values()].flatMap((v) => [...v.items.values()].filter((i) => i.own && i.state === 'pending'));
  }

  /** Hands an own send to the current client; its ack or refusal updates the page. */
  #transmit(item: Item): void {
    const client = this.#client;
    const view = this.#rooms.get(item.room);
    if (client === null || view === undefined || item.state !== 'pending' || this.#handedTo.get(item) === client) return;
    this.#handedTo.set(item, client);
    client.send(item.room, item.body, { id: item.id }).then(
      (ack: Ack) => view.onAck(item, ack),
      (err: unknown) => {
        // A send a replaced client gave up is made again by the next one, with the same id.
        if (err instanceof SendAbandonedError && client !== this.#client) return;
        if (err instanceof SendError) view.onRefused(item, err.code, err.message);
        else if (err instanceof SendAbandonedError) view.onRefused(item, `abandoned (${err.reason})`, err.message);
        else view.onRefused(item, 'error', err instanceof Error ? err.message : String(err));
      },
    );
  }

  #onMessage(m: Message): void {
    this.#rooms.get(m.room)?.onDelivered(m, m.room === this.#active);
    this.#panel.cursorsChanged();
  }

  #onEvent(client: DeliveryClient, e: ClientEvent): void {
    if (client !== this.#client) return; // a replaced client's last words
    switch (e.type) {
      case 'connect':
        this.#setConn('connected', `connected to worker ${e.worker} (pid ${e.pid})`, e.worker, e.pid);
        return this.#log(`connected to worker ${e.worker} (pid ${e.pid})`);
      case 'disconnect':
        this.#setConn('reconnecting', `reconnecting (${e.worker === null ? 'no worker answered' : `lost worker ${e.worker}`}: ${e.reason})`, null, null);
        return this.#log(`disconnected from ${e.worker === null ? 'a worker before its welcome' : `worker ${e.worker}`}: ${e.reason}`);
      case 'send': {
        if (e.attempt > 1) {
          this.#log(`retry ${e.attempt} of ${e.id} in ${e.room}`);
          const view = this.#rooms.get(e.room);
          const item = view?.items.get(e.id);
          if (view && item) view.onAttempt(item, e.attempt);
        }
        return;
      }
      case 'ack': return e.duplicate ? this.#log(`ack of ${e.id}: duplicate (seq ${e.seq}), an earlier attempt got through`) : undefined;
      case 'send-error': return this.#log(`send ${e.id} refused: ${e.code}${e.definite ? '' : ' (will retry)'}`);
      case 'send-abandoned': return this.#log(`send ${e.id} abandoned: ${e.reason}`);
      case 'duplicate-dropped': return this.#log(`dropped a duplicate of ${e.room} #${e.seq}`);
      case 'gap-fetch': return this.#log(`fetching ${e.room} after #${e.after}${e.upto === null ? '' : ` up to #${e.upto}`}`);
      case 'joined': return this.#log(`joined ${e.room} on worker ${e.worker} (head ${e.head})`);
      case 'join':
      case 'deliver':
        return;
    }
  }

  #setConn(state: 'connected' | 'reconnecting', text: string, worker: number | null, pid: number | null): void {
    const el = this.#connState;
    el.dataset['state'] = state;
    if (worker === null) delete el.dataset['worker'];
    else el.dataset['worker'] = String(worker);
    if (pid === null) delete el.dataset['pid'];
    else el.dataset['pid'] = String(pid);
    el.textContent = text;
    this.#panel.setConnectedSlot(worker);
  }

  #log(text: string): void {
    const log = this.#eventLog;
    log.append(h('div', {}, `${clock()} ${text}`));
    while (log.childElementCount > EVENT_LOG_LINES) log.firstElementChild?.remove();
    log.scrollTop = log.scrollHeight;
  }
}

/** The first answer of the cluster panel's poll. */
function firstAnswer(panel: ClusterPanel): Promise<ClusterBody> {
  return new Promise((resolve) => {
    if (panel.last) return resolve(panel.last);
    panel.onAnswer(resolve);
  });
}

async function main(): Promise<void> {
  const s = readSettings((window as { DELIVERYLAB_CONFIG?: unknown }).DELIVERYLAB_CONFIG, location.search);
  byId('who').textContent = `you are ${s.user}`;
  byId('who').dataset['user'] = s.user;
  const notice = byId('notice');
  notice.textContent = s.notices.join('; ');
  const panel = new ClusterPanel(s.clusterUrl, s.commandUrl);
  panel.start();
  const chat = new Chat(s, panel);
  const base = wsBaseOf(s, location);
  if (s.worker === null) return chat.start([sharedWsUrl(base, s.credentials)]);
  // Starting at one worker's own port: the cluster's view says how many there are (and, without a configured base, the shared port).
  const conn = byId('conn-state');
  conn.textContent = `asking ${s.clusterUrl} how many workers there are…`;
  const body = await firstAnswer(panel);
  const workers = body.workers.length;
  let first = s.worker;
  if (first >= workers) {
    first = first % workers;
    notice.textContent = [...s.notices, `there is no worker ${s.worker} (${workers} workers): starting at worker ${first}`].join('; ');
  }
  const sharedPort = s.wsBase === null ? body.port : portOf(base);
  conn.textContent = `connecting to worker ${first}…`;
  chat.start(slotWsUrls(base, sharedPort, workers, first, s.credentials));
}

void main().catch((e: unknown) => {
  const notice = document.getElementById('notice');
  if (notice) notice.textContent = `the chat failed to start: ${e instanceof Error ? e.message : String(e)}`;
});
