import type { CommitResult, CoreTrace, PendingSend } from '../protocol/index.js';

/** Now, in epoch milliseconds on the clock every process on the machine shares (a trace event's `at`). */
export function traceClock(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * A process's trace events on their way out: collected during an event-loop turn and handed to the
 * sink once, at the turn's end (or at once by `flush`, right before a crash point kills the process).
 * Every emitter checks `on` first and builds no event when tracing is off.
 */
export class Tracer {
  /** True when the core runs with `--trace`. */
  readonly on: boolean;
  /** The slot of the emitting process; null for the primary. */
  readonly worker: number | null;
  readonly #sink: (traces: CoreTrace[]) => void;
  #pending: CoreTrace[] = [];
  #scheduled = false;

  constructor(on: boolean, worker: number | null, sink: (traces: CoreTrace[]) => void) {
    this.on = on;
    this.worker = worker;
    this.#sink = sink;
  }

  /** Queues one event for this turn's batch (call only when `on`). */
  emit(t: CoreTrace): void {
    this.#pending.push(t);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Hands every queued event to the sink now, synchronously. */
  flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#sink(batch);
  }
}

/** How the writer that traces a batch's outcomes describes itself. */
export interface CommitTraceContext {
  /** Who ran the transaction. */
  writer: 'primary' | 'worker';
  /** Sends in the transaction that committed the batch. */
  batch: number;
  /** The worker whose sends these are. */
  forWorker: number;
}

/** Emits one `commit` or `conflict` event per outcome of a batch the writer answered. */
export function traceCommits(tracer: Tracer, sends: readonly PendingSend[], results: readonly CommitResult[], c: CommitTraceContext): void {
  const at = traceClock();
  for (let i = 0; i < sends.length; i++) {
    const s = sends[i]!;
    const r = results[i];
    if (!r) continue;
    switch (r.kind) {
      case 'committed':
        tracer.emit({ what: 'commit', at, worker: tracer.worker, id: s.id, room: s.room, seq: r.seq, duplicate: r.duplicate, batch: Math.max(c.batch, sends.length), writer: c.writer, forWorker: c.forWorker });
        break;
      case 'conflict':
        tracer.emit({ what: 'conflict', at, worker: tracer.worker, id: s.id, room: s.room, existingRoom: r.existing.room, existingSeq: r.existing.seq, writer: c.writer, forWorker: c.forWorker });
        break;
    }
  }
}
