/**
 * PostgreSQL databases for runs and tests: each run (and each test) gets a database of its own on the
 * server the lab is pointed at (`DL_POSTGRES_URL`, by default the machine's own on 127.0.0.1:5432 as
 * `postgres`, trust authentication), created empty and dropped at the end. A database's name carries
 * this machine's boot and the pid of the process that made it, so one left behind by a process that
 * died (SIGKILL) is dropped the next time a run or test on this machine makes one; a database of
 * another machine (or container) on a shared server is never judged by our pids.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import pg from 'pg';
import { redactRedisUrl } from '../../src/protocol/index.js';
import { processAlive } from './pids.js';

/** The server the lab makes its databases on (a maintenance database URL; the lab's role must be allowed to CREATE DATABASE). */
export function postgresAdminUrl(): string {
  return process.env.DL_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** The PostgreSQL server cannot be reached: says what to install or start. */
export class PostgresUnavailableError extends Error {
  override readonly name = 'PostgresUnavailableError';
  constructor(readonly url: string, cause: unknown) {
    super(
      `PostgreSQL is not reachable at ${redactRedisUrl(url)} (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'Install and start it (`apt-get install -y postgresql`, then `pg_ctlcluster 15 main start`; trust authentication for 127.0.0.1), ' +
        'or point DL_POSTGRES_URL at a server where this role may create databases.',
      { cause },
    );
  }
}

/** A database of the lab's own, with a URL the core and the checker connect to. */
export interface LabPostgresDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database (closing whatever is still connected to it); idempotent, never throws. */
  drop(): Promise<void>;
}

const PREFIX = 'deliverylab_';

/** This machine as of this boot (and this container: its own hostname), in 8 hex digits. */
function machineTag(): string {
  let boot = '';
  try { boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(); } catch { /* not Linux: the hostname alone */ }
  return createHash('sha256').update(`${boot}/${hostname()}`).digest('hex').slice(0, 8);
}

/** Creates an empty database on the lab's PostgreSQL server (dropping any a dead process of the lab left there). */
export async function createPostgresDatabase(adminUrl = postgresAdminUrl()): Promise<LabPostgresDatabase> {
  const admin = await connectAdmin(adminUrl);
  const name = `${PREFIX}${machineTag()}_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await dropOrphans(admin);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  return {
    name,
    url: url.toString(),
    drop: () => (dropped ??= (async () => {
      const a = await connectAdmin(adminUrl).catch(() => undefined);
      if (!a) return;
      try {
        await a.query(`drop database if exists ${name} with (force)`);
      } catch {
        // Left for the next run's sweep of orphans.
      } finally {
        await a.end().catch(() => undefined);
      }
    })()),
  };
}

async function connectAdmin(adminUrl: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  c.on('error', () => {});
  try {
    await c.connect();
  } catch (err) {
    throw new PostgresUnavailableError(adminUrl, err);
  }
  return c;
}

/** Drops the lab's databases whose creating process is gone. */
async function dropOrphans(admin: pg.Client): Promise<void> {
  const tag = machineTag();
  const { rows } = await admin.query<{ datname: string }>('select datname from pg_database where datname like $1', [`${PREFIX}${tag}_%`]);
  for (const { datname } of rows) {
    const pid = Number(new RegExp(`^deliverylab_${tag}_(\\d+)_[0-9a-f]+$`).exec(datname)?.[1]);
    if (!Number.isInteger(pid) || processAlive(pid)) continue;
    await admin.query(`drop database if exists ${datname} with (force)`).catch(() => undefined);
  }
}

