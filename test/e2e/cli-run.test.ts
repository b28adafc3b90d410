import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait-for.js';
import { descendants, isGone } from '../support/processes.js';

const CLI = new URL('../../dist/lab/cli.js', import.meta.url).pathname;

/** Runs the CLI to completion and returns its exit code and output. */
function cli(args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const tiny = {
  name: 'tiny',
  description: 'a short run for the CLI tests',
  clients: { count: 2, rooms: ['r1'] },
  workload: { ratePerSec: 40, durationMs: 800 },
};

describe('deliverylab run', () => {
  it.each([
    { name: 'a field of the wrong type', patch: { workload: { ratePerSec: 'fast' } }, field: 'workload.ratePerSec' },
    { name: 'an unknown field', patch: { cluster: { workers: 2, nodes: 3 } }, field: 'cluster' },
    { name: 'an unknown fault kind', patch: { faults: [{ kind: 'meteor', atMs: 0 }] }, field: 'faults.0.kind' },
    { name: 'a bad fault parameter', patch: { faults: [{ kind: 'redis-partition', atMs: 0, target: 'worker:0', params: { mode: 'sideways' } }] }, field: 'faults.0.params.mode' },
    { name: 'a worker that does not exist', patch: { faults: [{ kind: 'worker-kill', atMs: 0, target: 'worker:7' }] }, field: 'faults.0.target' },
  ])('a scenario file with $name exits 2 naming $field', async ({ patch, field }) => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...tiny, ...patch }));
    const r = await cli(['run', file, '--out', join(dir, 'runs')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(field);
  });

  it.each([
    { args: ['run', 'baseline', '--semantics', 'exactly-twice'], field: 'semantics' },
    { args: ['run', 'baseline', '--seed', '-4'], field: 'seed' },
    { args: ['run', 'no-such-scenario'], field: 'no-such-scenario' },
    { args: ['matrix', '--semantics', 'nope'], field: 'semantics' },
    { args: ['run', 'baseline', '--writer', 'everyone'], field: 'writer' },
    { args: ['serve', '--writer', 'everyone'], field: 'writer' },
    { args: ['explain', 'gremlins'], field: 'gremlins' },
  ])('$args exits 2 naming $field', async ({ args, field }) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(field);
  });

  it('a passing run exits 0 and writes a JSON report and JUnit XML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify(tiny));
    const r = await cli(['run', file, '--seed', '7', '--json', join(dir, 'r.json'), '--junit', join(dir, 'r.xml'), '--out', join(dir, 'runs'), '--no-color', '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('seed 7');
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['scenario', 'seed', 'semantics', 'ok', 'durationMs', 'invariants', 'stats', 'faults']));
    expect(report.ok).toBe(true);
    expect(readFileSync(join(dir, 'r.xml'), 'utf8')).toMatch(/<testsuites[\s\S]*<testcase[\s\S]*<\/testsuites>/);
  });

  it.each([
    { how: 'Ctrl-C (SIGINT to the whole process group)', kill: (pid: number) => process.kill(-pid, 'SIGINT'), code: 2 },
    { how: 'SIGINT to the runner alone', kill: (pid: number) => process.kill(pid, 'SIGINT'), code: 2 },
    { how: 'SIGTERM to the runner alone', kill: (pid: number) => process.kill(pid, 'SIGTERM'), code: 2 },
    { how: 'SIGKILL of the runner (no cleanup code runs)', kill: (pid: number) => process.kill(pid, 'SIGKILL'), code: null },
  ])('$how in the middle of a run leaves no redis-server, primary or worker behind', async ({ kill, code }) => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const run = spawn(process.execPath, [CLI, 'run', 'worker-pause', '--out', join(dir, 'runs'), '--no-color'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stderr = '';
    run.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((resolve) => run.on('exit', (c) => resolve(c)));
    // Mid-workload, with worker 0 paused by SIGSTOP: the hardest moment to clean up.
    await waitFor(() => expect(stderr).toContain('fault worker-pause'), 30_000);
    const tree = descendants(run.pid!);
    expect(tree.some((p) => p.cmd.includes('redis-server'))).toBe(true);
    expect(tree.filter((p) => p.cmd.includes('worker-main')).length).toBe(2);
    kill(run.pid!);
    expect(await exited).toBe(code);
    await waitFor(() => expect(tree.filter((p) => !isGone(p.pid))).toEqual([]), 20_000);
  });
});
