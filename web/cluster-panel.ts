/**
 * The cluster panel: polls the cluster's view (`ClusterBody`) about every second and shows every
 * worker (slot, pid, state, last report, connections, Redis links) and the database's room heads;
 * with a command URL in the page's config, fault controls that post `FaultCommandRequest`s.
 */
import {
  ClusterBody, FaultCommandReply, GLOBAL_FAULT_COMMANDS, WORKER_FAULT_COMMANDS, workerFaultCommand,
  type ClusterWorker,
} from '../src/protocol/index.js';
import { ago, byId, clock, h } from './dom.js';

const POLL_INTERVAL_MS = 1000;
/** A poll with no answer after this long is given up (a paused worker holds the request). */
const POLL_TIMEOUT_MS = 2000;
const CONTROL_LOG_LINES = 100;

/** The cells of one worker's row. */
interface WorkerRow { tr: HTMLTableRowElement; controls: HTMLTableRowElement | null; pid: HTMLElement; state: HTMLElement; seen: HTMLElement; connections: HTMLElement; redis: HTMLElement; exits: HTMLElement }

/** A test id part for a command: `partition cut` → `partition-cut`. */
const slug = (command: string) => command.replace(/\s+/g, '-');

export class ClusterPanel {
  readonly #url: string;
  readonly #commandUrl: string | null;
  readonly #rows = new Map<number, WorkerRow>();
  readonly #listeners: ((body: ClusterBody) => void)[] = [];
  readonly #status = byId('cluster-status');
  readonly #workers = byId('workers');
  readonly #heads = byId('heads');
  readonly #headsNote = byId('heads-note');
  #controlLog: HTMLElement | null = null;
  #last: { body: ClusterBody; at: number } | null = null;
  #connectedSlot: number | null = null;
  #headsFrame = false;
  /** The page's own rooms and how far it has rendered each (shown beside the database's heads). */
  #cursors: () => Map<string, number> = () => new Map();

  constructor(url: string, commandUrl: string | null) {
    this.#url = url;
    this.#commandUrl = commandUrl;
    if (commandUrl !== null) this.#buildGlobalControls();
  }

  /** The last answer, if any. */
  get last(): ClusterBody | null {
    return this.#last?.body ?? null;
  }

  /** Called with every valid answer. */
  onAnswer(listener: (body: ClusterBody) => void): void {
    this.#listeners.push(listener);
  }

  /** Where the page's cursors come from. */
  setCursors(cursors: () => Map<string, number>): void {
    this.#cursors = cursors;
  }

