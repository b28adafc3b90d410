import { FAILPOINTS, SEMANTICS, type FailpointName, type SemanticsName } from '../../src/protocol/index.js';
import { INVARIANTS, type InvariantName } from '../checker/index.js';
import { FAULTS } from '../nemesis/index.js';
import { UsageError } from './cli-errors.js';
import { findTerm, TERMS } from '../explore/terms.js';
import { EXERCISES } from '../explore/exercises.js';
import { builtinScenarioNames, loadScenario, SCENARIO_ALIASES } from './scenario-loader.js';

/** `deliverylab explain <name>`: what an invariant, fault, semantics variant, failpoint or scenario is. */
export async function explainCommand(name: string): Promise<string> {
  // One name may be several things (at-least-once is an invariant and a semantics variant): say every one.
  const found: string[] = [];
  if (name in INVARIANTS) {
    const i = INVARIANTS[name as InvariantName];
    found.push(`invariant ${name}\n  ${i.doc}\n\n${wrap(i.explain)}`);
  }
  const fault = FAULTS[name];
  if (fault) {
    const shape = 'shape' in fault.params ? Object.keys((fault.params as unknown as { shape: Record<string, unknown> }).shape) : [];
    found.push(`fault ${name} (targets ${fault.targets})\n  ${fault.doc}\n  params: ${shape.length ? shape.join(', ') : 'none'}`);
  }
  if (name in SEMANTICS) {
    const v = SEMANTICS[name as SemanticsName];
    found.push(`semantics ${name} (${v.kind})\n  ${v.doc}`);
  }
  if (name in FAILPOINTS) found.push(`failpoint ${name}\n  ${FAILPOINTS[name as FailpointName].doc}`);
  const scenario = SCENARIO_ALIASES[name] ?? name;
  if (builtinScenarioNames().includes(scenario)) {
    const s = await loadScenario(scenario);
    const catches = Object.entries(s.catches).map(([v, inv]) => `${v} (breaks ${(inv ?? []).join(', ')})`);
    found.push(`scenario ${scenario}${scenario !== name ? ` (formerly called ${name})` : ''}\n  ${s.description}\n  ${s.cluster.workers} workers, ${s.clients.count} clients${s.clients.listeners ? ` and ${s.clients.listeners.count} listeners` : ''} in ${s.clients.rooms.join(', ')}, ${s.workload.ratePerSec} sends/s for ${s.workload.durationMs} ms\n` +
      s.faults.map((f) => `  at ${f.atMs} ms for ${f.forMs === 'end' ? 'the rest of the workload' : `${f.forMs} ms`}: ${f.kind} on ${f.target} ${JSON.stringify(f.params)}`).join('\n') +
      (catches.length ? `\n  catches: ${catches.join('; ')}` : ''));
  }
  const exercise = EXERCISES.find((e) => e.name === name);
  if (exercise) found.push(`exercise ${name} (deliverylab exercise ${name})\n  ${exercise.question}\n  runs scenario ${exercise.scenario} under ${exercise.semantics}\n${wrap(exercise.why)}`);
  const term = findTerm(name);
  if (term !== undefined) found.push(`report term "${term}"\n${wrap(TERMS[term])}`);
  if (found.length > 0) return found.join('\n\n');
  throw new UsageError(`nothing named "${name}". Invariants: ${Object.keys(INVARIANTS).join(', ')}. Faults: ${Object.keys(FAULTS).join(', ')}. Semantics: ${Object.keys(SEMANTICS).join(', ')}. Failpoints: ${Object.keys(FAILPOINTS).join(', ')}. Scenarios: ${builtinScenarioNames().join(', ')}. Exercises: ${EXERCISES.map((e) => e.name).join(', ')}. Report terms: ${Object.keys(TERMS).join(', ')}.`);
}

function wrap(text: string, width = 96): string {
  const out: string[] = [];
  let line = ' ';
  for (const w of text.split(/\s+/)) {
    if (line.length + w.length + 1 > width) { out.push(line); line = ' '; }
    line += ` ${w}`;
  }
  out.push(line);
  return out.join('\n');
}
