import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'redis-link-bandwidth',
  description: "Worker 1's Redis subscriber link carries only 2 KB/s for 2 s while 100 messages a second flow: a backlog builds, its clients see the database heads run ahead, fetch, and then drop the late live copies as duplicates.",
  clients: { count: 4, rooms: ['lobby'] },
  workload: { ratePerSec: 100, durationMs: 3500 },
  faults: [{ kind: 'link-bandwidth', atMs: 1000, forMs: 2000, target: 'worker:1', params: { rateKBps: 2, stream: 'downstream', link: 'sub' } }],
  catches: { 'no-client-dedup': ['exactly-once-effect'] },
});
