import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** Kernel clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat CPU times. */
export function clockTicksPerSec(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used, read from /proc/<pid>/stat, or NaN if it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return (utime + stime) / clockTicksPerSec();
  } catch {
    return NaN;
  }
}

/** Resident set size in bytes from /proc/<pid>/status (VmRSS), or NaN if the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** The soft limit on open files of this process (`Max open files` in /proc/self/limits). */
export function openFileLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return !m || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** CPU use of named processes over a window, as a percentage of one core. */
export class CpuWindow {
  readonly #pids: ReadonlyMap<string, number>;
  #start = new Map<string, number>();
  #startedAt = 0;

  constructor(pids: ReadonlyMap<string, number>) {
    this.#pids = pids;
  }

  /** Marks the start of the window. */
  begin(): void {
    this.#startedAt = performance.now();
    this.#start = new Map([...this.#pids].map(([name, pid]) => [name, cpuSeconds(pid)]));
  }

  /** Percent of one core each process used since `begin` (NaN for a process that vanished). */
  end(): Record<string, number> {
    const wallSec = (performance.now() - this.#startedAt) / 1000;
    const out: Record<string, number> = {};
    for (const [name, pid] of this.#pids) {
      const used = cpuSeconds(pid) - (this.#start.get(name) ?? NaN);
      out[name] = Math.round((used / wallSec) * 1000) / 10;
    }
    return out;
  }
}
