import { msgFrame, parseFrame } from '../../../src/server/index.js';
import type { MicroTask } from './micro-result.js';

/** Frame validation (the worker's parseFrame: size check, UTF-8 decode, JSON.parse, zod) and msg serialization. */
export function frameTasks(bodyBytes: number): MicroTask[] {
  const body = 'x'.repeat(bodyBytes);
  const send = JSON.stringify({ type: 'send', id: '01J5Z7Q8R9ST0000000000000A', room: 'bench-room-1', body });
  const sendBytes = new TextEncoder().encode(send);
  const sendBuffer = sendBytes.buffer.slice(sendBytes.byteOffset, sendBytes.byteOffset + sendBytes.byteLength) as ArrayBuffer;
  const row = { id: '01J5Z7Q8R9ST0000000000000A', room: 'bench-room-1', seq: 12345, sender: 'user-42', body, created_at: 1_700_000_000_000 };
  let sink = 0;
  return [
    { name: 'parseFrame(send) from an ArrayBuffer (the worker path)', fn: () => { sink += parseFrame(sendBuffer).ok ? 1 : 0; }, itemsPerOp: 1, unit: 'frames' },
    { name: 'parseFrame(send) from a string', fn: () => { sink += parseFrame(send).ok ? 1 : 0; }, itemsPerOp: 1, unit: 'frames' },
    { name: 'JSON.parse(send) alone (baseline)', fn: () => { sink += (JSON.parse(send) as { type: string }).type.length; }, itemsPerOp: 1, unit: 'frames' },
    { name: 'serialize a msg frame (msgFrame)', fn: () => { sink += msgFrame(row).length; }, itemsPerOp: 1, unit: 'frames' },
  ];
}
