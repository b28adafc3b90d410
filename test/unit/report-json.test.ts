import { describe, expect, it } from 'vitest';
import { checkAll } from '../../lab/checker/index.js';
import { buildRunReport, renderJson, type RunReport } from '../../lab/report/index.js';
import { failingReport, passingReport } from './support/reports.js';
import { happy, lab } from './support/history-builder.js';

describe('JSON report', () => {
  it("has the schema's keys, in order", () => {
    const json = JSON.parse(renderJson(failingReport())) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['scenario', 'seed', 'semantics', 'ok', 'durationMs', 'reproduce', 'invariants', 'stats', 'faults', 'story']);
    expect(json['reproduce']).toBe('npx deliverylab run crash-after-ack --seed 7 --semantics ack-before-commit');
    expect(json).toMatchObject({ scenario: 'crash-after-ack', seed: 7, semantics: 'ack-before-commit', ok: false, durationMs: 2500 });
    const [first] = json['invariants'] as Record<string, unknown>[];
    expect(Object.keys(first ?? {}).slice(0, 5)).toEqual(['name', 'ok', 'checked', 'violations', 'examples']);
    expect(Object.keys(json['stats'] as object)).toEqual(
      expect.arrayContaining(['sent', 'acked', 'dbMessages', 'deliveries', 'duplicatesDropped', 'gapsFilled', 'latencyMs', 'refused', 'unsettled', 'unsettledNotInDb']),
    );
    expect(json['faults']).toEqual([{ kind: 'crash-point', target: 'w0', at: 200, healedAt: 230 }]);
  });

  it('keeps every counterexample, each with its cause, and the counts per cause', () => {
    // Twelve acked messages lost: more than the terminal shows, all of them in the JSON.
    let h = happy().at(200).fault('k1', 'crash-point', 'worker:0');
    for (let i = 3; i <= 10; i++) h = h.send('c1', 'r1', `m${i}`, 'x').ack('c1', 'r1', `m${i}`, i);
    h = h.at(400).heal('k1').at(5000);
    for (let i = 11; i <= 14; i++) h = h.send('c1', 'r1', `m${i}`, 'x').ack('c1', 'r1', `m${i}`, i);
    const input = h.input();
    const report = buildRunReport({ scenario: 's', seed: 1, semantics: 'ack-before-commit', durationMs: 6000, history: input.history, outcome: checkAll(input) });
    const json = JSON.parse(renderJson(report)) as RunReport;
    const acked = json.invariants.find((r) => r.name === 'acked-durable')!;
    expect(acked.violations).toBe(12);
    expect(acked.examples).toHaveLength(12);
    expect(acked.causes).toEqual([{ cause: 'crash-point worker:0', count: 8 }, { cause: 'none', count: 4 }]);
    expect(acked.examples.map((e) => e.cause)).toEqual([...Array<string>(8).fill('crash-point worker:0'), ...Array<string>(4).fill('none')]);
  });

  it('a fault that ended shortly before a message was sent is still its cause', () => {
    const input = happy().at(200).fault('k1', 'worker-kill', 'worker:1').heal('k1').at(600).send('c1', 'r1', 'm3', 'x').ack('c1', 'r1', 'm3', 3).input();
    const report = buildRunReport({ scenario: 's', seed: 1, semantics: 'ack-before-commit', durationMs: 1000, history: input.history, outcome: checkAll(input) });
    expect(report.invariants.find((r) => r.name === 'acked-durable')?.examples[0]).toMatchObject({ id: 'm3', faults: [], cause: 'worker-kill worker:1' });
  });

  it('a crash point counts from when it fired, not from when it was armed', () => {
    // m3 is acked at 300 and lost; the crash point is armed at 600 (within the window) but fires only at 2500.
    const h = happy().at(300).send('c1', 'r1', 'm3', 'x').ack('c1', 'r1', 'm3', 3).at(600).fault('x1', 'crash-point', 'worker:0');
    h.events.push({ type: 'failpoint-fired', t: 2500, worker: 0, pid: 1000, failpoint: 'crash.before-commit', detail: 'send m4' });
    const input = h.at(2600).heal('x1').input();
    const report = buildRunReport({ scenario: 's', seed: 1, semantics: 'ack-before-commit', durationMs: 2700, history: input.history, outcome: checkAll(input) });
    expect(report.invariants.find((r) => r.name === 'acked-durable')?.examples[0]).toMatchObject({ id: 'm3', faults: [], cause: 'none' });
  });

  it('names the scenario file, the writer and the failpoints that fired', () => {
    const fired = [{ at: 210, worker: 0, pid: 4242, failpoint: 'crash.before-commit', detail: 'send m9' }];
    const json = JSON.parse(renderJson({ ...failingReport(), scenarioFile: 'runs/x.shrunk.json', writer: 'worker', fired })) as Record<string, unknown>;
    expect(Object.keys(json).slice(0, 4)).toEqual(['scenario', 'scenarioFile', 'seed', 'semantics']);
    expect(json['writer']).toBe('worker');
    expect(json['fired']).toEqual(fired);
    expect(json['reproduce']).toBe('npx deliverylab run runs/x.shrunk.json --seed 7 --semantics ack-before-commit --writer worker');
  });

  it('keeps phases and error when present', () => {
    const json = JSON.parse(renderJson({ ...passingReport(), error: 'timed out' })) as Record<string, unknown>;
    expect(json['phases']).toEqual([{ phase: 'recovery', at: 310 }]);
    expect(json['error']).toBe('timed out');
  });

  it('a run that never reached the check phase is not ok and says why', () => {
    const r = buildRunReport({ scenario: 's', seed: 1, semantics: 'effectively-once', durationMs: 5, history: lab().fault('k', 'worker-kill', 'w0').events });
    expect(r).toMatchObject({ ok: false, invariants: [], error: 'the run ended before the check phase' });
    expect(r.faults).toEqual([{ kind: 'worker-kill', target: 'w0', at: 0, healedAt: null }]);
  });
});
