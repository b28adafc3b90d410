import { spawn } from 'node:child_process';
import { DIST_CLI_PATH } from './dist-core.js';

/** What a finished CLI run printed, and its exit code. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled `deliverylab` CLI to completion (its stdin closed, or fed `input`). */
export function runCli(args: string[], o: { cwd?: string; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [DIST_CLI_PATH, ...args], { cwd: o.cwd, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    if (o.input !== undefined) p.stdin?.end(o.input);
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
