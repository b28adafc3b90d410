/**
 * Process facts read from Linux `/proc`: whether a pid still runs (a zombie does not: it has
 * exited and only waits to be reaped, yet still answers `kill(pid, 0)`), and a process's children.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** One line of `/proc/<pid>/stat`, the fields tests need. */
export interface ProcStat { pid: number; comm: string; state: string; ppid: number }

/** Reads `/proc/<pid>/stat`, or null when the process does not exist. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm is in parentheses and may itself contain spaces or parentheses: split at the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const [state = '?', ppid = '0'] = text.slice(close + 2).split(' ');
  return { pid, comm, state, ppid: Number(ppid) };
}

/** True when `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z';
}

/** The processes whose parent is `ppid` (zombies included). */
export function childrenOf(ppid: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat?.ppid === ppid) out.push(stat);
  }
  return out;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port p with p .. p+count-1 all free on 127.0.0.1 when probed (a later bind may still race). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const free = await Promise.all(Array.from({ length: count }, (_, i) => canBind(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no range of ${count} free ports found on 127.0.0.1`);
}
