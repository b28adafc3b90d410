import type { Example, InvariantResult, Stats } from '../checker/index.js';
import type { SemanticsName, Synchronous, WriterName } from '../../src/protocol/index.js';

/** A fault of the run as the report lists it (`healedAt` null: never healed). */
export interface FaultSummary {
  kind: string;
  target: string;
  at: number;
  healedAt: number | null;
}

/** A failpoint that fired inside a worker. */
export interface FiredFailpoint {
  at: number;
  worker: number;
  pid: number;
  failpoint: string;
  detail: string;
}

/** A counterexample as the report keeps it: with its cause (the faults near it, `kind target` joined by " + ", or "none"). */
export interface ReportExample extends Example {
  cause?: string;
}

/** How many counterexamples of an invariant share one cause. */
export interface CauseCount {
  cause: string;
  count: number;
}

/** An invariant's verdict as the report keeps it: every counterexample with its cause, and the counts per cause. */
export interface ReportInvariant extends InvariantResult {
  examples: ReportExample[];
  /** Examples per cause, most frequent first (absent when nothing broke). */
  causes?: CauseCount[];
}

/** When the runner entered a phase, in milliseconds since the run started. */
export interface PhaseMark {
  phase: string;
  at: number;
}

/** What the run ran on: its nodes (each a primary and its workers), the database truth and the bus. */
export interface Topology {
  nodes: number;
  workersPerNode: number;
  db: 'sqlite' | 'postgres';
  redis: 'single' | 'cluster';
}

/** The outcome of one scenario run: the JSON report's top level. */
export interface RunReport {
  scenario: string;
  /** The file the scenario was loaded from, as the reproduce line names it (absent for a built-in scenario). */
  scenarioFile?: string;
  seed: number;
  semantics: SemanticsName;
  cluster: Topology;
  /** Who ran the write transactions, when not the default (the primary). */
  writer?: WriterName;
  /** SQLite's synchronous setting when not FULL. */
  synchronous?: Synchronous;
  /** True when every invariant holds and the run was carried out. */
  ok: boolean;
  durationMs: number;
  invariants: ReportInvariant[];
  stats: Stats;
  faults: FaultSummary[];
  /** Failpoints that fired inside workers (crash points), as the primary reported them. */
  fired?: FiredFailpoint[];
  /** Command-line overrides the run was made with (`--fault …`, `--rate …`), as flags for the reproduce line. */
  overrides?: string[];
  /** What each fault did to the messages around it, in plain words (one paragraph per fault). */
  story?: string[];
  phases?: PhaseMark[];
  /** Why the run could not be carried out, if it could not. */
  error?: string;
  /** Why the run was skipped (this machine cannot build its topology): nothing was run, nothing was checked. */
  skipped?: string;
}

/** One cell of the variants × scenarios matrix. */
export interface MatrixCell {
  semantics: SemanticsName;
  scenario: string;
  ok: boolean;
  /** Names of the invariants that broke, in report order. */
  broken: string[];
  /** The first counterexample of the first broken invariant, in plain words. */
  example?: string;
  /** Why the run could not be carried out, if it could not. */
  error?: string;
}
