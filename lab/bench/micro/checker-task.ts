import { checkAll } from '../../checker/index.js';
import type { MicroTask } from './micro-result.js';
import { syntheticHistory } from '../../history/synthetic-history.js';

/** The checker (every invariant plus the stats, `checkAll`) over a synthetic clean history of about `events` events. */
export function checkerTask(events: number): MicroTask & { events: number } {
  const input = syntheticHistory(events);
  const n = input.history.length;
  return {
    name: `checkAll over a history of ${n.toLocaleString('en-US')} events`,
    fn: () => {
      // A fresh array each time: the checkers index a history once and share the index, and a benchmark
      // that reused one array would time that index once and then measure cache hits.
      const out = checkAll({ ...input, history: input.history.slice() });
      if (!out.ok) throw new Error(`the checker failed a clean synthetic history: ${out.results.filter((r) => !r.ok).map((r) => r.name).join(', ')}`);
    },
    itemsPerOp: n,
    unit: 'events',
    events: n,
  };
}
