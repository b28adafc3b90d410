import type { CheckInput } from '../checker/index.js';
import type { DbMessage, HistoryEvent } from './events.js';

/**
 * A clean run of about `events` history events for the checker: `rooms` rooms of `perRoom`
 * clients on 2 workers, one worker-kill fault window, every message sent, acked and delivered to
 * every member; the database holds exactly those messages.
 */
export function syntheticHistory(events: number, rooms = 5, perRoom = 10): CheckInput & { history: HistoryEvent[] } {
  const history: HistoryEvent[] = [];
  const messages: DbMessage[] = [];
  let t = 0;
  for (let r = 0; r < rooms; r++) {
    for (let c = 0; c < perRoom; c++) {
      const client = `c${r * perRoom + c}`;
      history.push({ type: 'connect', t, client, worker: c % 2, pid: 100 + (c % 2) });
      history.push({ type: 'join', t, client, room: `r${r}`, after: 0, worker: c % 2 });
    }
  }
  const heads = new Array<number>(rooms).fill(0);
  history.push({ type: 'fault-start', t, fault: 'k1', kind: 'worker-kill', target: 'w1', params: {} });
  for (let i = 0; history.length < events - perRoom - 2; i++) {
    t += 0.25;
    const r = i % rooms;
    const room = `r${r}`;
    const seq = (heads[r] = (heads[r] ?? 0) + 1);
    const id = `m${i}`;
    const sender = `c${r * perRoom}`;
    const body = `body ${i}`;
    history.push({ type: 'invoke', t, client: sender, room, id, body });
    history.push({ type: 'send', t, client: sender, room, id, body, attempt: 1, worker: 0 });
    messages.push({ id, room, seq, sender, body, created_at: t });
    history.push({ type: 'ack', t: t + 1, client: sender, room, id, seq, duplicate: false, worker: 0 });
    for (let c = 0; c < perRoom; c++) {
      const client = `c${r * perRoom + c}`;
      history.push({ type: 'sdk-deliver', t: t + 2 + c / 10, client, room, id, seq, sender, body, worker: c % 2 });
      history.push({ type: 'deliver', t: t + 2 + c / 10, client, room, id, seq, sender, body, worker: c % 2, path: 'live' });
    }
  }
  history.push({ type: 'fault-heal', t, fault: 'k1', kind: 'worker-kill', target: 'w1' });
  return { history, db: { messages, rooms: heads.map((head, r) => ({ name: `r${r}`, head })), integrity: ['ok'] } };
}
