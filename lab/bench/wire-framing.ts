import type { ServerFrame } from '../../src/protocol/index.js';
import type { ClientFraming, Incoming } from './client-framing.js';

/** deliverylab's own wire protocol (JSON text frames, see src/protocol/frames.ts). */
export class WireFraming implements ClientFraming {
  url(base: string, user: string): string {
    return `${base}?user=${encodeURIComponent(user)}`;
  }

  joinFrame(room: string): string {
    return `{"type":"join","room":${JSON.stringify(room)},"after":0,"replay":false}`;
  }

  sendFrame(id: string, room: string, body: string): string {
    return `{"type":"send","id":"${id}","room":"${room}","body":"${body}"}`;
  }

  fetchFrame(room: string, after: number, limit: number): string {
    return `{"type":"fetch","room":${JSON.stringify(room)},"after":${after},"limit":${limit}}`;
  }

  parse(text: string): Incoming {
    const f = JSON.parse(text) as ServerFrame;
    switch (f.type) {
      case 'msg': return { kind: 'msg', id: f.id, room: f.room, seq: f.seq, sender: f.sender, body: f.body };
      case 'ack': return { kind: 'ack', id: f.id, seq: f.seq };
      case 'welcome': return { kind: 'welcome' };
      case 'joined': return { kind: 'joined', room: f.room };
      case 'fetched': return { kind: 'fetched', room: f.room, count: f.count };
      case 'error': return { kind: 'error', message: `${f.code}: ${f.message}`, ...(f.ref === undefined ? {} : { ref: f.ref }) };
      default: return { kind: 'ignore' };
    }
  }
}
