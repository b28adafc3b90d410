import { writeSync } from 'node:fs';
import { crashFailpoint, mulberry32, type CrashPoint, type FailpointName, type FailpointParams } from '../protocol/index.js';

/** What failpoints act on besides the send path: the worker's bus (`redis.unsubscribe`). */
export interface FailpointTargets {
  /** Drops (true) or restores (false) every Redis subscription while the worker believes it is subscribed. */
  silenceBus?: (on: boolean) => void;
}

interface Armed { params: FailpointParams; random: () => number; count: number }

/**
 * The failpoints of one worker: all off unless armed through the control channel.
 * Crash points count the sends that reach them and kill the process with SIGKILL on the nth.
 */
export class Failpoints {
  #armed = new Map<FailpointName, Armed>();
  #onChange: (name: FailpointName, armed: boolean) => void;
  #label: string;
  #onFire: (name: FailpointName, detail: string) => void;
  #targets: FailpointTargets;

  constructor(label: string, hooks: { onChange?: (name: FailpointName, armed: boolean) => void; onFire?: (name: FailpointName, detail: string) => void } = {}, targets: FailpointTargets = {}) {
    this.#label = label;
    this.#targets = targets;
    this.#onChange = hooks.onChange ?? (() => undefined);
    this.#onFire = hooks.onFire ?? (() => undefined);
  }

  /** Arms a failpoint with its parameters (re-arming resets its counter and its random source). */
  arm(name: FailpointName, params: FailpointParams): void {
    this.#armed.set(name, { params, random: mulberry32(params.seed), count: 0 });
    this.#apply(name, true);
    this.#onChange(name, true);
  }

  /** Disarms one failpoint, or all of them. */
  disarm(name?: FailpointName): void {
    const names = name ? [name] : [...this.#armed.keys()];
    for (const n of names) {
      if (!this.#armed.delete(n)) continue;
      this.#apply(n, false);
      this.#onChange(n, false);
    }
  }

  /** Failpoints that change a state rather than a step of the send path take effect on arming and end on disarming. */
  #apply(name: FailpointName, on: boolean): void {
    switch (name) {
      case 'redis.unsubscribe': return this.#targets.silenceBus?.(on);
      default: return undefined;
    }
  }

  /** The armed failpoint names. */
  get armed(): FailpointName[] {
    return [...this.#armed.keys()];
  }

  /** True when the crash point is armed (the send path makes what precedes it observable first). */
  isArmed(point: CrashPoint): boolean {
    return this.#armed.has(crashFailpoint(point));
  }

  /** Called at each crash point of the send path; dies here on the armed point's nth send. */
  reach(point: CrashPoint, what: string): void {
    const name = crashFailpoint(point);
    const a = this.#armed.get(name);
    if (!a) return;
    a.count += 1;
    if (a.count < a.params.nth) return;
    const detail = `send #${a.count} (${what})`;
    // Best effort: an IPC write is attempted synchronously, so the primary usually hears of it.
    this.#onFire(name, detail);
    // Synchronous on purpose: nothing after this instant may run (no ack, no publish, no flush).
    writeSync(2, `failpoint ${name} fired in ${this.#label} on ${detail}: SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  }

  /** How many copies of this publish to send (2 when publish.duplicate fires). */
  publishCopies(): number {
    const a = this.#armed.get('publish.duplicate');
    return a && a.random() < a.params.probability ? 2 : 1;
  }

  /** Milliseconds to hold this publish back (publish.delay), or 0. */
  publishDelayMs(): number {
    const a = this.#armed.get('publish.delay');
    if (!a || a.random() >= a.params.probability) return 0;
    return Math.floor(a.random() * a.params.windowMs);
  }
}
