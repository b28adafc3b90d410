import type { ClientFraming, Incoming } from '../client-framing.js';

/**
 * The bench's operations as Socket.IO v4 packets over a plain WebSocket (Engine.IO v4, websocket
 * transport only): `42<ack>["join",{room}]`, `42<ack>["send",{id,room,body}]` answered by
 * `43<ack>[...]`, and `42["msg",{...}]` broadcasts. Speaking the packets directly keeps the client's
 * cost per message the same as for deliverylab's frames.
 */
export class SocketIoFraming implements ClientFraming {
  #ackId = 0;

  url(base: string, user: string): string {
    return `${base}/socket.io/?EIO=4&transport=websocket&user=${encodeURIComponent(user)}`;
  }

  joinFrame(room: string): string {
    return `42${this.#ackId++}["join",{"room":${JSON.stringify(room)}}]`;
  }

  sendFrame(id: string, room: string, body: string): string {
    return `42${this.#ackId++}["send",{"id":"${id}","room":"${room}","body":"${body}"}]`;
  }

  parse(text: string): Incoming {
    const c0 = text.charCodeAt(0);
    if (c0 === 0x32 /* '2' engine ping */ && text.length === 1) return { kind: 'reply', frame: '3' };
    if (c0 === 0x30 /* '0' engine open */) return { kind: 'reply', frame: '40' };
    if (c0 !== 0x34 /* '4' engine message */) return { kind: 'ignore' };
    const t = text.charCodeAt(1);
    if (t === 0x30 /* '0' socket connect */) return { kind: 'welcome' };
    if (t === 0x34 /* '4' connect error */) return { kind: 'error', message: text.slice(2) };
    const open = text.indexOf('[');
    if (open < 0) return { kind: 'ignore' };
    const args = JSON.parse(text.slice(open)) as unknown[];
    if (t === 0x33 /* '3' ack */) {
      const a = args[0] as { id?: string; seq?: number; room?: string; error?: string };
      if (a.error !== undefined) return { kind: 'error', message: a.error, ...(a.id === undefined ? {} : { ref: a.id }) };
      if (a.id !== undefined) return { kind: 'ack', id: a.id, seq: a.seq ?? 0 };
      return { kind: 'joined', room: a.room ?? '' };
    }
    if (t === 0x32 /* '2' event */ && args[0] === 'msg') {
      const m = args[1] as { id: string; room: string; seq: number; sender: string; body: string };
      return { kind: 'msg', id: m.id, room: m.room, seq: m.seq, sender: m.sender, body: m.body };
    }
    return { kind: 'ignore' };
  }
}
