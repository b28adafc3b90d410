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

  /** Appends an event stamped with the current time, and returns it. */
  record(e: WithoutT<HistoryEvent>): HistoryEvent {
    const ev = { t: this.now(), ...e } as HistoryEvent;
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
