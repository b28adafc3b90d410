// The benchmark suite's public surface; modules not listed here are internal.
//
// lab/bench is a white-box consumer of src: unlike the rest of the lab, which sees the core only as a
// program through src/protocol, it imports src/store, src/server, src/client and src/protocol directly
// (the micro-benchmarks time the core's functions; the peer persists through the core's store). It has no
// copy of the core: the single-process reference is the core itself started in one process
// (`deliverylab-one-process`, `startCore({ inProcess: true })`). What it adds of its own are the load
// clients, the Socket.IO peer, the raw ceilings (plain SQLite INSERTs, Redis PUBLISH, uWS fan-out with
// nothing behind it), the idle-connection measurement and the micro-benchmarks.
export { benchCommand } from './bench-command.js';
export { BenchOptions, benchPlan, ROOM_SIZES, type BenchPlan } from './bench-options.js';
export { runBenchSuite, type Progress } from './bench-suite.js';
export { formatBenchTable } from './bench-table.js';
export { computeRatios, checkTargets, findRound, ONE_PROCESS } from './bench-ratios.js';
export { ratio, type BenchResult, type Ratio, type TargetCheck } from './bench-result.js';
export type { RoundResult, SessionSpec, RunTiming } from './load-session.js';
export type { Verification, LoadMode, Dialect } from './load-messages.js';
export type { LatencyMs } from './histogram.js';
export type { IdleResult } from './idle-connections.js';
export type { MicroResult } from './micro/micro-result.js';
export type { SqliteCeiling } from './ceilings/sqlite-inserts.js';
export type { RedisCeiling } from './ceilings/redis-publish.js';
