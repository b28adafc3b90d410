import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** How long a child gets to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3000;

/** Thrown when a bench child process fails to start or dies; says which one and where its log is. */
export class BenchChildError extends Error {
  constructor(readonly child: string, detail: string) {
    super(`bench process "${child}" ${detail}`);
    this.name = 'BenchChildError';
  }
}

/**
 * The bench's forked children: each is stopped by `stopAll` (SIGTERM, then SIGKILL), and killed
 * outright if this process exits first. Forked children also exit on their own when the IPC
 * channel to this process closes.
 */
export class ChildGroup {
  readonly #children = new Set<ChildProcess>();
  readonly #onExit = () => {
    for (const c of this.#children) c.kill('SIGKILL');
  };

  constructor() {
    process.once('exit', this.#onExit);
  }

  /** Forks a compiled module with an IPC channel; its output goes to `log` (or is discarded). */
  fork(modulePath: string, args: string[], log?: NodeJS.WritableStream): ChildProcess {
    const child = fork(modulePath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
    if (log) {
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
    } else {
      child.stdout?.resume();
      child.stderr?.resume();
    }
    child.on('error', () => undefined);
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** Stops one child and resolves once it has exited. */
  async stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(t);
  }

  /** Stops every child still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#children].map((c) => this.stop(c)));
    process.removeListener('exit', this.#onExit);
  }
}

/** Resolves with the first IPC message from `child` that `accept` maps to a value; rejects if it exits or times out. */
export function awaitMessage<T>(child: ChildProcess, name: string, accept: (m: unknown) => T | undefined, timeoutMs: number, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      signal?.removeEventListener('abort', onAbort);
    };
    const onMessage = (m: unknown) => {
      const v = accept(m);
      if (v === undefined) return;
      cleanup();
      resolve(v);
    };
    const onExit = (code: number | null, sig: NodeJS.Signals | null) => {
      cleanup();
      reject(new BenchChildError(name, `exited (${sig ?? `code ${code}`}) before it answered`));
    };
    const onAbort = () => {
      cleanup();
      reject(new Error('the bench was interrupted'));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new BenchChildError(name, `did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Makes a forked child exit when its parent goes away (IPC closed) or asks it to stop. */
export function exitWithParent(cleanup?: () => void): void {
  const bye = () => {
    try { cleanup?.(); } finally { process.exit(0); }
  };
  process.on('disconnect', bye);
  process.on('SIGTERM', bye);
  process.on('SIGINT', () => undefined); // Ctrl-C reaches the whole group; the parent decides
}
