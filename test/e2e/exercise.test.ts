/**
 * `deliverylab exercise --answer` end to end against a real cluster: the revealed outcome must be what
 * the run's own database and history say about the followed message.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';


interface ExerciseJson {
  exercise: string;
  message: string;
  run: string;
  questions: { key: string; predicted: string | null; actual: string; correct: boolean; why: string }[];
  members: { client: string; got: string }[];
  score: number;
}

describe('deliverylab exercise', () => {
  it('lists at least 12 exercises, one line each starting with its name', async () => {
    const r = await runCli(['exercises']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(12);
    for (const name of ['crash-before-commit', 'crash-after-commit-before-ack', 'crash-after-ack-before-publish', 'partition-cut', 'partition-blackhole', 'redis-restart', 'worker-pause', 'duplicate-publishes', 'ack-before-commit', 'publish-before-commit', 'no-dedup', 'at-most-once']) {
      expect(lines.some((l) => l.startsWith(`${name} `))).toBe(true);
    }
  });

  it('--answer: predicts, runs, and reveals what the run\'s database and history say', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dl-exercise-'));
    const json = join(out, 'ex.json');
    const r = await runCli(['exercise', 'crash-after-commit-before-ack', '--answer', '1,acked,?', '--json', json, '--out', out, '-q']);
    expect(r.code, r.stderr).toBe(0);
    const ex = JSON.parse(readFileSync(json, 'utf8')) as ExerciseJson;
    expect(ex.questions.map((q) => q.predicted)).toEqual(['1', 'acked', null]);
    const history = readFileSync(join(ex.run, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const fired = history.find((e) => e.type === 'failpoint-fired');
    expect(String(fired?.detail)).toContain(ex.message);
    const db = new SQLite(join(ex.run, 'db.sqlite'), { readonly: true });
    const rows = (db.prepare('SELECT count(*) AS n FROM messages WHERE id = ?').get(ex.message) as { n: number }).n;
    db.close();
    const invoke = history.find((e) => e.type === 'invoke' && e.id === ex.message)!;
    const ack = history.find((e) => e.type === 'ack' && e.id === ex.message && e.client === invoke.client);
    const actual = Object.fromEntries(ex.questions.map((q) => [q.key, q.actual]));
    expect(actual['rows']).toBe(String(rows));
    expect(actual['sender']).toBe(ack === undefined ? 'never' : ack.duplicate ? 'acked-duplicate' : 'acked');
    expect(ex.score).toBe(ex.questions.filter((q) => q.correct).length);
    expect(ex.questions[2]!.correct).toBe(false);
    for (const m of ex.members) {
      const got = history.filter((e) => e.type === 'deliver' && e.id === ex.message && e.client === m.client).length;
      expect(m.got === 'never' ? 0 : m.got === 'twice' ? 2 : 1).toBe(Math.min(got, 2));
    }
    expect(r.stdout).toContain(`score: ${ex.score}/3`);
  });

  it('a bad name or answer exits 2 naming it', async () => {
    expect(await runCli(['exercise', 'no-such', '--answer', '1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown exercise "no-such"') });
    expect(await runCli(['exercise', 'no-dedup', '--answer', '7'])).toMatchObject({ code: 2, stderr: expect.stringContaining('"7" is not an answer to rows') });
  });
});
