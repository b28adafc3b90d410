// The benchmark suite's public surface; modules not listed here are internal.
export { benchCommand } from './bench-command.js';
export { BenchOptions, benchPlan, ROOM_SIZES, type BenchPlan } from './bench-options.js';
export { runBenchSuite, type Progress } from './bench-suite.js';
export { formatBenchTable } from './bench-table.js';
export { computeRatios, checkTargets, findRound } from './bench-ratios.js';
export { ratio, type BenchResult, type Ratio, type TargetCheck } from './bench-result.js';
export type { RoundResult, SessionSpec, RunTiming } from './load-session.js';
export type { Verification, LoadMode, Dialect } from './load-messages.js';
export type { LatencyMs } from './histogram.js';
export type { IdleResult } from './idle-connections.js';
export type { MicroResult } from './micro/micro-result.js';
export type { SqliteCeiling } from './ceilings/sqlite-inserts.js';
export type { RedisCeiling } from './ceilings/redis-publish.js';
