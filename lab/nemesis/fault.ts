import type { z } from 'zod';
import type { Core } from '../cluster/core-process.js';
import type { FaultProxy } from '../cluster/fault-proxy.js';
import type { RedisServerHandle } from '../cluster/redis-server.js';
import type { RedisCluster } from '../cluster/redis-cluster.js';
import type { LabNetwork } from '../cluster/lab-network.js';
import type { HistoryRecorder } from '../history/recorder.js';
import type { SimClient } from '../workload/sim-client.js';

/** What a fault may act on during a run. */
export interface FaultContext {
  core: Core;
  redis: RedisServerHandle | undefined;
  /** The Redis Cluster of a run whose bus is one (`redis.mode: 'cluster'`). */
  redisCluster: RedisCluster | undefined;
  /** The nodes of a run of several (`cluster.nodes` > 1), each in a network namespace of its own; empty for one node. */
  nodes: readonly LabNode[];
  /** The network of the nodes (undefined for one node). */
  network: LabNetwork | undefined;
  /** One fault proxy per worker slot, between the worker and Redis. */
  proxies: FaultProxy[];
  clients: readonly SimClient[];
  history: HistoryRecorder;
  /** Seeded randomness for this fault step. */
  random: () => number;
  /** Seed for failpoints armed by this step. */
  seed: number;
  /** The core's SQLite file (power loss rolls it back to what was synced). */
  dbFile: string;
  /** Each client's own links, one proxy per worker in slot order (only when the run asked for them: a fault that `needsClientLinks`). */
  clientLinks: ReadonlyMap<string, readonly FaultProxy[]>;
  /** The disk-fault switch the core's interposer reads (native/powerloss.c): while it holds EIO or ENOSPC, writes to the database fail so. */
  diskFaultFile: string;
}

/** What a fault's `check` may read of its scenario. */
export interface ScenarioShape {
  clients: { count: number; rooms: readonly string[] };
  membersOnly: Readonly<Record<string, readonly string[]>>;
}

/** The rooms of `rooms` that are members-only without `client` among their members: its SDK asks to join them and is refused. */
export function roomsRefusedTo(rooms: readonly string[], membersOnly: Readonly<Record<string, readonly string[]>>, client: string): string[] {
  return rooms.filter((r) => membersOnly[r] !== undefined && !membersOnly[r]!.includes(client));
}

/** The concrete thing a step hits, after "random-worker" and "all-workers" are resolved. */
export type ResolvedTarget = { kind: 'workers'; slots: number[] } | { kind: 'nodes'; nodes: number[] } | { kind: 'redis' } | { kind: 'clients' } | { kind: 'core' };

/** One node of a run of several: its core, its place on the network, and the host ports it reaches Redis and the database on. */
export interface LabNode {
  readonly index: number;
  readonly core: Core;
  readonly ns: string;
  readonly ip: string;
  /** Its workers' slots. */
  readonly slots: readonly number[];
  /** The host ports this node reaches Redis on: the lab's proxies of its workers, or every node of the Redis Cluster. */
  readonly redisPorts: readonly number[];
  /** The lab's proxy to PostgreSQL this node uses (on the host's address). */
  readonly dbPort: number;
}

/** Undoes a fault; resolves when the system is back to normal as far as the fault is concerned. */
export type Heal = () => Promise<void>;

/**
 * A kind of fault: its parameters (zod, units in the names), what it can target, and `start`,
 * which injects it and returns how to heal it. One-shot faults (a kill) heal by waiting for recovery.
 */
export interface FaultKind<P extends z.ZodType = z.ZodType> {
  /** One sentence: what it does. */
  doc: string;
  /** What it hits: worker slots, Redis, the clients, or the core as a whole (the node: its primary and workers, its disk). */
  targets: 'workers' | 'nodes' | 'redis' | 'clients' | 'core';
  /** The fault acts on Redis or its links, so it cannot happen in a variant that runs without Redis. @default false */
  needsRedis?: boolean;
  /** The Redis deployment the fault acts on, when it acts on one kind only (a proxy per worker on one redis-server, or a Redis Cluster's nodes). */
  redisMode?: 'single' | 'cluster';
  /** The fault acts on the clients' own links, so the run puts a proxy between each client and each worker. @default false */
  needsClientLinks?: boolean;
  /** The fault acts on the core's SQLite files (through the power-loss interposer): a scenario on PostgreSQL cannot have it. @default false */
  needsSqlite?: boolean;
  params: P;
  /** What the scenario must have for this step to be carried out, checked when it is loaded (exit 2): why not, or undefined. */
  check?(scenario: ScenarioShape, params: z.infer<P>): string | undefined;
  start(ctx: FaultContext, target: ResolvedTarget, params: z.infer<P>): Promise<Heal>;
}

/** Declares a fault kind with its parameter type inferred. */
export function defineFault<P extends z.ZodType>(f: FaultKind<P>): FaultKind<P> {
  return f;
}

/** The worker slots of a resolved target (empty for redis/clients targets). */
export function slotsOf(target: ResolvedTarget): number[] {
  return target.kind === 'workers' ? target.slots : [];
}
