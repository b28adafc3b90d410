import { CLUSTER_STALE_AFTER_MS, type ClusterWorker, type WorkerStatusReport } from '../protocol/index.js';

/** A non-negative whole number of milliseconds. */
const ms = (d: number) => Math.max(0, Math.round(d));

/** What the primary knows of one slot's current process and its history. */
interface SlotEntry {
  pid: number | null;
  listeningAt: number | null;
  /** The current process's last report and when it arrived (this process's clock). */
  last: { report: WorkerStatusReport; at: number } | null;
  exits: number;
  lastExit: { pid: number; code: number | null; signal: string | null; at: number } | null;
}

/**
 * The primary's table of its worker slots, fed by the fork/listen/exit events it sees and the
 * status each worker pushes over IPC; `view()` is the `workers` list of the `/cluster` answer.
 */
export class ClusterTable {
  readonly #slots = new Map<number, SlotEntry>();
  readonly #now: () => number;

  constructor(workers: number, now: () => number = () => performance.now()) {
    this.#now = now;
    for (let slot = 0; slot < workers; slot++) this.#slots.set(slot, { pid: null, listeningAt: null, last: null, exits: 0, lastExit: null });
  }

  #entry(slot: number): SlotEntry {
    let e = this.#slots.get(slot);
    if (!e) {
      e = { pid: null, listeningAt: null, last: null, exits: 0, lastExit: null };
      this.#slots.set(slot, e);
    }
    return e;
  }

  /** A new process in the slot (not listening yet). */
  forked(slot: number, pid: number): void {
    const e = this.#entry(slot);
    e.pid = pid;
    e.listeningAt = null;
    e.last = null;
  }

  /** The slot's process listens. */
  listening(slot: number, pid: number): void {
    const e = this.#entry(slot);
    if (e.pid !== pid) this.forked(slot, pid);
    e.listeningAt = this.#now();
  }

  /** A status report; one from a process that is not the slot's current one is ignored. */
  report(r: WorkerStatusReport): void {
    const e = this.#entry(r.slot);
    if (e.pid !== r.pid) return;
    e.last = { report: r, at: this.#now() };
  }

  /** The slot's process exited. */
  exited(slot: number, pid: number, code: number | null, signal: string | null): void {
    const e = this.#entry(slot);
    e.exits += 1;
    e.lastExit = { pid, code, signal, at: this.#now() };
    if (e.pid === pid) {
      e.pid = null;
      e.listeningAt = null;
      e.last = null;
    }
  }

  /** Every slot, in slot order, with ages computed now. */
  view(): ClusterWorker[] {
    const now = this.#now();
    return [...this.#slots].sort(([a], [b]) => a - b).map(([slot, e]) => {
      const lastSeenMs = e.last ? ms(now - e.last.at) : null;
      const state: ClusterWorker['state'] = e.pid === null ? 'down'
        : e.listeningAt === null ? 'starting'
        // Listening: up while it reports; a process that has not reported within the bound (or never since it listened) is stale.
        : (lastSeenMs ?? now - e.listeningAt) > CLUSTER_STALE_AFTER_MS ? 'stale' : 'up';
      const r = e.last?.report;
      return {
        slot,
        pid: e.pid,
        state,
        lastSeenMs,
        upForMs: e.listeningAt === null ? null : ms(now - e.listeningAt),
        connections: r?.connections ?? 0,
        rooms: r?.rooms ?? 0,
        redis: r ? { ...r.redis } : null,
        failpoints: r ? [...r.failpoints] : [],
        exits: e.exits,
        lastExit: e.lastExit ? { pid: e.lastExit.pid, code: e.lastExit.code, signal: e.lastExit.signal, agoMs: ms(now - e.lastExit.at) } : null,
      };
    });
  }
}
