import type { HistoryEvent } from '../history/events.js';
import { eventsOf } from './events-of.js';

/**
 * The (client, room) pairs, as `client\nroom`, of members-only rooms a client was refused: every answer to its
 * joins was a `forbidden` error about the room (no nonce: not about a send), and no `joined` ever came. Such a
 * client is no member of the room and is owed nothing there (at-least-once, the stats, a message's story).
 * Undefined when there are none.
 */
export function refusedRooms(history: readonly HistoryEvent[]): Set<string> | undefined {
  let refused: Set<string> | undefined;
  const frames = eventsOf(history, 'frame');
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (f.frame === 'error' && f.code === 'forbidden' && f.id !== undefined && f.nonce === undefined) (refused ??= new Set()).add(`${f.client}\n${f.id}`);
  }
  if (refused === undefined) return undefined;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (f.frame === 'joined' && f.room !== undefined) refused.delete(`${f.client}\n${f.room}`);
  }
  return refused.size > 0 ? refused : undefined;
}

/** Whether `client` was refused `room` (see `refusedRooms`). */
export function wasRefused(refused: ReadonlySet<string> | undefined, client: string, room: string): boolean {
  return refused !== undefined && refused.has(`${client}\n${room}`);
}
