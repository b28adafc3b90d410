import { createBusMac, generateBusKey } from '../../../src/fanout/bus-mac.js';
import { OwnPublishes, receiveBusMessage } from '../../../src/fanout/bus.js';
import { encodeBusMessage, roomChannel } from '../../../src/protocol/index.js';
import type { MicroTask } from './micro-result.js';

/**
 * What a worker does with each message Redis brings it: another worker's (MAC, JSON, schema, then the
 * fan-out) and its own echo (every message it publishes comes back to it: dropped unread).
 */
export function busTasks(bodyBytes: number): MicroTask[] {
  const mac = createBusMac(generateBusKey());
  const room = 'bench-room-1';
  const frame = JSON.stringify({ type: 'msg', id: '01J5Z7Q8R9ST0000000000000A', room, seq: 12345, sender: 'user-42', body: 'x'.repeat(bodyBytes), ts: 1_700_000_000_000 });
  const channel = roomChannel(room);
  const other = encodeBusMessage({ type: 'msg', origin: 'w1:1001', frame }, room, mac);
  const published = new OwnPublishes();
  const own = published.remember(encodeBusMessage({ type: 'msg', origin: 'w0:1000', frame }, room, mac));
  let sink = 0;
  const o = { origin: 'w0:1000', onMessage: () => void (sink += 1) };
  return [
    { name: "bus receive: another worker's message (MAC, JSON, schema)", fn: () => { receiveBusMessage(channel, other, mac, o, published); }, itemsPerOp: 1, unit: 'messages' },
    { name: 'bus receive: its own echo (dropped unread)', fn: () => { receiveBusMessage(channel, own, mac, o, published); }, itemsPerOp: 1, unit: 'messages' },
    { name: 'bus publish: sign an envelope (HMAC-SHA256)', fn: () => { sink += encodeBusMessage({ type: 'msg', origin: 'w0:1000', frame }, room, mac).length; }, itemsPerOp: 1, unit: 'messages' },
  ];
}
