import { FAILPOINTS, SEMANTICS, type FailpointName, type SemanticsName } from '../../src/protocol/index.js';
import { INVARIANTS, type InvariantName } from '../checker/index.js';
import { FAULTS } from '../nemesis/index.js';
import { UsageError } from './cli-errors.js';
import { builtinScenarioNames, loadScenario, SCENARIO_ALIASES } from './scenario-loader.js';

/** `deliverylab explain <name>`: what an invariant, fault, semantics variant, failpoint or scenario is. */
export async function explainCommand(name: string): Promise<string> {
  if (name in INVARIANTS) {
    const i = INVARIANTS[name as InvariantName];
    return `invariant ${name}\n  ${i.doc}\n\n${wrap(i.explain)}`;
  }
  const fault = FAULTS[name];
  if (fault) {
    const shape = 'shape' in fault.params ? Object.keys((fault.params as unknown as { shape: Record<string, unknown> }).shape) : [];
    return `fault ${name} (targets ${fault.targets})\n  ${fault.doc}\n  params: ${shape.length ? shape.join(', ') : 'none'}`;
  }
  if (name in SEMANTICS) return `semantics ${name}\n  ${SEMANTICS[name as SemanticsName].doc}`;
  if (name in FAILPOINTS) return `failpoint ${name}\n  ${FAILPOINTS[name as FailpointName].doc}`;
  if (name in SCENARIO_ALIASES) return `${await explainCommand(SCENARIO_ALIASES[name]!)}\n  (formerly called ${name})`;
  if (builtinScenarioNames().includes(name)) {
    const s = await loadScenario(name);
    return `scenario ${name}\n  ${s.description}\n  ${s.cluster.workers} workers, ${s.clients.count} clients in ${s.clients.rooms.join(', ')}, ${s.workload.ratePerSec} sends/s for ${s.workload.durationMs} ms\n` +
      s.faults.map((f) => `  at ${f.atMs} ms for ${f.forMs} ms: ${f.kind} on ${f.target} ${JSON.stringify(f.params)}`).join('\n');
  }
  throw new UsageError(`nothing named "${name}". Invariants: ${Object.keys(INVARIANTS).join(', ')}. Faults: ${Object.keys(FAULTS).join(', ')}. Semantics: ${Object.keys(SEMANTICS).join(', ')}. Failpoints: ${Object.keys(FAILPOINTS).join(', ')}.`);
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
