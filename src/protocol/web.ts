import { z } from 'zod';

/**
 * The web chat (the page at `/`, bundled from web/chat.ts): the config a server may embed in the
 * page as `window.DELIVERYLAB_CONFIG`, and the fault-command exchange the page's cluster panel
 * speaks when that config names a command URL. The core's own page sets no config (no controls);
 * another server (the lab's) serves the same page with one (`chatPageHtml(config)`).
 */

/** A ws:// or wss:// origin, without a path: `ws://127.0.0.1:20123`. */
const WsBase = z.string().regex(/^wss?:\/\/[^/?#\s]+$/, 'a ws:// or wss:// origin without a path, e.g. ws://127.0.0.1:8080');
/** A URL the page fetches: absolute http(s), or a path on the page's own origin. */
const PageUrl = z.string().min(1).max(2048).regex(/^(https?:\/\/[^\s]+|\/[^\s]*)$/, 'an http(s):// URL or a path starting with /');

/** The page's config (`window.DELIVERYLAB_CONFIG`); every field is optional. */
export const WebConfig = z.object({
  /** Where the workers' WebSockets are: the shared port's origin (worker k is on its slot port). @default the page's own host */
  wsBase: WsBase.optional(),
  /** Where the cluster panel reads the cluster's view (`ClusterBody`). @default '/cluster' */
  clusterUrl: PageUrl.optional(),
  /** Present: the cluster panel shows fault controls, each posting a `FaultCommandRequest` to `commandUrl`. */
  controls: z.object({ commandUrl: PageUrl }).strict().optional(),
  /** A token the page connects with (`?token=` in the page's own URL wins); the lab's console hands its page one. */
  token: z.string().regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a token is three base64url parts (deliverylab token <user>)').optional(),
}).strict();
export type WebConfig = z.infer<typeof WebConfig>;

/** One fault command, as text: `kill <slot>`, `stop <slot>`, `pause <slot>`, `resume <slot>`, `partition <slot> cut|blackhole`, `heal`, `redis restart`, or any other the receiving server knows. */
export const FaultCommandRequest = z.object({ command: z.string().trim().min(1).max(1000) });
export type FaultCommandRequest = z.infer<typeof FaultCommandRequest>;

/** The answer to a fault command: whether it was carried out, and what it printed. */
export const FaultCommandReply = z.object({ ok: z.boolean(), output: z.string() });
export type FaultCommandReply = z.infer<typeof FaultCommandReply>;

/** The fault commands the cluster panel has buttons for, one worker slot each (`partition` takes a mode too). */
export const WORKER_FAULT_COMMANDS = ['kill', 'stop', 'pause', 'resume', 'partition cut', 'partition blackhole'] as const;
/** The cluster-wide fault commands the cluster panel has buttons for. */
export const GLOBAL_FAULT_COMMANDS = ['heal', 'redis restart'] as const;

/** The text of a per-worker fault command: `kill 0`, `partition 1 cut`. */
export function workerFaultCommand(command: (typeof WORKER_FAULT_COMMANDS)[number], slot: number): string {
  const [verb, mode] = command.split(' ');
  return mode === undefined ? `${verb} ${slot}` : `${verb} ${slot} ${mode}`;
}
