import { checkAll } from '../../../lab/checker/index.js';
import { buildRunReport, type RunReport } from '../../../lab/report/index.js';
import type { SemanticsName } from '../../../src/protocol/index.js';
import { happy } from './history-builder.js';

/** A passing run report of the happy history. */
export function passingReport(semantics: SemanticsName = 'effectively-once'): RunReport {
  const input = happy().at(200).fault('k1', 'worker-kill', 'w1').at(300).heal('k1').phase('recovery').input();
  return buildRunReport({ scenario: 'kill-worker', seed: 42, semantics, durationMs: 1840, history: input.history, outcome: checkAll(input) });
}

/** A failing run report: a message acked, lost, and a body full of XML specials. */
export function failingReport(semantics: SemanticsName = 'ack-before-commit'): RunReport {
  const input = happy()
    .at(200)
    .fault('k1', 'crash-point', 'w0')
    .send('c1', 'r1', 'm<&">3', 'a <b> & "c"')
    .ack('c1', 'r1', 'm<&">3', 3)
    .heal('k1')
    .input();
  return buildRunReport({ scenario: 'crash-after-ack', seed: 7, semantics, durationMs: 2500, history: input.history, outcome: checkAll(input) });
}
