import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { webBundlePath } from '../../src/server/web-ui.js';

const ROOT = new URL('../..', import.meta.url).pathname;
/** Where browser tests save their screenshots. */
export const SHOTS = join(ROOT, 'reports/browser');
/** Debian's Chromium (`make chromium` installs it); playwright-core downloads no browser. */
export const CHROMIUM = '/usr/bin/chromium';
/** Headless, and nothing that reaches for the network this machine does not have. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The newest mtime of the sources the bundle is made of. */
function newestSource(d: string): number {
  let t = 0;
  for (const e of readdirSync(join(ROOT, d), { withFileTypes: true })) {
    const p = join(d, e.name);
    t = Math.max(t, e.isDirectory() ? newestSource(p) : e.name.endsWith('.ts') ? statSync(join(ROOT, p)).mtimeMs : 0);
  }
  return t;
}

/** Builds dist/web/chat.js when missing or older than its sources (`make build` does it too). */
export function ensureBundle(): void {
  const bundle = webBundlePath();
  const newest = Math.max(...['web', 'src/client', 'src/protocol'].map(newestSource));
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newest) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { stdio: 'inherit' });
}

/** Chromium, ready to open pages, with the bundle built and the screenshot folder made. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: \`make test\` installs it (\`make chromium\`), or run 'apt-get install -y chromium'`);
  ensureBundle();
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
