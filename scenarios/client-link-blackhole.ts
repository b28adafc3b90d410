import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'client-link-blackhole',
  description: "Client c0's own network link swallows everything for 2.5 s while the other clients' links are fine: its heartbeat goes unanswered, it drops the connection, and every reconnect hangs until the link heals; then it resends what was unacked with the same ids and catches up.",
  clients: { count: 4, rooms: ['lobby'] },
  workload: { ratePerSec: 100, durationMs: 4500 },
  faults: [{ kind: 'client-link', atMs: 1000, forMs: 2500, target: 'clients', params: { client: 'c0', mode: 'blackhole' } }],
  catches: { 'no-retry': ['sends-settled'] },
});
