import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-link-slicer',
  description: "Everything Redis sends worker 1 arrives in pieces of 4-12 bytes, 2 ms apart, for 2 s: every message is cut mid-frame and falls behind; the clients on worker 1 fetch what the heads show is missing and drop the late live copies.",
  clients: { count: 4, rooms: ['lobby'] },
  workload: { ratePerSec: 100, durationMs: 3500 },
  faults: [{ kind: 'link-slicer', atMs: 1000, forMs: 2000, target: 'worker:1', params: { averageBytes: 8, variationBytes: 4, delayUs: 2000, stream: 'downstream' } }],
  catches: { 'no-client-dedup': ['exactly-once-effect'] },
});
