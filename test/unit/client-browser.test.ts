import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('the client SDK in a browser', () => {
  it('type-checks with only the DOM and ES libraries (no Node types: no node: imports, no Buffer, no process)', () => {
    const run = () => execFileSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, '-p', `${ROOT}test/client-browser.tsconfig.json`], { encoding: 'utf8' });
    expect(run).not.toThrow();
  });
});
