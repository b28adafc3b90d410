/**
 * The boundary between the system under test and the lab, enforced: the lab treats the core as a
 * black box and imports only the contract (src/protocol) and the client SDK (src/client); lab/bench
 * is the one declared white-box consumer. Nothing under src imports the lab, and the core's program
 * loads no development dependency.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every module a file imports or re-exports (static and dynamic), as written. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** A relative import resolved to a path from the repo root (`src/protocol/index.js`). */
function target(file: string, spec: string): string {
  return relative(ROOT, resolve(ROOT, dirname(file), spec));
}

/** The package a bare import names (`@scope/name` or `name`), or undefined for a relative or node: import. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const LAB_MAY_IMPORT = ['src/protocol/', 'src/client/'];

describe('import rules', () => {
  it('outside lab/bench, the lab imports only src/protocol and src/client', () => {
    const broken = tsFiles('lab').filter((f) => !f.startsWith('lab/bench/')).flatMap((f) =>
      importsOf(f).filter((s) => s.startsWith('.')).map((s) => [f, target(f, s)] as const)
        .filter(([, t]) => t.startsWith('src/') && !LAB_MAY_IMPORT.some((ok) => t.startsWith(ok)))
        .map(([file, t]) => `${file} imports ${t}`));
    expect(broken).toEqual([]);
  });

  it('nothing under src imports the lab, the scenarios or the tests', () => {
    const broken = tsFiles('src').flatMap((f) => importsOf(f).filter((s) => s.startsWith('.')).map((s) => target(f, s))
      .filter((t) => /^(lab|scenarios|test)\//.test(t)).map((t) => `${f} imports ${t}`));
    expect(broken).toEqual([]);
  });

  it('src imports only runtime dependencies (no development dependency reaches the core)', () => {
    const allowed = new Set(Object.keys(pkg.dependencies));
    const broken = tsFiles('src').flatMap((f) => importsOf(f).map(packageOf).filter((p): p is string => p !== undefined && !allowed.has(p)).map((p) => `${f} imports ${p}`));
    expect(broken).toEqual([]);
  });

  it('the rules see real imports: the lab does import the contract, and lab/bench the core', () => {
    const labTargets = tsFiles('lab').flatMap((f) => importsOf(f).filter((s) => s.startsWith('.')).map((s) => [f, target(f, s)] as const));
    expect(labTargets.some(([f, t]) => !f.startsWith('lab/bench/') && t.startsWith('src/protocol/'))).toBe(true);
    expect(labTargets.some(([f, t]) => f.startsWith('lab/bench/') && /^src\/(store|server)\//.test(t))).toBe(true);
  });
});
