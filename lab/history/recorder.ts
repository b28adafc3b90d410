import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { HistoryEvent } from './events.js';

/** Distributes Omit over a union, so each event type keeps its own fields. */
export type WithoutT<E> = E extends unknown ? Omit<E, 't'> : never;

/**
 * The append-only history of one run: events in memory (for the checkers) and, optionally,
 * one JSON object per line on disk as they happen. Time is monotonic, in ms since the run started.
 */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  #origin = performance.now();
  #out: WriteStream | undefined;
  #listeners = new Set<(e: HistoryEvent) => void>();

  constructor(file?: string) {
    if (file) {
      mkdirSync(dirname(file), { recursive: true });
      this.#out = createWriteStream(file);
    }
  }

  /** Milliseconds since the run started. */
  now(): number {
    return Math.round((performance.now() - this.#origin) * 1000) / 1000;
  }

  /** The run's start in epoch milliseconds (`performance.timeOrigin + performance.now()` at construction). */
  get epochMs(): number {
    return performance.timeOrigin + this.#origin;
  }

  /** Appends an event stamped with the current time, and returns it. */
  record(e: WithoutT<HistoryEvent>): HistoryEvent {
    return this.#append({ t: this.now(), ...e } as HistoryEvent);
  }

  /**
   * Appends an event that happened at `epochMs` (epoch milliseconds on the clock every process
   * shares, as the core stamps its trace events), stamped on the run's clock, and returns it.
   * It lands in arrival order, so its `t` may be earlier than that of the event before it.
   */
  recordAt(epochMs: number, e: WithoutT<HistoryEvent>): HistoryEvent {
    return this.#append({ t: Math.round((epochMs - this.epochMs) * 1000) / 1000, ...e } as HistoryEvent);
  }

  #append(ev: HistoryEvent): HistoryEvent {
    this.events.push(ev);
    this.#out?.write(`${JSON.stringify(ev)}\n`);
    for (const l of this.#listeners) l(ev);
    return ev;
  }

  /** Calls `fn` on every event recorded from now on; returns the unsubscribe function. */
  subscribe(fn: (e: HistoryEvent) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Flushes and closes the JSONL file. */
  async close(): Promise<void> {
    const out = this.#out;
    if (!out) return;
    this.#out = undefined;
    await new Promise<void>((resolve) => out.end(resolve));
  }
}
