import type { Dialect } from './load-messages.js';

/** A system the bench drives with its load clients: where to connect, what to verify against, which processes to watch. */
export interface SystemUnderLoad {
  /** Name in the table and the JSON (`deliverylab`, `deliverylab-one-process`, `peer`, `fanout`, ...). */
  readonly name: string;
  /** One line saying what runs. */
  readonly description: string;
  readonly dialect: Dialect;
  /** Server base URLs; a room's members alternate between them. */
  readonly urls: string[];
  /** The SQLite file or PostgreSQL URL to verify against; absent when the system does not persist. */
  readonly dbFile?: string;
  /** Server-side processes by name (their CPU is reported). */
  readonly processes: ReadonlyMap<string, number>;
  /** Brings `processes` up to date before a round (a system whose processes come and go, such as database backends). */
  refreshProcesses?(): Promise<void>;
  /** Counters the servers expose about their own health (e.g. Redis probe failures), read after each round. */
  health?(): Promise<Record<string, unknown>>;
  /** Stops every process of the system. */
  stop(): Promise<void>;
}
