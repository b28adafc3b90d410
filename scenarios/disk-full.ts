import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'disk-full',
  description: 'The disk is full for 1.5 s: every commit fails with SQLITE_FULL, nothing is acked, each send gets an indefinite error (unavailable) and is retried with the same id until the disk has room again; then every send is acked once and every client catches up.',
  clients: { count: 4, rooms: ['lobby', 'dev'] },
  workload: { ratePerSec: 100, durationMs: 4000 },
  faults: [{ kind: 'disk-full', atMs: 1500, forMs: 1500, target: 'core', params: { error: 'ENOSPC' } }],
  catches: { 'no-retry': ['sends-settled'] },
});
