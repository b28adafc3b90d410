/**
 * The explore web console in real headless Chromium: `deliverylab explore` runs as a user starts it,
 * its console page is the web chat with fault buttons, and a button's effect shows in the cluster
 * panel from the workers' own reports (a killed worker comes back with a new pid, a paused one stops
 * answering, a partitioned one loses Redis). Ending the session leaves no process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIST_CLI_PATH } from '../support/dist-core.js';
import { launchChromium, SHOTS } from '../support/browser.js';
import { descendants, isGone } from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

const READY_MS = 60_000;
const CONVERGE_MS = 30_000;

let explore: ChildProcess | undefined;
let stderr = '';
let consoleUrl = '';
let browser: Browser | undefined;
let page: Page | undefined;

beforeAll(async () => {
  const out = mkdtempSync(join(tmpdir(), 'dl-explore-web-'));
  explore = spawn(process.execPath, [DIST_CLI_PATH, 'explore', '--out', out, '--clients', '2'], { stdio: ['pipe', 'pipe', 'pipe'] });
  explore.stdout?.resume();
  explore.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  await until(() => /the web console on (http:\/\/127\.0\.0\.1:\d+\/)/.test(stderr), READY_MS, () => `explore to print its console URL; it printed:\n${stderr}`);
  consoleUrl = /the web console on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)![1]!;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (explore && explore.exitCode === null) explore.kill('SIGKILL');
});

/** Waits until `cond` holds; on the bound, fails saying what it waited for. */
const until = (cond: () => boolean | Promise<boolean>, ms: number, what: string | (() => string)) =>
  waitFor(async () => { if (!(await cond())) throw new Error(`waiting for ${typeof what === 'string' ? what : what()}`); }, ms, 50);

/** The text of a cell of the cluster panel. */
const cell = (testid: string) => page!.getByTestId(testid).innerText();

describe('explore web console', () => {
  it('fault buttons act on the live cluster, and the cluster panel shows their effect', async () => {
    const p = page!;
    await p.goto(consoleUrl);
    await until(async () => (await cell('worker-1-state')) === 'up' && /^\d+$/.test(await cell('worker-1-pid')), CONVERGE_MS, 'worker 1 up in the panel');
    // The console's chat is a client of the session's core too (another origin, let in; a token of its own).
    await until(async () => (await p.getByTestId('conn-state').getAttribute('data-state')) === 'connected', CONVERGE_MS, 'the console page connected to a worker');
    expect(await p.getByTestId('who').innerText()).toContain('explorer');
    const before = Number(await cell('worker-1-pid'));
    expect(explore!.pid).toBeDefined();

    // kill 1: the worker is SIGKILLed and re-forked; the panel shows the new pid and one exit by SIGKILL.
    await p.getByTestId('control-kill-1').click();
    await until(async () => {
      const pid = await cell('worker-1-pid');
      return /^\d+$/.test(pid) && Number(pid) !== before && (await cell('worker-1-state')) === 'up';
    }, CONVERGE_MS, 'worker 1 back with a new pid in the panel');
    expect(isGone(before)).toBe(true);
    expect(await cell('worker-1-exits')).toMatch(/^1 · SIGKILL/);
    await until(async () => (await p.getByTestId('control-log').innerText()).includes('got SIGKILL'), CONVERGE_MS, 'the command log to show the kill');

    // pause 0: the worker stops reporting and shows as not answering; resume brings it back.
    await p.getByTestId('control-pause-0').click();
    await until(async () => (await cell('worker-0-state')).startsWith('not answering'), CONVERGE_MS, 'worker 0 not answering in the panel');
    await p.screenshot({ path: join(SHOTS, 'explore-worker-0-paused.png'), fullPage: true });
    await p.getByTestId('control-resume-0').click();
    await until(async () => (await cell('worker-0-state')) === 'up', CONVERGE_MS, 'worker 0 up again');

    // partition 1 cut: worker 1's Redis connections are reset and refused; heal restores them.
    await p.getByTestId('control-partition-cut-1').click();
    await until(async () => !(await cell('worker-1-redis')).startsWith('ready / ready'), CONVERGE_MS, "worker 1's Redis link down in the panel");
    await p.screenshot({ path: join(SHOTS, 'explore-worker-1-partitioned.png'), fullPage: true });
    await p.getByTestId('control-heal').click();
    await until(async () => (await cell('worker-1-redis')) === 'ready / ready', CONVERGE_MS, "worker 1's Redis link back");

    // What the buttons did is the session's: the terminal saw every command.
    expect(stderr).toContain('[web] kill 1');
    expect(stderr).toContain('[web] partition 1 cut');
  });

  it('quit ends the session and leaves no process behind', async () => {
    const child = explore!;
    const pids = descendants(child.pid!).map((d) => d.pid);
    expect(pids.length).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin!.end('quit\n');
    expect(await exited).toBe(0);
    await until(() => pids.every(isGone), CONVERGE_MS, () => `every process of the session to be gone; left: ${pids.filter((pid) => !isGone(pid)).join(', ')}`);
  });
});
