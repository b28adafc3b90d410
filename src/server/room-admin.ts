/**
 * The core's room administration, as its own small program (`node dist/src/server/room-admin.js
 * <room> --db FILE --members a,b | --open`): makes a room members-only with these members, or open to
 * every user again, in the core's database. `deliverylab room` runs it. Exit 2 on bad input.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { UserName } from '../protocol/auth.js';
import { RoomName } from '../protocol/index.js';
import { migrate, openStore, resolveDb, setRoomAccess } from '../store/index.js';

const Args = z.object({
  room: RoomName,
  db: z.string().min(1),
  members: z.array(UserName).min(1).optional(),
  open: z.boolean(),
}).refine((a) => a.open !== (a.members !== undefined), 'give either --members a,b or --open');

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { db: { type: 'string', default: 'data/deliverylab.sqlite' }, members: { type: 'string' }, open: { type: 'boolean', default: false } } });
  const a = Args.safeParse({ room: positionals[0], db: values.db, members: values.members?.split(',').map((m) => m.trim()).filter(Boolean), open: values.open });
  if (!a.success) {
    process.stderr.write(`room: ${a.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}\n`);
    return 2;
  }
  const store = openStore(resolveDb(a.data.db), {});
  try {
    await migrate(store.db, { dedup: true });
    await setRoomAccess(store, a.data.room, a.data.members);
  } finally {
    await store.close();
  }
  process.stdout.write(a.data.members ? `room ${a.data.room} is members-only; members added: ${a.data.members.join(', ')}\n` : `room ${a.data.room} is open to every user\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`room: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
