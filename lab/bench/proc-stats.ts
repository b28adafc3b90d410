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

/** Busy CPU seconds of the whole machine (all cores, idle and iowait excluded), from /proc/stat. */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicksPerSec();
  } catch {
    return NaN;
  }
}

/**
 * CPU use of named processes over a window, as a percentage of one core; `other` is what the rest
 * of the machine used meanwhile (kernel threads, softirqs, and anything outside the bench).
 */
export class CpuWindow {
  readonly #pids: ReadonlyMap<string, number>;
  #start = new Map<string, number>();
  #machineStart = 0;
  #startedAt = 0;

  constructor(pids: ReadonlyMap<string, number>) {
    this.#pids = pids;
  }

  /** Marks the start of the window. */
  begin(): void {
    this.#startedAt = performance.now();
    this.#start = new Map([...this.#pids].map(([name, pid]) => [name, cpuSeconds(pid)]));
    this.#machineStart = machineBusySeconds();
  }

  /** Percent of one core each process used since `begin` (NaN for a process that vanished), plus `other`. */
  end(): Record<string, number> {
    const wallSec = (performance.now() - this.#startedAt) / 1000;
    const pct = (sec: number) => Math.round((sec / wallSec) * 1000) / 10;
    const out: Record<string, number> = {};
    let named = 0;
    for (const [name, pid] of this.#pids) {
      const used = cpuSeconds(pid) - (this.#start.get(name) ?? NaN);
      out[name] = pct(used);
      if (Number.isFinite(used)) named += used;
    }
    out['other'] = Math.max(0, pct(machineBusySeconds() - this.#machineStart - named));
    return out;
  }
}
