import type { WorkerToPrimary } from '../protocol/index.js';

/** How a worker talks to its primary: the cluster IPC, or direct calls when the core runs in one process. */
export interface WorkerChannel {
  /** Sends a message to the primary; false when the channel is closed. */
  send(m: WorkerToPrimary): boolean;
  /** Receives every message the primary sends (validated by the worker). */
  onMessage(handler: (raw: unknown) => void): void;
  /** Called once when the primary is gone. */
  onGone(handler: () => void): void;
  /** False once the primary is gone. */
  readonly connected: boolean;
}

/** The cluster IPC of a forked worker. */
export function processChannel(): WorkerChannel {
  return {
    // The callback makes a write to a primary that just died a no-op instead of an 'error' event.
    // process.send's own result is not the answer: false there means "queued behind a backlog" (a burst
    // of large commits), and the message is still delivered; only a closed channel loses it.
    send: (m) => {
      if (!process.connected || process.send === undefined) return false;
      process.send(m, undefined, {}, () => undefined);
      return true;
    },
    onMessage: (h) => void process.on('message', h),
    onGone: (h) => void process.on('disconnect', h),
    get connected() { return process.connected; },
  };
}
