import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-link-drop-bursts',
  description: "Worker 1's Redis links lose packets in bursts for 2.5 s (a burst of 400 ms starts on 10% of chunks; each chunk in it is retransmitted 300 ms later): messages stall and arrive in clumps; the heads run ahead, clients fetch, and drop the late copies.",
  clients: { count: 4, rooms: ['lobby'] },
  workload: { ratePerSec: 100, durationMs: 3500 },
  faults: [{ kind: 'link-drop-bursts', atMs: 800, forMs: 2500, target: 'worker:1', params: { burstProbability: 0.1, burstMs: 400, retransmitMs: 300 } }],
  catches: { 'no-client-dedup': ['exactly-once-effect'] },
});
