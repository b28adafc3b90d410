/**
 * The rooms on the page: a tab and a message pane per room, each message id rendered once, in seq
 * order; the user's own sends shown pending until acked (then with their seq) or refused (with the
 * error code), those not yet with a seq after the others.
 */
import type { Ack, Message } from '../src/client/index.js';
import { h } from './dom.js';

/** How one message stands on the page. */
export type ItemState = 'pending' | 'acked' | 'refused' | 'delivered';

/** One message id on the page. */
export interface Item {
  readonly id: string;
  readonly room: string;
  /** The seq it is ordered by: from its delivery or its ack; null before either. */
  seq: number | null;
  readonly sender: string;
  readonly body: string;
  /** Sent from this page. */
  readonly own: boolean;
  state: ItemState;
  /** Own sends: attempts the SDK made (1 before any retry). */
  attempts: number;
  /** Own sends: the ack's seq and duplicate flag. */
  ack: Ack | null;
  /** Refused: the error code, and the message. */
  refusal: { code: string; message: string } | null;
  readonly el: HTMLElement;
}

/** One room: its tab, its pane, its messages by id. */
export class RoomView {
  readonly name: string;
  readonly pane: HTMLElement;
  readonly tab: HTMLButtonElement;
  readonly #unreadBadge: HTMLElement;
  readonly items = new Map<string, Item>();
  #unread = 0;
  /** The highest seq delivered to this page (its cursor as rendered). */
  delivered = 0;

  constructor(name: string, onSelect: (room: string) => void) {
    this.name = name;
    this.pane = h('div', { class: 'messages', 'data-testid': `messages-${name}`, 'data-room': name, role: 'log', hidden: true });
    this.#unreadBadge = h('span', { class: 'unread', 'data-testid': `unread-${name}`, hidden: true });
    this.tab = h('button', { type: 'button', 'data-testid': `room-${name}`, 'data-room': name }, name, this.#unreadBadge);
    this.tab.addEventListener('click', () => onSelect(name));
  }

  /** Shows or hides this room. */
  setActive(active: boolean): void {
    this.pane.hidden = !active;
    this.tab.setAttribute('aria-current', String(active));
    if (active) {
      this.#unread = 0;
      this.#renderUnread();
      this.pane.scrollTop = this.pane.scrollHeight;
    }
  }

  /** A message delivered by the SDK (each once per client; the page keeps each id once across clients too). */
  onDelivered(m: Message, active: boolean): void {
    this.delivered = Math.max(this.delivered, m.seq);
    const known = this.items.get(m.id);
    if (known) {
      if (known.seq === null) {
        known.seq = m.seq;
        this.#render(known);
        this.#place(known);
      }
      return;
    }
    const item = this.#create({ id: m.id, room: m.room, seq: m.seq, sender: m.sender, body: m.body, own: false, state: 'delivered' });
    this.#place(item);
    if (!active) {
      this.#unread++;
      this.#renderUnread();
    }
  }

  /** A send made on this page, pending until acked. */
  addOwn(id: string, sender: string, body: string): Item {
    const item = this.#create({ id, room: this.name, seq: null, sender, body, own: true, state: 'pending' });
    this.#place(item);
    return item;
  }

  /** The SDK made another attempt at an own send. */
  onAttempt(item: Item, attempt: number): void {
    item.attempts = Math.max(item.attempts, attempt);
    this.#render(item);
  }

  /** An own send's ack. */
  onAck(item: Item, ack: Ack): void {
    if (item.state === 'acked') return;
    item.state = 'acked';
    item.ack = ack;
    const moved = item.seq === null;
    item.seq ??= ack.seq;
    this.#render(item);
    if (moved) this.#place(item);
  }

  /** An own send refused (definitely not committed) or given up. */
  onRefused(item: Item, code: string, message: string): void {
    if (item.state === 'acked') return;
    item.state = 'refused';
    item.refusal = { code, message };
    this.#render(item);
  }

  #create(init: Pick<Item, 'id' | 'room' | 'seq' | 'sender' | 'body' | 'own' | 'state'>): Item {
    const el = h('div', { class: 'msg', 'data-testid': `msg-${init.id}`, 'data-id': init.id, 'data-own': String(init.own) },
      h('span', { class: 'seq' }), h('span', { class: 'sender' }, init.sender), ': ', h('span', { class: 'body' }, init.body), h('span', { class: 'status', 'data-testid': `msg-status-${init.id}` }));
    const item: Item = { ...init, attempts: init.own ? 1 : 0, ack: null, refusal: null, el };
    this.items.set(item.id, item);
    this.#render(item);
    return item;
  }

  /** Writes an item's state into its element. */
  #render(item: Item): void {
    const { el } = item;
    el.dataset['state'] = item.state;
    // An own send shows its seq once acked; until then it is pending, whatever came by.
    const shownSeq = item.own ? item.ack?.seq ?? null : item.seq;
    if (shownSeq === null) delete el.dataset['seq'];
    else el.dataset['seq'] = String(shownSeq);
    (el.querySelector('.seq') as HTMLElement).textContent = shownSeq === null ? '…' : `#${shownSeq}`;
    const status = el.querySelector('.status') as HTMLElement;
    switch (item.state) {
      case 'pending': status.textContent = item.attempts > 1 ? `pending (attempt ${item.attempts})` : 'pending'; break;
      case 'acked': status.textContent = `acked #${item.ack?.seq ?? '?'}${item.ack?.duplicate ? ' (duplicate: an earlier attempt got through)' : ''}`; break;
      case 'refused': status.textContent = `refused: ${item.refusal?.code ?? '?'}`; status.title = item.refusal?.message ?? ''; break;
      case 'delivered': status.textContent = ''; break;
    }
  }

  /** Puts an item where its seq says (those without one stay at the end, in the order made). */
  #place(item: Item): void {
    const pane = this.pane;
    const atBottom = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 40;
    const { el, seq } = item;
    if (seq === null) {
      if (!el.isConnected) pane.append(el);
    } else {
      el.dataset['order'] = String(seq);
      el.remove();
      let after = pane.lastElementChild as HTMLElement | null;
      while (after !== null && (after.dataset['order'] === undefined || Number(after.dataset['order']) > seq)) after = after.previousElementSibling as HTMLElement | null;
      if (after === null) pane.prepend(el);
      else after.after(el);
    }
    if (atBottom) pane.scrollTop = pane.scrollHeight;
  }

  #renderUnread(): void {
    this.#unreadBadge.hidden = this.#unread === 0;
    this.#unreadBadge.textContent = String(this.#unread);
  }
}
