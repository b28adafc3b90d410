/**
 * `deliverylab explore --script` end to end against a real cluster: what the console says about a
 * message must be what the session's own database and history say, the saved session must replay
 * with `run`, and a broken invariant or a bad command must show in the exit code.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

const lines = (file: string): Record<string, unknown>[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

function rowsWithId(dbFile: string, id: string): { seq: number; body: string }[] {
  const db = new SQLite(dbFile, { readonly: true });
  try {
    return db.prepare('SELECT seq, body FROM messages WHERE id = ?').all(id) as { seq: number; body: string }[];
  } finally {
    db.close();
  }
}

function sessionDir(out: string): string {
  const dirs = readdirSync(out).filter((d) => d.startsWith('session'));
  expect(dirs).toHaveLength(1);
  return join(out, dirs[0]!);
}

describe('deliverylab explore --script', () => {
  it('a crash between commit and ack: the console, the database and the history agree, and the saved session replays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-explore-'));
    const saved = join(dir, 'saved.json');
    const script = join(dir, 'crash.txt');
    writeFileSync(script, [
      '# worker 1 dies after committing c1\'s message and before acking it',
      'crash 1 after-commit-before-ack 1',
      'send c1 lobby who sees this',
      'heal',
      'clients',
      'check',
      `save ${saved}`,
    ].join('\n'));
    const r = await runCli(['explore', '--script', script, '--out', join(dir, 'out'), '--no-web']);
    expect(r.code, r.stderr).toBe(0);
    // The console's answer to the send: acked with duplicate: true after a retry on the other worker.
    const sent = /c1 → lobby: (\S+) acked seq (\d+) \(duplicate: true, already committed\) by worker 0 after (\d+) attempts/.exec(r.stdout);
    expect(sent, r.stdout).not.toBeNull();
    const [, id, seq] = sent!;
    const session = sessionDir(join(dir, 'out'));
    // The database holds the message once, at the seq the console printed.
    expect(rowsWithId(join(session, 'db.sqlite'), id!)).toEqual([{ seq: Number(seq), body: 'who sees this' }]);
    // The history: the crash point fired on that message in worker 1, and every client's application got it once.
    const history = lines(join(session, 'history.jsonl'));
    const fired = history.find((e) => e.type === 'failpoint-fired');
    expect(fired).toMatchObject({ worker: 1, failpoint: 'crash.after-commit-before-ack' });
    expect(String(fired!.detail)).toContain(id);
    const got = history.filter((e) => e.type === 'deliver' && e.id === id).map((e) => e.client).sort();
    expect(got).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(r.stdout).toContain('deliverylab PASS  scenario explore');
    // The saved session is a scenario that `run` replays: the same crash on the same send.
    const scenario = JSON.parse(readFileSync(saved, 'utf8')) as { faults: { kind: string; target: string }[]; workload: { script: { client: string; body: string }[] } };
    expect(scenario.faults).toMatchObject([{ kind: 'crash-point', target: 'worker:1' }]);
    expect(scenario.workload.script).toMatchObject([{ client: 'c1', body: 'who sees this' }]);
    const replay = await runCli(['run', saved, '--out', join(dir, 'replay'), '--no-color', '-q']);
    expect(replay.code, replay.stdout).toBe(0);
    const replayed = lines(join(dir, 'replay', 'saved.effectively-once', 'history.jsonl'));
    const firedAgain = replayed.find((e) => e.type === 'failpoint-fired');
    const invoke = replayed.find((e) => e.type === 'invoke' && e.body === 'who sees this');
    expect(firedAgain).toMatchObject({ worker: 1, failpoint: 'crash.after-commit-before-ack' });
    expect(String(firedAgain!.detail)).toContain(String(invoke!.id));
  });

  it('exits 1 when a check breaks: under ack-before-commit, the message acked before its lost commit is named', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-explore-'));
    const script = join(dir, 'lost.txt');
    writeFileSync(script, ['crash 0 before-commit 1', 'send c0 lobby acked then lost', 'check'].join('\n'));
    const r = await runCli(['explore', '--script', script, '--semantics', 'ack-before-commit', '--out', join(dir, 'out'), '--no-web']);
    expect(r.code, r.stderr).toBe(1);
    const sent = /c0 → lobby: (\S+) acked seq (\d+)/.exec(r.stdout);
    expect(sent, r.stdout).not.toBeNull();
    expect(rowsWithId(join(sessionDir(join(dir, 'out')), 'db.sqlite'), sent![1]!)).toEqual([]);
    expect(r.stdout).toMatch(/✘ acked-durable/);
    expect(r.stdout).toContain(sent![1]!);
  });

  it('a bad command stops the script with exit 2, naming its line, and leaves no session running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-explore-'));
    const script = join(dir, 'bad.txt');
    writeFileSync(script, ['clients', 'kill 7'].join('\n'));
    const r = await runCli(['explore', '--script', script, '--out', join(dir, 'out'), '--no-web']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('script line 2: no worker "7": the cluster has workers 0…1');
    expect(r.stderr).toContain('stopped;');
  });

  it('reads commands from a pipe when there is no terminal (the REPL without a TTY)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-explore-'));
    const r = await runCli(['explore', '--out', join(dir, 'out'), '--no-web', '--clients', '2'], { input: "send c0 lobby hi\ncheck\nshow c1\nquit\n" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/c0 → lobby: \S+ acked seq 1 by worker 0/);
    expect(r.stdout).toMatch(/lobby\s+seq 1\s+\S+\s+from c0/);
  });
});
