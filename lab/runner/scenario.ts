import { z } from 'zod';
import { SemanticsName } from '../../src/protocol/index.js';
import { roomsRefusedTo } from '../nemesis/fault.js';

/** The end of the workload, as a fault's `forMs`: the fault lasts until the workload is over (healed at the heal phase). */
export const UNTIL_END = 'end';

/** Who a fault hits: a worker slot, a random worker (chosen from the seed), every worker, Redis, the clients, or the core as a whole. */
export const FaultTarget = z.union([
  z.literal('redis'),
  z.literal('core'),
  z.literal('clients'),
  z.literal('all-workers'),
  z.literal('random-worker'),
  z.literal('random-node'),
  z.string().regex(/^(worker|node):\d+$/, 'a target is "worker:<slot>", "node:<n>", "random-worker", "random-node", "all-workers", "redis", "clients" or "core"'),
]);
export type FaultTarget = z.infer<typeof FaultTarget>;

/** One entry of a scenario's fault timeline (its params are validated by the fault's own schema). */
export const FaultStep = z.object({
  /** A fault kind from the nemesis registry. */
  kind: z.string().min(1),
  /** Start, in ms after the workload starts. */
  atMs: z.number().int().nonnegative(),
  /** How long the fault lasts before it is healed (ignored by one-shot faults), or "end": until the workload is over. @default 0 */
  forMs: z.union([z.number().int().nonnegative(), z.literal(UNTIL_END)]).default(0),
  /** @default 'random-worker' */
  target: FaultTarget.default('random-worker'),
  /** The fault's own parameters (units in the names). @default {} */
  params: z.record(z.string(), z.unknown()).default({}),
  /** Chance that this step fires at all, drawn from the seed. @default 1 */
  probability: z.number().min(0).max(1).default(1),
});
export type FaultStep = z.infer<typeof FaultStep>;

/** One send of a workload's script. */
export const ScriptedSend = z.object({
  /** When, in ms after the workload starts. */
  atMs: z.number().int().nonnegative(),
  /** A sending client, `c<i>` with i below clients.count. */
  client: z.string().regex(/^c\d+$/, 'a sending client is c<i>'),
  room: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
  body: z.string().min(1).max(8192),
}).strict();
export type ScriptedSend = z.infer<typeof ScriptedSend>;

