import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { postgresAdminUrl } from '../../lab/cluster/postgres.js';
import { runCli } from '../support/cli.js';
import { DIST_CLI_PATH } from '../support/dist-core.js';
import { waitFor } from '../support/wait-for.js';
import { descendants, isGone } from '../support/processes.js';


const tiny = {
  name: 'tiny',
  description: 'a short run for the CLI tests',
  clients: { count: 2, rooms: ['r1'] },
  workload: { ratePerSec: 40, durationMs: 800 },
};

/** A 2 s run in which worker 0 crashes just before the commit of its 5th send (under ack-before-commit, an acked message is lost). */
const crash2s = {
  name: 'crash-2s',
  description: 'a short failing run for the repeat and shrink tests',
  clients: { count: 4, rooms: ['lobby'] },
  workload: { ratePerSec: 60, durationMs: 2000 },
  faults: [{ kind: 'crash-point', atMs: 500, forMs: 1200, target: 'worker:0', params: { point: 'before-commit', nth: 5 } }],
};

describe('deliverylab run', () => {
  it.each([
    { name: 'a field of the wrong type', patch: { workload: { ratePerSec: 'fast' } }, field: 'workload.ratePerSec' },
    { name: 'an unknown field', patch: { cluster: { workers: 2, racks: 3 } }, field: 'cluster' },
    { name: 'several nodes on SQLite', patch: { cluster: { workers: 2, nodes: 3 } }, field: 'cluster.db' },
    { name: 'an unknown fault kind', patch: { faults: [{ kind: 'meteor', atMs: 0 }] }, field: 'faults.0.kind' },
    { name: 'a bad fault parameter', patch: { faults: [{ kind: 'redis-partition', atMs: 0, target: 'worker:0', params: { mode: 'sideways' } }] }, field: 'faults.0.params.mode' },
    { name: 'a worker that does not exist', patch: { faults: [{ kind: 'worker-kill', atMs: 0, target: 'worker:7' }] }, field: 'faults.0.target' },
    { name: 'a members-only room the clients do not join', patch: { membersOnly: { vip: ['c1'] } }, field: 'membersOnly.vip' },
    { name: 'a members-only room whose member is no client', patch: { clients: { count: 4, rooms: ['lobby', 'vip'] }, membersOnly: { vip: ['c9'] } }, field: 'membersOnly.vip.0' },
    { name: 'a client that may join none of its rooms', patch: { clients: { count: 2, rooms: ['vip'] }, membersOnly: { vip: ['c1'] } }, field: 'c0 is a member of none of its rooms' },
    { name: 'a room-named send with too few refused rooms', patch: { clients: { count: 2, rooms: ['r1', 'vip'] }, membersOnly: { vip: ['c1'] }, faults: [{ kind: 'room-named-send', atMs: 0, target: 'clients', params: { client: 'c0', count: 2 } }] }, field: 'faults.0.params: count' },
  ])('a scenario file with $name exits 2 naming $field', async ({ patch, field }) => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...tiny, ...patch }));
    const r = await runCli(['run', file, '--out', join(dir, 'runs')]);
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
    { args: ['serve', '--redis-cluster'], field: '--redis-cluster' },
    { args: ['run', 'baseline', '--db', 'mysql'], field: 'db' },
    { args: ['explain', 'gremlins'], field: 'gremlins' },
  ])('$args exits 2 naming $field', async ({ args, field }) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(field);
  });

  it('a passing run exits 0 and writes a JSON report and JUnit XML', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const file = join(dir, 'tiny.json');
    writeFileSync(file, JSON.stringify(tiny));
    const r = await runCli(['run', file, '--seed', '7', '--json', join(dir, 'r.json'), '--junit', join(dir, 'r.xml'), '--out', join(dir, 'runs'), '--no-color', '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('seed 7');
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['scenario', 'seed', 'semantics', 'ok', 'durationMs', 'invariants', 'stats', 'faults']));
    expect(report.ok).toBe(true);
    expect(readFileSync(join(dir, 'r.xml'), 'utf8')).toMatch(/<testsuites[\s\S]*<testcase[\s\S]*<\/testsuites>/);
  });

  it('on PostgreSQL (--db postgres): the default holds, ack-before-commit loses an acked message, the run\'s database is dropped and its truth kept in the run folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const file = join(dir, 'crash-2s.json');
    writeFileSync(file, JSON.stringify(crash2s));
    const held = await runCli(['run', file, '--db', 'postgres', '--json', join(dir, 'held.json'), '--out', join(dir, 'runs'), '--no-color', '-q']);
    expect(held.code, held.stdout + held.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'held.json'), 'utf8')) as { cluster: unknown; reproduce: string; stats: { acked: number; dbMessages: number } };
    expect(report.cluster).toEqual({ nodes: 1, workersPerNode: 2, db: 'postgres', redis: 'single' });
    expect(report.reproduce).toContain('--db postgres');
    expect(report.stats.dbMessages).toBeGreaterThanOrEqual(report.stats.acked);
    const broke = await runCli(['run', file, '--db', 'postgres', '--semantics', 'ack-before-commit', '--out', join(dir, 'runs'), '--no-color', '-q']);
    expect(broke.code).toBe(1);
    expect(broke.stdout).toMatch(/✘ acked-durable/);
    // The run folder keeps the truth as it was read; the server keeps no database of the lab's.
    const kept = new SQLite(join(dir, 'runs', 'crash-2s.ack-before-commit', 'db.sqlite'), { readonly: true });
    expect((kept.prepare('select count(*) as n from messages').get() as { n: number }).n).toBeGreaterThan(0);
    kept.close();
    const admin = new pg.Client({ connectionString: postgresAdminUrl() });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>("select datname from pg_database where datname like 'deliverylab%'");
    await admin.end();
    // A database of the lab's carries its maker's pid: none may outlive the process that made it.
    const orphans = rows.map((r) => r.datname).filter((name) => {
      try { process.kill(Number(name.split('_')[2]), 0); return false; } catch { return true; }
    });
    expect(orphans).toEqual([]);
  });

  it('on a Redis Cluster (redis-shard-failover): the default holds across the failover, the report names the topology, and no node is left running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const r = await runCli(['run', 'redis-shard-failover', '--json', join(dir, 'r.json'), '--out', join(dir, 'runs'), '--no-color', '-q']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { cluster: unknown; faults: { kind: string; healedAt: number | null }[]; stats: { acked: number; gapsFilled: number } };
    expect(report.cluster).toEqual({ nodes: 1, workersPerNode: 2, db: 'sqlite', redis: 'cluster' });
    expect(report.faults).toMatchObject([{ kind: 'redis-shard-failover' }]);
    expect(report.faults[0]!.healedAt).not.toBeNull();
    // The history tells the failover as the cluster did it: the primary killed, its replica promoted, the node back.
    const topology = readFileSync(join(dir, 'runs', 'redis-shard-failover.effectively-once', 'history.jsonl'), 'utf8').split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; change?: string; fromPort?: number; toPort?: number | null }).filter((e) => e.type === 'redis-topology');
    expect(topology.map((e) => e.change)).toEqual(['primary-killed', 'promoted', 'rejoined']);
    // Messages published while the shard had no primary were not heard live; the clients fetched them.
    expect(report.stats.gapsFilled).toBeGreaterThan(0);
    const left = await new Promise<string>((resolve) => {
      const ps = spawn('ps', ['-eo', 'args']);
      let out = '';
      ps.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      ps.on('close', () => resolve(out));
    });
    // redis-server shows its address in its process title: neither node of the failed-over shard is left.
    const ports = [...new Set(topology.flatMap((e) => [e.fromPort, e.toPort]).filter((p): p is number => typeof p === 'number'))];
    expect(ports).toHaveLength(2);
    expect(left.split('\n').filter((l) => ports.some((p) => l.includes(`127.0.0.1:${p} `)))).toEqual([]);
  });

  it.skipIf(process.getuid?.() !== 0)('three nodes in network namespaces (nodes-node-kill): the default holds while a whole node dies, the report names the topology, and no namespace is left', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const r = await runCli(['run', 'nodes-node-kill', '--json', join(dir, 'r.json'), '--out', join(dir, 'runs'), '--no-color', '-q']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { cluster: unknown; faults: { kind: string; target: string }[]; stats: { acked: number } };
    expect(report.cluster).toEqual({ nodes: 3, workersPerNode: 2, db: 'postgres', redis: 'single' });
    expect(report.faults).toMatchObject([{ kind: 'node-kill', target: 'node:1' }]);
    const events = readFileSync(join(dir, 'runs', 'nodes-node-kill.effectively-once', 'history.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; worker?: number; signal?: string | null });
    // Workers are numbered across the nodes: node 1's are 2 and 3, and both died with it.
    expect(new Set(events.filter((e) => e.type === 'worker-exit' && e.signal === 'SIGKILL').map((e) => e.worker))).toEqual(new Set([2, 3]));
    expect(new Set(events.filter((e) => e.type === 'connect').map((e) => e.worker))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const namespaces = await new Promise<string>((resolve) => {
      const ip = spawn('ip', ['netns', 'list']);
      let out = '';
      ip.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      ip.on('close', () => resolve(out));
    });
    // A namespace of the lab's carries its maker's pid: none may outlive the process that made it.
    const orphans = namespaces.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith('deliverylab-')).filter((n) => {
      try { process.kill(Number(n.split('-')[1]), 0); return false; } catch { return true; }
    });
    expect(orphans).toEqual([]);
  });

  it('a fault on the SQLite files in a scenario on PostgreSQL exits 2 naming it', async () => {
    const r = await runCli(['run', 'power-loss', '--db', 'postgres']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('faults.0.kind');
  });

  it('--repeat 2 runs a file scenario twice and says how often each invariant broke, schedule and outcome apart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const file = join(dir, 'crash-2s.json');
    writeFileSync(file, JSON.stringify(crash2s));
    const r = await runCli(['run', file, '--semantics', 'ack-before-commit', '--repeat', '2', '--json', join(dir, 'r.json'), '--out', join(dir, 'runs'), '--no-color', '-q']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^run 1\/2 {2}seed 1 {2}FAIL {2}acked-durable ×\d+/m);
    expect(r.stdout).toMatch(/^run 2\/2 {2}seed 2 {2}/m);
    expect(r.stdout).toMatch(/^acked-durable broke in [12]\/2 runs \(seeds? [12](, 2)?\)$/m);
    expect(r.stdout).toMatch(/^schedule reproduced in [12]\/2 runs/m);
    expect(r.stdout).toMatch(/^outcome reproduced in [12]\/2 runs/m);
    // The reproduce line names the file, not the scenario's name.
    expect(r.stdout).toContain(`reproduce: npx deliverylab run ${file} --seed 1 --semantics ack-before-commit`);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { repeat: { runs: number }; runs: unknown[] };
    expect(json.repeat.runs).toBe(2);
    expect(json.runs).toHaveLength(2);
  });

  it('--shrink saves a smaller failing scenario file, confirms it, and its reproduce line runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const file = join(dir, 'crash-2s.json');
    const out = join(dir, 'runs');
    writeFileSync(file, JSON.stringify(crash2s));
    const r = await runCli(['run', file, '--semantics', 'ack-before-commit', '--shrink', '--shrink-runs', '2', '--out', out, '--no-color', '-q']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('while acked-durable still breaks: budget 2 runs');
    // ddmin tries the whole fault list first (under ack-before-commit, acked-durable can break without it, by timing).
    expect(r.stdout).toMatch(/^ {2}try {2}1\/2: drop fault crash-point@500ms worker:0: acked-durable (held → undone|still broke → kept)$/m);
    expect(r.stdout).toMatch(/^ {2}try {2}2\/2: /m);
    expect(r.stdout).toMatch(/^shrunk: .*\(2 of 2 runs used\)$/m);
    expect(r.stdout).toMatch(/^confirmation run 1 \(of up to [23]\), the shrunk scenario: acked-durable (broke again|held this time)$/m);
    const saved = join(out, 'crash-2s.shrunk.json');
    expect(r.stdout).toContain(`saved ${saved}`);
    const shrunk = JSON.parse(readFileSync(saved, 'utf8')) as { name: string; seed: number; semantics: string; faults: unknown[] };
    expect(shrunk).toMatchObject({ name: 'crash-2s-shrunk', seed: 1, semantics: 'ack-before-commit' });
    const line = /^reproduce: npx deliverylab (run .*\.shrunk\.json .*)$/m.exec(r.stdout);
    expect(line?.[1]).toBe(`run ${saved} --seed 1 --semantics ack-before-commit`);
    const again = await runCli([...(line?.[1] ?? '').split(' '), '--out', join(dir, 'again'), '--no-color', '-q']);
    expect(again.stderr).toBe('');
    expect(again.code).not.toBe(2);
    expect(again.stdout).toContain('scenario crash-2s-shrunk  seed 1  semantics ack-before-commit');
  });

  it.each([
    { how: 'Ctrl-C (SIGINT to the whole process group)', kill: (pid: number) => process.kill(-pid, 'SIGINT'), code: 2 },
    { how: 'SIGINT to the runner alone', kill: (pid: number) => process.kill(pid, 'SIGINT'), code: 2 },
    { how: 'SIGTERM to the runner alone', kill: (pid: number) => process.kill(pid, 'SIGTERM'), code: 2 },
    { how: 'SIGKILL of the runner (no cleanup code runs)', kill: (pid: number) => process.kill(pid, 'SIGKILL'), code: null },
  ])('$how in the middle of a run leaves no redis-server, primary or worker behind', async ({ kill, code }) => {
    const dir = mkdtempSync(join(tmpdir(), 'dl-cli-'));
    const run = spawn(process.execPath, [DIST_CLI_PATH, 'run', 'worker-pause', '--out', join(dir, 'runs'), '--no-color'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
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