  /** The page's cursors moved: show them beside the last heads (at most once a frame). */
  cursorsChanged(): void {
    if (this.#headsFrame) return;
    this.#headsFrame = true;
    requestAnimationFrame(() => {
      this.#headsFrame = false;
      if (this.#last) this.#renderHeads(this.#last.body);
    });
  }

  /** Marks the worker this page is connected to (null: none). */
  setConnectedSlot(slot: number | null): void {
    this.#connectedSlot = slot;
    for (const [s, row] of this.#rows) row.tr.dataset['current'] = String(s === slot);
  }

  /** Polls forever: one request at a time, the next about a second after the last ended. */
  start(): void {
    const loop = async () => {
      await this.#poll();
      setTimeout(() => void loop(), POLL_INTERVAL_MS);
    };
    void loop();
  }

  async #poll(): Promise<void> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), POLL_TIMEOUT_MS);
    try {
      const res = await fetch(this.#url, { signal: abort.signal, cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const parsed = ClusterBody.safeParse(await res.json());
      if (!parsed.success) throw new Error(`not a cluster view: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
      this.#last = { body: parsed.data, at: performance.now() };
      this.#render(parsed.data);
      for (const l of this.#listeners) l(parsed.data);
    } catch (e) {
      const why = abort.signal.aborted ? `no answer within ${POLL_TIMEOUT_MS} ms` : e instanceof Error ? e.message : String(e);
      this.#status.dataset['ok'] = 'false';
      this.#status.textContent = `cluster view unavailable from ${this.#url}: ${why}` + (this.#last ? `; last answer ${ago(performance.now() - this.#last.at)} ago` : '');
    } finally {
      clearTimeout(timer);
    }
  }

  #render(b: ClusterBody): void {
    this.#status.dataset['ok'] = 'true';
    this.#status.textContent = `answered by worker ${b.answeredBy.worker} (pid ${b.answeredBy.pid}) at ${clock(b.at)}; ` +
      (b.primary.answered ? `primary pid ${b.primary.pid}` : 'the primary did not answer: only the answering worker is shown') + `; ${b.semantics}, writer ${b.writer}`;
    for (const w of b.workers) this.#renderWorker(w);
    this.#renderHeads(b);
  }

  #renderWorker(w: ClusterWorker): void {
    const row = this.#rows.get(w.slot) ?? this.#addRow(w.slot);
    row.pid.textContent = w.pid === null ? '–' : String(w.pid);
    row.state.dataset['state'] = w.state;
    const exit = w.lastExit ? `; last exit: pid ${w.lastExit.pid} ${w.lastExit.signal ?? `code ${w.lastExit.code}`} ${ago(w.lastExit.agoMs)} ago` : '';
    row.state.title = `${w.exits} exits${exit}`;
    switch (w.state) {
      case 'up': row.state.textContent = 'up'; break;
      case 'stale': row.state.textContent = w.lastSeenMs === null ? 'not answering (never reported)' : `not answering (last report ${ago(w.lastSeenMs)} ago)`; break;
      case 'starting': row.state.textContent = 'starting'; break;
      case 'down': row.state.textContent = 'down (to be re-forked)'; break;
    }
    row.seen.textContent = w.lastSeenMs === null ? '–' : `${ago(w.lastSeenMs)} ago`;
    row.connections.textContent = String(w.connections);
    row.redis.textContent = w.redis ? `${w.redis.publisher} / ${w.redis.subscriber}` : '–';
    row.redis.dataset['publisher'] = w.redis?.publisher ?? '';
    row.redis.dataset['subscriber'] = w.redis?.subscriber ?? '';
    row.exits.textContent = w.lastExit ? `${w.exits} · ${w.lastExit.signal ?? `code ${w.lastExit.code}`} ${ago(w.lastExit.agoMs)} ago` : String(w.exits);
  }

  #addRow(slot: number): WorkerRow {
    const cell = (what: string) => h('td', { 'data-testid': `worker-${slot}-${what}` });
    const row: WorkerRow = {
      tr: h('tr', { 'data-testid': `worker-${slot}`, 'data-slot': String(slot) }), controls: null,
      pid: cell('pid'), state: cell('state'), seen: cell('seen'), connections: cell('connections'), redis: cell('redis'), exits: cell('exits'),
    };
    row.tr.append(h('td', {}, String(slot)), row.pid, row.state, row.seen, row.connections, row.redis, row.exits);
    // With a command URL, a second row under each worker: its fault buttons.
    if (this.#commandUrl !== null) {
      row.controls = h('tr', { 'data-testid': `worker-${slot}-controls` }, h('td', { class: 'controls', colspan: String(row.tr.childElementCount) }, `faults on worker ${slot}: `, ...WORKER_FAULT_COMMANDS.map((command) => {
        const b = h('button', { type: 'button', 'data-testid': `control-${slug(command)}-${slot}` }, command);
        b.addEventListener('click', () => void this.#command(workerFaultCommand(command, slot)));
        return b;
      })));
    }
    row.tr.dataset['current'] = String(slot === this.#connectedSlot);
    // Rows in slot order.
    const next = [...this.#rows.entries()].filter(([s]) => s > slot).sort(([a], [b]) => a - b)[0]?.[1].tr ?? null;
    this.#workers.insertBefore(row.tr, next);
    if (row.controls) this.#workers.insertBefore(row.controls, next);
    this.#rows.set(slot, row);
    return row;
  }


  #renderHeads(b: ClusterBody): void {
    const cursors = this.#cursors();
    const rows = b.heads.map(({ room, head }) => {
      const mine = cursors.get(room);
      return h('tr', { 'data-room': room, 'data-joined': String(mine !== undefined) }, h('td', {}, room),
        h('td', { 'data-testid': `room-head-${room}` }, String(head)),
        h('td', { 'data-testid': `room-cursor-${room}` }, mine === undefined ? '' : mine >= head ? 'caught up' : `page at ${mine}`));
    });
    this.#heads.replaceChildren(...rows);
    this.#headsNote.textContent = b.db !== 'ok' ? `heads unavailable: ${b.db}` : b.headsTruncated ? `the first ${b.heads.length} rooms by name` : b.heads.length === 0 ? 'no room has a message yet' : '';
  }

  #buildGlobalControls(): void {
    const box = byId('global-controls');
    box.hidden = false;
    const input = h('input', { 'data-testid': 'control-input', placeholder: 'any command, e.g. partition 0 cut', autocomplete: 'off', size: '24' });
    const form = h('form', { 'data-testid': 'control-form' }, input, h('button', { 'data-testid': 'control-send' }, 'run'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const command = input.value.trim();
      if (command === '') return;
      input.value = '';
      void this.#command(command);
    });
    this.#controlLog = h('div', { id: 'control-log', 'data-testid': 'control-log', role: 'log' });
    box.append(h('h2', { style: 'margin-top:.8em' }, 'Faults'),
      h('div', {}, ...GLOBAL_FAULT_COMMANDS.map((command) => {
        const b = h('button', { type: 'button', 'data-testid': `control-${slug(command)}` }, command);
        b.addEventListener('click', () => void this.#command(command));
        return b;
      })), form, this.#controlLog);
  }

  /** Posts one fault command and logs its answer. */
  async #command(command: string): Promise<void> {
    if (this.#commandUrl === null || this.#controlLog === null) return;
    const log = this.#controlLog;
    const line = h('div', { 'data-command': command, 'data-testid': 'control-entry' }, `${clock()} > ${command}`);
    log.append(line);
    while (log.childElementCount > CONTROL_LOG_LINES) log.firstElementChild?.remove();
    let reply: FaultCommandReply;
    try {
      const res = await fetch(this.#commandUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ command }) });
      const parsed = FaultCommandReply.safeParse(await res.json());
      reply = parsed.success ? parsed.data : { ok: false, output: `HTTP ${res.status}: not a command reply (${parsed.error.issues[0]?.message})` };
    } catch (e) {
      reply = { ok: false, output: e instanceof Error ? e.message : String(e) };
    }
    line.dataset['ok'] = String(reply.ok);
    line.append(h('div', { class: reply.ok ? 'ok' : 'fail' }, `${reply.ok ? 'ok' : 'failed'}${reply.output ? `: ${reply.output}` : ''}`));
    log.scrollTop = log.scrollHeight;
  }
}
