/**
 * What a scenario says it shows, shown: `crash-before-commit` under the seeded bug ack-before-commit
 * reports an acked message missing from the database (the one the crash point fired on), and a run
 * directory holds the core's trace events and each delivery's path.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';


const lines = (file: string): Record<string, unknown>[] => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('advertised failures', () => {
  it('crash-before-commit under ack-before-commit: the acked message the crash hit is missing from the database', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dl-advertised-'));
    const json = join(out, 'r.json');
    const r = await runCli(['run', 'crash-before-commit', '--semantics', 'ack-before-commit', '--no-color', '-q', '--out', out, '--json', json]);
    expect(r.code).toBe(1);
    const dir = join(out, 'crash-before-commit.ack-before-commit');
    const history = lines(join(dir, 'history.jsonl'));
    const fired = history.find((e) => e.type === 'failpoint-fired');
    const id = /id (\w+)/.exec(String(fired?.detail))?.[1];
    expect(id, 'the crash point fired on a send').toBeDefined();
    expect(history.some((e) => e.type === 'ack' && e.id === id), 'the application got an ack for it').toBe(true);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { invariants: { name: string; ok: boolean; examples: { id?: string; text: string }[] }[] };
    const acked = report.invariants.find((i) => i.name === 'acked-durable')!;
    expect(acked.ok).toBe(false);
    const example = acked.examples.find((e) => e.id === id);
    expect(example?.text).toContain('is missing from the database');
    expect(example?.text).toContain('crash-point worker:0');

    // The run directory: the core's own trace events, and each delivery's path.
    const kinds = new Set(history.filter((e) => e.type === 'trace').map((e) => (e.trace as { what: string }).what));
    for (const k of ['commit', 'ack', 'publish', 'bus-receive', 'fanout', 'head']) expect(kinds, `trace ${k}`).toContain(k);
    const deliveries = lines(join(dir, 'deliveries.jsonl'));
    expect(deliveries.length).toBeGreaterThan(0);
    expect(new Set(deliveries.map((d) => d.path))).toContain('live-bus');
  });
});
