/**
 * The power-loss layer really drops what was not synced: a child process writes through the
 * interposer (dist/native/powerloss.so) and is SIGKILLed; rolling its files back leaves exactly what
 * it had fsynced. The same through SQLite: rows committed under synchronous=NORMAL (WAL, no sync at
 * commit) are gone, under FULL they are kept. And the disk-fault switch makes writes fail.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { powerLossEnv, rollBackUnsynced } from '../../lab/cluster/power-loss.js';

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/** Runs `code` in a node child under the interposer (files under `dir` tracked); resolves with how it ended and what it printed. */
function underInterposer(dir: string, code: string): Promise<{ signal: NodeJS.Signals | null; code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code], { env: { ...process.env, ...powerLossEnv(`${dir}/`, join(dir, 'disk-fault')) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.on('exit', (c, signal) => resolve({ signal, code: c, stdout }));
  });
}

function fresh(): string {
  return mkdtempSync(join(tmpdir(), 'dl-powerloss-'));
}

describe('the power-loss layer', () => {
  it('written and fsynced is kept; written after the last fsync is gone after a crash', async () => {
    const dir = fresh();
    const file = join(dir, 'f.bin');
    const r = await underInterposer(dir, `
      const fs = require('fs');
      const fd = fs.openSync(${JSON.stringify(file)}, 'w+');
      fs.writeSync(fd, Buffer.from('synced!!'), 0, 8, 0);
      fs.fsyncSync(fd);
      fs.writeSync(fd, Buffer.from('LOST'), 0, 4, 2);    // overwrites synced bytes
      fs.writeSync(fd, Buffer.from('tail'), 0, 4, 8);    // grows the file
      console.log(fs.readFileSync(${JSON.stringify(file)}, 'latin1'));
      process.kill(process.pid, 'SIGKILL');`);
    expect(r.signal).toBe('SIGKILL');
    // Before the power loss, every process saw the unsynced writes (they went through to the page cache).
    expect(r.stdout.trim()).toBe('syLOST!!tail');
    expect(readFileSync(file, 'latin1')).toBe('syLOST!!tail');
    const undone = rollBackUnsynced(file);
    expect(undone).toEqual([{ file, writes: 2, sizeBefore: 12, sizeAfter: 8 }]);
    expect(readFileSync(file, 'latin1')).toBe('synced!!');
  });

  it('SQLite in WAL mode: rows committed under synchronous=NORMAL are lost, under FULL they are kept', async () => {
    const rowsAfterPowerLoss = async (synchronous: 'NORMAL' | 'FULL'): Promise<number> => {
      const dir = fresh();
      const db = join(dir, 'db.sqlite');
      // The table is created and synced first; then 50 rows, each its own commit.
      const setup = new SQLite(db);
      setup.pragma('journal_mode = WAL');
      setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      setup.close();
      const r = await underInterposer(dir, `
        const Database = require(${JSON.stringify(BETTER_SQLITE3)});
        const db = new Database(${JSON.stringify(db)});
        db.pragma('synchronous = ${synchronous}');
        const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
        for (let i = 0; i < 50; i++) insert.run('row ' + i);
        console.log(db.prepare('SELECT count(*) AS n FROM t').get().n);
        process.kill(process.pid, 'SIGKILL');`);
      expect(r.signal).toBe('SIGKILL');
      expect(r.stdout.trim()).toBe('50');
      rollBackUnsynced(db);
      const after = new SQLite(db, { readonly: true });
      try {
        return (after.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
      } finally {
        after.close();
      }
    };
    expect(await rowsAfterPowerLoss('FULL')).toBe(50);
    expect(await rowsAfterPowerLoss('NORMAL')).toBe(0);
  });

  it('the disk-fault switch fails writes and syncs of tracked files with ENOSPC, and only while it is on', async () => {
    const dir = fresh();
    const file = join(dir, 'f.bin');
    writeFileSync(join(dir, 'disk-fault'), 'ENOSPC');
    const r = await underInterposer(dir, `
      const fs = require('fs');
      const fd = fs.openSync(${JSON.stringify(file)}, 'w+');
      const codes = [];
      try { fs.writeSync(fd, Buffer.from('x'), 0, 1, 0); codes.push('ok'); } catch (e) { codes.push(e.code); }
      try { fs.fsyncSync(fd); codes.push('ok'); } catch (e) { codes.push(e.code); }
      fs.rmSync(${JSON.stringify(join(dir, 'disk-fault'))});
      try { fs.writeSync(fd, Buffer.from('x'), 0, 1, 0); codes.push('ok'); } catch (e) { codes.push(e.code); }
      console.log(codes.join(','));`);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('ENOSPC,ENOSPC,ok');
  });
});
