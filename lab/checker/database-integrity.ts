import { faultsOfRun } from './faults.js';
import { Tally } from './tally.js';
import type { CheckInput, InvariantResult } from './types.js';
import { faultsText } from './words.js';

/** What one room's message rows look like, sorted by seq. */
interface RoomSeqs {
  head: number;
  missing: number;
  firstMissing: number | undefined;
  duplicate: number | undefined;
  nonPositive: number | undefined;
}

/** Sorts a room's seqs once and reads off its head, holes and repeats. */
function scan(seqs: number[], head: number): RoomSeqs {
  const sorted = Float64Array.from(seqs).sort();
  const out: RoomSeqs = { head: 0, missing: 0, firstMissing: undefined, duplicate: undefined, nonPositive: undefined };
  let expect = 1;
  let prev: number | undefined;
  for (const s of sorted) {
    if (s < 1 || !Number.isInteger(s)) out.nonPositive ??= s;
    if (prev === s) out.duplicate ??= s;
    prev = s;
    if (s === expect) expect++;
    else if (s > expect) {
      if (expect <= head) {
        out.firstMissing ??= expect;
        out.missing += Math.min(s - 1, head) - expect + 1;
      }
      expect = s + 1;
    }
  }
  if (expect <= head) {
    out.firstMissing ??= expect;
    out.missing += head - expect + 1;
  }
  out.head = sorted.length === 0 ? 0 : (sorted[sorted.length - 1] ?? 0);
  return out;
}

/** PRAGMA integrity_check is ok, every room's head is its highest seq, and seqs 1..head are each one row. */
export function databaseIntegrity({ history, db }: CheckInput): InvariantResult {
  const tally = new Tally('database-integrity');
  let faults: string[] | undefined;
  const fail = (text: string, room?: string): void =>
    tally.fail(() => {
      faults ??= faultsOfRun(history);
      return { text: `${text}; faults during the run: ${faultsText(faults)}`, ...(room === undefined ? {} : { room }), faults };
    });
  tally.checked++;
  if (!(db.integrity.length === 1 && db.integrity[0] === 'ok')) {
    const rows = db.integrity.length === 0 ? 'nothing' : db.integrity.slice(0, 3).map((r) => JSON.stringify(r)).join(', ');
    fail(`PRAGMA integrity_check returned ${rows}${db.integrity.length > 3 ? ` and ${db.integrity.length - 3} more rows` : ''} instead of "ok"`);
  }
  const byRoom = new Map<string, number[]>();
  for (let r = 0; r < db.messages.length; r++) {
    const m = db.messages[r]!;
    const list = byRoom.get(m.room);
    if (list === undefined) byRoom.set(m.room, [m.seq]);
    else list.push(m.seq);
  }
  const named = new Set<string>();
  for (const room of db.rooms) {
    tally.checked++;
    named.add(room.name);
    const r = scan(byRoom.get(room.name) ?? [], room.head);
    if (r.head !== room.head) fail(`room ${room.name} has head ${room.head} but its highest message seq is ${r.head}`, room.name);
    if (r.missing > 0) {
      const which = r.missing === 1 ? `seq ${r.firstMissing}` : `${r.missing} seqs (the first is ${r.firstMissing})`;
      fail(`room ${room.name} has head ${room.head} but ${which} of 1..${room.head} ${r.missing === 1 ? 'has' : 'have'} no message row`, room.name);
    }
    if (r.duplicate !== undefined) fail(`room ${room.name} has two message rows with seq ${r.duplicate}: UNIQUE(room, seq) does not hold`, room.name);
    if (r.nonPositive !== undefined) fail(`room ${room.name} has a message row with seq ${r.nonPositive}, not a positive integer`, room.name);
  }
  for (const [room, seqs] of byRoom) {
    if (named.has(room)) continue;
    tally.checked++;
    fail(`room ${room} has ${seqs.length} message rows but no row in the rooms table`, room);
  }
  return tally.result();
}
