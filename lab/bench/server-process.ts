import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { awaitMessage, type ChildGroup } from './children.js';

/** What a bench server child reports once it listens. */
export interface ListeningReport {
  type: 'listening';
  port: number;
  pid: number;
}

/** A bench server child that listens. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** Its ws base URL. */
  readonly url: string;
}

/** Bound on a bench server's start-up. */
const START_TIMEOUT_MS = 20_000;

/** Forks a compiled bench server entry with its options as one JSON argument and waits until it listens. */
export async function startServerProcess(group: ChildGroup, modulePath: string, options: object, name: string, logFile: string, wsPath: string, signal?: AbortSignal): Promise<ServerProcess> {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = group.fork(modulePath, [JSON.stringify(options)], log);
  child.once('exit', () => log.end());
  const r = await awaitMessage(child, name, (m) => ((m as ListeningReport | undefined)?.type === 'listening' ? (m as ListeningReport) : undefined), START_TIMEOUT_MS, signal);
  return { child, pid: r.pid, port: r.port, url: `ws://127.0.0.1:${r.port}${wsPath}` };
}
