import { tokenOf, UserName } from '../protocol/auth.js';
import { loadAuthKey, verifyTokenSync } from '../protocol/node/auth-key.js';
import { MAX_CONNECTIONS_PER_USER, portsOf } from '../protocol/index.js';

/** What an upgrade request carries that the gate judges. */
export interface UpgradeRequest {
  query: string;
  authorization: string;
  origin: string;
  host: string;
}

/** The gate's answer: the user the connection is, or the HTTP status and reason it is turned away with. */
export type GateDecision = { ok: true; user: string } | { ok: false; status: '401 Unauthorized' | '403 Forbidden' | '429 Too Many Requests'; why: string };

/**
 * Who may open a WebSocket on this worker: a browser page only from the core's own host or an
 * allowed origin; a connection only with a valid token (its subject is the user), or in the insecure
 * teaching mode with a valid `?user=`; and a user with at most MAX_CONNECTIONS_PER_USER connections here.
 */
export class ConnectionGate {
  readonly #key: Uint8Array | undefined;
  readonly #insecure: boolean;
  readonly #origins: ReadonlySet<string>;
  readonly #perUser = new Map<string, number>();

  /** The node's own origins' ports (the shared port and every slot port) and the host it binds. */
  readonly #ports: ReadonlySet<number>;
  readonly #host: string;

  constructor(o: { secretFile: string; insecureDevUsers: boolean; allowOrigin: string; port: number; workers: number; host: string }) {
    this.#ports = new Set(portsOf(o.port, o.workers));
    this.#host = o.host;
    this.#insecure = o.insecureDevUsers;
    this.#key = o.insecureDevUsers ? undefined : loadAuthKey(o.secretFile, false);
    this.#origins = new Set(o.allowOrigin.split(',').filter(Boolean));
  }

  decide(r: UpgradeRequest): GateDecision {
    if (r.origin !== '' && !this.#originAllowed(r.origin, r.host)) return { ok: false, status: '403 Forbidden', why: `origin ${r.origin} may not connect (allowed: this host${this.#origins.size ? `, ${[...this.#origins].join(', ')}` : ''})` };
    const who = this.userOf(r.query, r.authorization);
    if (!who.ok) return who;
    const user = who.user;
    if ((this.#perUser.get(user) ?? 0) >= MAX_CONNECTIONS_PER_USER) return { ok: false, status: '429 Too Many Requests', why: `${user} already has ${MAX_CONNECTIONS_PER_USER} connections on this worker` };
    return { ok: true, user };
  }

  /** The user a request names: its token's subject, or in the insecure teaching mode its `?user=`. */
  userOf(query: string, authorization: string): { ok: true; user: string } | { ok: false; status: '401 Unauthorized'; why: string } {
    if (this.#insecure) {
      const name = UserName.safeParse(new URLSearchParams(query).get('user') ?? '');
      if (!name.success) return { ok: false, status: '401 Unauthorized', why: `?user= must be a user name: ${name.error.issues[0]?.message ?? 'missing'}` };
      return { ok: true, user: name.data };
    }
    const v = verifyTokenSync(this.#key!, tokenOf(query, authorization));
    if ('refused' in v) return { ok: false, status: '401 Unauthorized', why: v.why };
    return { ok: true, user: v.user };
  }

  /** A connection of `user` opened (after the upgrade). */
  opened(user: string): void {
    this.#perUser.set(user, (this.#perUser.get(user) ?? 0) + 1);
  }

  /** A connection of `user` closed. */
  closed(user: string): void {
    const n = (this.#perUser.get(user) ?? 1) - 1;
    if (n > 0) this.#perUser.set(user, n);
    else this.#perUser.delete(user);
  }

  #originAllowed(origin: string, host: string): boolean {
    if (this.#origins.has(origin)) return true;
    try {
      // The core's own page, served by any of its workers on the shared port or a slot port, over http(s).
      const from = new URL(origin);
      if (from.protocol !== 'http:' && from.protocol !== 'https:') return false;
      const port = Number(from.port || (from.protocol === 'https:' ? 443 : 80));
      if (!this.#ports.has(port)) return false;
      // The host the node binds, not the request's Host header (which a DNS-rebinding page controls);
      // a node bound to every interface can only go by the Host header.
      const wildcard = this.#host === '0.0.0.0' || this.#host === '::';
      const loopback = (h: string) => h === 'localhost' || h === '127.0.0.1' || h === '[::1]';
      if (wildcard) return from.hostname === new URL(`http://${host}`).hostname;
      return from.hostname === this.#host || (loopback(this.#host) && loopback(from.hostname));
    } catch {
      return false;
    }
  }
}
