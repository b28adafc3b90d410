import type { DbSnapshot, HistoryEvent } from '../history/events.js';

/** What every checker reads: the run's history and the database's final state. */
export interface CheckInput {
  history: readonly HistoryEvent[];
  db: DbSnapshot;
}

/** One concrete counterexample, in plain words plus the fields it names. */
export interface Example {
  /** The counterexample as a sentence: which message, which client, which worker, which faults. */
  text: string;
  id?: string;
  room?: string;
  seq?: number;
  client?: string;
  worker?: number;
  /** Faults active at the instant the example concerns (`kind target`). */
  faults: string[];
}

/** The verdict of one invariant: counts and every counterexample (up to the `MAX_EXAMPLES` guard). */
export interface InvariantResult {
  name: string;
  ok: boolean;
  /** How many things were checked (events, rows, pairs; each checker says which). */
  checked: number;
  /** How many of them broke the invariant (all of them, not only the examples). */
  violations: number;
  examples: Example[];
  /** Measured facts that are not violations, e.g. "12 retries absorbed by id". */
  notes?: string[];
  /** Wall time the checker took, set by `checkAll`. */
  timeMs?: number;
}

/** A checker: a pure function of history and database that never throws. */
export type Checker = (input: CheckInput) => InvariantResult;

/**
 * The most counterexamples a result keeps: every one, in practice. The bound only guards memory
 * against a pathological run (a million sends all lost); the reports say how many were not kept.
 */
export const MAX_EXAMPLES = 100_000;
