import { defineScenario } from '../lab/runner/scenario.js';

export default defineScenario({
  name: 'room-named-send',
  description:
    'Rooms vip-1, vip-2 and vip-3 are members-only (c1 alone may join them); every other client\'s SDK asks to join them and is refused. ' +
    'From 1 s, c0 sends three messages to lobby whose ids are vip-1, vip-2 and vip-3, each right after its connection drops, so that it goes ' +
    'out behind the reconnect\'s joins: the refusal of the join (forbidden, about the room vip-N) comes back before the send\'s ack and must ' +
    'not settle the send, which the core commits and acks.',
  clients: { count: 4, rooms: ['lobby', 'dev', 'vip-1', 'vip-2', 'vip-3'] },
  membersOnly: { 'vip-1': ['c1'], 'vip-2': ['c1'], 'vip-3': ['c1'] },
  workload: { ratePerSec: 100, durationMs: 3500 },
  faults: [
    { kind: 'room-named-send', atMs: 1000, target: 'clients', params: { client: 'c0', count: 3 } },
  ],
  catches: { 'errors-by-ref': ['sends-settled'] },
});
