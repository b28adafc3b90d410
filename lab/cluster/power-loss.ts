import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/, seen from this module compiled (dist/lab/cluster) or as source (lab/cluster, under the tests). */
const DIST = ((up) => (basename(up) === 'dist' ? up : join(up, 'dist')))(fileURLToPath(new URL('../..', import.meta.url)));

/** The interposer built by `make build` from native/powerloss.c (see there for how it works). */
export const POWERLOSS_LIBRARY = join(DIST, 'native/powerloss.so');

const UNDO_MAGIC = 0x444c5055;
const HEADER_BYTES = 24;

/** What rolling one file back undid. */
export interface RolledBack {
  file: string;
  /** Writes (and truncations) undone: made since the file's last sync. */
  writes: number;
  /** The file's size before and after. */
  sizeBefore: number;
  sizeAfter: number;
}

/** The environment that makes a process's writes to files under `prefix` undoable, and its disk faults switchable by `faultFile`. */
export function powerLossEnv(prefix: string, faultFile: string): Record<string, string> {
  if (!existsSync(POWERLOSS_LIBRARY)) throw new Error(`${POWERLOSS_LIBRARY} is missing: run "make build" (it compiles native/powerloss.c with the machine's C compiler)`);
  return { LD_PRELOAD: POWERLOSS_LIBRARY, DL_POWERLOSS_PREFIX: prefix, DL_DISK_FAULT_FILE: faultFile };
}

/**
 * After every process that wrote them is dead: rolls each of the SQLite files of `dbFile` (the
 * database, its WAL, its rollback journal) back to what it held at its last fsync, through the undo
 * journal the interposer kept, and removes the -shm index (SQLite rebuilds it from the WAL, as after
 * a reboot). What is left is what a disk holds after a power loss that kept nothing unsynced.
 */
export function rollBackUnsynced(dbFile: string): RolledBack[] {
  const out: RolledBack[] = [];
  for (const file of [dbFile, `${dbFile}-wal`, `${dbFile}-journal`]) {
    const undo = `${file}.undo`;
    if (!existsSync(undo)) continue;
    const journal = readFileSync(undo);
    const records: { offset: number; oldSize: number; old: Buffer }[] = [];
    for (let at = 0; at + HEADER_BYTES <= journal.length;) {
      if (journal.readUInt32LE(at) !== UNDO_MAGIC) break;
      const oldLen = journal.readUInt32LE(at + 4);
      const offset = Number(journal.readBigUInt64LE(at + 8));
      const oldSize = Number(journal.readBigUInt64LE(at + 16));
      if (at + HEADER_BYTES + oldLen > journal.length) break; // a record cut short by the kill: its write never happened
      records.push({ offset, oldSize, old: journal.subarray(at + HEADER_BYTES, at + HEADER_BYTES + oldLen) });
      at += HEADER_BYTES + oldLen;
    }
    if (records.length > 0 && existsSync(file)) {
      const fd = openSync(file, 'r+');
      try {
        const sizeBefore = fstatSync(fd).size;
        // Newest first: each record puts back what its write overwrote, and the size before it.
        for (const r of [...records].reverse()) {
          if (r.old.length > 0) writeSync(fd, r.old, 0, r.old.length, r.offset);
          ftruncateSync(fd, r.oldSize);
        }
        out.push({ file, writes: records.length, sizeBefore, sizeAfter: fstatSync(fd).size });
      } finally {
        closeSync(fd);
      }
    }
    rmSync(undo, { force: true });
  }
  rmSync(`${dbFile}-shm`, { force: true });
  return out;
}