/** A scripted scenario: cluster, clients, workload, fault timeline, semantics, invariants, seed. */
export const Scenario = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case name'),
  description: z.string().min(1),
  /** @default 1 */
  seed: z.number().int().nonnegative().default(1),
  cluster: z.object({
    /** Workers of each node. @default 2 */
    workers: z.number().int().min(1).max(16).default(2),
    /**
     * Nodes (each a primary and its workers): more than one puts each node in a network namespace of its
     * own with its own address (root, `ip` and `nft`; otherwise the run is skipped, saying why), on
     * PostgreSQL. Worker slots are numbered across the nodes: node n has slots n·workers … n·workers + workers − 1. @default 1
     */
    nodes: z.number().int().min(1).max(8).default(1),
    /** The database truth: a SQLite file in the run's folder, or a PostgreSQL database of the run's own (DL_POSTGRES_URL's server). @default 'sqlite' */
    db: z.enum(['sqlite', 'postgres']).default('sqlite'),
  }).strict().default({ workers: 2, nodes: 1, db: 'sqlite' }),
  /**
   * The bus: one redis-server behind a fault proxy per worker, or a Redis Cluster of local redis-server
   * processes (`shards` primaries, each with `replicas`), reached directly, with sharded pub/sub.
   * @default { mode: 'single' }
   */
  redis: z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('single') }).strict(),
    z.object({ mode: z.literal('cluster'), shards: z.number().int().min(3).max(9).default(3), replicas: z.number().int().min(0).max(2).default(1) }).strict(),
  ]).default({ mode: 'single' }),
  clients: z.object({
    /** @default 4 */
    count: z.number().int().min(1).max(500).default(4),
    /** Rooms every client joins. @default ['lobby'] */
    rooms: z.array(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/)).min(1).default(['lobby']),
    /** Client i is placed on worker placement[i % length]; 'spread' places client i on worker i % workers. @default 'spread' */
    placement: z.union([z.literal('spread'), z.array(z.number().int().nonnegative()).min(1)]).default('spread'),
    /** Clients that only listen (they never send), placed like the others: on the faulted worker, they see only what reaches them. @default none */
    listeners: z.object({
      count: z.number().int().min(1).max(100),
      /** Listener i is placed on worker placement[i % length]. @default 'spread' */
      placement: z.union([z.literal('spread'), z.array(z.number().int().nonnegative()).min(1)]).default('spread'),
    }).strict().optional(),
  }).strict().default({ count: 4, rooms: ['lobby'], placement: 'spread' }),
  /**
   * Rooms of `clients.rooms` made members-only before the clients start (what `deliverylab room R --members …`
   * does), each with the clients whose users may join it. Every other client's SDK asks to join it too and is
   * refused (`forbidden`), over and over; its application never sends there, and is owed nothing there. @default none
   */
  membersOnly: z.record(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), z.array(z.string().regex(/^[cl](0|[1-9]\d*)$/, 'a member is a client, c<i> or l<i>')).min(1)).default({}),
  workload: z.object({
    /** Sends per second over all clients (open loop); 0 for none but the script's. @default 50 */
    ratePerSec: z.number().nonnegative().max(20_000).default(50),
    /** @default 5000 */
    durationMs: z.number().int().min(100).max(600_000).default(5000),
    /** @default 32 */
    bodyBytes: z.number().int().min(1).max(8192).default(32),
    /** Sends at exact moments, beside the open loop (what `explore` saves): client `c<i>` sends `body` to `room` at `atMs`. @default none */
    script: z.array(ScriptedSend).default([]),
  }).strict().default({ ratePerSec: 50, durationMs: 5000, bodyBytes: 32, script: [] }),
  faults: z.array(FaultStep).default([]),
  /** @default 'effectively-once' */
  semantics: SemanticsName.default('effectively-once'),
  /** Invariant names to check. @default every invariant */
  invariants: z.array(z.string()).optional(),
  /** Bound on the recovery phase (waiting for every client to catch up with the database). @default 20000 */
  recoveryTimeoutMs: z.number().int().min(100).max(600_000).default(20_000),
  /** How often workers send heads. @default 500 */
  headIntervalMs: z.number().int().min(50).max(60_000).default(500),
  /**
   * What this scenario must catch: semantics variants (ablations, seeded bugs, teaching variants),
   * each with the invariants that must break under it. `matrix --check` runs exactly these cells.
   * @default {}
   */
  catches: z.partialRecord(SemanticsName, z.array(z.string().min(1)).min(1)).default({}),
}).strict().superRefine((sc, ctx) => {
  // Every process of every node opens up to 4 connections (src/store/postgres-store.ts); PostgreSQL's default is 100 in all.
  if (sc.cluster.db === 'postgres' && sc.cluster.nodes * (sc.cluster.workers + 1) * 4 > 80) ctx.addIssue({ code: 'custom', path: ['cluster', 'workers'], message: `${sc.cluster.nodes} node(s) of ${sc.cluster.workers} workers would open up to ${sc.cluster.nodes * (sc.cluster.workers + 1) * 4} PostgreSQL connections; at most 80 fit PostgreSQL's default limit` });
  sc.faults.forEach((f, i) => {
    if (f.kind === 'redis-shard-failover' && (sc.redis.mode !== 'cluster' || sc.redis.replicas === 0)) ctx.addIssue({ code: 'custom', path: ['faults', i, 'kind'], message: 'redis-shard-failover promotes a replica: it needs redis: { mode: \'cluster\', replicas: 1 or more }' });
  });
  if (sc.cluster.nodes > 1 && sc.cluster.db !== 'postgres') ctx.addIssue({ code: 'custom', path: ['cluster', 'db'], message: 'nodes share one database: a run of several nodes needs db: postgres' });
  // Every client keeps a room it may join: a sender sends there, a listener listens there.
  const roster = [...Array.from({ length: sc.clients.count }, (_, i) => `c${i}`), ...Array.from({ length: sc.clients.listeners?.count ?? 0 }, (_, i) => `l${i}`)];
  for (const name of roster) {
    if (roomsRefusedTo(sc.clients.rooms, sc.membersOnly, name).length === sc.clients.rooms.length) ctx.addIssue({ code: 'custom', path: ['membersOnly'], message: `${name} is a member of none of its rooms (${sc.clients.rooms.join(', ')}): every client needs a room it may join` });
  }
  for (const [room, members] of Object.entries(sc.membersOnly)) {
    if (!sc.clients.rooms.includes(room)) ctx.addIssue({ code: 'custom', path: ['membersOnly', room], message: `${room} is not one of the clients' rooms (${sc.clients.rooms.join(', ')})` });
    members.forEach((m, i) => {
      const n = Number(m.slice(1));
      const count = m[0] === 'c' ? sc.clients.count : (sc.clients.listeners?.count ?? 0);
      if (n >= count) ctx.addIssue({ code: 'custom', path: ['membersOnly', room, i], message: `${m} is not a client of the scenario` });
    });
  }
  sc.workload.script.forEach((send, i) => {
    if (Number(send.client.slice(1)) >= sc.clients.count) ctx.addIssue({ code: 'custom', path: ['workload', 'script', i, 'client'], message: `${send.client} is not a sending client (the scenario has c0…c${sc.clients.count - 1})` });
    if (!sc.clients.rooms.includes(send.room)) ctx.addIssue({ code: 'custom', path: ['workload', 'script', i, 'room'], message: `${send.room} is not one of the clients' rooms (${sc.clients.rooms.join(', ')})` });
    const members = sc.membersOnly[send.room];
    if (members !== undefined && !members.includes(send.client)) ctx.addIssue({ code: 'custom', path: ['workload', 'script', i, 'room'], message: `${send.room} is members-only and ${send.client} is not a member` });
  });
});

/** A scenario as written (defaults not yet applied). */
export type ScenarioInput = z.input<typeof Scenario>;
/** A validated scenario with every default applied. */
export type Scenario = z.infer<typeof Scenario>;

/** Declares a scenario (a typed identity: validation happens when it is loaded). */
export function defineScenario(s: ScenarioInput): ScenarioInput {
  return s;
}
