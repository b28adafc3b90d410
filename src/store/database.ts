import type { Generated, Kysely } from 'kysely';
import type { CommitResult, PendingSend } from '../protocol/index.js';

/** The `messages` table: one row per committed message (the checker reads these columns). */
export interface MessagesTable {
  id: string;
  room: string;
  seq: number;
  sender: string;
  body: string;
  created_at: number;
}

/** The `rooms` table: a room's committed head (its highest seq). */
export interface RoomsTable {
  name: string;
  head: number;
}

/** `room_access`: a room listed here is members-only (every other room is open to every user). */
export interface RoomAccessTable {
  room: string;
  mode: 'members';
}

/** `room_members`: who may join a members-only room. */
export interface RoomMembersTable {
  room: string;
  user: string;
}

/** Migration bookkeeping written by the store's migrator. */
export interface SchemaTable {
  name: string;
  applied_at: Generated<number>;
}

/** The typed database every store function takes. */
export interface Database {
  messages: MessagesTable;
  rooms: RoomsTable;
  room_access: RoomAccessTable;
  room_members: RoomMembersTable;
  dl_schema: SchemaTable;
}

/** How the send path's transaction treats ids (both true except in seeded bugs). */
export interface CommitRules {
  /** Look ids up: a committed id is a retry, not a new row. */
  dedup: boolean;
  /** A committed id with other content is a conflict (`id_conflict`), not a duplicate. @default true */
  conflicts?: boolean;
}

/**
 * A store: the database truth, whatever the dialect. Reads go through `db` (kysely) and the
 * repository functions; the send path's write transaction is `commit`, which waits for the
 * database's own write lock if it has one, up to a bound.
 */
export interface Store {
  db: Kysely<Database>;
  /**
   * Commits a batch of sends in one write transaction (the last stage of the send path): a retried
   * id gets its original seq back (`duplicate: true`), the same id with other content is a conflict,
   * new messages take consecutive per-room seqs from `rooms.head`, in arrival order. With
   * `dedup: false` (the no-dedup seeded bug) ids are not looked up and every send is a new row; with
   * `conflicts: false` (the no-id-conflict seeded bug) a committed id is a duplicate whatever its content.
   * Throws when nothing was committed (the sends are retried with the same ids).
   */
  commit(sends: readonly PendingSend[], opts: CommitRules): Promise<CommitResult[]>;
  /** Closes the connections. */
  close(): Promise<void>;
}
